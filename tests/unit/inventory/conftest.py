from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.paths import BANJARMASIN, LAB

MINIMAL = {
    "meta.yml": """
        meta: {city: Testkota, lab: false}
        """,
    "profiles.yml": """
        credentials:
          admin: {username: netops, password: env:NETOPS_TEST_PW}
        snmp:
          v2: {version: 2c, community: env:NETOPS_TEST_COMMUNITY}
        radius:
          nas: {secret: env:NETOPS_TEST_SECRET}
        """,
    "sites.yml": """
        sites:
          - {id: cc, name: Command Centre, kind: command-centre}
          - {id: park, name: Park, kind: hotspot}
        prefixes:
          - {prefix: 10.10.0.0/24, role: management}
        """,
    "devices.yml": """
        devices:
          - hostname: core-01
            site: cc
            role: core
            platform: cisco_ios
            mgmt_ip: 10.10.0.1
            credentials: admin
            interfaces:
              - {name: Gi0/1}
              - {name: Gi0/2}
          - hostname: hs-01
            site: park
            role: hotspot-gateway
            platform: mikrotik_routeros
            mgmt_ip: 10.10.0.2
            radius: nas
            interfaces:
              - {name: ether1}
        """,
    "links.yml": """
        links:
          - {a: "core-01:Gi0/1", b: "hs-01:ether1", medium: fiber, capacity_mbps: 1000}
          - {a: "core-01:Gi0/2", provider: Telkom, medium: leased, capacity_mbps: 500,
             monthly_cost_idr: 45000000}
        """,
    "hotspots.yml": """
        plans:
          - {name: gratis, session_timeout: 2h, rate_limit: {down: 5M, up: 2M}}
        hotspots:
          - {id: park, site: park, gateway: hs-01, ssid: WiFi Gratis, plan: gratis}
        """,
}


@pytest.fixture
def write_inventory(tmp_path: Path) -> Callable[..., Path]:
    """Write the minimal valid inventory to a folder, with files replaced or added."""

    def write(**files: str) -> Path:
        root = tmp_path / "inv"
        root.mkdir(exist_ok=True)
        contents = {**MINIMAL, **{k.replace("_yml", ".yml"): v for k, v in files.items()}}
        for name, text in contents.items():
            (root / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return write


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped lab inventory to break on purpose."""
    target = tmp_path / "lab"
    shutil.copytree(LAB, target)
    return target


@dataclass(frozen=True)
class Fault:
    """One fault planted in an inventory: the file, the line it must be reported on, and a
    fragment the message must hold."""

    file: Path
    line: int
    says: str


def _line_of(path: Path, text: str, occurrence: int = 1) -> int:
    lines = path.read_text().splitlines()
    hits = [n for n, line in enumerate(lines, start=1) if text in line]
    return hits[occurrence - 1]


def _replace(path: Path, old: str, new: str, occurrence: int = 1) -> None:
    text = path.read_text()
    at = -1
    for _ in range(occurrence):
        at = text.index(old, at + 1)
    path.write_text(text[:at] + new + text[at + len(old) :])


@pytest.fixture
def five_faults(tmp_path: Path) -> tuple[Path, list[Fault]]:
    """A copy of the Banjarmasin sample with five faults of five kinds in four files.

    Each fault could cascade: the broken plans file holds the plans every hotspot names, the
    broken site has devices, the device with the bad address is a hotspot gateway with links.
    """
    root = tmp_path / "city"
    shutil.copytree(BANJARMASIN, root)
    plans, sites = root / "plans.yml", root / "sites.yml"
    devices, links = root / "devices.yml", root / "links.yml"
    # 1. YAML syntax: an unclosed flow mapping (YAML notices on the next line)
    _replace(plans, "rate_limit: {down: 3M, up: 1M}", "rate_limit: {down: 3M, up: 1M")
    # 2. unknown key in a site
    _replace(sites, "kecamatan: banjarmasin-barat", "kecamatn: banjarmasin-barat")
    # 3. bad IP address on a hotspot gateway
    _replace(devices, "mgmt_ip: 10.10.0.49", "mgmt_ip: 10.10.0.349")
    # 4. dangling reference: a link to a device that does not exist
    _replace(links, "b: 'cc-dc-01:Ethernet1'", "b: 'cc-dc-1:Ethernet1'")
    # 5. duplicate management IP: cc-core-02 takes cc-core-01's
    _replace(devices, "mgmt_ip: 10.10.0.3", "mgmt_ip: 10.10.0.2")
    faults = [
        Fault(plans, _line_of(plans, "rate_limit: {down: 3M, up: 1M") + 1, "YAML syntax error"),
        Fault(sites, _line_of(sites, "kecamatn:"), "site 'kec-barat': unknown field 'kecamatn'"),
        Fault(devices, _line_of(devices, "10.10.0.349"), "got '10.10.0.349'"),
        Fault(
            devices,
            _line_of(devices, "mgmt_ip: 10.10.0.2", occurrence=2),
            "management IP 10.10.0.2 is used by devices 'cc-core-01'",
        ),
        Fault(links, _line_of(links, "cc-dc-1:Ethernet1"), "names unknown device 'cc-dc-1'"),
    ]
    return root, faults
