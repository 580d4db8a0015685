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

from collections.abc import Iterable, Mapping

from netops.inventory.models import Device, Inventory
from netops.provision.context import _ros_quote, context
from netops.provision.routeros.menus.access_point import _access_point, wireless_menu
from netops.provision.routeros.menus.common import (
    CAPTIVE_OPTION,
    DEFAULT_HOTSPOT_VLAN,
    DEFAULT_MGMT_VLAN,
    DNS_LIST,
    NATLOG_PREFIX,
    IntendedStateError,
    _Builder,
    client_resolvers,
    hotspot_dns_name,
)
from netops.provision.routeros.menus.firewall import _firewall
from netops.provision.routeros.menus.hotspot import _hotspot_gateway, login_page
from netops.provision.routeros.menus.system import _base
from netops.provision.routeros.planner import State, fingerprint, mark
from netops.provision.routeros.schema import SCHEMA, Kind

__all__ = [
    "CAPTIVE_OPTION",
    "DEFAULT_HOTSPOT_VLAN",
    "DEFAULT_MGMT_VLAN",
    "DNS_LIST",
    "NATLOG_PREFIX",
    "IntendedStateError",
    "client_resolvers",
    "hotspot_dns_name",
    "intended_state",
    "login_page",
    "to_rsc",
    "wireless_menu",
]


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
