"""``netops radius user | mac | sessions | store-key``: subscribers and accounting sessions."""

from __future__ import annotations

import csv
import getpass
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from netops import environment
from netops.cli.common import (
    DbOpt,
    InventoryOpt,
    absolute_path,
    console,
    db_url,
    err_console,
    get_inventory,
)
from netops.cli.radius import app as radius_app
from netops.csvexport import to_csv
from netops.errors import NetopsError, StoreError
from netops.inventory import Inventory, Secret
from netops.inventory.units import format_duration, parse_duration
from netops.store import NewUser, Session, Store, Subscriber
from netops.store.codes import normalise_mac
from netops.store.credentials import generate_key, parse_key
from netops.store.migrate import head_revision
from netops.timefmt import human, machine, zone_label, zone_of

user_app = typer.Typer(
    help="Registered users: add, import, show, list, passwd, enable, disable, delete."
)
mac_app = typer.Typer(help="MAC allow-list for devices that cannot log in (kiosks, CCTV).")
radius_app.add_typer(user_app, name="user")
radius_app.add_typer(mac_app, name="mac")


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


# --- users ------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name the citizen or employee logs in with.")],
    plan: PlanOpt,
    password: PasswordOpt = None,
    password_stdin: PasswordStdinOpt = False,
    pap_only: Annotated[
        bool,
        typer.Option(
            "--pap-only",
            help="Keep only a scrypt hash: safer at rest, but CHAP logins cannot work.",
        ),
    ] = False,
    note: NoteOpt = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Register a user on a plan (the password is stored encrypted, or hashed with --pap-only).

    The password is asked for at a hidden prompt (twice), or read with --password-stdin."""
    check_plan(get_inventory(inventory), plan)
    secret = read_password(password, password_stdin)
    with open_store(db) as store:
        store.add_user(name, secret, plan, chap=not pap_only, note=note)
        audit_cli(store, "user.add", name, plan)
    how = "PAP only, scrypt hash" if pap_only else "PAP and CHAP, encrypted"
    console.print(f"added user [bold]{name}[/] on plan {plan} ({how})")


@user_app.command("import")
def user_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV with a header row: username,password,plan and optionally note, pap_only.",
            callback=absolute_path,
        ),
    ],
    pap_only: Annotated[
        bool, typer.Option("--pap-only", help="Keep only scrypt hashes for every user.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and the plans; add nobody.")
    ] = False,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Register many users from a CSV file, all or none (e.g. the city's staff list)."""
    inv = get_inventory(inventory)
    users = read_users(file, inv, pap_only)
    if dry_run:
        console.print(f"{file}: {len(users)} user(s) ready to import (dry run, nothing added)")
        return
    with open_store(db) as store:
        added = store.add_users(users)
        audit_cli(store, "user.import", str(file.name), f"{added} users")
    console.print(f"imported {added} user(s) from {file}")


def read_users(file: Path, inv: Inventory, pap_only: bool) -> list[NewUser]:
    """The users in a CSV file; a clear error naming file and line for anything wrong."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise NetopsError(f"{file} cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise NetopsError(f"{file} is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = {"username", "password", "plan"} - set(reader.fieldnames or [])
    if missing:
        raise NetopsError(
            f"{file}:1: the header must name username, password and plan "
            f"(missing: {', '.join(sorted(missing))})"
        )
    plans = {p.name for p in inv.plans}
    users: list[NewUser] = []
    for row in reader:
        where = f"{file}:{reader.line_num}"
        name, password, plan = (
            (row.get(k) or "").strip() for k in ("username", "password", "plan")
        )
        if not name or not password or not plan:
            raise NetopsError(f"{where}: username, password and plan must all be filled in")
        if plan not in plans:
            raise NetopsError(
                f"{where}: plan {plan!r} is not in the inventory "
                f"(plans: {', '.join(sorted(plans)) or 'none'})"
            )
        flag = (row.get("pap_only") or "").strip().lower()
        if flag not in ("", "yes", "no", "true", "false", "1", "0"):
            raise NetopsError(f"{where}: pap_only must be yes or no, not {flag!r}")
        users.append(
            NewUser(
                username=name,
                password=password,
                plan=plan,
                chap=not (pap_only or flag in ("yes", "true", "1")),
                note=(row.get("note") or "").strip() or None,
            )
        )
    return users


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="User whose password changes.")],
    password: PasswordOpt = None,
    password_stdin: PasswordStdinOpt = False,
    pap_only: Annotated[
        bool, typer.Option("--pap-only", help="Keep only a scrypt hash (no CHAP).")
    ] = False,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Set a new password for a user: a hidden prompt (twice), or --password-stdin."""
    with open_store(db) as store:
        sub = store.lookup(name, reveal=False)
    if sub is None or sub.kind != "user" or sub.username != name:
        raise StoreError(f"there is no user {name!r}")  # before asking for a password
    secret = read_password(password, password_stdin, "New password")
    with open_store(db) as store:
        if not store.set_password(name, secret, chap=not pap_only):
            raise StoreError(f"there is no user {name!r}")
        audit_cli(store, "user.passwd", name)
    console.print(f"changed the password of [bold]{name}[/]")


