"""The ``netops`` application: command groups, error handling, entry point."""

from __future__ import annotations

import os
import sys
from typing import Any, ClassVar

import typer
from rich.markup import escape

from netops import __version__
from netops.cli.common import RootDbOpt, RootInventoryOpt, RootOptions, err_console
from netops.cli.lazy import LazyCommand, LazyGroup
from netops.errors import NetopsError

#: Commands that run a service: they write logs, state and the SQLite store, which hold
#: session records and pseudonymised MACs, so what they create is for the group at most.
SERVICES = {
    ("up",),
    ("radius", "serve"),
    ("portal", "serve"),
    ("exporter", "serve"),
    ("privacy", "syslog"),
}
SERVICE_UMASK = 0o027


def _runs_service(words: list[str]) -> bool:
    """Whether ``netops words…`` (the words after the root options) runs a service."""
    commands = [w for w in words if not w.startswith("-")][:2]
    return any(tuple(commands[: len(path)]) == path for path in SERVICES)


class _Root(LazyGroup):
    """Every command group, one module each (``netops/cli/<group>.py``), imported on use.

    ``registrants`` add commands to a shared group (``radius``, ``prometheus``)."""

    lazy: ClassVar[dict[str, LazyCommand]] = {
        "inventory": LazyCommand(
            "netops.cli.inventory:app", "Validate, show and draw the inventory."
        ),
        "config": LazyCommand(
            "netops.cli.config:app",
            "Render, diff, push (with rollback), back up and check device configurations.",
        ),
        "radius": LazyCommand(
            "netops.cli.radius:app",
            "RADIUS server for the free Wi-Fi hotspots: serve, subscribers, sessions, CoA.",
            (
                "netops.cli.radius_server",
                "netops.cli.radius_users",
                "netops.cli.radius_sessions",
                "netops.cli.radius_firewall",
            ),
        ),
        "voucher": LazyCommand(
            "netops.cli.voucher:app",
            "Vouchers: create, list and revoke login codes bound to a plan.",
        ),
        "phone": LazyCommand(
            "netops.cli.phone:app",
            "Phone sign-up: block, unblock and list numbers that may not sign up.",
        ),
        "portal": LazyCommand(
            "netops.cli.portal:app",
            "Captive portal for the free Wi-Fi: citizens' login pages and the operator console.",
        ),
        "exporter": LazyCommand(
            "netops.cli.exporter:app",
            "SNMP → Prometheus exporter (snmp_exporter compatible) and ICMP probes.",
        ),
        "discover": LazyCommand(
            "netops.cli.discover:discover",
            "ARP/ICMP sweep of a site's prefixes; lists hosts that are not in the inventory.",
        ),
        "prometheus": LazyCommand(
            "netops.cli.prometheus:app",
            "Generate Prometheus targets, scrape configuration and rules from the inventory.",
            ("netops.cli.prometheus_rules",),
        ),
        "report": LazyCommand(
            "netops.cli.report:app",
            "Reports: leased capacity and cost (from Prometheus), hotspot usage (from the store).",
        ),
        "operator": LazyCommand(
            "netops.cli.operator:app",
            "Operator accounts for the console and admin API: roles, sites, TOTP, API tokens.",
        ),
        "audit": LazyCommand(
            "netops.cli.audit:app",
            "The audit trail of operator actions: list it, verify its hash chain.",
        ),
        "privacy": LazyCommand(
            "netops.cli.privacy:app",
            "Personal data: register, purge, requests, lawful traces and the NAT log.",
        ),
        "up": LazyCommand(
            "netops.cli.up:up",
            "Run the RADIUS server, captive portal and SNMP exporter as one supervised service.",
        ),
        "lab": LazyCommand(
            "netops.cli.lab:app",
            "Simulated lab devices on this machine: SNMP agents, FRR routers, hotspot users.",
        ),
    }

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        """Also set the umask of a service (``args``: the command's name and what follows)."""
        if _runs_service(args):
            os.umask(SERVICE_UMASK)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="netops",
    cls=_Root,
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
    ctx: typer.Context,
    inventory: RootInventoryOpt = None,
    db: RootDbOpt = None,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """netops: one inventory, four jobs."""
    # Given before the command, -i / --db apply to it (its own options fall back to them,
    # then to the environment); both arrive here already absolute. Services a command
    # starts get them on their command line.
    ctx.obj = RootOptions(inventory, db)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; a :class:`NetopsError` prints one message and exits 1, never a traceback."""
    command = typer.main.get_command(app)
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        command.main(args=argv, prog_name="netops", standalone_mode=True)
    except NetopsError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)  # a service's umask (0027) ends with the command
    return 0


if __name__ == "__main__":
    sys.exit(main())
