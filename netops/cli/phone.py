"""``netops phone block | unblock | list``: numbers that may not sign up for the Wi-Fi.

A blocked number gets no SMS code and no code of it is accepted. The store keeps a keyed
hash of the number and a masked hint (``+62812*****890``), never the number itself.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from netops.cli.common import DbOpt, InventoryOpt, console
from netops.cli.radius_subscribers import city_zone, iso, open_store, print_json, print_wide, when
from netops.errors import NetopsError
from netops.sms.numbers import masked, normalise_mobile

app = typer.Typer(help="Phone sign-up: block, unblock and list numbers that may not sign up.")


class OutFormat(StrEnum):
    table = "table"
    json = "json"


def _number(text: str) -> str:
    number = normalise_mobile(text)
    if number is None:
        raise NetopsError(
            "that is not an Indonesian mobile number (08…, +628… or 628…, 10-13 digits "
            "in national form)"
        )
    return number


@app.command()
def block(
    number: Annotated[str, typer.Argument(help="The mobile number (0812…, +62812…).")],
    note: Annotated[str | None, typer.Option("--note", help="Why (kept with the block).")] = None,
    db: DbOpt = None,
) -> None:
    """Block a number: no code is sent to it, none is accepted from it."""
    e164 = _number(number)
    with open_store(db) as store:
        added = store.block_phone(e164, masked(e164), note)
    console.print(f"{'blocked' if added else 'already blocked'}: {masked(e164)}")


@app.command()
def unblock(
    number: Annotated[str, typer.Argument(help="The mobile number (0812…, +62812…).")],
    db: DbOpt = None,
) -> None:
    """Lift a block."""
    e164 = _number(number)
    with open_store(db) as store:
        removed = store.unblock_phone(e164)
    if not removed:
        raise NetopsError(f"{masked(e164)} is not blocked")
    console.print(f"unblocked: {masked(e164)}")


@app.command("list")
def list_(
    fmt: Annotated[OutFormat, typer.Option("--format", help="table or json.")] = OutFormat.table,
    inventory: InventoryOpt = None,
    db: DbOpt = None,
) -> None:
    """Blocked numbers, masked, newest first, with their notes."""
    zone = city_zone(inventory)
    with open_store(db) as store:
        blocks = store.list_phone_blocks()
    if fmt is OutFormat.json:
        print_json(
            [
                {"number": b.hint, "note": b.note, "blocked_at": iso(b.created_at, zone)}
                for b in blocks
            ]
        )
        return
    table = Table(box=box.SIMPLE)
    for header in ("number", "blocked", "note"):
        table.add_column(header)
    print_wide(table, [[b.hint, when(b.created_at, zone), b.note or ""] for b in blocks])
