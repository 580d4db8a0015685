"""A RouterOS device's intended state, rendered from the inventory as data.

This expresses ``templates/mikrotik_routeros/{_base,hotspot-gateway,access-point}.j2`` as
``path → entries`` for the planner, and fixes what the text templates got wrong:

* the hotspot profile's ``dns-name`` is never the portal's host (RouterOS turns it into a
  static DNS entry pointing at the gateway, so phones could no longer reach the portal); it
  is the hotspot's own ``dns_name`` when the inventory has one, else empty;
* the HTTPS portal is reachable before login through ``/ip/hotspot/walled-garden/ip``
  (the HTTP walled garden is matched by the hotspot's HTTP proxy and does not cover HTTPS);
* the only IP walled-garden entry opens the portal's own port (443 for an ``https`` URL),
  not every port of the RADIUS servers (the gateway talks to RADIUS itself; phones never do);
* ``/ip/hotspot/user/profile`` is not rendered: the RADIUS reply carries the plan's rate,
  session and idle limits and no ``Mikrotik-Group``, so a per-plan profile would never be
  selected;
* DHCP option 114 (RFC 8910) hands phones the portal's RFC 8908 API URI;
* an access point's default route is on-net: its management address sits on a management
  VLAN towards its hotspot gateway as a point-to-point ``/32`` whose ``network`` is the
  gateway's management address, and the gateway routes each access point's address onto
  that VLAN;
* clients' DNS is forced to the city's filtering resolvers (``services.client_dns``, a
  site's ``client_dns``; Kominfo's TRUST+ rules): DHCP hands them out, the gateway's own DNS
  forwards to them, DNS addressed anywhere else (a phone set to 8.8.8.8) is redirected to
  the gateway's DNS, and DNS over TLS/QUIC (port 853) is refused so private DNS falls back;
* the default SNMP community is disabled by key, not added twice when netops's community is
  itself named ``public``; the RouterOS API service stays enabled (``api-ssl`` from the
  management networks; plain ``api`` on a lab inventory), since the driver speaks it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from netops.errors import NetopsError
from netops.inventory.models import Device, Hotspot, Inventory
from netops.inventory.secrets import Secret
from netops.provision.context import _ros_quote, context
from netops.provision.routeros.planner import Entry, State, fingerprint, mark
from netops.provision.routeros.schema import SCHEMA, Kind

DEFAULT_MGMT_VLAN = 10
DEFAULT_HOTSPOT_VLAN = 30
CAPTIVE_OPTION = "netops-captive-portal"


class IntendedStateError(NetopsError):
    """The inventory does not describe a RouterOS device netops can render."""


NATLOG_PREFIX = "netops-nat"  # log-prefix and logging action of the source-NAT log
DNS_LIST = "netops-dns"  # address list of the resolvers clients may ask directly


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _secret(secret: Secret | None, reveal: bool, device: str) -> str:
    if secret is None:
        raise IntendedStateError(f"{device}: the intended state needs a secret the inventory lacks")
    return secret.reveal() if reveal else secret.placeholder()


def _rate(bps: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps % size == 0:
            return f"{bps // size}{unit}"
    return str(bps)


class _Builder:
    def __init__(self) -> None:
        self.state: dict[str, list[Entry]] = {}

    def add(self, path: str, **values: Any) -> None:
        entry = {k.replace("_", "-"): str(v) for k, v in values.items() if v is not None}
        self.state.setdefault(path, []).append(entry)

    def settings(self, path: str, **values: Any) -> None:
        entries = self.state.setdefault(path, [{}])
        entries[0].update({k.replace("_", "-"): str(v) for k, v in values.items()})


def _mgmt_vlan(inventory: Inventory) -> int:
    return next(
        (p.vlan for p in inventory.prefixes if p.role == "management" and p.vlan),
        DEFAULT_MGMT_VLAN,
    )


def _portal(inventory: Inventory) -> tuple[str, str, int, str | None]:
    """(URL, host, port, RFC 8908 API URI) of the captive portal. The API URI is
    ``services.portal.api_url``, else the portal's own ``/api/captive`` when the portal is
    HTTPS, else None: RFC 8908 puts the API on HTTPS only, and a phone ignores (or is
    misled by) a plain-HTTP option 114."""
    portal = inventory.services.portal
    parts = urlsplit(portal.url)
    host = portal.host or parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    api: str | None = portal.api_url
    if api is None and parts.scheme == "https":
        api = portal.url.rstrip("/") + "/api/captive"
    return portal.url, host, port, api


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


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def hotspot_dns_name(inventory: Inventory, hotspot: Hotspot) -> str:
    """The hotspot's ``dns-name``: its own when the inventory gives one, else empty; never
    the portal's host."""
    name = str(getattr(hotspot, "dns_name", None) or "")
    _, portal_host, _, _ = _portal(inventory)
    if name and name.lower() == portal_host.lower():
        raise IntendedStateError(
            f"hotspot {hotspot.id}: dns_name {name} is the portal's host; RouterOS would "
            "resolve it to the gateway itself (give the hotspot a name of its own)"
        )
    return name


