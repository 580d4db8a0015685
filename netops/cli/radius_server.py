"""``netops radius serve | disconnect | stats``: run the RADIUS server, end sessions, watch it."""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from netops import defaults, environment
from netops.cli.common import DbOpt, InventoryOpt, console, db_url, get_inventory
from netops.cli.radius import app
from netops.errors import NetopsError, RadiusError
from netops.inventory import Inventory

if TYPE_CHECKING:
    from netops.radius.service import Listening

DEFAULT_METRICS = defaults.RADIUS_METRICS_LISTEN


def radius_ports(inv: Inventory, auth_port: int | None, acct_port: int | None) -> tuple[int, int]:
    """The (auth, acct) ports to listen on: the options when given, else the inventory's
    ``services.radius`` ports (the ones its NAS are configured with), as ``netops up`` does."""
    radius = inv.services.radius
    auth = radius.auth_port if auth_port is None else auth_port
    acct = radius.acct_port if acct_port is None else acct_port
    if auth == acct and auth != 0:
        raise RadiusError(f"the RADIUS auth and accounting ports must differ (both {auth})")
    return auth, acct


BindOpt = Annotated[
    str, typer.Option("--bind", help="Address to listen on (0.0.0.0: every IPv4 address).")
]
AuthPortOpt = Annotated[
    int | None,
    typer.Option(
        "--auth-port",
        min=0,
        max=65535,
        help="Authentication port (0: any; default: the inventory's "
        f"services.radius.auth_port, else {defaults.RADIUS_AUTH_PORT}).",
        show_default=False,
    ),
]
AcctPortOpt = Annotated[
    int | None,
    typer.Option(
        "--acct-port",
        min=0,
        max=65535,
        help="Accounting port (0: any; default: the inventory's "
        f"services.radius.acct_port, else {defaults.RADIUS_ACCT_PORT}).",
        show_default=False,
    ),
]
MetricsListenOpt = Annotated[
    str,
    typer.Option(
        "--metrics-listen",
        help="ADDR:PORT for Prometheus metrics (job netops-radius); 'off' to disable.",
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option("--workers", min=1, max=64, help="Processes sharing the ports (SO_REUSEPORT)."),
]
RejectDelayOpt = Annotated[
    float,
    typer.Option("--reject-delay", min=0, max=10, help="Seconds to hold back an Access-Reject."),
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(
        "--threads",
        min=0,
        max=256,
        help="Store threads per worker; 0 answers in the event loop (default: by where "
        "the store is, 0 on SQLite and on PostgreSQL on this machine, 8 on PostgreSQL "
        "on another host).",
        show_default=False,
    ),
]
SweepIntervalOpt = Annotated[
    float,
    typer.Option(
        "--sweep-interval",
        min=0,
        help="Seconds between stale-session sweeps (0: never).",
    ),
]
LogDropsEveryOpt = Annotated[
    float,
    typer.Option(
        "--log-drops-every",
        min=1,
        help="Seconds between log lines about dropped packets of one source and reason "
        "(the lines held back are counted in the next).",
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every accept and reject.")]


@app.command()
def serve(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    bind: BindOpt = defaults.RADIUS_BIND,
    auth_port: AuthPortOpt = None,
    acct_port: AcctPortOpt = None,
    metrics_listen: MetricsListenOpt = DEFAULT_METRICS,
    workers: WorkersOpt = 1,
    reject_delay: RejectDelayOpt = 1.0,
    threads: ThreadsOpt = None,
    sweep_interval: SweepIntervalOpt = 60.0,
    log_drops_every: LogDropsEveryOpt = 60.0,
    verbose: VerboseOpt = False,
) -> None:
    """Answer Access- and Accounting-Requests from the inventory's NAS until interrupted."""
    from netops.radius.server import ServerConfig
    from netops.radius.service import serve as run
    from netops.radius.storethreads import threads_for_store

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    inv = get_inventory(inventory)
    if not inv.nas_clients():
        raise RadiusError("the inventory has no RADIUS clients (devices with a radius profile)")
    auth, acct = radius_ports(inv, auth_port, acct_port)
    url = db_url(db)
    config = ServerConfig(
        bind=bind,
        auth_port=auth,
        acct_port=acct,
        reject_delay=reject_delay,
        sweep_interval=sweep_interval,
        threads=threads_for_store(url, environment.pg_host()) if threads is None else threads,
        drop_log_interval=log_drops_every,
        dictionary=environment.radius_dictionary(),
    )
    assert inventory is not None
    run(
        inventory,
        url,
        config,
        workers=workers,
        metrics_listen=None if metrics_listen in ("", "off") else metrics_listen,
        announce=functools.partial(_announce, inv),
        keys=environment.store_keys(),
    )


def _announce(inv: Inventory, where: Listening) -> None:
    metrics = where.metrics or "off"
    console.print(
        f"netops radius: listening on {where.bind} auth {where.auth_port} "
        f"acct {where.acct_port}, metrics {metrics}, {where.workers} worker(s), "
        f"{len(inv.nas_clients())} NAS"
    )
    sys.stdout.flush()


@app.command()
def disconnect(
    user: Annotated[
        str | None, typer.Argument(help="Disconnect every open session of this user.")
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Disconnect this Acct-Session-Id only.")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each answer.")
    ] = 2.0,
    retries: Annotated[int, typer.Option("--retries", min=0, help="Resends on timeout.")] = 2,
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="CoA port (default: the NAS profile's)."),
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Send Disconnect-Request (RFC 5176) to the NAS holding the session(s); show ACK / NAK."""
    from netops.radius.coa import CoaResult, disconnect_session
    from netops.store import Store

    if (user is None) == (session is None):
        raise NetopsError("name a USER or give --session ID (one of them)")
    inv = get_inventory(inventory)
    store = Store.open(db_url(db), keys=environment.store_keys())
    try:
        if session is not None:
            found = store.session(session)
            targets = [found] if found is not None and found.active else []
            if not targets:
                raise NetopsError(f"no open session with Acct-Session-Id {session}")
        else:
            assert user is not None
            targets = store.open_sessions(user)
            if not targets:
                raise NetopsError(f"user {user} has no open session")
    finally:
        store.close()

    async def run_all() -> list[CoaResult]:
        return await asyncio.gather(
            *(
                disconnect_session(
                    inv,
                    nas_ip=s.nas_ip,
                    username=s.username,
                    acct_session_id=s.acct_session_id,
                    mac=s.mac,
                    ip=s.ip,
                    timeout=timeout,
                    retries=retries,
                    port=port,
                    dictionary=environment.radius_dictionary(),
                )
                for s in targets
            )
        )

    results = asyncio.run(run_all())
    table = Table(title="Disconnect-Request", title_justify="left")
    for column in ("user", "session", "NAS", "address", "result", "error cause"):
        table.add_column(column)
    for sess, res in zip(targets, results, strict=True):
        style = "green" if res.ok else "red"
        table.add_row(
            sess.username,
            sess.acct_session_id,
            res.nas,
            f"{res.address}:{res.port}",
            f"[{style}]{res.result.upper()}[/]",
            res.error_cause or "",
        )
    console.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def stats(
    url: Annotated[
        str,
        typer.Option(
            "--url",
            envvar=defaults.RADIUS_METRICS_ENV,
            help="The server's metrics endpoint (its --metrics-listen).",
        ),
    ] = f"http://{DEFAULT_METRICS}/metrics",
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Show a running server's counters: requests, drops, latency, active sessions."""
    from netops.radius.stats import summarise

    del inventory, db  # the figures come from the running server, not from files
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RadiusError(f"cannot read RADIUS metrics at {url}: {reason}") from None
    summary = summarise(body)
    for title, columns, rows in summary.tables():
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        console.print(table)
