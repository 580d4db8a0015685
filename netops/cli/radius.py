"""``netops radius``: the group the RADIUS commands hang on.

Commands live in their own modules and register here: ``radius_server`` (serve, disconnect,
stats), ``radius_users`` (users, MAC allow-list), ``radius_sessions`` (sessions, purge, the
store's key and status) and ``radius_firewall``; ``radius_subscribers`` holds what they share.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="RADIUS server for the free Wi-Fi hotspots: serve, subscribers, sessions, CoA.",
    no_args_is_help=True,
)
