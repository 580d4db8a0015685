"""What every RouterOS menu builder shares: the state builder, value formats, the portal's
address and the clients' resolvers."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from netops.errors import NetopsError
from netops.inventory.models import Hotspot, Inventory
from netops.inventory.secrets import Secret
from netops.provision.routeros.planner import Entry

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


def client_network(hotspot: Hotspot) -> ipaddress.IPv4Network:
    """``hotspot``'s client prefix, which a RouterOS hotspot cannot do without."""
    if hotspot.client_prefix is None:
        raise IntendedStateError(f"hotspot {hotspot.id} has no client_prefix")
    return hotspot.client_prefix


def client_gateway(hotspot: Hotspot) -> ipaddress.IPv4Address:
    """The gateway's address among ``hotspot``'s clients: the first of its client prefix."""
    return client_network(hotspot).network_address + 1


def client_resolvers(inventory: Inventory, hotspot: Hotspot) -> tuple[ipaddress.IPv4Address, ...]:
    """The resolvers ``hotspot``'s clients must use: its site's ``client_dns``, else the
    city's ``services.client_dns.resolvers``; empty when clients' DNS is not forced."""
    site = inventory.site(hotspot.site)
    return site.client_dns or inventory.services.client_dns.resolvers


def _gateway_resolvers(inv: Inventory, ctx: Mapping[str, Any]) -> tuple[ipaddress.IPv4Address, ...]:
    return next((r for e in ctx["hotspots"] if (r := client_resolvers(inv, e["hotspot"]))), ())
