"""Hotspot clients' DNS forced to the city's filtering resolvers (Kominfo TRUST+): what the
gateway's intended state holds, how it plans, and what a hand edit looks like as drift."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import ClientDnsService, Inventory
from netops.provision.routeros import Add, apply, plan
from netops.provision.routeros.intended import intended_state, to_rsc
from tests.paths import BANJARMASIN

KEY = b"k"
GW = "siring-menara-pandang-hs-01"
NET = "10.100.0.0/22"
RESOLVERS = ["10.40.0.2", "10.40.0.3"]


@pytest.fixture(scope="module")
def city() -> Inventory:
    return load_inventory(BANJARMASIN)


def _city_with(
    services: dict[str, Any] | None = None, site: dict[str, Any] | None = None
) -> Inventory:
    city = load_inventory(BANJARMASIN)
    fields = {name: getattr(city, name) for name in type(city).model_fields}
    if services is not None:
        fields["services"] = city.services.model_copy(update=services)
    if site is not None:
        fields["sites"] = tuple(
            s.model_copy(update=site) if s.id == "siring-menara-pandang" else s for s in city.sites
        )
    return Inventory.model_validate(fields)


def _dns_nat(state: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    return [r for r in state.get("/ip/firewall/nat", []) if r["chain"] == "dstnat"]


def test_dhcp_hands_out_the_citys_resolvers_and_the_gateway_forwards_to_them(
    city: Inventory,
) -> None:
    state = intended_state(city.device(GW), city)
    (network,) = state["/ip/dhcp-server/network"]
    assert network["dns-server"] == ",".join(RESOLVERS)
    assert state["/ip/dns"][0]["servers"] == ",".join(RESOLVERS)
    assert [
        e["address"] for e in state["/ip/firewall/address-list"] if e["list"] == "netops-dns"
    ] == RESOLVERS


def test_dns_not_addressed_to_the_resolvers_is_redirected_udp_and_tcp(city: Inventory) -> None:
    """A phone with 8.8.8.8 hard-coded: its port-53 traffic matches (source in the hotspot's
    prefix, destination not in the resolvers' list) and goes to the gateway's DNS, which
    forwards to the resolvers."""
    rules = _dns_nat(intended_state(city.device(GW), city))
    assert [r["protocol"] for r in rules] == ["udp", "tcp"]
    for rule in rules:
        assert rule == {
            "chain": "dstnat",
            "action": "redirect",
            "protocol": rule["protocol"],
            "dst-port": "53",
            "src-address": NET,
            "dst-address-list": "!netops-dns",
            "to-ports": "53",
            "comment": "DNS of siring-menara-pandang to the city's resolvers",
        }
        phone = ipaddress.ip_address("10.100.0.77")
        assert phone in ipaddress.ip_network(rule["src-address"])
        assert "8.8.8.8" not in RESOLVERS  # so the negated list matches it


def test_dns_over_tls_and_quic_are_refused_from_clients(city: Inventory) -> None:
    state = intended_state(city.device(GW), city)
    forward = [r for r in state["/ip/firewall/filter"] if r["chain"] == "forward"]
    assert [(r["protocol"], r["dst-port"], r["action"], r["reject-with"]) for r in forward] == [
        ("tcp", "853", "reject", "tcp-reset"),
        ("udp", "853", "reject", "icmp-port-unreachable"),
    ]
    assert all(r["src-address"] == NET for r in forward)
    assert all(r["dst-address-list"] == "!netops-dns" for r in forward)  # DoT to them is fine


def test_block_dot_false_keeps_the_redirect_but_lets_853_through() -> None:
    inv = _city_with(
        services={
            "client_dns": ClientDnsService.model_validate(
                {"resolvers": RESOLVERS, "block_dot": False}
            )
        }
    )
    state = intended_state(inv.device(GW), inv)
    assert len(_dns_nat(state)) == 2
    assert not [r for r in state["/ip/firewall/filter"] if r["chain"] == "forward"]


def test_a_sites_own_resolvers_replace_the_citys() -> None:
    inv = _city_with(site={"client_dns": (ipaddress.ip_address("10.40.0.53"),)})
    state = intended_state(inv.device(GW), inv)
    assert state["/ip/dhcp-server/network"][0]["dns-server"] == "10.40.0.53"
    assert state["/ip/dns"][0]["servers"] == "10.40.0.53"
    assert [
        e["address"] for e in state["/ip/firewall/address-list"] if e["list"] == "netops-dns"
    ] == ["10.40.0.53"]


def test_without_resolvers_nothing_is_forced() -> None:
    inv = _city_with(services={"client_dns": ClientDnsService()})
    state = intended_state(inv.device(GW), inv)
    assert state["/ip/dhcp-server/network"][0]["dns-server"] == "10.100.0.1"
    assert not _dns_nat(state)
    assert not [r for r in state["/ip/firewall/filter"] if r["chain"] == "forward"]
    assert not [e for e in state["/ip/firewall/address-list"] if e["list"] == "netops-dns"]


def test_planned_onto_the_old_state_it_adds_the_rules_then_converges(city: Inventory) -> None:
    """A gateway pushed before resolvers were set: the plan adds the redirect, the DoT block
    and the list, sets the DHCP network in place, and a second plan is empty."""
    before = _city_with(services={"client_dns": ClientDnsService()})
    old = apply({}, plan({}, intended_state(before.device(GW), before), secret_key=KEY))
    intended = intended_state(city.device(GW), city)
    p = plan(old, intended, secret_key=KEY)
    added = [op for op in p.ops if isinstance(op, Add)]
    assert {op.path for op in added} == {
        "/ip/firewall/nat",
        "/ip/firewall/filter",
        "/ip/firewall/address-list",
    }
    assert not any(op.path == "/ip/dhcp-server/network" for op in added)  # set, not added
    after = apply(old, p)
    assert plan(after, intended, secret_key=KEY).empty
    # A redirect deleted by hand is drift, and comes back.
    edited = {
        **after,
        "/ip/firewall/nat": [r for r in after["/ip/firewall/nat"] if r.get("protocol") != "udp"],
    }
    again = plan(edited, intended, secret_key=KEY)
    assert [(op.path, op.values.get("protocol")) for op in again.ops if isinstance(op, Add)] == [
        ("/ip/firewall/nat", "udp")
    ]


def test_the_rsc_carries_the_redirect_a_person_can_paste(city: Inventory) -> None:
    text = to_rsc(intended_state(city.device(GW), city))
    assert (
        "add chain=dstnat action=redirect protocol=udp dst-port=53 src-address=10.100.0.0/22 "
        'dst-address-list="!netops-dns" to-ports=53' in text
    )
    assert 'dns-server="10.40.0.2,10.40.0.3"' in text
