"""The ``netops`` application: command groups, error handling, entry point."""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

from netops import __version__
from netops.cli import inventory as inventory_cli
from netops.cli import prometheus as prometheus_cli
from netops.cli import radius as radius_cli
from netops.cli.common import DbOpt, InventoryOpt, err_console
from netops.errors import NetopsError

app = typer.Typer(
    name="netops",
    help="Run a city-owned network: inventory, provisioning, free Wi-Fi RADIUS and portal, "
    "SNMP monitoring and reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netops {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """netops: one inventory, four jobs."""
    # Given before the command, -i / --db apply to it (and to services it starts).
    if inventory is not None:
        os.environ["NETOPS_INVENTORY"] = str(inventory)
    if db is not None:
        os.environ["NETOPS_DB"] = db


# Command groups, one module each (netops/cli/<group>.py). Modules that add commands to a
# shared group (radius, prometheus) are imported below for that effect.
app.add_typer(inventory_cli.app, name="inventory")
app.add_typer(radius_cli.app, name="radius")
app.add_typer(prometheus_cli.app, name="prometheus")
from netops.cli import report as report_cli  # noqa: E402

app.add_typer(report_cli.app, name="report")
from netops.cli import config as config_cli  # noqa: E402

app.add_typer(config_cli.app, name="config")
from netops.cli import prometheus_rules as prometheus_rules_cli  # noqa: E402, F401
from netops.cli import radius_server as radius_server_cli  # noqa: E402, F401
from netops.cli import lab as lab_cli  # noqa: E402
from netops.cli import up as up_cli  # noqa: E402

app.command(name="up")(up_cli.up)
app.add_typer(lab_cli.app, name="lab")
from netops.cli import radius_subscribers as radius_subscribers_cli  # noqa: E402, F401
from netops.cli import voucher as voucher_cli  # noqa: E402

app.add_typer(voucher_cli.app, name="voucher")
from netops.cli import portal as portal_cli  # noqa: E402

app.add_typer(portal_cli.app, name="portal")
from netops.cli import discover as discover_cli  # noqa: E402
from netops.cli import exporter as exporter_cli  # noqa: E402

app.add_typer(exporter_cli.app, name="exporter")
app.command(name="discover")(discover_cli.discover)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a :class:`NetopsError` prints one message and exits 1, never a traceback."""
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="netops", standalone_mode=True)
    except NetopsError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