@user_app.command("show")
def user_show(
    name: Annotated[
        str, typer.Argument(help="User name, voucher code or MAC address (any spelling).")
    ],
    fmt: FormatOpt = Format.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Show one subscriber for the helpdesk: plan limits, use today and in total, sessions."""
    inv = get_inventory(inventory)
    now = datetime.now(UTC)
    zone = zone_of(inv.meta.timezone)
    local = now.astimezone(zone)
    day_start = datetime.combine(local.date(), time(0), tzinfo=zone).astimezone(UTC)
    with open_store(db) as store:
        sub = store.lookup(name, reveal=False)
        if sub is None:
            raise StoreError(f"there is no user, voucher or MAC address {name!r}")
        today = store.usage(sub.username, day_start)
        total = store.usage(sub.username)
        open_now = store.open_sessions(sub.username)
    plan = next((p for p in inv.plans if p.name == sub.plan), None)
    data: dict[str, Any] = {
        **subscriber_json(sub, zone),
        "today": {"seconds": today.seconds, "octets": today.octets, "sessions": today.sessions},
        "total": {"seconds": total.seconds, "octets": total.octets, "sessions": total.sessions},
        "open_sessions": [session_json(s, zone) for s in open_now],
        "plan_known": plan is not None,
    }
    if fmt is Format.json:
        print_json(data)
        return

    def limit(used: int, cap: int | None, show: Any) -> str:
        return show(used) if cap is None else f"{show(used)} of {show(cap)}"

    table = Table(title=f"{sub.kind} {sub.username}", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("plan", sub.plan if plan else f"{sub.plan} (not in the inventory!)")
    table.add_row("enabled", "yes" if sub.enabled else "no (disabled / revoked)")
    if sub.kind == "user":
        table.add_row("auth", "PAP+CHAP" if sub.chap_capable else "PAP only")
    if sub.bound_mac or sub.kind == "voucher":
        table.add_row("device", "shared" if sub.shared else (sub.bound_mac or "not used yet"))
    if sub.first_used_at:
        table.add_row("first use", when(sub.first_used_at, zone))
    if sub.valid_until:
        expired = " (expired)" if sub.expired(now) else ""
        table.add_row("valid until", when(sub.valid_until, zone) + expired)
    table.add_row(
        f"today since {when(day_start, zone)}",
        f"{limit(today.seconds, plan.daily_time if plan else None, duration)}, "
        f"{limit(today.octets, plan.daily_data if plan else None, octets)}",
    )
    table.add_row(
        "in total",
        f"{duration(total.seconds)}, "
        f"{limit(total.octets, plan.data_quota if plan else None, octets)}, "
        f"{total.sessions} session(s)",
    )
    cap = plan.simultaneous_use if plan else None
    table.add_row("open sessions", limit(len(open_now), cap, str))
    for s in open_now:
        table.add_row(
            "",
            f"{s.acct_session_id} at {s.nas_identifier or s.nas_ip} since "
            f"{when(s.started_at, zone, seconds=True)}"
            f" ({s.mac or 'no MAC'}, {s.ip or 'no IP'})",
        )
    console.print(table)


@user_app.command("del")
def user_del(
    name: Annotated[str, typer.Argument(help="User name to remove.")],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Remove a user (their past sessions stay in the records)."""
    with open_store(db) as store:
        if not store.delete_user(name):
            raise StoreError(f"there is no user {name!r}")
        audit_cli(store, "user.del", name)
    console.print(f"deleted user [bold]{name}[/]")


def _set_enabled(name: str, enabled: bool, db: str | None) -> None:
    with open_store(db) as store:
        sub = store.lookup(name, reveal=False)
        if sub is None or sub.kind != "user":
            raise StoreError(f"there is no user {name!r}")
        store.set_enabled(name, enabled)
        audit_cli(store, "user.enable" if enabled else "user.disable", name)
    console.print(f"{'enabled' if enabled else 'disabled'} user [bold]{name}[/]")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="User name to disable.")],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Refuse a user's logins from now on, keeping the account."""
    _set_enabled(name, False, db)


