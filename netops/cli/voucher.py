"""``netops voucher create | list | revoke``: codes handed out at events and service desks."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from netops.cli.common import DbOpt, InventoryOpt, console, get_inventory
from netops.cli.radius_subscribers import (
    audit_cli,
    check_plan,
    city_zone,
    iso,
    open_store,
    print_json,
    print_wide,
    subscriber_json,
    when,
)
from netops.csvexport import to_csv
from netops.errors import NetopsError, StoreError
from netops.inventory.units import format_duration, parse_duration
from netops.store import Subscriber, normalise_code
from netops.store.codes import BATCH_RULE, group_code, is_batch_name
from netops.timefmt import zone_of

app = typer.Typer(help="Vouchers: create, list and revoke login codes bound to a plan.")


class OutFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class Status(StrEnum):
    unused = "unused"
    active = "active"
    expired = "expired"
    revoked = "revoked"


def status(v: Subscriber, now: datetime) -> str:
    """revoked, unused, expired or active."""
    if not v.enabled:
        return "revoked"
    if v.first_used_at is None:
        return "unused"
    return "expired" if v.expired(now) else "active"


@app.command()
def create(
    plan: Annotated[str, typer.Option("--plan", "-p", help="Plan name from the inventory.")],
    count: Annotated[
        int, typer.Option("--count", "-n", min=1, max=10_000, help="How many codes to make.")
    ] = 1,
    shared: Annotated[
        bool,
        typer.Option(
            "--shared", help="Several devices may use one code (else it binds to the first)."
        ),
    ] = False,
    batch: Annotated[
        str | None,
        typer.Option(
            "--batch",
            "-b",
            help="Batch name to find them by: letters, digits, . _ - (default: a timestamp).",
        ),
    ] = None,
    validity: Annotated[
        str | None,
        typer.Option(
            "--validity",
            help="How long a code works after its first use, e.g. 1d or 4h "
            "(default: the plan's voucher_validity, or until revoked if it has none).",
        ),
    ] = None,
    fmt: Annotated[
        OutFormat, typer.Option("--format", "-f", help="table, csv or json.")
    ] = OutFormat.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Create vouchers: random codes (user name = password) bound to a plan."""
    if batch and not is_batch_name(batch):
        raise NetopsError(f"--batch {batch!r} is not a batch name: use {BATCH_RULE}")
    inv = get_inventory(inventory)
    check_plan(inv, plan)
    if validity is not None:
        try:
            validity_s: int | None = parse_duration(validity)
        except ValueError as exc:
            raise NetopsError(f"--validity {validity!r}: {exc}") from None
        if not validity_s:
            raise NetopsError("--validity must be longer than 0s")
    else:
        validity_s = inv.plan(plan).voucher_validity
    zone = zone_of(inv.meta.timezone)
    # The default batch name is the city's wall clock: what the desk staff see on the wall.
    batch = batch or datetime.now(UTC).astimezone(zone).strftime("%Y%m%d-%H%M%S")
    with open_store(db) as store:
        codes = store.create_vouchers(
            plan, count, shared=shared, validity_s=validity_s, batch=batch
        )
        audit_cli(store, "voucher.create", batch, f"{len(codes)} {plan}")
    valid = format_duration(validity_s) if validity_s else ""
    if fmt is OutFormat.json:
        print_json(
            [
                {
                    "code": c,
                    "plan": plan,
                    "batch": batch,
                    "shared": shared,
                    "validity_s": validity_s,
                }
                for c in codes
            ]
        )
        return
    if fmt is OutFormat.csv:
        header = ["code", "plan", "batch", "shared", "validity"]
        shared_text = "yes" if shared else "no"
        text = to_csv(header, ([c, plan, batch, shared_text, valid] for c in codes))
        typer.echo(text, nl=False)
        return
    table = Table(
        title=f"{len(codes)} voucher(s), plan {plan}, batch {batch}"
        + (f", valid {valid} from first use" if valid else ""),
        title_justify="left",
    )
    table.add_column("code", no_wrap=True)
    table.add_column("devices")
    for c in codes:
        table.add_row(c, "shared" if shared else "one")
    console.print(table)


@app.command("list")
def list_(
    batch: Annotated[str | None, typer.Option("--batch", "-b", help="Only this batch.")] = None,
    state: Annotated[
        Status | None,
        typer.Option("--status", "-s", help="Only unused, active, expired or revoked codes."),
    ] = None,
    fmt: Annotated[
        OutFormat, typer.Option("--format", "-f", help="table, csv or json.")
    ] = OutFormat.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """List vouchers, newest first: status, first use, expiry and the device bound."""
    now = datetime.now(UTC)
    zone = city_zone(inventory)
    with open_store(db) as store:
        vouchers = store.list_vouchers(batch=batch)
    tally = Counter(status(v, now) for v in vouchers)
    if state is not None:
        vouchers = [v for v in vouchers if status(v, now) == state.value]
    if fmt is OutFormat.json:
        print_json(
            [
                {
                    "name": v.username,
                    "status": status(v, now),
                    **subscriber_json(v, zone),
                }
                for v in vouchers
            ]
        )
        return
    columns = ["name", "plan", "batch", "status", "first use", "valid until", "MAC"]

    # A person reads the table (city time, zone named); CSV carries ISO 8601 with the offset.
    def stamp(moment: datetime | None) -> str:
        return (iso(moment, zone) or "") if fmt is OutFormat.csv else when(moment, zone)

    rows = [
        [
            v.username,
            v.plan,
            v.batch or "",
            status(v, now),
            stamp(v.first_used_at),
            stamp(v.valid_until),
            "shared" if v.shared else (v.bound_mac or ""),
        ]
        for v in vouchers
    ]
    if fmt is OutFormat.csv:
        typer.echo(to_csv(columns, rows), nl=False)
        return
    summary = ", ".join(f"{tally[s.value]} {s.value}" for s in Status if tally[s.value])
    table = Table(
        title=f"Vouchers ({len(vouchers)}{'; ' + summary if summary else ''})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for column in columns:
        table.add_column(column, no_wrap=True)
    print_wide(table, rows)


@app.command()
def revoke(
    codes: Annotated[
        list[str] | None, typer.Argument(help="Voucher codes (dashes and case do not matter).")
    ] = None,
    batch: Annotated[
        str | None, typer.Option("--batch", "-b", help="Revoke every code of this batch.")
    ] = None,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Revoke vouchers for good (a code cannot log in again; open sessions end at the next
    re-authentication or a disconnect)."""
    if not codes and batch is None:
        raise NetopsError("name the voucher codes to revoke, or --batch")
    with open_store(db) as store:
        unknown = [c for c in codes or [] if not store.revoke_voucher(c)]
        revoked = len(codes or []) - len(unknown)
        if batch is not None:
            in_batch = store.revoke_batch(batch)
            if not in_batch:
                raise StoreError(f"there is no voucher batch {batch!r}")
            revoked += in_batch
        for code in codes or []:
            if code not in unknown:  # the trail names the voucher, never its code
                audit_cli(store, "voucher.revoke", store.voucher_name(code))
        if batch is not None:
            audit_cli(store, "voucher.revoke", batch, "batch")
    if unknown:
        names = ", ".join(group_code(normalise_code(c)) for c in unknown)
        raise StoreError(
            f"no such voucher: {names}" + (f" (revoked {revoked} others)" if revoked else "")
        )
    console.print(f"revoked {revoked} voucher(s)")
