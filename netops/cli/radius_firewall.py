"""``netops radius nftables``: the firewall's RADIUS client sets, rendered from the inventory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netops.cli.common import InventoryOpt, absolute_path, console, get_inventory
from netops.cli.radius import app
from netops.errors import NetopsError
from netops.files import write_atomic


@app.command()
def nftables(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write here (atomically, mode 0644), e.g. /etc/nftables.d/netops-nas.nft; "
            "default: print.",
            callback=absolute_path,
        ),
    ] = None,
    inventory: InventoryOpt = None,
) -> None:
    """Render the nftables sets of NAS addresses allowed to send RADIUS (udp 1812/1813)."""
    from netops.radius.firewall import render_nas_sets

    inv = get_inventory(inventory)
    text = render_nas_sets(inv)
    if output is None:
        console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise NetopsError(f"cannot write {output}: the folder {folder} does not exist")
    write_atomic(output, text, chmod=0o644, parents=False)
    count = len(inv.nas_clients())
    console.print(f"wrote {output}: {count} NAS address(es)", markup=False, highlight=False)
