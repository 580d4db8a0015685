"""Loading: shipped inventories, merging across files, inheritance, immutability."""

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from netops.inventory import load_inventory
from tests.paths import BANJARMASIN, LAB


def test_lab_inventory_loads_with_the_promised_lab_objects() -> None:
    inv = load_inventory(LAB)
    assert inv.meta.lab
    nas = inv.nas_clients()["127.0.0.1"]
    assert nas[1].secret.reveal() == "testing123"
    assert inv.snmp["public_v2"].version == "2c"
    assert inv.snmp["public_v2"].community is not None
    assert inv.snmp["public_v2"].community.reveal() == "public"
    assert inv.plan("gratis").rate_limit is not None
    platforms = {d.platform for d in inv.devices}
    assert {"mikrotik_routeros", "eos"} <= platforms
    assert platforms & {"cisco_ios", "frr"}


def test_banjarmasin_sample_is_a_whole_city() -> None:
    inv = load_inventory(BANJARMASIN)
    assert not inv.meta.lab
    assert len(inv.sites) >= 36
    assert len(inv.devices) >= 40
    assert len(inv.links) >= 30
    assert len(inv.hotspots) >= 15
    kinds = {s.kind for s in inv.sites}
    assert {"command-centre", "office", "kecamatan", "kelurahan", "hotspot"} <= kinds
    assert sum(s.kind == "office" for s in inv.sites) >= 20
    assert sum(s.kind == "kecamatan" for s in inv.sites) == 5
    assert sum(s.kind == "kelurahan" for s in inv.sites) >= 12
    telkom = [link for link in inv.links if link.provider == "Telkom"]
    assert len(telkom) >= 2
    assert all(link.monthly_cost_idr and link.capacity_mbps for link in telkom)
    platforms = {d.platform for d in inv.devices}
    assert {"cisco_ios", "mikrotik_routeros", "eos"} <= platforms


def test_sections_merge_across_files(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        extra_yml="""
        sites:
          - {id: office, name: Office, kind: office}
        """
    )
    inv = load_inventory(root)
    assert [s.id for s in inv.sites] == ["office", "cc", "park"]  # files in name order


def test_devices_inherit_from_groups_then_defaults(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(
        groups_yml="""
        defaults:
          credentials: admin
          timeouts: {connect: 5}
          data: {ntp: pool, syslog: a}
        groups:
          mikrotik: {platform: mikrotik_routeros, data: {syslog: b}}
          gateways: {groups: [mikrotik], radius: nas, timeouts: {command: 99}}
        """,
        devices_yml="""
        devices:
          - hostname: core-01
            site: cc
            role: core
            platform: cisco_ios
            mgmt_ip: 10.10.0.1
            credentials: admin
            interfaces: [{name: Gi0/1}, {name: Gi0/2}]
          - hostname: hs-01
            site: park
            role: hotspot-gateway
            groups: [gateways]
            mgmt_ip: 10.10.0.2
            data: {syslog: c}
            interfaces: [{name: ether1}]
        """,
    )
    hs = load_inventory(root).device("hs-01")
    assert hs.platform == "mikrotik_routeros"  # from the parent group
    assert hs.radius == "nas"  # from its group
    assert hs.credentials == "admin"  # from defaults
    assert hs.timeouts.connect == 5 and hs.timeouts.command == 99  # merged
    assert hs.data == {"ntp": "pool", "syslog": "c"}  # own value wins


def test_inventory_is_immutable() -> None:
    inv = load_inventory(LAB)
    with pytest.raises(ValidationError):
        inv.devices[0].hostname = "other"  # type: ignore[misc]


def test_lookups_answer_what_subsystems_ask() -> None:
    inv = load_inventory(LAB)
    link = inv.link_at("lab-core-01", "eth2")
    assert link is not None and link.is_uplink and link.provider == "Telkom"
    assert link.far_end("lab-core-01", "eth2") == "Telkom"
    fibre = inv.link_at("lab-core-02", "eth1")
    assert fibre is not None and fibre.far_end("lab-core-02", "eth1") == "lab-core-01:eth1"
    assert [h.id for h in inv.hotspots_at("lab-hs-01")] == ["lab-park"]
    assert {d.hostname for d in inv.select(role="core")} == {"lab-core-01", "lab-core-02"}
    hs = inv.device_by_ip("127.0.0.1")
    assert hs is not None and hs.hostname == "lab-hs-01"
