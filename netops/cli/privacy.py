"""``netops privacy``: the data register, retention purge and data subject requests (PDP)."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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
from netops.cli.radius_subscribers import audit_cli, open_store
from netops.errors import NetopsError
from netops.inventory import Secret
from netops.inventory.models import Inventory
from netops.inventory.units import format_duration, parse_duration
from netops.privacy import purge as purging
from netops.privacy import requests
from netops.privacy.purge import privacy_of
from netops.privacy.register import register as build_register
from netops.store import Store
from netops.store.credentials import derived_mac_key, mac_key_id, parse_key
from netops.store.privacy import Subject
from netops.timefmt import human, machine, zone_of

app = typer.Typer(
    help="Personal data (UU 27/2022): data register, retention purge, data subject requests."
)
log = logging.getLogger("netops.privacy")


class RegisterFormat(StrEnum):
    table = "table"
    json = "json"
    md = "md"


class ListFormat(StrEnum):
    table = "table"
    json = "json"


UserOpt = Annotated[
    str | None, typer.Option("--user", help="The subject's user name (or voucher code).")
]
MacOpt = Annotated[
    str | None,
    typer.Option(
        "--mac",
        help="The subject's device MAC address, any spelling (looked up by "
        "its pseudonym; never stored).",
    ),
]
PhoneOpt = Annotated[
    str | None, typer.Option("--phone", help="The subject's phone number (as a user name).")
]
ReceivedOpt = Annotated[
    str | None,
    typer.Option(
        "--received",
        help="When the request came in, ISO 8601 (default: now); the deadline counts from it.",
        show_default=False,
    ),
]


def _received(text: str | None, inv: Inventory, now: datetime) -> datetime:
    if text is None:
        return now
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise NetopsError(
            f"--received {text!r} is not an ISO 8601 time (like 2026-12-05T09:30+08:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone_of(inv.meta.timezone))
    if moment > now:
        raise NetopsError(f"--received {text} is in the future")
    return moment.astimezone(UTC)


def _subject(store: Store, user: str | None, mac: str | None, phone: str | None) -> Subject:
    return store.subject(user=user, mac=mac, phone=phone)


@app.command("register")
def register_cmd(
    fmt: Annotated[RegisterFormat, typer.Option("--format")] = RegisterFormat.table,
    inventory: InventoryOpt = None,
) -> None:
    """What personal data netops holds, where, why and for how long (the DPIA's table)."""
    inv = get_inventory(inventory)
    privacy = privacy_of(inv)
    rows = build_register(privacy)
    if fmt is RegisterFormat.json:
        doc = {
            "controller": privacy.controller,
            "data_protection_officer": privacy.dpo.model_dump(exclude={"origin"}),
            "request_deadline_s": privacy.request_deadline,
            "register": [
                {
                    "data_class": r.item.data_class,
                    "data": r.item.data,
                    "where": r.item.where,
                    "purpose": r.item.purpose,
                    "legal_basis": r.item.legal_basis,
                    "retention_s": r.retention_s,
                    "retention": r.retention,
                    "deletion": r.item.deletion,
                }
                for r in rows
            ],
        }
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    dpo = privacy.dpo
    contact = ", ".join(v for v in (dpo.name, dpo.email, dpo.phone, dpo.address) if v)
    if fmt is RegisterFormat.md:
        lines = [
            f"Controller: {privacy.controller}  ",
            f"Data protection officer: {contact}  ",
            f"Requests answered within: {format_duration(privacy.request_deadline)}",
            "",
            "| data class | data | where | purpose | legal basis | kept for | deleted |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in rows:
            cells = (
                r.item.data_class,
                r.item.data,
                r.item.where,
                r.item.purpose,
                r.item.legal_basis,
                r.retention,
                r.item.deletion,
            )
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        typer.echo("\n".join(lines))
        return
    console.print(f"controller: {privacy.controller}")
    console.print(f"data protection officer: {contact}")
    console.print(f"requests answered within {format_duration(privacy.request_deadline)}")
    table = Table(box=box.SIMPLE)
    for column in ("class", "data", "where", "purpose", "legal basis", "kept for"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r.item.data_class,
            r.item.data,
            r.item.where,
            r.item.purpose,
            r.item.legal_basis,
            r.retention,
        )
    console.print(table, width=max(console.width, 200))


@app.command("purge")
def purge_cmd(
    every: Annotated[
        str | None,
        typer.Option(
            "--every",
            help="Keep running and purge again after this long (e.g. 24h; netops up uses it).",
            show_default=False,
        ),
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Delete what every data class keeps longer than the inventory's retention period."""
    inv = get_inventory(inventory)
    privacy_of(inv)
    purging.check_periods(inv, privacy_of(inv))
    interval = parse_duration(every) if every is not None else None
    if interval is not None and interval < 60:
        raise NetopsError(f"--every {every} is shorter than a minute")
    while True:
        with open_store(db) as store:
            report = purging.purge(store, inv, datetime.now(UTC))
        line = ", ".join(f"{name} {count}" for name, count in report.counts.items())
        console.print(f"privacy purge: {line}")
        if interval is None:
            return
        time.sleep(interval)


def _write(out: Path | None, text: str) -> None:
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
        out.chmod(0o600)
    except OSError as exc:
        raise NetopsError(f"cannot write {out}: {exc.strerror}") from None


@app.command("export")
def export_cmd(
    user: UserOpt = None,
    mac: MacOpt = None,
    phone: PhoneOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the JSON here and the Bahasa Indonesia summary next to it (.html); "
            "default: JSON on standard output.",
            callback=absolute_path,
        ),
    ] = None,
    received: ReceivedOpt = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Everything held about one data subject (access request), recorded with its deadline."""
    inv = get_inventory(inventory)
    privacy_of(inv)
    now = datetime.now(UTC)
    with open_store(db) as store:
        subject = _subject(store, user, mac, phone)
        answer = requests.export(store, inv, subject, _received(received, inv, now), now)
    _write(out, requests.export_json(answer, inv))
    if out is not None:
        html_path = out.with_suffix(".html")
        _write(html_path, requests.export_html(answer, inv))
        count = sum(len(rows) for rows in (answer.data or {}).values())
        console.print(
            f"request #{answer.number}: {count} record(s) written to {out} and {html_path}"
        )
    log.info("privacy request %d: export answered", answer.number)


@app.command("erase")
def erase_cmd(
    user: UserOpt = None,
    mac: MacOpt = None,
    phone: PhoneOpt = None,
    received: ReceivedOpt = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Delete what is held about one data subject, except records under a lawful hold."""
    inv = get_inventory(inventory)
    privacy = privacy_of(inv)
    zone = zone_of(inv.meta.timezone)
    now = datetime.now(UTC)
    with open_store(db) as store:
        subject = _subject(store, user, mac, phone)
        answer = requests.erase(store, inv, subject, _received(received, inv, now), now)
    assert answer.erased is not None
    deleted = ", ".join(f"{n} {t}" for t, n in answer.erased.deleted.items())
    console.print(f"request #{answer.number}: deleted {deleted}")
    held = requests.held_text(answer.erased, privacy.retention.connection_records, zone, now)
    if held:
        console.print(f"kept: {held}")
    log.info("privacy request %d: erasure answered", answer.number)


@app.command("requests")
def requests_cmd(
    fmt: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Recorded data subject requests, newest first, with their deadlines."""
    inv = get_inventory(inventory)
    zone = zone_of(inv.meta.timezone)
    now = datetime.now(UTC)
    with open_store(db) as store:
        found = store.privacy_requests()
    if fmt is ListFormat.json:
        doc: list[dict[str, Any]] = [
            {
                "id": r.id,
                "kind": r.kind,
                "subject_kind": r.subject_kind,
                "subject": r.subject,
                "received_at": machine(r.received_at, zone),
                "due_at": machine(r.due_at, zone),
                "completed_at": machine(r.completed_at, zone),
                "in_time": None if r.completed_at is None else r.completed_at <= r.due_at,
                "overdue": r.overdue(now),
                "outcome": r.outcome,
                "held": r.held,
            }
            for r in found
        ]
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False))
        return
    table = Table(box=box.SIMPLE)
    for column in ("#", "kind", "subject", "received", "due", "answered", "outcome", "kept"):
        table.add_column(column, no_wrap=True)
    for r in found:
        answered = (
            human(r.completed_at, zone)
            if r.completed_at
            else ("OVERDUE" if r.overdue(now) else "open")
        )
        table.add_row(
            str(r.id),
            r.kind,
            f"{r.subject_kind} {r.subject}",
            human(r.received_at, zone),
            human(r.due_at, zone),
            answered,
            r.outcome or "",
            r.held or "",
        )
    console.print(f"Data subject requests ({len(found)})")
    console.print(table)


@app.command("mac")
def mac_cmd(
    mac: Annotated[str, typer.Argument(help="A MAC address a citizen gave, any spelling.")],
    db: DbOpt = None,
) -> None:
    """The pseudonym a MAC address is stored under (to find it in sessions and lists)."""
    with open_store(db) as store:
        device = store.mac_pseudonym(mac)
        if device is None or device == mac:
            raise NetopsError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
        status = store.mac_key_status()
    typer.echo(device)
    err_console.print(f"(key {status['key_id']}, {status['source']})", style="dim")


@app.command("mac-rekey")
def mac_rekey(
    old_key: Annotated[
        str | None,
        typer.Option(
            "--old-key",
            help="Where the previous NETOPS_MAC_KEY is: env:NAME or file:PATH (never the key).",
        ),
    ] = None,
    old_store_key: Annotated[
        str | None,
        typer.Option(
            "--old-store-key",
            help="Instead of --old-key, when the previous MAC key was derived (no "
            "NETOPS_MAC_KEY was set): where that installation's store key is, env:NAME or "
            "file:PATH.",
        ),
    ] = None,
    db: DbOpt = None,
) -> None:
    """After rotating NETOPS_MAC_KEY: name every voucher again under the new key, so its
    printed code still logs in (run once, on one server, after all have the new key)."""
    if (old_key is None) == (old_store_key is None):
        raise NetopsError(
            "give the previous MAC key with exactly one of --old-key and --old-store-key"
        )
    option, given = (
        ("--old-key", old_key) if old_key is not None else ("--old-store-key", old_store_key)
    )
    assert given is not None
    ref = Secret(given)
    if not ref.is_reference:
        raise NetopsError(f"{option} must be a reference (env:NAME or file:PATH), not the key")
    key = parse_key(ref.reveal(), given)
    if old_store_key is not None:
        key = derived_mac_key(key)
    with open_store(db) as store:
        done = store.rename_vouchers(key)
        status = store.mac_key_status()
        if done.renamed:
            audit_cli(
                store,
                "voucher.rename",
                None,
                f"{done.renamed} under MAC key {status['key_id']} (was {mac_key_id(key)})",
            )
    console.print(
        f"renamed {done.renamed} voucher(s) under MAC key {status['key_id']}; "
        f"{done.current} already named under it"
    )
    if done.open_sessions:
        err_console.print(
            f"warning: {done.open_sessions} session(s) of renamed vouchers are still open: "
            "their gateways account them under the old name until they end (netops radius "
            "disconnect ends them now, and the next login uses the new name)",
            soft_wrap=True,
        )


# Lawful traces and the NAT log receiver live in their own module (they need no register).
from netops.cli.privacy_trace import syslog_command, trace_command  # noqa: E402

app.command("trace")(trace_command)
app.command("syslog")(syslog_command)
