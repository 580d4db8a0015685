"""What a device's configuration is rendered from: everything the inventory says about it,
as one mapping (:func:`context`), and RouterOS quoting. Pure: no I/O.

Shared by the Jinja2 templates (:mod:`netops.provision.render`) and the RouterOS intended
state (:mod:`netops.provision.routeros.intended`).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from netops.inventory.models import Device, Interface, Inventory, Link, Prefix

#: Device models that switch in hardware, so VLANs and SVIs (``interface VlanN``) exist.
_SWITCH_MODELS = re.compile(
    r"catalyst|nexus|\bws-c|\bc9[23]\d\d|\bc3[68]50|\bc2960|\bie-?\d{4}", re.I
)
#: Modules that give a router (ISR) an Ethernet switch, and with it VLANs and SVIs:
#: EHWIC-4ESG/-8ESG, HWIC-4ESW/-D-9ESW, NIM-ES2-4/-8, SM-X-ES3-16-P, SM-ES2/ES3.
_SWITCH_MODULES = re.compile(
    r"^(EHWIC-\d+ESG|HWIC-(D-)?\d+ESW|NIM-ES2-|SM-X-ES\d|SM-ES\d|SM-D-ES\d)", re.I
)


def _ros_quote(value: Any) -> str:
    """A RouterOS value, quoted when it holds spaces or specials."""
    text = str(value)
    if text and all(c.isalnum() or c in "-_./:@" for c in text):
        return text
    return f'"{_ros_escape(text)}"'


def _ros_escape(text: str) -> str:
    """``text`` as it reads inside a quoted RouterOS value."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")


def link_description(inventory: Inventory, device: Device, interface: Interface) -> str | None:
    """``far-end, medium capacity[, note]`` (or ``provider circuit, …`` for a leased uplink),
    else the interface's own description. Commas, not ``|``: FRR's vtysh reads ``|`` as a pipe."""
    link: Link | None = inventory.link_at(device.hostname, interface.name)
    if link is None:
        return interface.description
    capacity = _capacity(link.capacity_mbps)
    if link.is_uplink:
        parts = [
            f"{link.provider} {link.circuit_id}".strip() if link.circuit_id else str(link.provider),
            f"{link.medium} {capacity}",
        ]
    else:
        parts = [link.far_end(device.hostname, interface.name), f"{link.medium} {capacity}"]
    if link.description:
        parts.append(link.description)
    return ", ".join(parts)


