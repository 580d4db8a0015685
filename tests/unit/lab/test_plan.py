"""What the lab simulates for an inventory, and what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.lab.plan import SimulationError, plan_lab
from tests.paths import BANJARMASIN, LAB


def test_lab_inventory_gets_an_agent_per_device_and_namespaces_for_frr() -> None:
    plan = plan_lab(load_inventory(LAB))
    agents = {a.device: a for a in plan.agents}
    assert set(agents) == {"lab-core-01", "lab-core-02", "lab-dist-01", "lab-hs-01", "lab-ap-01"}
    assert agents["lab-core-01"].namespace == "nxlab-lab-core-01"
    assert agents["lab-core-01"].endpoint == "10.254.0.2:161"
    assert agents["lab-dist-01"].namespace is None
    assert agents["lab-dist-01"].endpoint == "127.0.1.3:161"
    assert plan.routers == ("lab-core-01", "lab-core-02")
    assert plan.hotspots == ("lab-park",)


def test_a_city_inventory_is_never_simulated() -> None:
    with pytest.raises(SimulationError, match="not a lab"):
        plan_lab(load_inventory(BANJARMASIN))


def _lab_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lab"
    shutil.copytree(LAB, target)
    return target


def test_a_v3_profile_is_refused_with_the_reason(tmp_path: Path) -> None:
    lab = _lab_copy(tmp_path)
    profiles = lab / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("snmp: public_v2", "snmp: lab-v3"))
    with pytest.raises(SimulationError, match="speak v2c"):
        plan_lab(load_inventory(lab))


def test_a_device_off_loopback_is_noted_not_simulated(tmp_path: Path) -> None:
    lab = _lab_copy(tmp_path)
    devices = lab / "devices.yml"
    text = devices.read_text()
    ap = text.index("hostname: lab-ap-01")
    moved = text[ap:].replace("site: lab-park", "site: lab-cc", 1)
    devices.write_text(text[:ap] + moved.replace("mgmt_ip: 127.0.1.5", "mgmt_ip: 10.254.0.9"))
    plan = plan_lab(load_inventory(lab))
    assert "lab-ap-01" not in {a.device for a in plan.agents}
    assert any(note.startswith("lab-ap-01: 10.254.0.9 is neither loopback") for note in plan.notes)
