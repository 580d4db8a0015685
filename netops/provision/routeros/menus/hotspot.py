"""A hotspot gateway's menus: the hotspot bridge and VLANs, DHCP, clients' DNS, NAT, the
hotspot itself with its login page and walled garden; DHCP, DNS and RADIUS have their own
modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from netops.inventory.models import Device, Hotspot, Inventory, Plan
from netops.provision.routeros.menus.common import (
    DEFAULT_HOTSPOT_VLAN,
    NATLOG_PREFIX,
    IntendedStateError,
    _Builder,
    _is_ip,
    _mgmt_vlan,
    _portal,
    client_gateway,
    hotspot_dns_name,
)
from netops.provision.routeros.menus.dhcp import dhcp
from netops.provision.routeros.menus.dns import client_dns
from netops.provision.routeros.menus.radius import radius_clients

#: The login page's form fields: RouterOS fills each ``$(…)`` when it serves the page.
_LOGIN_FIELDS = (
    ("identity", "$(identity)"),
    ("server-name", "$(server-name)"),
    ("link-login-only", "$(link-login-only)"),
    ("link-logout", "$(link-logout)"),
    ("link-status", "$(link-status)"),
    ("link-orig", "$(link-orig)"),
    ("dst", "$(link-orig)"),
    ("mac", "$(mac)"),
    ("ip", "$(ip)"),
    ("chap-id", "$(chap-id)"),
    ("chap-challenge", "$(chap-challenge)"),
    ("error", "$(error)"),
)


def login_page(portal_url: str, hotspot: Hotspot) -> str:
    """The hotspot's ``login.html``: a form that carries the hotspot's ``$(…)`` variables
    (URL-encoded by the browser) to the portal, and a script that keeps the URL's
    ``#fragment`` (a voucher card's code) so it never reaches a server log. Without
    JavaScript the citizen taps the button."""
    from markupsafe import escape

    fields = (("hotspot", hotspot.id), *_LOGIN_FIELDS)
    inputs = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields
    )
    ssid = escape(hotspot.ssid)
    return (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>{ssid}</title></head><body>"
        f'<form name="netops" action="{escape(portal_url)}" method="get">{inputs}'
        f"<noscript><button>{ssid}: masuk</button></noscript></form>"
        "<script>var f=document.forms.netops;f.action+=location.hash;f.submit()</script>"
        "</body></html>"
    )


def _ap_ports(ctx: Mapping[str, Any], hs: Hotspot) -> list[str]:
    return [
        i["name"]
        for i in ctx["interfaces"]
        if i["peer"] and str(i["peer"]).split(":")[0] in hs.access_points
    ]


def _uplink(ctx: Mapping[str, Any]) -> Mapping[str, Any] | None:
    hs_ifaces = {e["hotspot"].interface for e in ctx["hotspots"]}
    aps = {ap for e in ctx["hotspots"] for ap in e["hotspot"].access_points}
    candidates = [
        i
        for i in ctx["interfaces"]
        if i["link"] and i["name"] not in hs_ifaces and str(i["peer"]).split(":")[0] not in aps
    ]
    return next((i for i in candidates if i["peer_ip"]), candidates[0] if candidates else None)


def _hotspot_gateway(
    out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool
) -> None:
    """A hotspot gateway's menus: its one hotspot (bridge, VLANs, DHCP, clients' DNS, NAT,
    the hotspot and its walled garden) and the RADIUS servers it asks."""
    if len(ctx["hotspots"]) > 1:
        names = ", ".join(e["hotspot"].id for e in ctx["hotspots"])
        raise IntendedStateError(
            f"{dev.hostname}: gateway of several hotspots ({names}); the RouterOS intended "
            "state renders one hotspot per gateway"
        )
    uplink = _uplink(ctx)
    if uplink and uplink["peer_ip"]:
        out.add(
            "/ip/route",
            dst_address="0.0.0.0/0",
            gateway=uplink["peer_ip"],
            comment=f"default via {uplink['peer']}",
        )
    for entry in ctx["hotspots"]:
        hs: Hotspot = entry["hotspot"]
        plan: Plan = entry["plan"]
        vlan_if = _hotspot_vlans(out, ctx, inv, dev, hs)
        net = hs.client_prefix
        if net is None:
            raise IntendedStateError(f"{dev.hostname}: hotspot {hs.id} has no client_prefix")
        dhcp(out, inv, hs, plan, vlan_if)
        client_dns(out, inv, hs)
        _source_nat(out, inv, hs, uplink)
        _hotspot(out, inv, hs, plan, vlan_if)
        _walled_garden(out, inv)
    radius_clients(out, ctx, inv, dev, reveal)


def _hotspot_vlans(
    out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, hs: Hotspot
) -> str:
    """The hotspot's bridge with its clients' VLAN (and the access points' management VLAN
    when access points hang on it); the name of the clients' VLAN interface."""
    vid = hs.vlan or DEFAULT_HOTSPOT_VLAN
    bridge, vlan_if = f"br-{hs.id}", f"vlan{vid}-hotspot"
    ap_ports = _ap_ports(ctx, hs)
    access = [
        i["name"]
        for i in ctx["interfaces"]
        if i["name"] == hs.interface and i["name"] not in ap_ports
    ]
    out.add(
        "/interface/bridge",
        name=bridge,
        vlan_filtering="yes",
        comment=f"hotspot {hs.name or hs.id}",
    )
    for i in ctx["interfaces"]:
        if i["name"] in ap_ports or i["name"] in access:
            out.add(
                "/interface/bridge/port",
                bridge=bridge,
                interface=i["name"],
                pvid=vid if i["name"] in access else None,
                comment=str(i["peer"] or "hotspot clients"),
            )
    out.add(
        "/interface/bridge/vlan",
        bridge=bridge,
        vlan_ids=vid,
        tagged=",".join([bridge, *ap_ports]),
        untagged=",".join(access) or None,
    )
    out.add("/interface/vlan", name=vlan_if, interface=bridge, vlan_id=vid, comment=hs.ssid)
    aps = [inv.find_device(name) for name in hs.access_points]
    if ap_ports and any(aps):
        _access_point_management(out, inv, dev, bridge, ap_ports, aps)
    gw_if = dev.interface(hs.interface or "")
    if gw_if is not None and gw_if.ip is not None:
        out.add("/ip/address", address=gw_if.ip, interface=vlan_if, comment=f"hotspot {hs.id}")
    return vlan_if


