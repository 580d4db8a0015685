"""The daily retention purge as a component of ``netops up``."""

from __future__ import annotations

from pathlib import Path

from netops.service.model import ComponentSpec
from netops.service.stack import netops_argv

PURGE_EVERY = "24h"


def purge_component(inventory: Path, db: str, log_dir: Path) -> ComponentSpec:
    """``netops privacy purge --every 24h``: purges at start, then once a day."""
    return ComponentSpec(
        name="privacy-purge",
        argv=netops_argv(inventory, db, "privacy", "purge", "--every", PURGE_EVERY),
        log=log_dir / "privacy-purge.log",
    )
