"""``netops exporter``: the SNMP → Prometheus exporter and ICMP prober."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops import defaults
from netops.cli.common import InventoryOpt, absolute_path, console, err_console, get_inventory
from netops.exporters.modules import DEFAULT_MODULE_DIR, load_modules
from netops.exporters.server import Exporter, ExporterSettings, bind, parse_listen, serve
from netops.exporters.snmp import SnmpClient
from netops.exporters.workers import WorkerSpec, default_workers, serve_workers

app = typer.Typer(
    help="SNMP → Prometheus exporter (snmp_exporter compatible) and ICMP probes.",
    no_args_is_help=True,
)

ModulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--modules",
        help=f"Folder of SNMP module files (default: {DEFAULT_MODULE_DIR}).",
        show_default=False,
        callback=absolute_path,
    ),
]
EngineOpt = Annotated[
    str,
    typer.Option(
        "--v2c-engine",
        help="Who speaks SNMPv2c: 'fast' (netops' codec) or 'pysnmp'. v3 always uses pysnmp.",
    ),
]


ParallelOpt = Annotated[
    int,
    typer.Option(
        "--parallel-walks",
        min=1,
        max=16,
        help="GETBULK walks in flight per target (groups of 10 columns).",
    ),
]


V3EngineOpt = Annotated[
    str,
    typer.Option(
        "--v3-engine",
        help="Who speaks SNMPv3: 'fast' (netops' USM: MD5/SHA/SHA-2 auth, AES-128) or "
        "'pysnmp'. Other privacy protocols always use pysnmp.",
    ),
]


def _engine(value: str, parallel_walks: int = 2, v3: str = "fast") -> SnmpClient:
    for option, chosen in (("--v2c-engine", value), ("--v3-engine", v3)):
        if chosen not in ("fast", "pysnmp"):
            raise typer.BadParameter(f"{option} must be 'fast' or 'pysnmp'")
    return SnmpClient(
        v2c_engine="fast" if value == "fast" else "pysnmp",
        v3_engine="fast" if v3 == "fast" else "pysnmp",
        parallel_walks=parallel_walks,
    )


@app.command("serve")
def serve_command(
    inventory: InventoryOpt = None,
    listen: Annotated[
        str, typer.Option("--listen", "-l", help="Address and port to listen on (port 0: any).")
    ] = defaults.EXPORTER_LISTEN,
    modules: ModulesOpt = None,
    default_timeout: Annotated[
        float,
        typer.Option(
            "--default-timeout",
            help="Scrape budget in seconds when Prometheus sends no timeout header.",
        ),
    ] = 10.0,
    timeout_offset: Annotated[
        float,
        typer.Option(
            "--timeout-offset",
            help="Seconds kept back from Prometheus's scrape timeout for the HTTP answer.",
        ),
    ] = 0.5,
    v2c_engine: EngineOpt = "fast",
    v3_engine: V3EngineOpt = "fast",
    parallel_walks: ParallelOpt = 2,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Processes accepting on the one listening port (default: one per core; "
            "1: a single process).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve /snmp, /probe and /metrics until interrupted; POST /-/reload re-reads the
    inventory and modules (a broken file keeps the running configuration)."""
    inv = get_inventory(inventory)
    loaded = load_modules(modules)
    host, port = parse_listen(listen)
    client = _engine(v2c_engine, parallel_walks, v3_engine)
    count = default_workers() if workers is None else workers
    # With workers each listens on the port itself (SO_REUSEPORT); this only reserves it.
    sock = bind(host, port, reuse_port=count > 1, listen=count == 1)
    bound_host, bound_port = sock.getsockname()[:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def announce() -> None:
        console.print(
            f"netops exporter listening on http://{shown}:{bound_port}/ "
            f"({len(loaded)} modules, {len(inv.devices)} inventory devices, "
            f"{count} worker{'s' if count > 1 else ''})"
        )

    if count > 1 and inventory is not None:
        spec = WorkerSpec(
            inventory=inventory,
            modules=modules,
            default_timeout=default_timeout,
            timeout_offset=timeout_offset,
            v2c_engine=v2c_engine,
            v3_engine=v3_engine,
            parallel_walks=parallel_walks,
        )
        with contextlib.suppress(KeyboardInterrupt):
            serve_workers(spec, sock, count, announce)
        return
    settings = ExporterSettings(default_timeout=default_timeout, timeout_offset=timeout_offset)
    exporter = Exporter(inv, loaded, settings, client=client)
    exporter.loader = lambda: (get_inventory(inventory), load_modules(modules))
    announce()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(exporter, sock))


@app.command("scrape")
def scrape_command(
    target: Annotated[str, typer.Argument(help="Device hostname, HOST or HOST:PORT.")],
    inventory: InventoryOpt = None,
    module: Annotated[
        list[str] | None,
        typer.Option("--module", "-m", help="Module(s) to poll (default: the device's)."),
    ] = None,
    auth: Annotated[
        str | None, typer.Option("--auth", "-a", help="Inventory SNMP profile to use.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Scrape budget in seconds.")] = 10.0,
    modules: ModulesOpt = None,
    v2c_engine: EngineOpt = "fast",
    v3_engine: V3EngineOpt = "fast",
) -> None:
    """Scrape one target once and print what /snmp would answer (exit 1 on failure)."""
    inv = get_inventory(inventory)
    exporter = Exporter(inv, load_modules(modules), client=_engine(v2c_engine, v3=v3_engine))
    response = asyncio.run(exporter.scrape_snmp(target, module or [], auth, timeout))
    if response.status != 200:
        err_console.print(f"[bold red]error:[/] {response.body.decode().strip()}")
        raise typer.Exit(1)
    typer.echo(response.body.decode(), nl=False)


@app.command("modules")
def modules_command(modules: ModulesOpt = None) -> None:
    """List the SNMP modules: name, metrics, columns walked, scalars read."""
    loaded = load_modules(modules)
    table = Table(title="SNMP modules", title_justify="left")
    table.add_column("module", no_wrap=True)
    for column in ("metrics", "columns", "scalars", "description", "file"):
        table.add_column(column)
    for name in sorted(loaded):
        m = loaded[name]
        table.add_row(
            name,
            str(len(m.metrics)),
            str(len(m.columns)),
            str(len(m.scalars)),
            m.description,
            Path(m.source).name,
        )
    console.print(table)
