"""``netops radius sessions | purge | store-key | store-rekey | store-status``: accounting
sessions and the store's upkeep."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from netops.cli.common import (
    DbOpt,
    InventoryOpt,
    console,
    get_inventory,
)
from netops.cli.radius import app as radius_app
from netops.cli.radius_subscribers import (
    SESSION_FIELDS,
    Format,
    FormatOpt,
    SessionFormat,
    ago,
    check_hotspot,
    city_zone,
    closed,
    duration,
    octets,
    open_store,
    print_json,
    print_wide,
    session_json,
    when,
)
from netops.csvexport import to_csv
from netops.errors import NetopsError
from netops.inventory import Secret
from netops.inventory.units import format_duration
from netops.store.codes import normalise_mac
from netops.store.credentials import generate_key, parse_key
from netops.store.migrate import head_revision
from netops.timefmt import zone_label, zone_of

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
