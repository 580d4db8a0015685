"""``netops radius user | mac``: registered users and the MAC allow-list."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, time, tzinfo
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
    get_inventory,
)
from netops.cli.radius import app as radius_app
from netops.cli.radius_subscribers import (
    Format,
    FormatOpt,
    NoteOpt,
    PasswordOpt,
    PasswordStdinOpt,
    PlanOpt,
    audit_cli,
    check_plan,
    city_zone,
    duration,
    octets,
    open_store,
    print_json,
    print_wide,
    read_password,
    session_json,
    subscriber_json,
    when,
)
from netops.errors import NetopsError, StoreError
from netops.inventory import Inventory
from netops.store import NewUser, Subscriber
from netops.store.codes import normalise_mac
from netops.timefmt import zone_of

user_app = typer.Typer(
    help="Registered users: add, import, show, list, passwd, enable, disable, delete."
)
mac_app = typer.Typer(help="MAC allow-list for devices that cannot log in (kiosks, CCTV).")
radius_app.add_typer(user_app, name="user")
radius_app.add_typer(mac_app, name="mac")


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
    _print_subscribers(
        users,
        fmt,
        zone,
        "Users",
        ("user", "plan", "enabled", "auth", "created", "note"),
        lambda u: [
            u.username,
            u.plan,
            "yes" if u.enabled else "no",
            "PAP+CHAP" if u.chap_capable else "PAP",
            when(u.created_at, zone),
            u.note or "",
        ],
    )


def _print_subscribers(
    subscribers: list[Subscriber],
    fmt: Format,
    zone: tzinfo,
    title: str,
    columns: tuple[str, ...],
    row: Callable[[Subscriber], list[str]],
) -> None:
    """A list of subscribers as JSON, or as a table of ``columns`` with one ``row`` each."""
    if fmt is Format.json:
        print_json([subscriber_json(s, zone) for s in subscribers])
        return
    table = Table(title=f"{title} ({len(subscribers)})", title_justify="left", box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(column, no_wrap=True)
    print_wide(table, [row(s) for s in subscribers])


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
    _print_subscribers(
        macs,
        fmt,
        zone,
        "MAC allow-list",
        ("MAC", "plan", "enabled", "created", "note"),
        lambda m: [
            m.username,
            m.plan,
            "yes" if m.enabled else "no",
            when(m.created_at, zone),
            m.note or "",
        ],
    )
