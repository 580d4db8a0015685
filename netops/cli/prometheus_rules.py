"""``netops prometheus rules``: the inventory's recording rules (link capacities, providers,
costs, topology dependencies, hotspot opening hours) for the shipped alert rules to join."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netops.alerting import generate_rules, render_rules
from netops.cli.common import InventoryOpt, absolute_path, console, err_console, get_inventory
from netops.cli.prometheus import app
from netops.files import write_atomic


@app.command("rules")
def rules(
    inventory: InventoryOpt = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Write the rule file here (default: standard output).",
            callback=absolute_path,
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="IANA time zone for hotspot opening hours (default: the inventory's "
            "meta.timezone, Asia/Makassar = WITA when unset).",
        ),
    ] = None,
) -> None:
    """Generate the inventory-derived Prometheus recording rules the alert rules join against."""
    inv = get_inventory(inventory)
    generated = generate_rules(inv, timezone=timezone)
    text = render_rules(generated, inv)
    for warning in generated.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    if out is None:
        typer.echo(text, nl=False)
        return
    write_atomic(out, text)
    console.print(
        f"wrote {generated.rule_count} rules to {out} "
        f"(time zone {generated.timezone}, UTC{generated.utc_offset_minutes / 60:+g})"
    )
