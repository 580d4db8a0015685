"""A hotspot's DHCP: the clients' pool and server, their gateway and resolvers, and option
114 (RFC 8910) with the portal's RFC 8908 API URI."""

from __future__ import annotations

from netops.inventory.models import Hotspot, Inventory, Plan
from netops.provision.routeros.menus.common import (
    CAPTIVE_OPTION,
    _Builder,
    _portal,
    client_gateway,
    client_network,
    client_resolvers,
)


def dhcp(out: _Builder, inv: Inventory, hs: Hotspot, plan: Plan, vlan_if: str) -> None:
    """DHCP for ``hs``'s clients on ``vlan_if``; a lease lasts the plan's session."""
    net = client_network(hs)
    gw = client_gateway(hs)
    _, _, _, api_uri = _portal(inv)
    lease = f"{plan.session_timeout // 60}m" if plan.session_timeout else "1h"
    out.add(
        "/ip/pool",
        name=f"pool-{hs.id}",
        ranges=f"{net.network_address + 10}-{net.broadcast_address - 1}",
    )
    out.add(
        "/ip/dhcp-server",
        name=f"dhcp-{hs.id}",
        interface=vlan_if,
        address_pool=f"pool-{hs.id}",
        lease_time=lease,
    )
    if api_uri is not None and not any(
        o["name"] == CAPTIVE_OPTION for o in out.state.get("/ip/dhcp-server/option", [])
    ):
        out.add("/ip/dhcp-server/option", name=CAPTIVE_OPTION, code="114", value=f"'{api_uri}'")
    offered = {"dhcp_option": CAPTIVE_OPTION} if api_uri is not None else {}
    resolvers = client_resolvers(inv, hs)
    out.add(
        "/ip/dhcp-server/network",
        address=net,
        gateway=gw,
        dns_server=",".join(str(r) for r in resolvers) or gw,
        **offered,
        comment=hs.ssid,
    )
