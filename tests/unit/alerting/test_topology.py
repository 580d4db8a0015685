"""Which devices the topology puts behind which links and devices."""

from __future__ import annotations

import textwrap
from pathlib import Path

from netops.alerting import dependencies
from netops.inventory import load_inventory
from tests.paths import BANJARMASIN, LAB

LAB_PARK_LINK = "lab-dist-01:Ethernet2--lab-hs-01:ether1"


def test_lab_roots_are_the_command_centre_devices() -> None:
    deps = dependencies(load_inventory(LAB))
    assert deps.roots == ("lab-core-01", "lab-core-02")


def test_devices_behind_a_link_are_everything_it_cuts_off() -> None:
    deps = dependencies(load_inventory(LAB))
    assert deps.behind_link(LAB_PARK_LINK) == ("lab-ap-01", "lab-hs-01")
    assert deps.behind_link("lab-hs-01:ether2--lab-ap-01:ether1") == ("lab-ap-01",)
    assert deps.behind_link("lab-core-01:eth1--lab-core-02:eth1") == ()


def test_link_dependency_names_the_end_that_stays_reachable() -> None:
    deps = dependencies(load_inventory(LAB))
    via = {(d.device, d.link_id): (d.via_device, d.via_interface) for d in deps.on_links}
    assert via[("lab-hs-01", LAB_PARK_LINK)] == ("lab-dist-01", "Ethernet2")
    assert deps.upstream_end[LAB_PARK_LINK] == ("lab-dist-01", "Ethernet2")
    assert deps.upstream_end["lab-core-01:eth2--Telkom"] == ("lab-core-01", "eth2")


def test_devices_behind_a_device_are_those_it_dominates() -> None:
    deps = dependencies(load_inventory(LAB))
    assert deps.behind_device("lab-dist-01") == ("lab-ap-01", "lab-hs-01")
    assert deps.behind_device("lab-ap-01") == ()
    assert deps.behind_device("lab-core-01") == ()  # lab-core-02 is a root too


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


RING = {
    "meta.yml": "meta: {city: Ringkota, lab: true}\n",
    "sites.yml": """
        sites:
          - {id: cc, name: CC, kind: command-centre}
          - {id: a, name: A, kind: office}
          - {id: b, name: B, kind: office}
          - {id: c, name: C, kind: office}
        prefixes:
          - {prefix: 10.0.0.0/24, role: management}
        """,
    "devices.yml": """
        devices:
          - {hostname: core, site: cc, role: core, platform: eos, mgmt_ip: 10.0.0.1,
             interfaces: [{name: e1}, {name: e2}]}
          - {hostname: ra, site: a, role: distribution, platform: eos, mgmt_ip: 10.0.0.2,
             interfaces: [{name: e1}, {name: e2}]}
          - {hostname: rb, site: b, role: distribution, platform: eos, mgmt_ip: 10.0.0.3,
             interfaces: [{name: e1}, {name: e2}, {name: e3}]}
          - {hostname: rc, site: c, role: switch, platform: eos, mgmt_ip: 10.0.0.4,
             interfaces: [{name: e1}]}
        """,
    "links.yml": """
        links:
          - {a: "core:e1", b: "ra:e1", medium: fiber, capacity_mbps: 1000}
          - {a: "ra:e2", b: "rb:e1", medium: fiber, capacity_mbps: 1000}
          - {a: "rb:e2", b: "core:e2", medium: fiber, capacity_mbps: 1000}
          - {a: "rb:e3", b: "rc:e1", medium: wireless, capacity_mbps: 100}
        """,
}


def test_a_ring_creates_no_dependency_but_a_spur_off_it_does(tmp_path: Path) -> None:
    deps = dependencies(load_inventory(_write(tmp_path, RING)))
    assert deps.roots == ("core",)
    assert deps.behind_link("core:e1--ra:e1") == ()
    assert deps.behind_link("ra:e2--rb:e1") == ()
    assert deps.behind_link("rb:e3--rc:e1") == ("rc",)
    assert deps.behind_device("ra") == ()
    assert deps.behind_device("rb") == ("rc",)
    assert deps.behind_device("core") == ("ra", "rb", "rc")


def test_banjarmasin_core_router_cuts_off_the_western_district() -> None:
    deps = dependencies(load_inventory(BANJARMASIN))
    assert deps.roots == ("cc-core-01", "cc-core-02", "cc-dc-01")
    behind = deps.behind_device("cc-core-01")
    for device in ("kec-barat-dist-01", "kel-pelambuan-gw-01", "pelabuhan-trisakti-hs-01"):
        assert device in behind
    assert "kec-selatan-dist-01" not in behind  # hangs off cc-core-02
    link = "kec-tengah-dist-01:GigabitEthernet0/15--pasar-terapung-siring-hs-01:ether1"
    assert deps.behind_link(link) == ("pasar-terapung-siring-ap-01", "pasar-terapung-siring-hs-01")
