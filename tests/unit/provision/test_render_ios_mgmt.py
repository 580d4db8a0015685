"""IOS management interface: the SVI's prefix comes from the site's management plan, and a
router without a switch gets no VLANs and no SVI (a dot1Q subinterface of its trunk, or a
/32 loopback OSPF advertises). The rendered text is read back with netutils' IOS parser,
as a device's configuration tree."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from netutils.config.parser import IOSConfigParser

from netops.inventory import load_inventory
from netops.inventory.models import Device, Interface, Inventory, Prefix
from netops.provision.render import render_device
from tests.paths import BANJARMASIN

pytestmark = pytest.mark.timeout(60)

CORE = "cc-core-01"  # Cisco ISR 4451: a router, no switch module
SWITCH = "diskominfotik-sw-01"  # Catalyst 9200L
SITE_PLAN = Prefix(
    prefix=ipaddress.ip_network("10.10.0.0/24"),
    role="management",
    site="cc-balaikota",
    vlan=10,
    gateway=ipaddress.ip_address("10.10.0.1"),
)


def _with(hostname: str, prefixes: tuple[Prefix, ...] = (), **device: Any) -> Inventory:
    """The sample city, ``hostname`` changed by ``device``, ``prefixes`` added."""
    city = load_inventory(BANJARMASIN)
    devices = tuple(
        d.model_copy(update=device) if d.hostname == hostname else d for d in city.devices
    )
    fields = {name: getattr(city, name) for name in type(city).model_fields}
    # validated afresh, so no lookup cached by the loader survives
    return Inventory.model_validate(
        fields | {"devices": devices, "prefixes": (*city.prefixes, *prefixes)}
    )


def _blocks(inv: Inventory, hostname: str) -> dict[str, list[str]]:
    """Each top-level line of the rendered config with the lines under it, as IOS reads it."""
    text = render_device(inv, inv.device(hostname)).text
    out: dict[str, list[str]] = {}
    last = ""
    for line in IOSConfigParser(text).config_lines_only.splitlines():
        if line.startswith(" "):
            out[last].append(line.strip())
        else:
            last = line
            out.setdefault(last, [])
    return out


def test_switch_svi_takes_the_sites_management_plan_not_the_city_wide_prefix() -> None:
    inv = _with(SWITCH, prefixes=(SITE_PLAN.model_copy(update={"site": "diskominfotik"}),))
    blocks = _blocks(inv, SWITCH)
    assert blocks["interface Vlan10"] == [
        "description management",
        "ip address 10.10.0.24 255.255.255.0",
        "no shutdown",
    ]
    assert "ip default-gateway 10.10.0.1" in blocks


def test_another_sites_plan_never_sizes_the_svi() -> None:
    inv = _with(SWITCH, prefixes=(SITE_PLAN,))  # cc-balaikota's /24, not diskominfotik's
    assert "ip address 10.10.0.24 255.255.0.0" in _blocks(inv, SWITCH)["interface Vlan10"]


def test_router_without_a_switch_module_has_no_vlans_and_no_svi() -> None:
    blocks = _blocks(load_inventory(BANJARMASIN), CORE)
    assert not [b for b in blocks if b.startswith(("vlan ", "interface Vlan"))]
    # no trunk carries the management VLAN: the address is a /32 that OSPF advertises
    assert blocks["interface Loopback10"] == [
        "description management",
        "ip address 10.10.0.2 255.255.255.255",
        "ip ospf 1 area 0.0.0.0",
    ]


def test_router_management_on_a_dot1q_subinterface_of_its_trunk() -> None:
    city = load_inventory(BANJARMASIN)
    trunk = Interface(name="GigabitEthernet0/0/1", mode="trunk", vlans=(10, 20))
    core = city.device(CORE)
    inv = _with(CORE, prefixes=(SITE_PLAN,), interfaces=(*core.interfaces, trunk))
    blocks = _blocks(inv, CORE)
    assert blocks["interface GigabitEthernet0/0/1.10"] == [
        "description management",
        "encapsulation dot1Q 10",
        "ip address 10.10.0.2 255.255.255.0",
        "no shutdown",
    ]
    assert "no ip address" in blocks["interface GigabitEthernet0/0/1"]
    assert not [b for b in blocks if b.startswith(("vlan ", "interface Vlan", "interface Loop"))][
        1:
    ]  # only Loopback0 (router id) remains


def test_router_with_a_switch_module_gets_vlans_and_an_svi() -> None:
    inv = _with(CORE, prefixes=(SITE_PLAN,), data={"modules": ["NIM-ES2-8"]})
    blocks = _blocks(inv, CORE)
    assert "vlan 10" in blocks
    assert "ip address 10.10.0.2 255.255.255.0" in blocks["interface Vlan10"]
    assert "interface Loopback10" not in blocks


def _device(**fields: Any) -> Device:
    base: dict[str, Any] = {
        "hostname": "r1",
        "site": "s",
        "role": "distribution",
        "platform": "cisco_ios",
        "mgmt_ip": "10.10.0.9",
    }
    return Device.model_validate(base | fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"model": "Cisco ISR 4331"}, False),
        ({"model": "Cisco ISR 4331", "data": {"modules": ["NIM-ES2-4"]}}, True),
        ({"model": "Cisco ISR 1921", "data": {"modules": ["EHWIC-4ESG"]}}, True),
        ({"model": "Cisco ISR 4451", "data": {"modules": ["NIM-2T"]}}, False),
        ({"model": "Cisco Catalyst 9300-48P"}, True),
        ({"role": "switch"}, True),
        ({"model": "Cisco ISR 4331", "data": {"switching": True}}, True),
        ({}, False),
    ],
)
def test_switching_is_decided_by_role_model_and_modules(
    fields: dict[str, Any], expected: bool
) -> None:
    from netops.provision.context import switching

    assert switching(_device(**fields)) is expected


def test_management_32s_behind_routeros_gateways_are_routed_and_advertised() -> None:
    """kec-tengah-dist-01 links to RouterOS hotspot gateways, which speak no OSPF: their
    management /32 (on the gateway's loopback) and their access points' are routed to the
    gateway's end of the link and redistributed into OSPF, so the NOC reaches them."""
    city = load_inventory(BANJARMASIN)
    blocks = _blocks(city, "kec-tengah-dist-01")
    gw, ap = city.device("pasar-terapung-siring-hs-01"), city.device("pasar-terapung-siring-ap-01")
    next_hop = "10.20.0.98"  # the gateway's ether1 on the /30 of GigabitEthernet0/15
    for device in (gw, ap):
        route = f"ip route {device.mgmt_ip} 255.255.255.255 {next_hop} name mgmt-{device.hostname}"
        assert route in blocks
    assert "redistribute static subnets" in blocks["router ospf 1"]
    # OSPF neighbours advertise their own management addresses: no static route to them
    core = city.device("cc-core-01")
    assert not [b for b in blocks if b.startswith(f"ip route {core.mgmt_ip} ")]
