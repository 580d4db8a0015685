"""The city's inventory as typed, immutable records.

These models are the interface every subsystem reads. They hold no I/O: the loader builds
them from YAML, the validator checks references between them.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from netops.inventory.privacy import DAY as DAY
from netops.inventory.privacy import DataProtectionOfficer as DataProtectionOfficer
from netops.inventory.privacy import Privacy as Privacy
from netops.inventory.privacy import Retention as Retention
from netops.inventory.records import _ID
from netops.inventory.records import BitRate as BitRate
from netops.inventory.records import Bytes as Bytes
from netops.inventory.records import Origin as Origin
from netops.inventory.records import Record as Record
from netops.inventory.records import Seconds as Seconds
from netops.inventory.secrets import Secret
from netops.inventory.services import ClientDnsService as ClientDnsService
from netops.inventory.services import NatLogService as NatLogService
from netops.inventory.services import PhoneLimitsSettings as PhoneLimitsSettings
from netops.inventory.services import PortalService as PortalService
from netops.inventory.services import RadiusService as RadiusService
from netops.inventory.services import Services as Services
from netops.inventory.services import SmsService as SmsService

SiteKind = Literal["command-centre", "office", "kecamatan", "kelurahan", "hotspot", "pop"]
Role = Literal["core", "distribution", "switch", "hotspot-gateway", "access-point"]
Medium = Literal["fiber", "wireless", "leased"]
LinkRole = Literal["primary", "backup"]
PrefixRole = Literal["management", "loopback", "p2p", "office", "hotspot", "server", "public"]
Language = Literal["id", "en"]

# --- profiles ---------------------------------------------------------------------------------


class Credentials(Record):
    """Login to a device: SSH/API user, password and (Cisco) enable secret."""

    username: str
    password: Secret
    enable_secret: Secret | None = None


class SnmpProfile(Record):
    """How to poll a device: v2c with a community, or v3 USM (authPriv recommended)."""

    version: Literal["2c", "3"]
    community: Secret | None = None
    user: str | None = None
    auth: Literal["md5", "sha", "sha224", "sha256", "sha384", "sha512"] | None = None
    auth_key: Secret | None = None
    priv: Literal["des", "aes", "aes192", "aes256"] | None = None
    priv_key: Secret | None = None
    port: int = Field(default=161, ge=1, le=65535)
    timeout: float = Field(default=2.0, gt=0)
    retries: int = Field(default=1, ge=0, le=10)

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _complete(self) -> SnmpProfile:
        if self.version == "2c" and self.community is None:
            raise ValueError("an SNMP v2c profile needs a community")
        if self.version == "3":
            if not self.user:
                raise ValueError("an SNMP v3 profile needs a user")
            if self.auth and self.auth_key is None:
                raise ValueError("an SNMP v3 profile with auth needs auth_key")
            if self.priv and (self.priv_key is None or not self.auth):
                raise ValueError("an SNMP v3 profile with priv needs priv_key and auth")
        return self

    @property
    def security_level(self) -> str:
        """USM level: noAuthNoPriv, authNoPriv or authPriv (v3 only)."""
        if self.priv:
            return "authPriv"
        return "authNoPriv" if self.auth else "noAuthNoPriv"


class RadiusProfile(Record):
    """A NAS's RADIUS settings: shared secret and the BlastRADIUS hardening knobs."""

    secret: Secret
    require_message_authenticator: Literal["yes", "no", "auto"] = "auto"
    limit_proxy_state: Literal["yes", "no", "auto"] = "auto"
    coa_port: int = Field(default=3799, ge=1, le=65535)
    language: Language = "id"

    @field_validator("require_message_authenticator", "limit_proxy_state", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value


class Timeouts(Record):
    """Connection and command timeouts, seconds."""

    connect: float = Field(default=10.0, gt=0)
    command: float = Field(default=30.0, gt=0)


class ApiAccess(Record):
    """How netops reaches a device's management API (RouterOS: API-SSL on 8729 by default,
    plain API on 8728 with ``tls: false``). ``version`` pins the RouterOS version
    (``6.49``, ``7.16``) instead of reading it from ``/system/resource``; ``ca_file`` is the
    certificate authority that signed the device's API-SSL certificate (without it the
    system's authorities are used; ``tls_verify: false`` accepts any certificate)."""

    port: int | None = Field(default=None, ge=1, le=65535)
    tls: bool = True
    tls_verify: bool = True
    ca_file: str | None = None
    version: str | None = Field(default=None, pattern=r"^[67]\.\d+")

    @property
    def effective_port(self) -> int:
        return self.port or (8729 if self.tls else 8728)


# --- topology ---------------------------------------------------------------------------------


class Location(Record):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Site(Record):
    """A place the city's network reaches."""

    id: str = Field(pattern=_ID)
    name: str
    kind: SiteKind
    location: Location | None = None
    address: str | None = None
    kecamatan: str | None = None
    tags: tuple[str, ...] = ()
    client_dns: tuple[ipaddress.IPv4Address, ...] = Field(
        default=(),
        description="This site's clients' resolvers, instead of services.client_dns.resolvers.",
    )


class Interface(Record):
    """A device port. ``ip`` is an address with prefix length (``10.0.0.1/30``)."""

    name: str
    description: str | None = None
    ip: ipaddress.IPv4Interface | ipaddress.IPv6Interface | None = None
    vlan: int | None = Field(default=None, ge=1, le=4094)
    mode: Literal["routed", "access", "trunk"] | None = None
    vlans: tuple[int, ...] = ()
    ospf_area: str | None = None
    shutdown: bool = False
    speed_mbps: int | None = Field(default=None, gt=0)


class Device(Record):
    """A router, switch or access point. Fields left out come from its groups and defaults."""

    hostname: str = Field(pattern=_ID)
    site: str
    role: Role
    platform: str
    mgmt_ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    groups: tuple[str, ...] = ()
    model: str | None = None
    serial: str | None = None
    interfaces: tuple[Interface, ...] = ()
    credentials: str | None = None
    snmp: str | None = None
    radius: str | None = None
    nas_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    loopback: ipaddress.IPv4Interface | None = None
    ssh_port: int = Field(default=22, ge=1, le=65535)
    snmp_port: int | None = Field(default=None, ge=1, le=65535)
    timeouts: Timeouts = Timeouts()
    api: ApiAccess = ApiAccess()
    data: dict[str, Any] = Field(default_factory=dict)
    tags: tuple[str, ...] = ()
    nat_public: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...] = Field(
        default=(),
        description="Public addresses this gateway source-NATs its clients to (what the "
        "internet, and a police request, sees); `netops privacy trace` finds the gateway by them.",
    )

    def interface(self, name: str) -> Interface | None:
        return next((i for i in self.interfaces if i.name == name), None)

    @property
    def radius_source(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """The address RADIUS packets from this NAS come from."""
        return self.nas_ip or self.mgmt_ip


class Endpoint(BaseModel):
    """One end of a link: ``device:interface``."""

    model_config = ConfigDict(frozen=True)

    device: str
    interface: str

    def __str__(self) -> str:
        return f"{self.device}:{self.interface}"


def _endpoint(value: Any) -> Any:
    if isinstance(value, str):
        device, sep, interface = value.partition(":")
        if not sep or not device or not interface:
            raise ValueError(f"link end {value!r} must be written device:interface")
        return {"device": device, "interface": interface}
    return value


EndpointField = Annotated[Endpoint, BeforeValidator(_endpoint)]


class SlaCredit(Record):
    """One band of an SLA's credit table: measured availability below ``below`` percent
    earns ``percent`` of the monthly fee back (the lowest band reached applies)."""

    below: float = Field(gt=0, le=100)
    percent: float = Field(gt=0, le=100)


class Sla(Record):
    """What a provider promises for a leased circuit: monthly availability (percent, outside
    declared maintenance) and the credit owed when it is missed."""

    availability: float = Field(gt=0, le=100)
    credit: tuple[SlaCredit, ...] = ()

    @model_validator(mode="after")
    def _bands(self) -> Sla:
        belows = [band.below for band in self.credit]
        if len(set(belows)) != len(belows):
            raise ValueError("sla.credit: two bands start at the same availability")
        if any(b > self.availability for b in belows):
            raise ValueError("sla.credit: a band starts above the promised availability")
        ordered = sorted(self.credit, key=lambda band: -band.below)
        if any(x.percent > y.percent for x, y in pairwise(ordered)):
            raise ValueError("sla.credit: a lower availability must not earn a smaller credit")
        return self

    def credit_percent(self, measured: float) -> float:
        """Percent of the monthly fee owed at ``measured`` percent availability."""
        reached = [band.percent for band in self.credit if measured < band.below]
        return max(reached, default=0.0)


class Link(Record):
    """A cable, radio hop or leased circuit. A leased uplink has one end and a provider.

    A leased uplink is a ``primary`` (carries traffic) or a ``backup`` (idle until the
    primary it stands in for, ``backup_for``, fails; sized for that primary's load or for
    ``failover_mbps`` when the city declares it). ``probe`` is an address beyond the circuit
    (the provider's gateway) that the ICMP probes ping to measure its availability; ``sla``
    is what the contract promises.
    """

    a: EndpointField
    b: EndpointField | None = None
    provider: str | None = None
    circuit_id: str | None = None
    medium: Medium
    capacity_mbps: float = Field(gt=0)
    monthly_cost_idr: int | None = Field(default=None, ge=0)
    description: str | None = None
    role: LinkRole = "primary"
    backup_for: str | None = None
    failover_mbps: float | None = Field(default=None, gt=0)
    probe: ipaddress.IPv4Address | None = None
    sla: Sla | None = None

    @model_validator(mode="after")
    def _ends(self) -> Link:
        if self.b is None and not self.provider:
            raise ValueError("a link needs a second end (b) or a provider for a leased uplink")
        if self.b is not None and self.provider and self.medium != "leased":
            raise ValueError("only a leased link names a provider")
        if self.monthly_cost_idr is not None and self.medium != "leased":
            raise ValueError("monthly_cost_idr is only for leased links")
        if self.role == "backup" and self.medium != "leased":
            raise ValueError("role: backup is for leased circuits")
        if self.role != "backup" and (self.backup_for or self.failover_mbps):
            raise ValueError("backup_for and failover_mbps are only for a link with role: backup")
        if self.role == "backup" and not (self.backup_for or self.failover_mbps):
            raise ValueError(
                "a backup link names the primary it stands in for (backup_for: circuit id) "
                "or declares failover_mbps"
            )
        if self.sla is not None and self.medium != "leased":
            raise ValueError("sla is only for leased links")
        return self

    def names(self) -> tuple[str, ...]:
        """What other records may call this link: its id and its circuit id."""
        return (self.id, self.circuit_id) if self.circuit_id else (self.id,)

    @property
    def id(self) -> str:
        far = str(self.b) if self.b is not None else f"{self.provider}"
        return f"{self.a}--{far}"

    @property
    def is_uplink(self) -> bool:
        """A leased circuit to a provider (one end in the city)."""
        return self.b is None

    def ends(self) -> tuple[Endpoint, ...]:
        return (self.a,) if self.b is None else (self.a, self.b)

    def far_end(self, device: str, interface: str) -> str:
        """Name of what sits at the other end, seen from ``device:interface``."""
        if self.b is None:
            return self.provider or "provider"
        if self.a.device == device and self.a.interface == interface:
            return str(self.b)
        return str(self.a)


class Maintenance(Record):
    """A declared maintenance window: outages inside it do not count against availability
    (nor against a provider's SLA). It covers the ``sites``, ``devices`` and ``links`` (id or
    circuit id) it names; naming none covers the whole city."""

    start: datetime
    end: datetime
    sites: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    description: str | None = None

    @model_validator(mode="after")
    def _window(self) -> Maintenance:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a maintenance window's start and end need a UTC offset (+08:00)")
        if self.end <= self.start:
            raise ValueError("a maintenance window ends after it starts")
        return self

    @property
    def city_wide(self) -> bool:
        return not (self.sites or self.devices or self.links)


class Vlan(Record):
    id: int = Field(ge=1, le=4094)
    name: str
    site: str | None = None
    description: str | None = None


class Prefix(Record):
    """An IP prefix the city uses; ``role: management`` prefixes bound the devices' mgmt IPs."""

    prefix: ipaddress.IPv4Network | ipaddress.IPv6Network
    role: PrefixRole
    site: str | None = None
    vlan: int | None = Field(default=None, ge=1, le=4094)
    gateway: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    description: str | None = None


# --- hotspots and plans -----------------------------------------------------------------------


_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


class OpeningHours(BaseModel):
    """When a hotspot is meant to be busy: ``06:00-22:00``, or ``always``."""

    model_config = ConfigDict(frozen=True)

    start_minute: int = 0
    end_minute: int = 24 * 60

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if value in (None, "always", "24h"):
            return {}
        if isinstance(value, str):
            match = _HOURS.match(value.strip())
            if not match:
                raise ValueError(f"opening hours {value!r} must look like 06:00-22:00")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59:
                raise ValueError(f"opening hours {value!r} are not times of day")
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start:
                raise ValueError(f"opening hours {value!r} end before they start")
            return {"start_minute": start, "end_minute": end}
        return value

    @property
    def always(self) -> bool:
        return self.start_minute == 0 and self.end_minute == 24 * 60

    def __str__(self) -> str:
        if self.always:
            return "always"
        s, e = self.start_minute, self.end_minute
        return f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}"

    def is_open(self, minute_of_day: int) -> bool:
        return self.start_minute <= minute_of_day < self.end_minute


