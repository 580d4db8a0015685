"""Options and helpers every command group shares (inventory, database, output).

Paths a user types are resolved here, once, against the folder the command runs in: every
file or folder option takes ``callback=absolute_path`` (lists: ``absolute_paths``) and the
database URL ``absolute_db_url``. What the commands hand on (to the subsystems, to daemons
such as sshd or Prometheus, to the services ``netops up`` starts) is then absolute and
means the same whatever folder that code runs in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from netops import defaults
from netops.errors import NetopsError
from netops.inventory import Inventory, load_inventory

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)

DEFAULT_DB = defaults.DB_URL
# sqlite:///PATH (three slashes; a fourth starts an absolute PATH), any driver, any query.
_SQLITE_URL = re.compile(r"^(?P<scheme>sqlite(?:\+\w+)?:///)(?P<path>[^?]*)(?P<query>\?.*)?$")


def absolute(path: Path) -> Path:
    """``path`` made absolute against the current folder, with ``~`` expanded.

    Symbolic links are kept as the user named them (no ``realpath``); an unknown
    ``~user`` stays as typed."""
    return Path(os.path.abspath(os.path.expanduser(path)))


def absolute_path(value: Path | None) -> Path | None:
    """Option callback: a file or folder option's value as an absolute path."""
    return None if value is None else absolute(value)


def absolute_paths(value: list[Path] | None) -> list[Path] | None:
    """Option callback: every path of a repeatable option made absolute."""
    return None if value is None else [absolute(v) for v in value]


def absolute_db_url(url: str | None) -> str | None:
    """An SQLite URL with a relative file (``sqlite:///var/netops.db``) made absolute
    (``sqlite:////…/var/netops.db``); every other URL as given."""
    if url is None:
        return None
    match = _SQLITE_URL.match(url)
    if match is None:
        return url
    path, query = match["path"], match["query"] or ""
    if not path or path == ":memory:" or path.startswith(("/", "file:")):
        return url
    return f"{match['scheme']}{absolute(Path(path))}{query}"


@dataclass(frozen=True)
class RootOptions:
    """The options given before the command (``netops -i DIR --db URL command …``), already
    absolute; the root callback keeps them in the typer context (``ctx.obj``)."""

    inventory: Path | None = None
    db: str | None = None


def _root_options(ctx: typer.Context) -> RootOptions:
    found = ctx.find_object(RootOptions)
    return found if found is not None else RootOptions()


def inventory_option(ctx: typer.Context, value: Path | None) -> Path | None:
    """Option callback: ``-i`` after the command, else before it, else
    ``$NETOPS_INVENTORY``; absolute."""
    if value is None:
        value = _root_options(ctx).inventory
    if value is None and (env := os.environ.get(defaults.INVENTORY_ENV)):
        value = Path(env)
    return absolute_path(value)


def db_option(ctx: typer.Context, value: str | None) -> str | None:
    """Option callback: ``--db`` after the command, else before it, else ``$NETOPS_DB``;
    an SQLite file's path absolute."""
    if value is None:
        value = _root_options(ctx).db
    if value is None:
        value = os.environ.get(defaults.DB_ENV) or None
    return absolute_db_url(value)


_INVENTORY_HELP = f"Inventory folder (default: ${defaults.INVENTORY_ENV})."
_DB_HELP = f"Database URL (default: ${defaults.DB_ENV}, else {DEFAULT_DB})."

InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        help=_INVENTORY_HELP,
        show_default=False,
        callback=inventory_option,
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help=_DB_HELP,
        show_default=False,
        callback=db_option,
    ),
]
#: The same options before the command: only made absolute here, the command's own
#: callback falls back to them and then to the environment.
RootInventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        "-i",
        help=_INVENTORY_HELP,
        show_default=False,
        callback=absolute_path,
    ),
]
RootDbOpt = Annotated[
    str | None,
    typer.Option("--db", help=_DB_HELP, show_default=False, callback=absolute_db_url),
]


def get_inventory(path: Path | None) -> Inventory:
    """Load the inventory named by ``-i`` / ``$NETOPS_INVENTORY``, or say how to name one."""
    if path is None:
        raise NetopsError(
            f"no inventory given: pass -i DIR or set {defaults.INVENTORY_ENV} (e.g. inventory/lab)"
        )
    return load_inventory(path)


def db_url(url: str | None) -> str:
    """The database URL to use, an SQLite file's path made absolute; the default SQLite
    file's folder is created on demand."""
    chosen = absolute_db_url(url or os.environ.get(defaults.DB_ENV) or DEFAULT_DB)
    assert chosen is not None
    if chosen.startswith("sqlite:///") and not chosen.startswith("sqlite:///:memory:"):
        Path(chosen.removeprefix("sqlite:///")).expanduser().parent.mkdir(
            parents=True, exist_ok=True
        )
    return chosen
