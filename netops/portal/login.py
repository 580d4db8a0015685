"""The portal's own check of a login before handing it to the gateway.

The gateway and the RADIUS server decide in the end; the portal checks first so that a
citizen gets a precise message in their language, and so that guessing voucher codes is
rate-limited here (see :class:`netops.portal.security.RateLimiter`). No HTTP in this module.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Literal, Protocol

from netops.inventory.models import Device, Hotspot, Inventory
from netops.portal.allowance import next_midnight
from netops.portal.gateway import (
    GatewayContext,
    UntrustedGateway,
    check_endpoints,
    endpoint_hosts,
)
from netops.store.codes import (
    looks_like_voucher,
    normalise_code,
    normalise_mac,
)
from netops.store.types import Subscriber

Method = Literal["voucher", "user", "free"]
MAX_INPUT = 128


class LoginStore(Protocol):
    """The store methods a login check needs."""

    def lookup(self, username: str, *, reveal: bool = True) -> Subscriber | None: ...

    def check_password(self, sub: Subscriber, password: str) -> bool: ...

    def mac_pseudonym(self, mac: str | None) -> str | None: ...

    def clickthrough_name(self, mac: str, day: date) -> str | None: ...

    def create_clickthrough(
        self,
        mac: str,
        hotspot: str,
        plan: str,
        today: date,
        *,
        valid_until: datetime | None = None,
        rotate: bool = False,
    ) -> tuple[str, str]: ...


@dataclass(frozen=True)
class LoginCheck:
    """Either credentials to hand to the gateway, or an error message key (i18n catalogue).

    ``counts`` says whether a failure counts towards the rate limit (a wrong code does, a
    typo in its shape does not)."""

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    error: str | None = None
    counts: bool = False
    kind: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(error: str, counts: bool = False) -> LoginCheck:
    return LoginCheck(error=error, counts=counts)


def check_voucher(store: LoginStore, code: str, mac: str | None, now: datetime) -> LoginCheck:
    """A voucher code as typed: its shape, then the store (exists, enabled, valid, device)."""
    code = code.strip()[:MAX_INPUT]
    if not code:
        return _fail("error.voucher_empty")
    if not looks_like_voucher(code):
        return _fail("error.voucher_format")
    sub = store.lookup(normalise_code(code))
    if sub is None or sub.kind != "voucher":
        return _fail("error.voucher_unknown", counts=True)
    if not sub.enabled:
        return _fail("error.voucher_revoked", counts=True)
    if sub.expired(now):
        return _fail("error.voucher_expired")
    device = store.mac_pseudonym(mac) if mac else None
    if not sub.shared and sub.bound_mac and device and sub.bound_mac != device:
        return _fail("error.voucher_bound", counts=True)
    # The gateway gets the voucher's derived name and hand-off password, never the code.
    return LoginCheck(username=sub.username, password=sub.clear_password, kind="voucher")


def check_user(store: LoginStore, username: str, password: str) -> LoginCheck:
    """A registered user's name and password (PAP check against the store)."""
    username = username.strip()
    if not username or not password or len(username) > MAX_INPUT or len(password) > MAX_INPUT:
        return _fail("error.credentials_empty")
    sub = store.lookup(username)
    if sub is None or sub.kind != "user":
        return _fail("error.credentials", counts=True)
    if not store.check_password(sub, password):
        return _fail("error.credentials", counts=True)
    if not sub.enabled:
        return _fail("error.account_disabled")
    return LoginCheck(username=sub.username, password=password, kind="user")


def check_clickthrough(
    store: LoginStore,
    *,
    accepted: bool,
    mac: str | None,
    hotspot: Hotspot | None,
    now: datetime,
    zone: tzinfo,
) -> LoginCheck:
    """ "Accept the terms": the device's allowance for today, created on first use.

    The password is fresh on every call (``rotate``): the MAC comes from the browser, so
    naming another phone's MAC must never reveal the password that phone was given. The
    RADIUS server binds the allowance to the MAC the gateway reports, so a fresh password
    for someone else's allowance gets nobody online."""
    if not accepted:
        return _fail("error.terms")
    device = normalise_mac(mac) if mac else None
    if device is None:
        return _fail("error.no_mac")
    if hotspot is None:
        return _fail("error.no_gateway")
    today = now.astimezone(zone).date()
    username, password = store.create_clickthrough(
        device,
        hotspot.id,
        hotspot.plan,
        today,
        valid_until=next_midnight(now, zone),
        rotate=True,
    )
    return LoginCheck(username=username, password=password, kind="clickthrough")


