"""Shared pieces of the subscriber commands (``radius_users``, ``radius_sessions``,
``voucher``, ``phone``, ``operator``, ``audit``, ``privacy``): the store, times in the city's
zone, formats and wide tables."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from netops import environment
from netops.cli.common import (
    console,
    db_url,
    err_console,
    get_inventory,
)
from netops.errors import NetopsError
from netops.inventory import Inventory
from netops.inventory.units import parse_duration
from netops.store import Session, Store, Subscriber
from netops.timefmt import human, machine, zone_of


class Format(StrEnum):
    table = "table"
    json = "json"


class SessionFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table or json.")]
PlanOpt = Annotated[str, typer.Option("--plan", "-p", help="Plan name from the inventory.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Free text kept with the entry.")]
PasswordOpt = Annotated[
    str | None,
    typer.Option(
        "--password",
        help="The password itself: avoid it, other users see it in the process list and it "
        "stays in the shell history (left out: a hidden prompt, typed twice).",
        show_default=False,
    ),
]
PasswordStdinOpt = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from standard input (one line), for scripts.",
    ),
]


def read_password(given: str | None, from_stdin: bool, what: str = "Password") -> str:
    """The password from ``--password-stdin``, a hidden prompt typed twice on a terminal, or
    (discouraged) ``--password``; one clear sentence when there is no way to ask."""
    if given is not None and from_stdin:
        raise NetopsError("give the password either with --password-stdin or --password, not both")
    if given is not None:
        err_console.print(
            "warning: --password is visible to other users in the process list and stays in "
            "the shell history; leave it out to be prompted, or use --password-stdin",
            soft_wrap=True,
        )
        if not given:
            raise NetopsError("--password is empty")
        return given
    if from_stdin:
        text = sys.stdin.read()
        text = text[:-1] if text.endswith("\n") else text
        text = text[:-1] if text.endswith("\r") else text
        if not text:
            raise NetopsError("--password-stdin: standard input holds no password")
        if "\n" in text or "\r" in text:
            raise NetopsError("--password-stdin: standard input holds more than one line")
        return text
    if not sys.stdin.isatty():
        raise NetopsError(
            "no password given and standard input is not a terminal to ask on: "
            "pipe it in with --password-stdin"
        )
    value: str = typer.prompt(what, hide_input=True, confirmation_prompt=True)
    return value


@contextmanager
def open_store(db: str | None) -> Iterator[Store]:
    """The store at ``--db`` / ``$NETOPS_DB`` (default SQLite under var/), closed afterwards."""
    store = Store.open(db_url(db), keys=environment.store_keys())
    try:
        yield store
    finally:
        store.close()


def local_user() -> str:
    """Who runs this command on this machine (for the audit trail)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid:{os.getuid()}"


def audit_cli(store: Store, action: str, target: str | None, detail: str | None = None) -> None:
    """Record a change to subscribers made from the command line, by the local user."""
    store.audit(local_user(), "cli", action, target, detail)


def check_plan(inv: Inventory, plan: str) -> None:
    """A clear error when ``plan`` is not one of the inventory's plans."""
    names = [p.name for p in inv.plans]
    if plan not in names:
        known = ", ".join(names) or "none"
        raise NetopsError(f"plan {plan!r} is not in the inventory {inv.root} (plans: {known})")


def check_hotspot(inv: Inventory, hotspot: str) -> None:
    """A clear error when ``hotspot`` is not one of the inventory's hotspots."""
    names = [h.id for h in inv.hotspots]
    if hotspot not in names:
        known = ", ".join(names) or "none"
        raise NetopsError(
            f"hotspot {hotspot!r} is not in the inventory {inv.root} (hotspots: {known})"
        )


def city_zone(inventory: Path | None) -> tzinfo:
    """The time zone people read times in: the inventory's ``meta.timezone`` (``-i`` /
    ``$NETOPS_INVENTORY``), UTC when no inventory is named."""
    return zone_of(get_inventory(inventory).meta.timezone) if inventory is not None else UTC


def when(value: datetime | None, zone: tzinfo, *, seconds: bool = False) -> str:
    """A time for tables, in the city's zone and named: ``2026-11-22 16:00 WITA``."""
    return human(value, zone, seconds=seconds)


def ago(text: str, option: str) -> int:
    """Seconds in a duration given on the command line (``90m``, ``7d``)."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise NetopsError(f"{option} {text!r}: {exc}") from None
    if seconds <= 0:
        raise NetopsError(f"{option} must be longer than 0s")
    return seconds


def iso(value: datetime | None, zone: tzinfo) -> str | None:
    """A time for JSON and CSV: ISO 8601 with the offset, in the city's zone."""
    return machine(value, zone)


def duration(seconds: int) -> str:
    """``1h02m03s``."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def octets(count: int) -> str:
    """Human-readable byte counts (decimal units, as data plans are sold)."""
    value = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"  # pragma: no cover


def subscriber_json(sub: Subscriber, zone: tzinfo) -> dict[str, Any]:
    """A subscriber as JSON, never with its password."""
    return {
        "username": sub.username,
        "kind": sub.kind,
        "plan": sub.plan,
        "enabled": sub.enabled,
        "chap_capable": sub.chap_capable,
        "bound_mac": sub.bound_mac,
        "shared": sub.shared,
        "first_used_at": iso(sub.first_used_at, zone),
        "valid_until": iso(sub.valid_until, zone),
        "hotspot": sub.hotspot,
        "batch": sub.batch,
        "note": sub.note,
        "created_at": iso(sub.created_at, zone),
    }


def session_json(s: Session, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": s.id,
        "username": s.username,
        "acct_session_id": s.acct_session_id,
        "nas_ip": s.nas_ip,
        "nas_identifier": s.nas_identifier,
        "hotspot": s.hotspot,
        "mac": s.mac,
        "ip": s.ip,
        "started_at": iso(s.started_at, zone),
        "updated_at": iso(s.updated_at, zone),
        "stopped_at": iso(s.stopped_at, zone),
        "active": s.active,
        "session_time": s.session_time,
        "input_octets": s.input_octets,
        "output_octets": s.output_octets,
        "terminate_cause": s.terminate_cause,
    }


def print_wide(table: Table, rows: list[list[str]]) -> None:
    """Print a table without cutting any cell to fit a narrow terminal or a pipe: long lines
    are better than an address or a session id shortened to ``10.254.…``."""
    widths = [len(str(c.header)) for c in table.columns]
    for row in rows:
        table.add_row(*row)
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    need = sum(widths) + 3 * len(widths) + 1
    out = console if console.width >= need else Console(width=need, highlight=False)
    out.print(table)


SESSION_FIELDS = (
    "id",
    "username",
    "acct_session_id",
    "nas_ip",
    "nas_identifier",
    "hotspot",
    "mac",
    "ip",
    "started_at",
    "updated_at",
    "stopped_at",
    "active",
    "session_time",
    "input_octets",
    "output_octets",
    "terminate_cause",
)


def closed(s: Session, zone: tzinfo) -> str:
    """The state column of a closed session: when and why it ended."""
    return f"closed {when(s.stopped_at, zone, seconds=True)} {s.terminate_cause or ''}".strip()


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
