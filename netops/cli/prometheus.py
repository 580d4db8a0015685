"""``netops prometheus``: generate Prometheus files (targets, scrape config, rules) from the
inventory. Commands register here from their modules."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Generate Prometheus targets, scrape configuration and rules from the inventory.",
    no_args_is_help=True,
)
