"""Clients' DNS forced to the city's filtering resolvers: the resolvers' address list, and
DNS addressed anywhere else redirected to the gateway's own DNS (which forwards to them)."""

from __future__ import annotations

from netops.inventory.models import Hotspot, Inventory
from netops.provision.routeros.menus.common import DNS_LIST, _Builder, client_resolvers


def client_dns(out: _Builder, inv: Inventory, hs: Hotspot) -> None:
    """The redirect of ``hs``'s clients' DNS; nothing when their DNS is not forced."""
    resolvers = client_resolvers(inv, hs)
    for resolver in resolvers:
        if {"list": DNS_LIST, "address": str(resolver)} not in out.state.get(
            "/ip/firewall/address-list", []
        ):
            out.add("/ip/firewall/address-list", list=DNS_LIST, address=resolver)
    for protocol in ("udp", "tcp") if resolvers else ():
        out.add(
            "/ip/firewall/nat",
            chain="dstnat",
            action="redirect",
            protocol=protocol,
            dst_port="53",
            src_address=hs.client_prefix,
            dst_address_list=f"!{DNS_LIST}",
            to_ports="53",
            comment=f"DNS of {hs.id} to the city's resolvers",
        )