@user_app.command("enable")
def user_enable(
    name: Annotated[str, typer.Argument(help="User name to enable again.")],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Let a disabled user log in again."""
    _set_enabled(name, True, db)


@user_app.command("list")
def user_list(
    fmt: FormatOpt = Format.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """List registered users (never their passwords)."""
    zone = city_zone(inventory)
    with open_store(db) as store:
        users = store.list_users()
    if fmt is Format.json:
        print_json([subscriber_json(u, zone) for u in users])
        return
    table = Table(title=f"Users ({len(users)})", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("user", "plan", "enabled", "auth", "created", "note"):
        table.add_column(column, no_wrap=True)
    rows = [
        [
            u.username,
            u.plan,
            "yes" if u.enabled else "no",
            "PAP+CHAP" if u.chap_capable else "PAP",
            when(u.created_at, zone),
            u.note or "",
        ]
        for u in users
    ]
    print_wide(table, rows)


# --- MAC allow-list ---------------------------------------------------------------------------


@mac_app.command("add")
def mac_add(
    mac: Annotated[str, typer.Argument(help="MAC address, any common spelling.")],
    plan: PlanOpt,
    note: NoteOpt = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Let a device log in by its MAC address (MAC authentication on the hotspot gateway)."""
    check_plan(get_inventory(inventory), plan)
    with open_store(db) as store:
        store.add_mac(mac, plan, note)
        entry = store.lookup(mac)
        audit_cli(
            store, "mac.add", store.audit_pseudonym("mac", entry.username if entry else mac), plan
        )
    shown = normalise_mac(mac) or mac
    stored = f" (stored as {entry.username})" if entry else ""
    console.print(f"allowed MAC [bold]{shown}[/]{stored} on plan {plan}")


@mac_app.command("del")
def mac_del(
    mac: Annotated[str, typer.Argument(help="MAC address to remove.")],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Remove a device from the MAC allow-list."""
    with open_store(db) as store:
        entry = store.lookup(mac, reveal=False)
        if not store.delete_mac(mac):
            raise StoreError(f"MAC address {mac!r} is not on the allow-list")
        audit_cli(store, "mac.del", store.audit_pseudonym("mac", entry.username if entry else mac))
    console.print(f"removed MAC [bold]{mac}[/]")


@mac_app.command("list")
def mac_list(
    fmt: FormatOpt = Format.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """List the MAC allow-list."""
    zone = city_zone(inventory)
    with open_store(db) as store:
        macs = store.list_macs()
    if fmt is Format.json:
        print_json([subscriber_json(m, zone) for m in macs])
        return
    table = Table(title=f"MAC allow-list ({len(macs)})", title_justify="left", box=box.SIMPLE_HEAD)
    for column in ("MAC", "plan", "enabled", "created", "note"):
        table.add_column(column, no_wrap=True)
    rows = [
        [m.username, m.plan, "yes" if m.enabled else "no", when(m.created_at, zone), m.note or ""]
        for m in macs
    ]
    print_wide(table, rows)


# --- sessions ---------------------------------------------------------------------------------


@radius_app.command("sessions")
def sessions(
    active: Annotated[
        bool, typer.Option("--active", help="Only sessions still open (no Stop yet).")
    ] = False,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user.")] = None,
    hotspot: Annotated[
        str | None, typer.Option("--hotspot", help="Only this hotspot (inventory id).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only sessions open during the last DURATION (e.g. 24h, 7d)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, help="Show at most this many (newest first).")
    ] = 100,
    fmt: Annotated[
        SessionFormat, typer.Option("--format", "-f", help="table, json or csv.")
    ] = SessionFormat.table,
    mac: Annotated[
        str | None,
        typer.Option(
            "--mac", help="Only this device: its MAC in any spelling (found by its pseudonym)."
        ),
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Accounting sessions, newest first: user, session id, NAS, MAC, IP, start, time, octets."""
    if mac is not None and normalise_mac(mac) is None:
        raise NetopsError(f"--mac {mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
    zone = city_zone(inventory)
    if hotspot is not None and inventory is not None:
        check_hotspot(get_inventory(inventory), hotspot)
    start = None if since is None else datetime.now(UTC) - timedelta(seconds=ago(since, "--since"))
    with open_store(db) as store:
        found = store.sessions(
            active=True if active else None,
            username=user,
            hotspot=hotspot,
            since=start,
            limit=limit,
            mac=mac,
        )
    if fmt is SessionFormat.json:
        print_json([session_json(s, zone) for s in found])
        return
    if fmt is SessionFormat.csv:
        records = (session_json(s, zone) for s in found)
        typer.echo(
            to_csv(SESSION_FIELDS, ([r[k] for k in SESSION_FIELDS] for r in records)), nl=False
        )
        return
    title = f"{'Active s' if active else 'S'}essions ({len(found)})"
    if len(found) == limit:
        title += f", the newest {limit}: --limit N for more"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("user", "Acct-Session-Id", "NAS", "MAC", "IP", "start"):
        table.add_column(column, no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("up / down", justify="right", no_wrap=True)
    table.add_column("state", min_width=6)
    rows = [
        [
            s.username,
            s.acct_session_id,
            s.nas_identifier or s.nas_ip,
            s.mac or "",
            s.ip or "",
            when(s.started_at, zone, seconds=True),
            duration(s.session_time),
            f"{octets(s.input_octets)} / {octets(s.output_octets)}",
            "open" if s.active else closed(s, zone),
        ]
        for s in found
    ]
    print_wide(table, rows)


@radius_app.command("store-key")
def store_key() -> None:
    """Print a new random key for NETOPS_STORE_KEY (encrypts CHAP-capable passwords)."""
    typer.echo(generate_key())


@radius_app.command("purge")
def purge(
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than",
            help="Delete sessions that ended, and vouchers / click-throughs that expired, "
            "longer ago than this (e.g. 180d; at least 1d when a plan has a daily limit).",
        ),
    ],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Delete old accounting records and expired codes (data retention); users stay, and
    what purged sessions used stays in their users' totals (total data quotas hold)."""
    from netops.radius.policy import shortest_purge_age

    seconds = ago(older_than, "--older-than")
    now = datetime.now(UTC)
    inv = get_inventory(inventory) if inventory is not None else None
    zone = zone_of(inv.meta.timezone) if inv is not None else UTC
    local = now.astimezone(zone)
    midnight = datetime.combine(local.date(), time(0), tzinfo=zone)
    since_midnight = int((now - midnight).total_seconds()) + 1
    # Without an inventory, assume the strictest plan: one with a daily limit.
    daily = [p for p in inv.plans if p.daily_time or p.daily_data] if inv is not None else None
    floor = shortest_purge_age(inv.plans, since_midnight) if inv is not None else None
    if floor is None:
        floor = max(86_400, since_midnight)
    if seconds < floor:
        which = f"plan {daily[0].name} has" if daily else "plans may have"
        raise NetopsError(
            f"--older-than {older_than} is shorter than {format_duration(floor)}: {which} a "
            f"daily limit (days start at 00:00 {zone_label(zone, now)}), and purging today's "
            "sessions would give users their daily allowance back"
        )
    before = now - timedelta(seconds=seconds)
    with open_store(db) as store:
        done = store.purge(before)
    console.print(
        f"purged {done.sessions} session(s) (their use stays in the users' totals) and "
        f"{done.subscribers} expired voucher(s) / click-through(s) older than "
        f"{format_duration(seconds)}"
    )


@radius_app.command("store-rekey")
def store_rekey(
    old_key: Annotated[
        str,
        typer.Option(
            "--old-key",
            help="Where the previous key is: env:NAME or file:PATH (never the key itself).",
        ),
    ],
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Re-encrypt every CHAP-capable password from the old key to NETOPS_STORE_KEY."""
    ref = Secret(old_key)
    if not ref.is_reference:
        raise NetopsError("--old-key must be a reference (env:NAME or file:PATH), not the key")
    key = parse_key(ref.reveal(), old_key)
    with open_store(db) as store:
        changed = store.rekey(key)
    console.print(f"re-encrypted {changed} password(s) under the current key")


@radius_app.command("store-status")
def store_status(
    fmt: FormatOpt = Format.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Show the database in use, its schema revision and how much it holds."""
    with open_store(db) as store:
        counts = store.counts()
        where = store.where
        keys = store.key_status()
    data: dict[str, Any] = {"database": where, "schema": head_revision(), **counts, "key": keys}
    if fmt is Format.json:
        print_json(data)
        return
    table = Table(title="Store", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value")
    for name, value in data.items():
        if name != "key":
            table.add_row(name.replace("_", " "), str(value))
    current = keys["key_id"]
    table.add_row(
        "store key",
        f"{current} from {keys['source']}" if current else "none yet (set NETOPS_STORE_KEY)",
    )
    for kid, count in sorted(keys["passwords_by_key"].items()):
        note = "" if kid == current else "  ← not the current key: run store-rekey"
        table.add_row("", f"{count} password(s) under key {kid}{note}")
    console.print(table)