def client_resolvers(inventory: Inventory, hotspot: Hotspot) -> tuple[ipaddress.IPv4Address, ...]:
    """The resolvers ``hotspot``'s clients must use: its site's ``client_dns``, else the
    city's ``services.client_dns.resolvers``; empty when clients' DNS is not forced."""
    site = inventory.site(hotspot.site)
    return site.client_dns or inventory.services.client_dns.resolvers


def _gateway_resolvers(inv: Inventory, ctx: Mapping[str, Any]) -> tuple[ipaddress.IPv4Address, ...]:
    return next((r for e in ctx["hotspots"] if (r := client_resolvers(inv, e["hotspot"]))), ())


def intended_state(device: Device, inventory: Inventory, *, with_secrets: bool = False) -> State:
    """``device``'s intended RouterOS state (``hotspot-gateway`` or ``access-point``).

    Secrets are placeholders (``<secret:env:NAME>``) unless ``with_secrets``; comments are
    the human part only (the planner adds the ownership marker).
    """
    if device.platform != "mikrotik_routeros":
        raise IntendedStateError(f"{device.hostname}: platform {device.platform} is not RouterOS")
    if device.role not in ("hotspot-gateway", "access-point"):
        raise IntendedStateError(
            f"{device.hostname}: no RouterOS intended state for role {device.role} yet"
        )
    ctx = context(inventory, device)
    out = _Builder()
    _base(out, ctx, inventory, device, with_secrets)
    if device.role == "hotspot-gateway":
        _hotspot_gateway(out, ctx, inventory, device, with_secrets)
    else:
        _access_point(out, ctx, inventory, device)
    _firewall(out, ctx, inventory, device)
    return {path: out.state[path] for path in SCHEMA if path in out.state}


