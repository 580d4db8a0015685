"""Find hosts on a site's networks that the inventory does not know (rogue access points,
forgotten devices): an ARP sweep of on-link prefixes and an ICMP sweep of every prefix.

Choosing what to sweep and what counts as known is pure; the sweeps are the I/O edge
(scapy for ARP, :class:`~netops.exporters.icmp.IcmpProber` for ICMP).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field

from netops.errors import NetopsError
from netops.exporters.icmp import IcmpProber
from netops.inventory.models import Inventory

Network = ipaddress.IPv4Network

#: Prefix roles swept by default. Hotspot client prefixes are left out: citizens' phones
#: are expected there and are not devices to inventory.
DEFAULT_ROLES = ("management", "loopback", "p2p", "office", "server")


@dataclass
class FoundHost:
    """A live address: how it was seen, its MAC (ARP), RTT (ICMP) and inventory device."""

    address: str
    mac: str | None = None
    rtt: float | None = None
    device: str | None = None
    methods: set[str] = field(default_factory=set)

    @property
    def known(self) -> bool:
        return self.device is not None


def site_prefixes(inv: Inventory, site: str, roles: Iterable[str] = DEFAULT_ROLES) -> list[Network]:
    """The IPv4 prefixes of ``site`` (by role) to sweep."""
    if site not in {s.id for s in inv.sites}:
        raise NetopsError(f"site {site!r} is not in the inventory")
    wanted = set(roles)
    nets = [
        p.prefix
        for p in inv.prefixes
        if p.site == site and p.role in wanted and isinstance(p.prefix, Network)
    ]
    if not nets:
        raise NetopsError(
            f"site {site} has no IPv4 prefix with role {', '.join(sorted(wanted))} "
            "in the inventory: add one, or pass --prefix"
        )
    return nets


def known_addresses(inv: Inventory) -> dict[str, str]:
    """Every address the inventory assigns, mapped to its device's hostname."""
    known: dict[str, str] = {}
    for device in inv.devices:
        known[str(device.mgmt_ip)] = device.hostname
        if device.nas_ip:
            known[str(device.nas_ip)] = device.hostname
        if device.loopback:
            known[str(device.loopback.ip)] = device.hostname
        for interface in device.interfaces:
            if interface.ip is not None:
                known[str(interface.ip.ip)] = device.hostname
    for prefix in inv.prefixes:
        if prefix.gateway is not None:
            known.setdefault(str(prefix.gateway), f"gateway of {prefix.prefix}")
    return known


def hosts_of(nets: Iterable[Network], limit: int) -> list[str]:
    """Host addresses of ``nets``; refuses sweeps larger than ``limit`` addresses."""
    total = sum(max(1, n.num_addresses - 2) for n in nets)
    if total > limit:
        raise NetopsError(
            f"sweeping {total} addresses is more than the limit of {limit}: "
            "narrow it with --prefix or raise --max-hosts"
        )
    out: list[str] = []
    for net in nets:
        out.extend(
            str(h) for h in (net.hosts() if net.num_addresses > 2 else [net.network_address])
        )
    return list(dict.fromkeys(out))


def _is_local(address: str) -> bool:
    """Whether ``address`` belongs to this host (only local addresses can be bound)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((address, 0))
        except OSError:
            return False
    return True


def _arp_sweep(nets: list[Network], timeout: float) -> tuple[dict[str, str], set[str]]:
    """ARP-sweep the on-link prefixes; returns (address → MAC, this host's own addresses)."""
    from scapy.config import conf
    from scapy.layers.l2 import ARP, Ether
    from scapy.sendrecv import srp

    conf.route.resync()
    found: dict[str, str] = {}
    own: set[str] = set()
    for net in nets:
        probe = str(next(iter(net.hosts()), net.network_address))
        iface, src, gateway = conf.route.route(probe)
        if gateway != "0.0.0.0" or not iface:
            continue  # routed, not on-link: only ICMP can see it
        own.add(str(src))
        answered, _ = srp(
            Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=str(net)),
            iface=iface,
            timeout=timeout,
            verbose=0,
        )
        for _, reply in answered:
            found[str(reply[ARP].psrc)] = str(reply[ARP].hwsrc)
    return found, own


async def sweep(
    inv: Inventory,
    nets: list[Network],
    *,
    arp: bool = True,
    icmp: bool = True,
    timeout: float = 1.0,
    max_hosts: int = 4096,
    concurrency: int = 256,
) -> list[FoundHost]:
    """Every live address in ``nets`` (ARP and/or ICMP), with its inventory device if known."""
    addresses = hosts_of(nets, max_hosts)
    known = known_addresses(inv)
    hosts: dict[str, FoundHost] = {}
    own: set[str] = set()

    async def arp_part() -> None:
        nonlocal own
        found, own = await asyncio.to_thread(_arp_sweep, nets, timeout)
        for address, mac in found.items():
            host = hosts.setdefault(address, FoundHost(address))
            host.mac = mac
            host.methods.add("arp")

    async def icmp_part() -> None:
        prober = IcmpProber()
        gate = asyncio.Semaphore(concurrency)

        async def one(address: str) -> None:
            async with gate:
                result = await prober.probe(address, count=1, timeout=timeout, interval=0)
            if result.success:
                host = hosts.setdefault(address, FoundHost(address))
                host.rtt = result.rtt
                host.methods.add("icmp")

        try:
            await asyncio.gather(*(one(a) for a in addresses))
        finally:
            prober.close()

    parts = ([arp_part()] if arp else []) + ([icmp_part()] if icmp else [])
    await asyncio.gather(*parts)
    wanted = set(addresses)
    result = []
    for address, host in hosts.items():
        if address not in wanted or address in own or _is_local(address):
            continue
        host.device = known.get(address)
        result.append(host)
    return sorted(result, key=lambda h: ipaddress.ip_address(h.address))
