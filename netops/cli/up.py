"""``netops up``: the RADIUS server, the captive portal and the SNMP exporter as one service.

Thin: parse options, build the component list (``netops.service.stack``), run the
supervisor (``netops.service.run``) and print what happens.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops import defaults
from netops.cli.common import (
    DbOpt,
    InventoryOpt,
    absolute_path,
    console,
    db_url,
    err_console,
    get_inventory,
)
from netops.cli.portal import check_admin_token
from netops.errors import StoreError
from netops.inventory import Inventory
from netops.service.model import ComponentSpec, ComponentStatus, State
from netops.service.run import supervise
from netops.service.stack import (
    PROMETHEUS,
    ServiceError,
    StackPorts,
    ensure_free,
    natlog_listen,
    prometheus_component,
    prometheus_config_commands,
    stack_components,
)
from netops.service.state import read_state, running, stop_recorded
from netops.service.supervisor import Event
from netops.timefmt import human, zone_of

STATE_FILE = "up.json"

StateDirOpt = Annotated[
    Path,
    typer.Option(
        "--state-dir",
        help="Folder for the state file (up.json) and logs (log/).",
        show_default=True,
        callback=absolute_path,
    ),
]


def _command_exists(path: tuple[str, ...]) -> bool:
    """True when ``netops <path…>`` is a command of this installation."""
    from netops.cli.lazy import resolve
    from netops.cli.main import app

    try:
        _, rest = resolve(app, list(path))
    except ImportError:
        return False
    return not rest


def _prepare_store(url: str) -> None:
    """Create or upgrade the store's tables once, before the services open it."""
    try:
        from netops.store.engine import describe, make_engine, parse_url, translate
        from netops.store.migrate import upgrade
    except ImportError:
        return
    parsed = parse_url(url)
    engine = make_engine(parsed)
    try:
        with translate(describe(parsed)):
            upgrade(engine)
    except StoreError:
        raise
    except Exception as exc:  # alembic's own errors
        raise StoreError(f"{describe(parsed)} could not be migrated ({exc})") from None
    finally:
        engine.dispose()


def _print_event(event: Event, logs: dict[str, str], zone: tzinfo = UTC) -> None:
    stamp = human(datetime.now(UTC), zone, seconds=True)
    colour = {"crashed": "red", "not-ready": "yellow", "ready": "green"}.get(event.kind, "dim")
    tail = ""
    if event.kind == "crashed" and event.component in logs:
        tail = f" (log: {logs[event.component]})"
    console.print(
        f"[dim]{stamp}[/] [bold]{event.component:9}[/] [{colour}]{event.kind}[/] "
        f"{event.message}{tail}"
    )


def _summary(statuses: list[ComponentStatus], health_url: str, title: str) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("component")
    table.add_column("state")
    table.add_column("pid", justify="right")
    table.add_column("where")
    for s in statuses:
        state = f"[green]{s.state.value}[/]" if s.state is State.UP else f"[red]{s.state.value}[/]"
        where = "\n".join(f"{e.label}: {e.address}" for e in s.endpoints)
        table.add_row(s.name, state, str(s.pid or ""), where)
    table.add_row("supervisor", "[green]up[/]", "", f"health: {health_url}")
    console.print(table)
    console.print("Press Ctrl-C to stop everything.")