def _base(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device, reveal: bool) -> None:
    svc = inv.services
    sources = ",".join(str(p) for p in ctx["mgmt_sources"])
    out.settings("/system/identity", name=dev.hostname)
    out.settings("/system/clock", time_zone_name=inv.meta.timezone)
    for iface in ctx["interfaces"]:
        if iface["description"] and iface["name"].startswith(("ether", "sfp", "combo", "qsfp")):
            out.add("/interface/ethernet", default_name=iface["name"], comment=iface["description"])
    if dev.role != "access-point":
        out.add("/interface/bridge", name="loopback", comment="management address")
        out.add(
            "/ip/address", address=f"{dev.mgmt_ip}/32", interface="loopback", comment="management"
        )
    for iface in ctx["interfaces"]:
        if iface["ip"] and not iface["vlan"]:
            out.add(
                "/ip/address",
                address=iface["ip"],
                interface=iface["name"],
                comment=iface["description"],
            )
    # A hotspot gateway answers its clients' DNS itself (the hotspot redirects it there), so
    # it forwards to the resolvers the clients must use.
    resolvers = [str(r) for r in _gateway_resolvers(inv, ctx)] or list(svc.dns)
    out.settings(
        "/ip/dns", allow_remote_requests=_yes(bool(ctx["hotspots"])), servers=",".join(resolvers)
    )
    snmp = ctx["snmp"]
    if snmp is not None:
        if snmp.version == "3":
            name = str(snmp.user)
            out.add(
                "/snmp/community",
                name=name,
                security="private",
                addresses=sources,
                read_access="yes",
                write_access="no",
                authentication_protocol="SHA1"
                if snmp.auth == "sha"
                else (snmp.auth or "md5").upper(),
                authentication_password=_secret(snmp.auth_key, reveal, dev.hostname),
                encryption_protocol=(snmp.priv or "aes").upper(),
                encryption_password=_secret(snmp.priv_key, reveal, dev.hostname),
                comment="SNMP polling",
            )
        else:
            name = _secret(snmp.community, reveal, dev.hostname)
            out.add(
                "/snmp/community",
                name=name,
                addresses=sources,
                read_access="yes",
                write_access="no",
                disabled="no",
                comment="SNMP polling",
            )
        plain = snmp.community.raw if snmp.community and not snmp.community.is_reference else None
        if snmp.version == "3" or plain != "public":
            out.add("/snmp/community", name="public", default="yes", disabled="yes")
    out.settings(
        "/snmp",
        enabled="yes",
        contact=inv.meta.name or inv.meta.city,
        location=ctx["site"].name,
        trap_version="3" if snmp is not None and snmp.version == "3" else "2",
    )
    out.settings("/system/ntp/client", enabled="yes")
    for server in svc.ntp:
        out.add("/system/ntp/client/servers", address=server)
    if svc.syslog:
        out.add(
            "/system/logging/action",
            name="netops",
            target="remote",
            remote=svc.syslog[0],
            remote_port="514",
        )
        # The source-NAT log (personal data) goes only to its own receiver, below.
        info = "info,!firewall" if svc.natlog.enabled and ctx["hotspots"] else "info"
        topics = [info, "warning", "error"] + (["hotspot,info,debug"] if ctx["hotspots"] else [])
        for topic in topics:
            out.add("/system/logging", action="netops", topics=topic)
    natlog = svc.natlog
    natlog_host = natlog.host or (svc.syslog[0] if svc.syslog else None)
    if natlog.enabled and ctx["hotspots"] and natlog_host:
        port = natlog.listen.rpartition(":")[2] or "514"
        out.add(
            "/system/logging/action",
            name=NATLOG_PREFIX,
            target="remote",
            remote=natlog_host,
            remote_port=port,
        )
        out.add("/system/logging", action=NATLOG_PREFIX, topics="firewall")
    creds = ctx["credentials"]
    if creds is not None:
        out.add(
            "/user",
            name=creds.username,
            group="full",
            password=_secret(creds.password, reveal, dev.hostname),
            address=sources,
            comment="automation",
        )
    api = "api" if inv.meta.lab else "api-ssl"
    for service in ("telnet", "ftp", "www", "api", "api-ssl"):
        if service != api:
            out.add("/ip/service", name=service, disabled="yes")
    for service in ("ssh", "winbox", api):
        out.add("/ip/service", name=service, address=sources, disabled="no")
    for source in ctx["mgmt_sources"]:
        out.add("/ip/firewall/address-list", list="netops-mgmt", address=source)
    for radius_server in svc.radius.servers:
        out.add("/ip/firewall/address-list", list="netops-radius", address=radius_server)


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
    url, portal_host, portal_port, api_uri = _portal(inv)
    mgmt_vid = _mgmt_vlan(inv)
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
        plan = entry["plan"]
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
        gw_if = dev.interface(hs.interface or "")
        if gw_if is not None and gw_if.ip is not None:
            out.add("/ip/address", address=gw_if.ip, interface=vlan_if, comment=f"hotspot {hs.id}")
        net = hs.client_prefix
        if net is None:
            raise IntendedStateError(f"{dev.hostname}: hotspot {hs.id} has no client_prefix")
        gw = net.network_address + 1
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
                src_address=net,
                dst_address_list=f"!{DNS_LIST}",
                to_ports="53",
                comment=f"DNS of {hs.id} to the city's resolvers",
            )
        nat = {"out_interface": uplink["name"]} if uplink else {}
        if inv.services.natlog.enabled:  # each new connection's translation, for traces
            nat.update(log="yes", log_prefix=NATLOG_PREFIX)
        out.add(
            "/ip/firewall/nat",
            chain="srcnat",
            action="masquerade",
            src_address=net,
            **nat,
            comment=f"NAT hotspot {hs.id}",
        )
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
    radius = ctx["radius"]
    if radius is not None:
        rsvc = inv.services.radius
        for n, server in enumerate(rsvc.servers, 1):
            out.add(
                "/radius",
                address=server,
                service="hotspot",
                secret=_secret(radius.secret, reveal, dev.hostname),
                authentication_port=rsvc.auth_port,
                accounting_port=rsvc.acct_port,
                src_address=dev.radius_source,
                timeout="3s",
                require_message_auth="no"
                if radius.require_message_authenticator == "no"
                else "yes-for-request-resp",
                comment=f"RADIUS {n}",
            )
        out.settings("/radius/incoming", accept="yes", port=radius.coa_port)