def _access_point_management(
    out: _Builder,
    inv: Inventory,
    dev: Device,
    bridge: str,
    ap_ports: list[str],
    aps: list[Device | None],
) -> None:
    """The management VLAN towards the access points, and a route to each one's address."""
    mgmt_vid = _mgmt_vlan(inv)
    mgmt_if = f"vlan{mgmt_vid}-mgmt"
    out.add(
        "/interface/bridge/vlan",
        bridge=bridge,
        vlan_ids=mgmt_vid,
        tagged=",".join([bridge, *ap_ports]),
    )
    out.add(
        "/interface/vlan",
        name=mgmt_if,
        interface=bridge,
        vlan_id=mgmt_vid,
        comment="access point management",
    )
    out.add(
        "/ip/address",
        address=f"{dev.mgmt_ip}/32",
        interface=mgmt_if,
        comment="management towards the access points",
    )
    for ap in aps:
        if ap is not None:
            out.add(
                "/ip/route",
                dst_address=f"{ap.mgmt_ip}/32",
                gateway=mgmt_if,
                comment=f"management of {ap.hostname}",
            )


def _source_nat(
    out: _Builder, inv: Inventory, hs: Hotspot, uplink: Mapping[str, Any] | None
) -> None:
    """Masquerade the clients towards the uplink, logging each translation when the NAT log
    is on."""
    nat = {"out_interface": uplink["name"]} if uplink else {}
    if inv.services.natlog.enabled:  # each new connection's translation, for traces
        nat.update(log="yes", log_prefix=NATLOG_PREFIX)
    out.add(
        "/ip/firewall/nat",
        chain="srcnat",
        action="masquerade",
        src_address=hs.client_prefix,
        **nat,
        comment=f"NAT hotspot {hs.id}",
    )


def _hotspot(out: _Builder, inv: Inventory, hs: Hotspot, plan: Plan, vlan_if: str) -> None:
    """The hotspot, its profile (RADIUS for login and accounting) and its login page."""
    url, _, _, _ = _portal(inv)
    gw = client_gateway(hs)
    login = login_page(url, hs)
    out.add("/file", name="hotspot-netops/login.html", contents=login)
    out.add(
        "/ip/hotspot/profile",
        name=f"hsprof-{hs.id}",
        hotspot_address=gw,
        dns_name=hotspot_dns_name(inv, hs),
        html_directory="hotspot-netops",
        login_by="http-chap,http-pap",
        use_radius="yes",
        radius_accounting="yes",
        radius_interim_update=f"{plan.interim_interval // 60}m",
        nas_port_type="wireless-802.11",
        http_cookie_lifetime="1d",
    )
    out.add(
        "/ip/hotspot",
        name=f"hs-{hs.id}",
        interface=vlan_if,
        address_pool=f"pool-{hs.id}",
        profile=f"hsprof-{hs.id}",
        addresses_per_mac="1",
        disabled="no",
    )


def _walled_garden(out: _Builder, inv: Inventory) -> None:
    """What a phone reaches before login: the portal (HTTP walled garden and the IP walled
    garden for its HTTPS port) and the RFC 8908 API when it lives elsewhere."""
    _, portal_host, portal_port, api_uri = _portal(inv)
    out.add(
        "/ip/hotspot/walled-garden",
        dst_host=portal_host,
        action="allow",
        comment="captive portal",
    )
    target = {"dst_address": portal_host} if _is_ip(portal_host) else {"dst_host": portal_host}
    out.add(
        "/ip/hotspot/walled-garden/ip",
        action="accept",
        protocol="tcp",
        dst_port=portal_port,
        **target,
        comment="captive portal",
    )
    api = urlsplit(api_uri) if api_uri else None
    if api is not None and (api.hostname, api.port or 443) != (portal_host, portal_port):
        api_host = api.hostname or ""
        where = {"dst_address": api_host} if _is_ip(api_host) else {"dst_host": api_host}
        out.add(
            "/ip/hotspot/walled-garden/ip",
            action="accept",
            protocol="tcp",
            dst_port=api.port or 443,
            **where,
            comment="captive portal API",
        )