def _p2p_peer(iface: Interface) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The other address of a /30 or /31 (point-to-point) interface."""
    if iface.ip is None or iface.ip.network.num_addresses not in (2, 4):
        return None
    return next((h for h in iface.ip.network.hosts() if h != iface.ip.ip), None)


def _capacity(mbps: float) -> str:
    if mbps >= 1000 and mbps % 1000 == 0:
        return f"{mbps / 1000:g}G"
    return f"{mbps:g}M"


def switching(device: Device) -> bool:
    """Whether ``device`` has an Ethernet switch, and so VLANs and SVIs: a ``switch``, a
    switch model (Catalyst, Nexus, …), or a router whose ``data.modules`` lists a switch
    module (EHWIC-…ESG, NIM-ES2-…, SM-X-ES3-…). ``data.switching`` (true/false) overrides."""
    explicit = device.data.get("switching")
    if isinstance(explicit, bool):
        return explicit
    if device.role == "switch" or (device.model and _SWITCH_MODELS.search(device.model)):
        return True
    modules = device.data.get("modules") or ()
    return any(_SWITCH_MODULES.match(str(m)) for m in modules)


def management_prefix(inventory: Inventory, device: Device) -> Prefix | None:
    """The management prefix ``device``'s address sits in: the most specific one, a prefix of
    the device's own site before a city-wide one of the same length; never another site's."""
    candidates = [
        p
        for p in inventory.prefixes
        if p.role == "management"
        and p.site in (None, device.site)
        and p.prefix.version == device.mgmt_ip.version
        and device.mgmt_ip in p.prefix
    ]
    return max(candidates, key=lambda p: (p.prefix.prefixlen, p.site is not None), default=None)


def management_routes(inventory: Inventory, device: Device) -> list[dict[str, Any]]:
    r"""Static ``/32`` routes to the management addresses behind ``device``'s point-to-point
    links to devices that speak no routing protocol (no OSPF interface: a RouterOS hotspot
    gateway), and to the access points behind such a gateway: each via the far end's
    address on the link. Without them nothing upstream knows those ``/32``\ s."""
    routes: list[dict[str, Any]] = []
    seen: set[str] = set()
    for iface in device.interfaces:
        link = inventory.link_at(device.hostname, iface.name)
        if link is None or link.is_uplink or iface.ip is None:
            continue
        far_host, _, far_port = str(link.far_end(device.hostname, iface.name)).partition(":")
        far = inventory.find_device(far_host)
        far_if = far.interface(far_port) if far else None
        if far is None or far_if is None or far_if.ip is None:
            continue
        if any(i.ospf_area for i in far.interfaces) or far_if.ip.ip not in iface.ip.network:
            continue
        behind = [far] + [
            ap
            for hs in inventory.hotspots
            if hs.gateway == far.hostname
            for ap in (inventory.find_device(name) for name in hs.access_points)
            if ap is not None
        ]
        for target in behind:
            if target.mgmt_ip in iface.ip.network or str(target.mgmt_ip) in seen:
                continue
            seen.add(str(target.mgmt_ip))
            routes.append(
                {"address": target.mgmt_ip, "next_hop": far_if.ip.ip, "name": target.hostname}
            )
    return routes


def context(inventory: Inventory, device: Device) -> dict[str, Any]:
    """Everything a template may read about ``device``, derived from the inventory only."""
    svc = inventory.services
    interfaces = []
    for iface in device.interfaces:
        link = inventory.link_at(device.hostname, iface.name)
        interfaces.append(
            {
                "name": iface.name,
                "description": link_description(inventory, device, iface),
                "ip": iface.ip,
                "vlan": iface.vlan,
                "mode": iface.mode,
                "vlans": iface.vlans,
                "ospf_area": iface.ospf_area,
                "shutdown": iface.shutdown,
                "speed_mbps": iface.speed_mbps,
                "link": link,
                "uplink": bool(link and link.is_uplink),
                "peer": link.far_end(device.hostname, iface.name) if link else None,
                "peer_ip": _p2p_peer(iface),
            }
        )
    ospf_data = dict(device.data.get("ospf", {}))
    ospf_ifaces = [i for i in interfaces if i["ospf_area"] and i["ip"]]
    router_id = device.loopback.ip if device.loopback else device.mgmt_ip
    hotspots = []
    for hs in inventory.hotspots_at(device.hostname):
        hotspots.append({"hotspot": hs, "plan": inventory.plan(hs.plan)})
    ap_hotspots = [
        {"hotspot": hs, "plan": inventory.plan(hs.plan), "gateway": inventory.device(hs.gateway)}
        for hs in inventory.hotspots
        if device.hostname in hs.access_points
    ]
    site = inventory.site(device.site)
    vlans = [v for v in inventory.vlans if v.site in (None, device.site)]
    mgmt_prefixes = [p for p in inventory.prefixes if p.role == "management"]
    server_prefixes = [p for p in inventory.prefixes if p.role == "server"]
    mgmt_sources = [p.prefix for p in (*mgmt_prefixes, *server_prefixes)]
    mgmt_prefix = management_prefix(inventory, device)
    mgmt_net = mgmt_prefix.prefix if mgmt_prefix else ipaddress.ip_network(device.mgmt_ip)
    mgmt_gateway = (mgmt_prefix.gateway if mgmt_prefix else None) or next(
        iter(mgmt_net.hosts()), device.mgmt_ip
    )
    mgmt_vid = (mgmt_prefix.vlan if mgmt_prefix else None) or next(
        (v.id for v in vlans if v.name == "mgmt"), None
    )
    mgmt_vlan = next((v for v in vlans if v.id == mgmt_vid), None) or next(
        (v for v in vlans if v.name == "mgmt"), None
    )
    mgmt_vid = mgmt_vlan.id if mgmt_vlan else mgmt_vid
    mgmt_trunk = next(
        (
            i
            for i in device.interfaces
            if i.mode == "trunk" and (not i.vlans or mgmt_vid in i.vlans)
        ),
        None,
    )
    mgmt_addressed = device.mgmt_ip in (
        *(i.ip.ip for i in device.interfaces if i.ip),
        *((device.loopback.ip,) if device.loopback else ()),
    )
    return {
        "device": device,
        "hostname": device.hostname,
        "site": site,
        "inventory": inventory,
        "meta": inventory.meta,
        "services": svc,
        "interfaces": interfaces,
        "ospf": {
            "area": svc.ospf_area,
            "router_id": router_id,
            "interfaces": ospf_ifaces,
            "hello_interval": ospf_data.get("hello_interval"),
            "dead_interval": ospf_data.get("dead_interval"),
            "enabled": bool(ospf_ifaces),
        },
        "loopback": device.loopback,
        "credentials": inventory.credentials.get(device.credentials or ""),
        "snmp": inventory.snmp.get(device.snmp or ""),
        "radius": inventory.radius.get(device.radius or ""),
        "hotspots": hotspots,
        "ap_hotspots": ap_hotspots,
        "vlans": vlans,
        "mgmt_sources": mgmt_sources,
        "mgmt_net": mgmt_net,
        "mgmt_vlan": mgmt_vlan,
        "mgmt_trunk": mgmt_trunk,
        "mgmt_addressed": mgmt_addressed,
        "mgmt_routes": management_routes(inventory, device),
        "switching": switching(device),
        "mgmt_gateway": mgmt_gateway,
        "data": device.data,
        "ipaddress": ipaddress,
    }