def wireless_menu(version: str | None) -> str:
    """``wireless`` for RouterOS 6 (``/interface/wireless``), ``wifi`` for 7 and for a
    version not known yet (``/interface/wifi``, RouterOS 7.13 and later)."""
    return "wireless" if (version or "").strip().startswith("6") else "wifi"


def _access_point(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device) -> None:
    """RouterOS v7 ``/interface/wifi`` (datapath puts clients on the hotspot VLAN), or v6
    ``/interface/wireless`` (the radio an untagged bridge port in the hotspot VLAN) when the
    inventory pins a 6.x ``api.version`` or the device's ``data.wireless`` says
    ``wireless``. Management on its own VLAN."""
    uplink = next((i for i in ctx["interfaces"] if i["link"]), None)
    mgmt_vid = _mgmt_vlan(inv)
    mgmt_if = f"vlan{mgmt_vid}-mgmt"
    out.add("/interface/bridge", name="br-ap", vlan_filtering="yes", comment="access point")
    if uplink:
        out.add(
            "/interface/bridge/port",
            bridge="br-ap",
            interface=uplink["name"],
            comment=str(uplink["peer"] or "uplink"),
        )
    trunk = ",".join(["br-ap", *([uplink["name"]] if uplink else [])])
    gateway: Device | None = None
    wireless = str(dev.data.get("wireless", wireless_menu(dev.api.version)))
    radios: list[str] = []
    for entry in ctx["ap_hotspots"]:
        hs: Hotspot = entry["hotspot"]
        gateway = gateway or entry["gateway"]
        vid = hs.vlan or DEFAULT_HOTSPOT_VLAN
        if wireless == "wireless":
            for radio in ("wlan1", "wlan2"):
                if dev.interface(radio) is not None or radio == "wlan1":
                    out.add(
                        "/interface/wireless",
                        default_name=radio,
                        ssid=hs.ssid,
                        mode="ap-bridge",
                        country="indonesia",
                        disabled="no",
                        comment=f"{hs.ssid} {radio}",
                    )
                    out.add(
                        "/interface/bridge/port",
                        bridge="br-ap",
                        interface=radio,
                        pvid=vid,
                        comment=hs.ssid,
                    )
                    radios.append(radio)
        else:
            out.add(
                "/interface/wifi/datapath",
                name=f"dp-{hs.id}",
                bridge="br-ap",
                vlan_id=vid,
                client_isolation="yes",
            )
            out.add(
                "/interface/wifi/security",
                name=f"sec-{hs.id}",
                authentication_types="",
                comment="open network: login on the portal",
            )
            out.add(
                "/interface/wifi/configuration",
                name=f"cfg-{hs.id}",
                ssid=hs.ssid,
                country="Indonesia",
                mode="ap",
                datapath=f"dp-{hs.id}",
                security=f"sec-{hs.id}",
                chains="0,1",
                tx_chains="0,1",
            )
            for radio, band in (("wifi1", "2.4 GHz"), ("wifi2", "5 GHz")):
                out.add(
                    "/interface/wifi",
                    default_name=radio,
                    configuration=f"cfg-{hs.id}",
                    disabled="no",
                    comment=f"{hs.ssid} {band}",
                )
        untagged = ",".join(radios) or None
        out.add(
            "/interface/bridge/vlan", bridge="br-ap", vlan_ids=vid, tagged=trunk, untagged=untagged
        )
        break  # one SSID per radio: the first hotspot this access point serves
    out.add("/interface/bridge/vlan", bridge="br-ap", vlan_ids=mgmt_vid, tagged=trunk)
    out.add(
        "/interface/vlan", name=mgmt_if, interface="br-ap", vlan_id=mgmt_vid, comment="management"
    )
    if gateway is None:
        out.add("/ip/address", address=f"{dev.mgmt_ip}/32", interface=mgmt_if, comment="management")
        out.add(
            "/ip/route",
            dst_address="0.0.0.0/0",
            gateway=ctx["mgmt_gateway"],
            comment="management gateway",
        )
        return
    out.add(
        "/ip/address",
        address=f"{dev.mgmt_ip}/32",
        network=gateway.mgmt_ip,
        interface=mgmt_if,
        comment=f"management, point-to-point to {gateway.hostname}",
    )
    out.add(
        "/ip/route",
        dst_address="0.0.0.0/0",
        gateway=gateway.mgmt_ip,
        comment=f"default via {gateway.hostname}",
    )


