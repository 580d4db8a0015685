"""SNMP agent data from the inventory: interfaces, speeds, moving counters, OID order."""

from __future__ import annotations

import pytest

from netops.inventory import Inventory, load_inventory
from netops.lab.snmprec import IF_TABLE, IFX_TABLE, device_records, port_traffic, render
from tests.paths import LAB


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


def _rows(lab: Inventory, hostname: str) -> dict[str, tuple[str, str]]:
    return {oid: (tag, value) for oid, tag, value in device_records(lab, lab.device(hostname))}


def test_every_inventory_interface_is_in_iftable_and_ifxtable(lab: Inventory) -> None:
    rows = _rows(lab, "lab-hs-01")
    assert rows["1.3.6.1.2.1.2.1.0"] == ("2", "2")
    assert rows[f"{IF_TABLE}.2.1"] == ("4", "ether1")
    assert rows[f"{IF_TABLE}.2.2"] == ("4", "ether2")
    assert rows[f"{IFX_TABLE}.1.2"] == ("4", "ether2")
    assert rows["1.3.6.1.2.1.1.5.0"] == ("4", "lab-hs-01")


def test_high_capacity_counters_grow_at_a_share_of_the_link_capacity(lab: Inventory) -> None:
    rows = _rows(lab, "lab-core-02")
    tag, value = rows[f"{IFX_TABLE}.6.1"]  # ifHCInOctets of eth1 (1 Gbit/s fibre)
    assert tag == "70:numeric"
    settings = dict(part.split("=") for part in value.split(","))
    octets_per_s = float(settings["rate"])
    assert 0.1 * 125_000_000 <= octets_per_s <= 0.45 * 125_000_000
    assert int(settings["initial"]) >= 0


def test_32_bit_counters_wrap_like_real_ones(lab: Inventory) -> None:
    tag, value = _rows(lab, "lab-core-01")[f"{IF_TABLE}.10.1"]
    assert tag == "65:numeric" and value.endswith(",wrap=1")


def test_leased_telkom_uplink_runs_hotter_than_a_city_fibre(lab: Inventory) -> None:
    core = lab.device("lab-core-01")
    uplink = port_traffic(lab, core, core.interfaces[1])  # eth2: Telkom 100M
    assert uplink.in_bps / 100e6 >= 0.55
    fibre = port_traffic(lab, core, core.interfaces[0])
    assert fibre.in_bps / 1000e6 <= 0.45


def test_speed_and_alias_come_from_the_link(lab: Inventory) -> None:
    rows = _rows(lab, "lab-dist-01")
    assert rows[f"{IFX_TABLE}.15.1"] == ("66", "1000")  # ifHighSpeed, Mbit/s
    assert rows[f"{IFX_TABLE}.18.1"] == ("4", "to lab-core-02:eth2")


def test_described_interface_uses_its_description_as_alias(lab: Inventory) -> None:
    rows = _rows(lab, "lab-core-01")
    assert rows[f"{IFX_TABLE}.18.2"] == ("4", "Telkom uplink")


def test_traffic_flows_down_from_the_core(lab: Inventory) -> None:
    ap = lab.device("lab-ap-01")
    ether1 = port_traffic(lab, ap, ap.interfaces[0])  # from lab-hs-01, closer to the core
    assert ether1.in_bps > ether1.out_bps


def test_the_same_port_gets_the_same_load_every_time(lab: Inventory) -> None:
    device = lab.device("lab-core-02")
    assert device_records(lab, device) == device_records(lab, device)


def test_records_are_in_oid_order_as_snmpsim_requires(lab: Inventory) -> None:
    for device in lab.devices:
        oids = [tuple(int(p) for p in oid.split(".")) for oid, _, _ in device_records(lab, device)]
        assert oids == sorted(oids)
        assert len(set(oids)) == len(oids)


def test_render_writes_one_snmprec_line_per_row_and_hex_encodes_odd_text() -> None:
    text = render([("1.3.6.1.2.1.1.5.0", "4", "r1"), ("1.3.6.1.2.1.1.6.0", "4x", "7c")])
    assert text == "1.3.6.1.2.1.1.5.0|4|r1\n1.3.6.1.2.1.1.6.0|4x|7c\n"


def test_unlinked_undescribed_port_is_down_without_traffic(lab: Inventory) -> None:
    from netops.inventory.models import Interface

    spare = Interface(name="ether9")
    traffic = port_traffic(lab, lab.device("lab-hs-01"), spare)
    assert (traffic.oper_up, traffic.in_bps, traffic.out_bps) == (False, 0.0, 0.0)
