"""``netops lab``: the simulated city on this machine (SNMP agents, FRR routers, hotspot).

Thin: parse options, call ``netops.lab.runtime``, print with rich.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops.cli.common import InventoryOpt, console, err_console, get_inventory
from netops.lab.runtime import Lab, down, load_specs, status
from netops.service.model import ComponentStatus
from netops.service.run import supervise
from netops.service.supervisor import Event

app = typer.Typer(
    help="Simulated lab devices on this machine: SNMP agents, FRR routers, hotspot users.",
    no_args_is_help=True,
)

LabDirOpt = Annotated[
    Path,
    typer.Option("--lab-dir", help="Folder for the lab's state, data and logs.", show_default=True),
]


@app.command("up")
def lab_up(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for every simulated device.")
    ] = 90.0,
) -> None:
    """Start the lab's simulated devices in the background (needs root).

    FRR routers run in network namespaces with sshd; every device gets an SNMP agent with
    its inventory interfaces and growing traffic counters. Leftovers of an earlier lab
    are removed first; a lab that is already up is left as it is.
    """
    inv = get_inventory(inventory)
    lab = Lab(inv, lab_dir)
    result = lab.up(progress=lambda m: err_console.print(f"[dim]{m}[/]"), wait=wait)
    if result.already_up:
        console.print(f"the lab is already up (health {result.health}); nothing to do")
    table = Table(title="lab devices", title_justify="left")
    table.add_column("device")
    table.add_column("platform")
    table.add_column("SNMP")
    table.add_column("SSH")
    agents = {a.device: a for a in result.agents}
    for device in inv.devices:
        agent = agents.get(device.hostname)
        ssh = f"{device.mgmt_ip}:{device.ssh_port}" if device.hostname in result.routers else ""
        table.add_row(
            device.hostname,
            device.platform,
            f"udp {agent.endpoint}" + (f" (ns {agent.namespace})" if agent.namespace else "")
            if agent
            else "-",
            ssh or "-",
        )
    console.print(table)
    for note in result.notes:
        err_console.print(f"[yellow]note[/] {note}")
    console.print(f"lab supervisor: {result.health}   stop with: netops lab down")


@app.command("down")
def lab_down(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
) -> None:
    """Stop every simulated device and remove the lab's namespaces and files.

    Works from what the lab recorded and what the kernel shows, so it also cleans up
    after a crash. Running it when nothing is up is not an error.
    """
    removed = down(lab_dir)
    console.print("lab down: " + ", ".join(removed) if removed else "lab down: nothing was up")


@app.command("status")
def lab_status(
    inventory: InventoryOpt = None,
    lab_dir: LabDirOpt = Path("var/lab"),
) -> None:
    """Show whether the lab runs, and the state of each simulated device."""
    doc = status(lab_dir)
    if doc is None:
        console.print("the lab is not running")
        raise typer.Exit(3)
    table = Table(title=f"lab supervisor pid {doc['pid']} — {doc['health']}", title_justify="left")
    table.add_column("component")
    table.add_column("state")
    table.add_column("pid", justify="right")
    table.add_column("restarts", justify="right")
    for name, info in sorted(doc.get("components", {}).items()):
        table.add_row(
            name, str(info.get("state")), str(info.get("pid") or ""), str(info.get("restarts", 0))
        )
    console.print(table)


@app.command("run", hidden=True)
def lab_run(
    lab_dir: LabDirOpt = Path("var/lab"),
    health_port: Annotated[int, typer.Option("--health-port", help="Health endpoint port.")] = 0,
) -> None:
    """Supervise the lab's processes in the foreground (started by `netops lab up`)."""
    specs = load_specs(lab_dir)

    def show(event: Event) -> None:
        print(
            f"{time.strftime('%H:%M:%S')} {event.component} {event.kind} {event.message}",
            flush=True,
        )

    def ready(statuses: list[ComponentStatus], port: int) -> None:
        print(f"lab supervisor ready on port {port}", flush=True)

    asyncio.run(
        supervise(
            specs,
            lab_dir / "supervisor.json",
            "127.0.0.1",
            health_port,
            show,
            ready,
            extra_state={"kind": "lab"},
        )
    )
