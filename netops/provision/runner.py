"""Run one device operation over many devices in parallel, with progress and a final table.

Each device runs in its own worker thread (SSH sessions wait on the network, not the CPU).
A device that fails never stops the others: its :class:`Result` carries the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from netops.inventory.models import Device, Inventory
from netops.provision.operations import Options
from netops.provision.result import Result

DEFAULT_WORKERS = 20

Operation = Callable[[Inventory, Device, Options], Result]


def run(
    operation: Operation,
    inventory: Inventory,
    devices: Sequence[Device],
    options: Options,
    workers: int = DEFAULT_WORKERS,
    console: Console | None = None,
    label: str = "devices",
) -> list[Result]:
    """``operation`` on every device, ``workers`` at a time; results in inventory order."""
    workers = max(1, min(workers, len(devices) or 1))
    results: dict[str, Result] = {}
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=console is None,
    )
    with progress, ThreadPoolExecutor(max_workers=workers) as pool:
        task = progress.add_task(label, total=len(devices), last="")
        futures = {pool.submit(operation, inventory, d, options): d for d in devices}
        for future in as_completed(futures):
            device = futures[future]
            result = future.result()
            results[device.hostname] = result
            progress.update(task, advance=1, last=f"{device.hostname}: {result.status}")
    return [results[d.hostname] for d in devices]


_STYLE = {"failed": "red", "changed": "yellow", "unchanged": "green", "ok": "green"}


def summary_table(results: Sequence[Result], title: str, facts: bool = False) -> Table:
    """The final table: device, status, elapsed, and the reason of a failure."""
    table = Table(title=title, title_justify="left")
    table.add_column("device")
    table.add_column("status")
    if facts:
        for column in ("version", "uptime", "serial", "reach", "drift"):
            table.add_column(column)
    table.add_column("time", justify="right")
    table.add_column("detail", overflow="fold")
    for r in results:
        detail = r.error or ("rolled back" if r.rolled_back else "")
        row = [r.device, f"[{_STYLE[r.status]}]{r.status}[/]"]
        if facts:
            row += [r.facts.get(k, "") for k in ("version", "uptime", "serial", "reach", "drift")]
        row += [f"{r.elapsed:.2f} s", detail]
        table.add_row(*row)
    counts = {s: sum(1 for r in results if r.status == s) for s in _STYLE}
    table.caption = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no devices"
    return table
