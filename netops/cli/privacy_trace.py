"""``netops privacy trace | syslog``: answer a lawful request from the records, and receive
the gateways' source-NAT log that makes the answer exact."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import os
import signal
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from netops.cli.common import (
    DbOpt,
    InventoryOpt,
    absolute_path,
    console,
    err_console,
    get_inventory,
)
from netops.cli.radius_subscribers import open_store, print_json, print_wide, when
from netops.errors import NetopsError
from netops.inventory.units import parse_duration
from netops.listen import parse_listen
from netops.privacy.syslog import NatReceiver
from netops.privacy.trace import AUDIT_ENV, parse_at, trace
from netops.timefmt import zone_of

app = typer.Typer(name="privacy", help="Personal data: lawful traces and the NAT log.")


class OutFormat(StrEnum):
    table = "table"
    json = "json"


def operator_name() -> str:
    """The local user running the CLI (and who became them with sudo)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    via = os.environ.get("SUDO_USER")
    return f"{user} (sudo by {via})" if via and via != user else user


@app.command("trace")
def trace_command(
    ip: Annotated[str, typer.Option("--ip", help="The public address in the request.")],
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="When: ISO 8601 with offset, or local time in the inventory's zone.",
        ),
    ],
    case: Annotated[str, typer.Option("--case", help="The request's case reference.")],
    port: Annotated[int | None, typer.Option("--port", help="The public source port.")] = None,
    window: Annotated[str, typer.Option("--window", help="± around --at, e.g. 5m.")] = "5m",
    fmt: Annotated[OutFormat, typer.Option("--format", help="table or json.")] = OutFormat.table,
    audit_log: Annotated[
        Path | None,
        typer.Option(
            "--audit-log",
            help=(
                f"Deprecated (also ${AUDIT_ENV}): also append each trace to this JSON-lines "
                "file. The record is the audit trail (netops audit list)."
            ),
            callback=absolute_path,
        ),
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Who was connected behind public IP (and port) at a time: gateway, sessions, NAT match."""
    inv = get_inventory(inventory)
    zone = zone_of(inv.meta.timezone)
    try:
        span = timedelta(seconds=parse_duration(window))
    except ValueError as exc:
        raise NetopsError(f"--window {window!r} is not a duration (e.g. 5m, 90s)") from exc
    moment = parse_at(at, zone)
    env_path = os.environ.get(AUDIT_ENV)
    path = audit_log or (Path(env_path).absolute() if env_path else None)
    if path is not None:
        err_console.print(
            f"warning: --audit-log / ${AUDIT_ENV} is deprecated and will be removed: every "
            "trace is recorded in the hash-chained audit trail (netops audit list|verify); "
            f"also appending to {path}",
            soft_wrap=True,
        )
    with open_store(db) as store:
        result = trace(
            store,
            inv,
            ip=ip,
            port=port,
            at=moment,
            window=span,
            case=case,
            operator=operator_name(),
            audit_path=path,
        )
    if fmt is OutFormat.json:
        print_json(result.to_json(zone))
        return
    target = f"{ip}:{port}" if port else ip
    console.print(
        f"case {case}: {target} at {when(moment, zone, seconds=True)} ± {window} — "
        f"gateway {result.gateway} (NAS {result.nas}; {', '.join(result.hotspots) or 'no hotspot'})"
    )
    answer = result.answer()
    if result.narrowed:
        console.print(f"narrowed by {len(result.mappings)} logged NAT mapping(s)")
    elif result.mappings:
        console.print("NAT mappings logged, but none matches a session: all sessions shown")
    else:
        console.print("no NAT mapping logged for this address: every session in the window")
    if not answer:
        console.print("no session was open on that gateway in the window")
        return
    table = Table(box=box.SIMPLE)
    for column in ("user", "device", "private IP", "start", "stop"):
        table.add_column(column)
    print_wide(
        table,
        [
            [
                s.username,
                s.mac or "",
                s.ip or "",
                when(s.started_at, zone, seconds=True),
                when(s.stopped_at, zone, seconds=True) or "open",
            ]
            for s in answer
        ],
    )


@app.command("syslog")
def syslog_command(
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen", help="ADDR:PORT for UDP and TCP (default services.natlog.listen)."
        ),
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Receive the gateways' source-NAT log (syslog, UDP and TCP) into the store."""
    inv = get_inventory(inventory)
    settings = inv.services.natlog
    host, port = parse_listen(listen or settings.listen, default_port=514)
    with open_store(db) as store:
        receiver = NatReceiver(
            store.add_nat,
            purge=store.purge_nat,
            retention=timedelta(days=settings.retention_days),
        )

        async def run() -> None:
            try:
                await receiver.start(host, port)
            except OSError as exc:
                raise NetopsError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
            err_console.print(f"netops privacy syslog: listening on udp+tcp {host}:{port}")
            done = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, done.set)
            await done.wait()
            await receiver.stop()
            c = receiver.counters
            err_console.print(
                f"stopped: {c.received} received, {c.stored} stored, {c.ignored} ignored, "
                f"{c.malformed} malformed"
            )

        asyncio.run(run())
