"""Options and helpers every command group shares (inventory, database, output)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from netops.errors import NetopsError
from netops.inventory import Inventory, load_inventory

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)

DEFAULT_DB = "sqlite:///var/netops.db"

InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        envvar="NETOPS_INVENTORY",
        help="Inventory folder (default: $NETOPS_INVENTORY).",
        show_default=False,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="NETOPS_DB",
        help=f"Database URL (default: $NETOPS_DB, else {DEFAULT_DB}).",
        show_default=False,
    ),
]


def get_inventory(path: Path | None) -> Inventory:
    """Load the inventory named by ``-i`` / ``$NETOPS_INVENTORY``, or say how to name one."""
    if path is None:
        raise NetopsError(
            "no inventory given: pass -i DIR or set NETOPS_INVENTORY (e.g. inventory/lab)"
        )
    return load_inventory(path)


def db_url(url: str | None) -> str:
    """The database URL to use; the default SQLite file's folder is created on demand."""
    chosen = url or os.environ.get("NETOPS_DB") or DEFAULT_DB
    if chosen.startswith("sqlite:///") and not chosen.startswith("sqlite:///:memory:"):
        Path(chosen.removeprefix("sqlite:///")).expanduser().parent.mkdir(
            parents=True, exist_ok=True
        )
    return chosen
