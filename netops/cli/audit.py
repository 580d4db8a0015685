"""``netops audit list | verify``: the append-only trail of what operators did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from netops.cli.common import DbOpt, InventoryOpt, console
from netops.cli.radius_subscribers import ago, city_zone, iso, open_store, when

app = typer.Typer(help="The audit trail of operator actions: list it, verify its hash chain.")


class Format(StrEnum):
    table = "table"
    json = "json"


@app.command("list")
def list_(
    since: Annotated[
        str | None, typer.Option("--since", help="Only the last while, e.g. 24h, 7d.")
    ] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Only this operator.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 1000,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Operator actions, oldest first; times in the inventory's zone (JSON: ISO 8601)."""
    zone = city_zone(inventory)
    start = datetime.now(UTC) - timedelta(seconds=ago(since, "--since")) if since else None
    with open_store(db) as store:
        rows = store.audit_entries(since=start, operator=operator, limit=limit)
    if fmt is Format.json:
        data = [
            {
                "id": r.id,
                "at": iso(r.at, zone),
                "operator": r.operator,
                "source": r.source,
                "action": r.action,
                "target": r.target,
                "detail": r.detail,
                "hash": r.hash,
            }
            for r in rows
        ]
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table(box=box.SIMPLE_HEAD)
    for col in ("id", "when", "operator", "from", "action", "target", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r.id),
            when(r.at, zone, seconds=True),
            *(escape(v or "") for v in (r.operator, r.source, r.action, r.target, r.detail)),
        )
    console.print(table)


@app.command("verify")
def verify(inventory: InventoryOpt = None, db: DbOpt = None) -> None:
    """Check the hash chain, from the retention purge's sealed anchor when old rows were
    purged; exit 1 naming the first row that was edited or follows a deleted one, or a
    forged anchor. Prints the newest row's hash: note it down to detect later deletion of
    the newest rows."""
    with open_store(db) as store:
        check = store.verify_audit()
    if check.problem is not None:
        where = f" at row {check.broken_id}" if check.broken_id is not None else ""
        console.print(f"[bold red]audit trail broken{where}:[/] {check.problem}")
        raise typer.Exit(1)
    anchor = check.anchor
    if anchor is not None:
        zone = city_zone(inventory)
        console.print(
            f"starts at the purge anchor: {anchor.purged_rows} older row(s) purged under the "
            f"retention period, up to row {anchor.last_id} (last purge "
            f"{when(anchor.purged_at, zone)})"
        )
    console.print(f"audit trail intact: {check.rows} row(s), head {check.head}")