BindOpt = Annotated[str, typer.Option("--bind", help="Address every service listens on.")]
RadiusAuthPortOpt = Annotated[
    int | None,
    typer.Option(
        "--radius-auth-port",
        help="RADIUS authentication port (UDP) "
        "(default: the inventory's services.radius.auth_port).",
    ),
]
RadiusAcctPortOpt = Annotated[
    int | None,
    typer.Option(
        "--radius-acct-port",
        help="RADIUS accounting port (UDP) (default: the inventory's services.radius.acct_port).",
    ),
]
RadiusMetricsPortOpt = Annotated[
    int, typer.Option("--radius-metrics-port", help="RADIUS server's /metrics port.")
]
RadiusThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--radius-threads",
        min=0,
        max=256,
        help="RADIUS store threads per worker (default: by where the store is, 0 on "
        "SQLite and on PostgreSQL on this machine, 8 on PostgreSQL on another host).",
        show_default=False,
    ),
]
PortalPortOpt = Annotated[
    int | None,
    typer.Option(
        "--portal-port",
        help="Captive portal port (default: the port of the inventory's services.portal.url).",
    ),
]
ExporterPortOpt = Annotated[
    int, typer.Option("--exporter-port", help="SNMP exporter port (/snmp, /probe, /metrics).")
]
HealthPortOpt = Annotated[
    int, typer.Option("--health-port", help="Supervisor's /health and /metrics port.")
]
PrometheusOpt = Annotated[
    bool,
    typer.Option(
        "--prometheus/--no-prometheus",
        help="Also run a Prometheus (Debian prometheus) that scrapes the stack, with the "
        "config, targets and rules of `netops prometheus` and its data under --state-dir.",
    ),
]
PrometheusPortOpt = Annotated[
    int, typer.Option("--prometheus-port", help="Prometheus web port (with --prometheus).")
]
ScrapeIntervalOpt = Annotated[
    str, typer.Option("--scrape-interval", help="Prometheus scrape interval (with --prometheus).")
]
StopOpt = Annotated[
    bool, typer.Option("--stop", help="Stop the stack recorded in --state-dir and exit.")
]
StatusOpt = Annotated[
    bool, typer.Option("--status", help="Print the recorded stack's health (JSON) and exit.")
]


def up(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    state_dir: StateDirOpt = Path(defaults.STATE_DIR),
    bind: BindOpt = defaults.LOCALHOST,
    radius_auth_port: RadiusAuthPortOpt = None,
    radius_acct_port: RadiusAcctPortOpt = None,
    radius_metrics_port: RadiusMetricsPortOpt = defaults.RADIUS_METRICS_PORT,
    radius_threads: RadiusThreadsOpt = None,
    portal_port: PortalPortOpt = None,
    exporter_port: ExporterPortOpt = defaults.EXPORTER_PORT,
    health_port: HealthPortOpt = defaults.HEALTH_PORT,
    prometheus: PrometheusOpt = False,
    prometheus_port: PrometheusPortOpt = defaults.PROMETHEUS_PORT,
    scrape_interval: ScrapeIntervalOpt = "5s",
    stop: StopOpt = False,
    status: StatusOpt = False,
) -> None:
    """Run the RADIUS server, captive portal and SNMP exporter as one supervised service.

    Each service is the real `netops … serve` command on its own port, sharing the
    inventory and the store (SQLite under --state-dir unless --db says otherwise).

    A service that crashes is reported and restarted with growing delays.
    Ctrl-C or SIGTERM stops everything. The supervisor answers GET /health (JSON).
    """
    state_path = state_dir / STATE_FILE
    if stop:
        stopped = stop_recorded(state_path)
        console.print("stopped: " + ", ".join(stopped) if stopped else "nothing was running")
        return
    if status:
        _status(state_path)
        return

    check_admin_token()
    inv = get_inventory(inventory)
    assert inventory is not None
    _take_over(state_path, state_dir)
    inherited = StackPorts.for_inventory(inv, bind)
    ports = StackPorts(
        host=bind,
        radius_auth=radius_auth_port or inherited.radius_auth,
        radius_acct=radius_acct_port or inherited.radius_acct,
        radius_metrics=radius_metrics_port,
        portal=portal_port or inherited.portal,
        exporter=exporter_port,
        health=health_port,
        prometheus=prometheus_port if prometheus else None,
    )
    ports.check()
    ensure_free(ports)
    # The umask (0027, set for every service command) makes the rest private too: the
    # store, its -wal/-shm, up.json, Prometheus's files.
    state_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    url = db_url(db or f"sqlite:///{state_dir / 'netops.db'}")
    _prepare_store(url)
    scrape = scrape_interval if prometheus else None
    specs = _components(inv, inventory.resolve(), url, ports, state_dir, radius_threads, scrape)
    _supervise(specs, inv, inventory.resolve(), url, ports, state_path)


