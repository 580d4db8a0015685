"""The RouterOS input and forward filter rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netops.inventory.models import Device, Inventory
from netops.provision.routeros.menus.common import (
    DEFAULT_HOTSPOT_VLAN,
    DNS_LIST,
    _Builder,
    client_resolvers,
)


def _firewall(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device) -> None:
    api_port = "8728" if inv.meta.lab else "8729"
    rule = "/ip/firewall/filter"
    out.add(
        rule,
        chain="input",
        action="accept",
        connection_state="established,related,untracked",
        comment="established",
    )
    out.add(rule, chain="input", action="drop", connection_state="invalid", comment="invalid")
    out.add(rule, chain="input", action="accept", protocol="icmp", comment="ICMP")
    out.add(
        rule,
        chain="input",
        action="accept",
        protocol="tcp",
        dst_port=f"22,8291,{api_port}",
        src_address_list="netops-mgmt",
        comment="SSH, Winbox and API from management",
    )
    out.add(
        rule,
        chain="input",
        action="accept",
        protocol="udp",
        dst_port="161",
        src_address_list="netops-mgmt",
        comment="SNMP from management",
    )
    radius = ctx["radius"]
    if radius is not None and dev.role == "hotspot-gateway":
        out.add(
            rule,
            chain="input",
            action="accept",
            protocol="udp",
            dst_port=str(radius.coa_port),
            src_address_list="netops-radius",
            comment="RADIUS CoA and Disconnect",
        )
    for entry in ctx["hotspots"]:
        iface = f"vlan{entry['hotspot'].vlan or DEFAULT_HOTSPOT_VLAN}-hotspot"
        out.add(
            rule,
            chain="input",
            action="accept",
            in_interface=iface,
            protocol="udp",
            dst_port="53,67",
            comment="DNS and DHCP for hotspot clients",
        )
        out.add(
            rule,
            chain="input",
            action="accept",
            in_interface=iface,
            protocol="tcp",
            dst_port="53,64872-64875",
            comment="hotspot login",
        )
    out.add(rule, chain="input", action="drop", comment="drop the rest")
    for entry in ctx["hotspots"]:
        hs = entry["hotspot"]
        if not (client_resolvers(inv, hs) and inv.services.client_dns.block_dot):
            continue
        for protocol, reject in (("tcp", "tcp-reset"), ("udp", "icmp-port-unreachable")):
            out.add(
                rule,
                chain="forward",
                action="reject",
                protocol=protocol,
                dst_port="853",
                src_address=hs.client_prefix,
                dst_address_list=f"!{DNS_LIST}",  # DoT to the city's own resolvers is fine
                reject_with=reject,
                comment=f"no DNS over {'TLS' if protocol == 'tcp' else 'QUIC'} from {hs.id}",
            )
