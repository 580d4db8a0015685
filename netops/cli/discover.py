"""``netops discover``: sweep a site's prefixes and list live hosts the inventory lacks."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from typing import Annotated

import typer
from rich.table import Table

from netops.cli.common import InventoryOpt, console, get_inventory
from netops.errors import NetopsError
from netops.exporters.discover import DEFAULT_ROLES, site_prefixes, sweep


def discover(
    site: Annotated[str, typer.Option("--site", "-s", help="Site whose prefixes to sweep.")],
    inventory: InventoryOpt = None,
    prefix: Annotated[
        list[str] | None,
        typer.Option("--prefix", "-p", help="Sweep this prefix instead (repeatable)."),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            help=f"Prefix roles to sweep (default: {', '.join(DEFAULT_ROLES)}).",
        ),
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List inventory devices that answered too.")
    ] = False,
    no_arp: Annotated[bool, typer.Option("--no-arp", help="Skip the ARP sweep.")] = False,
    no_icmp: Annotated[bool, typer.Option("--no-icmp", help="Skip the ICMP sweep.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for answers.")] = 1.0,
    max_hosts: Annotated[
        int, typer.Option("--max-hosts", help="Refuse to sweep more addresses than this.")
    ] = 4096,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """ARP/ICMP sweep of a site's prefixes; lists hosts that are not in the inventory."""
    inv = get_inventory(inventory)
    if site not in {s.id for s in inv.sites}:
        raise NetopsError(f"site {site!r} is not in the inventory")
    if prefix:
        try:
            nets = [ipaddress.IPv4Network(p, strict=False) for p in prefix]
        except ValueError as exc:
            raise NetopsError(f"--prefix: {exc}") from None
    else:
        nets = site_prefixes(inv, site, role or DEFAULT_ROLES)
    hosts = asyncio.run(
        sweep(inv, nets, arp=not no_arp, icmp=not no_icmp, timeout=timeout, max_hosts=max_hosts)
    )
    shown = [h for h in hosts if show_all or not h.known]
    if as_json:
        rows = [
            {
                "address": h.address,
                "mac": h.mac,
                "rtt_ms": round(h.rtt * 1000, 3) if h.rtt is not None else None,
                "seen_by": sorted(h.methods),
                "device": h.device,
            }
            for h in shown
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    unknown = sum(1 for h in hosts if not h.known)
    table = Table(
        title=f"{site}: {unknown} unknown of {len(hosts)} live hosts in "
        + ", ".join(str(n) for n in nets),
        title_justify="left",
    )
    for column in ("address", "MAC", "RTT ms", "seen by", "inventory"):
        table.add_column(column)
    for h in shown:
        table.add_row(
            h.address,
            h.mac or "",
            f"{h.rtt * 1000:.2f}" if h.rtt is not None else "",
            "+".join(sorted(h.methods)),
            h.device or "[bold yellow]not in inventory[/]",
        )
    console.print(table)
