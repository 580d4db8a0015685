from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.paths import LAB

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