def clickthrough_is_new(store: LoginStore, mac: str | None, now: datetime, zone: tzinfo) -> bool:
    """Whether a click-through for ``mac`` today would add an allowance (a store row)."""
    device = normalise_mac(mac) if mac else None
    if device is None:
        return False
    username = store.clickthrough_name(device, now.astimezone(zone).date())
    return username is not None and store.lookup(username, reveal=False) is None


def resolve_hotspot(inventory: Inventory, ctx: GatewayContext) -> Hotspot | None:
    """Which hotspot the phone is at: an explicit id, the gateway's name, or its address."""
    known = {h.id: h for h in inventory.hotspots}
    for name in ("hotspot", "server-name", "nasid"):
        value = ctx.get(name)
        if value and value in known:
            return known[value]
    for name in ("identity", "nasid"):
        value = ctx.get(name)
        if value:
            at = inventory.hotspots_at(value)
            if len(at) == 1:
                return at[0]
    if ctx.ip:
        try:
            address = ipaddress.ip_address(ctx.ip)
        except ValueError:
            address = None
        for hotspot in inventory.hotspots:
            prefix = hotspot.client_prefix
            if address is not None and prefix is not None and address in prefix:
                return hotspot
    if len(inventory.hotspots) == 1:
        return inventory.hotspots[0]
    return None


def device_addresses(device: Device) -> frozenset[str]:
    """Every address the inventory gives a device: management, NAS, loopback, interfaces."""
    found = {str(device.mgmt_ip), str(device.radius_source)}
    if device.loopback is not None:
        found.add(str(device.loopback.ip))
    for interface in device.interfaces:
        if interface.ip is not None:
            found.add(str(interface.ip.ip))
    return frozenset(found)


def gateway_hosts(inventory: Inventory, hotspot: Hotspot) -> frozenset[str]:
    """The hosts a phone may be sent to with a login for ``hotspot``: its gateway's addresses
    in the inventory and the hotspot's ``dns_name`` (RouterOS puts it in ``link-login-only``)."""
    device = inventory.find_device(hotspot.gateway)
    hosts = set(device_addresses(device)) if device is not None else set()
    if hotspot.client_prefix is not None:
        # The template gives the hotspot the first address of its client prefix.
        hosts.add(str(hotspot.client_prefix.network_address + 1))
    if hotspot.dns_name:
        hosts.add(hotspot.dns_name.lower())
    return frozenset(hosts)


def hotspots_behind(inventory: Inventory, address: str) -> tuple[Hotspot, ...]:
    """The hotspots whose gateway owns ``address``: a request from there comes through that
    gateway's NAT, so it is from one of its phones (the portal sees no other address)."""
    found = []
    for hotspot in inventory.hotspots:
        device = inventory.find_device(hotspot.gateway)
        if device is not None and address in device_addresses(device):
            found.append(hotspot)
    return tuple(found)


def checked_hotspot(inventory: Inventory, ctx: GatewayContext) -> Hotspot | None:
    """The hotspot of a gateway redirect, after checking that every endpoint it names belongs
    to that hotspot's gateway. Raises :class:`UntrustedGateway` otherwise.

    When the parameters do not say which hotspot, the endpoints decide: the one hotspot whose
    gateway owns them (None when several share them, e.g. one ``dns_name`` city-wide)."""
    hosts = endpoint_hosts(ctx)
    hotspot = resolve_hotspot(inventory, ctx)
    if not hosts:
        return hotspot
    if hotspot is not None:
        check_endpoints(ctx, gateway_hosts(inventory, hotspot))
        return hotspot
    owners = []
    for candidate in inventory.hotspots:
        try:
            check_endpoints(ctx, gateway_hosts(inventory, candidate))
        except UntrustedGateway:
            continue
        owners.append(candidate)
    if not owners:
        field = next(iter(hosts))
        raise UntrustedGateway(field, "is not an address of any hotspot gateway")
    return owners[0] if len(owners) == 1 else None
