"""The firewall's RADIUS client sets come from the inventory's NAS, nothing wider."""

from __future__ import annotations

import subprocess
from pathlib import Path

from netops.inventory import load_inventory
from netops.radius.firewall import nas_addresses, render_nas_sets

REPO = Path(__file__).resolve().parents[3]


def test_the_rendered_sets_name_every_nas_and_nothing_else() -> None:
    inventory = load_inventory(REPO / "inventory" / "banjarmasin")
    text = render_nas_sets(inventory)
    v4, v6 = nas_addresses(inventory)
    assert len(v4) == len(inventory.nas_clients()) == 17 and v6 == []
    for address, (device, _) in inventory.nas_clients().items():
        assert f"{address}" in text and device.hostname in text
    assert "/" not in text.split("table inet netops", 1)[1]  # addresses, never prefixes
    assert "set nas_v6 {\n        type ipv6_addr\n    }" in text


def test_the_command_writes_the_file_or_says_why_not(tmp_path: Path) -> None:
    netops = REPO / ".venv" / "bin" / "netops"
    out = tmp_path / "netops-nas.nft"
    lab = ["-i", str(REPO / "inventory" / "lab"), "radius", "nftables"]
    done = subprocess.run([netops, *lab, "-o", out], capture_output=True, text=True, check=True)
    assert "1 NAS address(es)" in done.stdout
    assert "127.0.0.1  # lab-hs-01" in out.read_text()
    assert out.stat().st_mode & 0o777 == 0o644
    bad = subprocess.run(
        [netops, *lab, "-o", tmp_path / "missing" / "x.nft"], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "the folder" in bad.stderr and "Traceback" not in bad.stderr
