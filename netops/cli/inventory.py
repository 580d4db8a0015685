"""``netops inventory``: validate, show and draw the city's inventory."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from netops.cli.common import InventoryOpt, absolute_path, console, get_inventory
from netops.inventory.graph import render_graph
from netops.inventory.units import format_duration, format_rate

app = typer.Typer(help="Validate, show and draw the inventory.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    json = "json"


@app.command()
def validate(inventory: InventoryOpt = None) -> None:
    """Check every file and reference; print a one-line summary, or every error and exit 1."""
    inv = get_inventory(inventory)
    console.print(f"ok: {inv.summary()}")


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    return table


def _quota(total: int | None, daily: int | None) -> str:
    parts = []
    if total:
        parts.append(f"{total / 1e9:g} GB")
    if daily:
        parts.append(f"{daily / 1e9:g} GB/day")
    return ", ".join(parts) or "-"


@app.command()
def show(
    inventory: InventoryOpt = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
) -> None:
    """Print the inventory: tables of sites, devices, links, hotspots and plans, or JSON."""
    inv = get_inventory(inventory)
    if fmt is Format.json:
        data = inv.model_dump(mode="json")
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console.print(
        _table(
            "Sites",
            ["id", "name", "kind"],
            [[s.id, s.name, s.kind] for s in inv.sites],
        )
    )
    console.print(
        _table(
            "Devices",
            ["hostname", "site", "role", "platform", "mgmt IP"],
            [[d.hostname, d.site, d.role, d.platform, d.mgmt_ip] for d in inv.devices],
        )
    )
    console.print(
        _table(
            "Links",
            ["a", "b / provider", "medium", "capacity (Mbps)", "Rp / month"],
            [
                [
                    link.a,
                    link.b or link.provider,
                    link.medium,
                    f"{link.capacity_mbps:g}",
                    f"{link.monthly_cost_idr:,}".replace(",", ".") if link.monthly_cost_idr else "",
                ]
                for link in inv.links
            ],
        )
    )
    console.print(
        _table(
            "Hotspots",
            ["id", "site", "gateway", "SSID", "plan", "hours"],
            [[h.id, h.site, h.gateway, h.ssid, h.plan, h.opening_hours] for h in inv.hotspots],
        )
    )
    console.print(
        _table(
            "Plans",
            ["name", "session", "daily time", "data", "down/up", "sim. use"],
            [
                [
                    p.name,
                    format_duration(p.session_timeout) if p.session_timeout else "-",
                    format_duration(p.daily_time) if p.daily_time else "-",
                    _quota(p.data_quota, p.daily_data),
                    f"{format_rate(p.rate_limit.down)}/{format_rate(p.rate_limit.up)}"
                    if p.rate_limit
                    else "-",
                    p.simultaneous_use,
                ]
                for p in inv.plans
            ],
        )
    )
    console.print(inv.summary())


@app.command()
def graph(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Picture file: .svg, .png or .dot.", callback=absolute_path
        ),
    ],
    inventory: InventoryOpt = None,
) -> None:
    """Draw the topology (sites, devices, links with medium and capacity; leased uplinks red)."""
    inv = get_inventory(inventory)
    written = render_graph(inv, out)
    console.print(f"wrote {written}")