def _take_over(state_path: Path, state_dir: Path) -> None:
    """Refuse to start beside a running stack; stop what an earlier run left behind."""
    live = running(state_path)
    if live is not None:
        raise ServiceError(
            f"netops up is already running (pid {live['pid']}, health {live.get('health')}); "
            f"stop it with `netops up --stop --state-dir {state_dir}`"
        )
    leftovers = stop_recorded(state_path)
    if leftovers:
        err_console.print("cleaned up after an earlier run: " + ", ".join(leftovers))


def _components(
    inv: Inventory,
    inventory: Path,
    url: str,
    ports: StackPorts,
    state_dir: Path,
    radius_threads: int | None,
    scrape_interval: str | None,
) -> list[ComponentSpec]:
    """The components this installation can run (a note for each it cannot), Prometheus
    when ``scrape_interval`` is given, and the privacy purge when the inventory has a
    privacy section."""
    specs, missing = stack_components(
        inventory,
        url,
        ports,
        state_dir / "log",
        _command_exists,
        natlog_listen(inv),
        radius_threads=radius_threads,
    )
    for note in missing:
        err_console.print(f"[yellow]not started[/] {note}")
    if scrape_interval is not None:
        specs.append(_prometheus(inventory, ports, state_dir, scrape_interval))
    if not specs:
        raise ServiceError("none of the services is installed: nothing to run")
    if inv.privacy is not None and _command_exists(("privacy", "purge")):
        from netops.privacy.service import purge_component

        specs.append(purge_component(inventory, url, state_dir / "log"))
    return specs


def _supervise(
    specs: list[ComponentSpec],
    inv: Inventory,
    inventory: Path,
    url: str,
    ports: StackPorts,
    state_path: Path,
) -> None:
    """Run ``specs`` under the supervisor until Ctrl-C or SIGTERM, printing what happens."""
    logs = {s.name: str(s.log) for s in specs if s.log is not None}
    console.print(f"netops up: {inv.summary()}; store {url}")

    def ready(statuses: list[ComponentStatus], port: int) -> None:
        title = (
            "netops is up"
            if all(s.state is State.UP for s in statuses)
            else ("netops started, but not every service answers yet")
        )
        _summary(statuses, ports.url(port, "/health"), title)

    asyncio.run(
        supervise(
            specs,
            state_path,
            ports.host,
            ports.health,
            lambda e: _print_event(e, logs, zone_of(inv.meta.timezone)),
            ready,
            extra_state={"kind": "up", "inventory": str(inventory), "db": url},
        )
    )
    console.print("netops stopped: every service ended.")


def _prometheus(
    inventory: Path, ports: StackPorts, state_dir: Path, interval: str
) -> ComponentSpec:
    """Write Prometheus's config, targets and rules with `netops prometheus`; the component."""
    import shutil
    import subprocess

    binary = shutil.which("prometheus") or PROMETHEUS
    if not Path(binary).exists():
        raise ServiceError("prometheus is not installed (Debian package prometheus)")
    folder = (state_dir / "prometheus").resolve()
    folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    for command in prometheus_config_commands(inventory, ports, folder, interval):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise ServiceError(
                f"`netops prometheus {command[6]}` failed: {reason[-1] if reason else 'no output'}"
            )
    assert ports.prometheus is not None
    return prometheus_component(
        binary,
        folder / "prometheus.yml",
        folder / "data",
        ports.host,
        ports.prometheus,
        state_dir / "log",
    )


def _status(state_path: Path) -> None:
    import httpx

    doc = running(state_path)
    if doc is None:
        recorded = read_state(state_path)
        raise ServiceError(
            "netops up is not running"
            + (f" (stale state in {state_path})" if recorded is not None else "")
        )
    try:
        resp = httpx.get(str(doc["health"]), timeout=5)
    except httpx.HTTPError as exc:
        raise ServiceError(
            f"the supervisor's health endpoint {doc['health']} did not answer ({exc})"
        ) from None
    console.print_json(json.dumps(resp.json()))
    if resp.status_code != 200:
        raise typer.Exit(2)