class RateLimit(Record):
    """Per-user bandwidth as the user sees it: ``down`` to the phone, ``up`` from it (bit/s)."""

    down: BitRate
    up: BitRate


class Plan(Record):
    """What a citizen gets: time, data and speed. Limits left out are unlimited."""

    name: str = Field(pattern=_ID)
    description: str | None = None
    session_timeout: Seconds | None = None
    idle_timeout: Seconds | None = None
    daily_time: Seconds | None = None
    data_quota: Bytes | None = None
    daily_data: Bytes | None = None
    rate_limit: RateLimit | None = None
    simultaneous_use: int = Field(default=1, ge=1)
    voucher_validity: Seconds | None = None
    interim_interval: Seconds = Field(default=300, ge=60)
    language: Language | None = None


class Hotspot(Record):
    """A public free Wi-Fi point: its gateway (the NAS), SSID, plan and opening hours."""

    id: str = Field(pattern=_ID)
    name: str | None = None
    site: str
    gateway: str
    access_points: tuple[str, ...] = ()
    ssid: str = Field(min_length=1, max_length=32)
    plan: str
    opening_hours: OpeningHours = OpeningHours()
    client_prefix: ipaddress.IPv4Network | None = None
    vlan: int | None = Field(default=None, ge=1, le=4094)
    interface: str | None = None
    dns_name: str | None = Field(
        default=None,
        max_length=253,
        pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        description="The hotspot's own DNS name (RouterOS dns-name): its login page's host, "
        "which the gateway resolves to itself for its clients.",
    )


