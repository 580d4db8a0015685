"""EOS management reachability: the management /32s of RouterOS hotspot gateways (which speak
no routing protocol) and of their access points, behind an Arista's point-to-point links, are
routed to the gateway's end of the link and redistributed into OSPF. The rendered text is read
back with netutils' EOS parser, as a device's configuration tree."""

from __future__ import annotations

import pytest
from netutils.config.parser import EOSConfigParser

from netops.inventory import load_inventory
from netops.inventory.models import Inventory
from netops.provision.render import render_device
from tests.paths import BANJARMASIN

pytestmark = pytest.mark.timeout(60)

ARISTA = "cc-dc-01"  # the sample city's Arista: Ethernet14/15 go to RouterOS hotspot gateways
GATEWAYS = {  # gateway -> its ether1 on the /30 of cc-dc-01's Ethernet14 / Ethernet15
    "siring-menara-pandang-hs-01": "10.20.0.90",
    "siring-tendean-hs-01": "10.20.0.94",
}


def _blocks(inv: Inventory, hostname: str) -> dict[str, list[str]]:
    """Each top-level line of the rendered config with the lines under it, as EOS reads it."""
    text = render_device(inv, inv.device(hostname)).text
    out: dict[str, list[str]] = {}
    for line in EOSConfigParser(text).config_lines:
        if line.parents:
            out[line.parents[0]].append(line.config_line.strip())
        else:
            out.setdefault(line.config_line, [])
    return out


def _routes(blocks: dict[str, list[str]]) -> set[str]:
    return {b for b in blocks if b.startswith("ip route ")}


def test_management_32s_behind_routeros_gateways_are_routed_and_advertised_on_eos() -> None:
    """Each gateway and each access point of its hotspot gets a /32 via the gateway's end of
    the link; OSPF neighbours (cc-core-01/02 on Ethernet1/2) get none, they advertise their own."""
    city = load_inventory(BANJARMASIN)
    expected = set()
    for gateway, next_hop in GATEWAYS.items():
        aps = [ap for hs in city.hotspots if hs.gateway == gateway for ap in hs.access_points]
        assert aps, f"the sample city's {gateway} has access points"
        for name in (gateway, *aps):
            mgmt = city.device(name).mgmt_ip
            expected.add(f"ip route {mgmt}/32 {next_hop} name mgmt-{name}")
    blocks = _blocks(city, ARISTA)
    assert _routes(blocks) == expected
    assert "redistribute static" in blocks["router ospf 1"]


def test_eos_device_without_routeros_neighbours_gets_no_routes_and_no_redistribution() -> None:
    city = load_inventory(BANJARMASIN)
    links = tuple(
        link for link in city.links if not any(end.device in GATEWAYS for end in link.ends())
    )
    fields = {name: getattr(city, name) for name in type(city).model_fields}
    # validated afresh, so no lookup cached by the loader survives
    inv = Inventory.model_validate(fields | {"links": links})
    blocks = _blocks(inv, ARISTA)
    assert _routes(blocks) == set()
    assert "router ospf 1" in blocks
    assert not [b for b in blocks["router ospf 1"] if b.startswith("redistribute")]