# --- RouterOS script --------------------------------------------------------------------


def _words(entry: Mapping[str, str], skip: Iterable[str] = ()) -> str:
    omit = {".id", *skip}
    return " ".join(f"{k}={_ros_quote(v)}" for k, v in entry.items() if k not in omit)


def to_rsc(state: State, *, title: str | None = None, secret_key: bytes | None = None) -> str:
    """A RouterOS script (``.rsc``) of ``state`` for a person to read or paste onto a freshly
    reset device: menus in schema order, settings as ``set``, fixed and built-in entries as
    ``set [ find … ]``, the rest as ``add`` with netops's ownership marker in ``comment``.
    With ``secret_key`` (and revealed secrets) the marker carries the secrets' fingerprint,
    so the first plan after pasting does not send them again."""
    lines = [f"# {title}" if title else "# intended state rendered by netops"]
    paths = [p for p in SCHEMA if p in state] + [p for p in state if p not in SCHEMA]
    for path in paths:
        entries = state[path]
        if not entries:
            continue
        ps = SCHEMA.get(path)
        lines.append("/" + path[1:].replace("/", " "))
        for entry in entries:
            if ps is None:
                lines.append(f"add {_words(entry)}")
                continue
            if ps.kind is Kind.SETTINGS:
                lines.append(f"set {_words(entry)}")
                continue
            key = ps.keys[0] if ps.keys else ""
            if entry.get("default") in ("yes", "true"):
                rest = _words(entry, skip=[*ps.keys, "default"])
                lines.append(f"set [ find default=yes ] {rest}".rstrip())
                continue
            if ps.fixed:
                where = f"{key}={_ros_quote(entry[key])}"
                rest = _words(entry, skip=[key])
                lines.append(f"set [ find {where} ] {rest}".rstrip())
                continue
            values = dict(entry)
            if ps.marker:
                secrets = {k: v for k, v in entry.items() if k in ps.write_only}
                fp = fingerprint(secret_key, path, secrets) if secret_key and secrets else None
                values[ps.marker] = mark(values.get(ps.marker, ""), fp)
            lines.append(f"add {_words(values)}")
    return "\n".join(lines) + "\n"