# --- whole-city settings ----------------------------------------------------------------------


class Meta(Record):
    """The inventory's own description."""

    city: str
    name: str | None = None
    lab: bool = False
    sample: bool = False
    description: str | None = None
    language: Language = "id"
    timezone: str = Field(
        default="Asia/Makassar",
        description="IANA time zone of the city (opening hours, report hours); WITA by default.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from exc
        return value


class Group(Record):
    """Values devices inherit (Nornir-style): a device's own value wins, then its groups in
    order (and their groups), then ``defaults``."""

    name: str
    groups: tuple[str, ...] = ()
    platform: str | None = None
    credentials: str | None = None
    snmp: str | None = None
    radius: str | None = None
    ssh_port: int | None = None
    snmp_port: int | None = None
    timeouts: dict[str, float] = Field(default_factory=dict)
    api: dict[str, Any] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


# --- the whole inventory ----------------------------------------------------------------------


class Inventory(BaseModel):
    """The city, loaded and validated. Immutable; look-ups are by id/hostname/name."""

    model_config = ConfigDict(frozen=True)

    root: str = Field(exclude=True)
    meta: Meta
    services: Services = Services()
    privacy: Privacy | None = None
    sites: tuple[Site, ...] = ()
    devices: tuple[Device, ...] = ()
    links: tuple[Link, ...] = ()
    maintenance: tuple[Maintenance, ...] = ()
    vlans: tuple[Vlan, ...] = ()
    prefixes: tuple[Prefix, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()
    plans: tuple[Plan, ...] = ()
    groups: tuple[Group, ...] = ()
    credentials: dict[str, Credentials] = Field(default_factory=dict)
    snmp: dict[str, SnmpProfile] = Field(default_factory=dict)
    radius: dict[str, RadiusProfile] = Field(default_factory=dict)

    @cached_property
    def _sites(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def _devices(self) -> dict[str, Device]:
        return {d.hostname: d for d in self.devices}

    @cached_property
    def _plans(self) -> dict[str, Plan]:
        return {p.name: p for p in self.plans}

    @cached_property
    def _hotspots(self) -> dict[str, Hotspot]:
        return {h.id: h for h in self.hotspots}

    @cached_property
    def _links_by_port(self) -> dict[tuple[str, str], Link]:
        return {(end.device, end.interface): link for link in self.links for end in link.ends()}

    def site(self, site_id: str) -> Site:
        return self._sites[site_id]

    def device(self, hostname: str) -> Device:
        return self._devices[hostname]

    def plan(self, name: str) -> Plan:
        return self._plans[name]

    def hotspot(self, hotspot_id: str) -> Hotspot:
        return self._hotspots[hotspot_id]

    def find_device(self, hostname: str) -> Device | None:
        return self._devices.get(hostname)

    def device_by_ip(self, address: str) -> Device | None:
        """The device whose management (or NAS) address is ``address``."""
        for device in self.devices:
            if str(device.mgmt_ip) == address or str(device.radius_source) == address:
                return device
        return None

    def select(
        self,
        device: str | None = None,
        site: str | None = None,
        role: str | None = None,
        platform: str | None = None,
    ) -> tuple[Device, ...]:
        """Devices matching every selector given (all devices when none is)."""
        return tuple(
            d
            for d in self.devices
            if (device is None or d.hostname == device)
            and (site is None or d.site == site)
            and (role is None or d.role == role)
            and (platform is None or d.platform == platform)
        )

    def link_at(self, device: str, interface: str) -> Link | None:
        """The link plugged into ``device:interface``, if the inventory has one."""
        return self._links_by_port.get((device, interface))

    def links_of(self, device: str) -> tuple[Link, ...]:
        return tuple(
            link for link in self.links if any(end.device == device for end in link.ends())
        )

    def hotspots_at(self, gateway: str) -> tuple[Hotspot, ...]:
        return tuple(h for h in self.hotspots if h.gateway == gateway)

    def nas_clients(self) -> dict[str, tuple[Device, RadiusProfile]]:
        """RADIUS clients: source address → (gateway device, its RADIUS profile)."""
        clients: dict[str, tuple[Device, RadiusProfile]] = {}
        for device in self.devices:
            if device.radius and device.radius in self.radius:
                clients[str(device.radius_source)] = (device, self.radius[device.radius])
        return clients

    def summary(self) -> str:
        return (
            f"{self.meta.name or self.meta.city}: {len(self.sites)} sites, "
            f"{len(self.devices)} devices, {len(self.links)} links, "
            f"{len(self.hotspots)} hotspots, {len(self.plans)} plans"
        )
