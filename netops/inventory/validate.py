"""Cross-reference checks over a loaded inventory: every name resolves, nothing is used twice.

Pure functions over the models; each problem becomes an :class:`InventoryIssue` that names
the objects involved and where they are written.

The checks also run on an inventory that loaded only in part, so that every error is reported
at once. :class:`Gaps` says what is missing from it (records that did not validate, sections of
files that did not parse); a reference that the gaps explain is not reported, since its cause
is already reported once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from netops.errors import InventoryIssue
from netops.inventory.models import Inventory, Record
from netops.inventory.secrets import Secret


@dataclass(frozen=True)
class Gaps:
    """What a partly loaded inventory lacks, each cause already reported as its own issue.

    ``failed`` maps a section (``devices``, ``sites``, ``credentials``, ``groups``…) to the
    names of its records that did not validate; ``sections`` holds the sections that a file
    which did not parse may have held, so none of their objects are known.
    """

    failed: Mapping[str, frozenset[str]] = dataclass_field(default_factory=dict)
    sections: frozenset[str] = frozenset()

    def unsure(self, section: str) -> bool:
        """True when ``section`` may be incomplete because a file did not parse."""
        return section in self.sections

    def explains(self, section: str, name: str) -> bool:
        """True when a reference to ``name`` in ``section`` may only dangle because of a gap."""
        return self.unsure(section) or name in self.failed.get(section, frozenset())


def _at(record: Record | None, inventory: Inventory, key: str | None) -> tuple[str, int | None]:
    if record is None or record.origin is None:
        return inventory.root, None
    origin = record.origin
    return origin.file, origin.line_of(key) if key else origin.line


def _where(record: Record, key: str | None = None) -> str:
    if record.origin is None:
        return "?"
    origin = record.origin
    return f"{origin.file}:{origin.line_of(key) if key else origin.line}"


class _Checker:
    def __init__(self, inventory: Inventory, gaps: Gaps) -> None:
        self.inv = inventory
        self.gaps = gaps
        self.issues: list[InventoryIssue] = []

    def add(self, record: Record | None, message: str, key: str | None = None) -> None:
        """One issue at ``record`` (at the line of its ``key`` when given)."""
        file, line = _at(record, self.inv, key)
        self.issues.append(InventoryIssue(file, line, message))

    def dangles(self, section: str, name: str, known: Iterable[str]) -> bool:
        """True when ``name`` is not in ``known`` and no gap explains why."""
        return name not in known and not self.gaps.explains(section, name)

    @property
    def inheritance_unsure(self) -> bool:
        """True when groups or defaults that devices inherit from did not all load."""
        gaps = self.gaps
        return any(gaps.unsure(s) or gaps.failed.get(s) for s in ("groups", "defaults"))

    def unique(self, kind: str, items: Iterable[tuple[str, Record]], field: str) -> None:
        first: dict[str, Record] = {}
        for key, record in items:
            if key in first:
                self.add(
                    record,
                    f"{kind} {key!r} is defined twice (first at {_where(first[key], field)})",
                    field,
                )
            else:
                first[key] = record

    def run(self) -> list[InventoryIssue]:
        inv = self.inv
        self.unique("site", ((s.id, s) for s in inv.sites), "id")
        self.unique("device", ((d.hostname, d) for d in inv.devices), "hostname")
        self.unique("hotspot", ((h.id, h) for h in inv.hotspots), "id")
        self.unique("plan", ((p.name, p) for p in inv.plans), "name")
        self.unique("VLAN", ((f"{v.id}@{v.site or 'city'}", v) for v in inv.vlans), "id")
        self.unique("prefix", ((str(p.prefix), p) for p in inv.prefixes), "prefix")
        self.devices()
        self.management_addresses()
        self.links()
        self.backups()
        self.maintenance()
        self.hotspots()
        self.prefixes()
        self.secrets()
        return self.issues

    def devices(self) -> None:
        inv = self.inv
        sites = {s.id for s in inv.sites}
        groups = {g.name for g in inv.groups}
        for grp in inv.groups:
            for parent in grp.groups:
                if self.dangles("groups", parent, groups):
                    self.add(grp, f"group {grp.name!r} names unknown group {parent!r}", "groups")
        for device in inv.devices:
            name = f"device {device.hostname!r}"
            if self.dangles("sites", device.site, sites):
                self.add(device, f"{name} is at unknown site {device.site!r}", "site")
            for group in device.groups:
                if self.dangles("groups", group, groups):
                    self.add(device, f"{name} is in unknown group {group!r}", "groups")
            for field, profiles in (
                ("credentials", inv.credentials),
                ("snmp", inv.snmp),
                ("radius", inv.radius),
            ):
                ref = getattr(device, field)
                if ref is not None and self.dangles(field, ref, profiles):
                    self.add(device, f"{name} uses unknown {field} profile {ref!r}", field)
            seen: set[str] = set()
            for interface in device.interfaces:
                if interface.name in seen:
                    self.add(
                        interface, f"{name} declares interface {interface.name!r} twice", "name"
                    )
                seen.add(interface.name)

    def management_addresses(self) -> None:
        inv = self.inv
        by_ip: dict[str, list[Record]] = defaultdict(list)
        for device in inv.devices:
            by_ip[str(device.mgmt_ip)].append(device)
        for ip, devices in by_ip.items():
            if len(devices) > 1:
                names = " and ".join(
                    f"{d.hostname!r} ({_where(d, 'mgmt_ip')})"  # type: ignore[attr-defined]
                    for d in devices
                )
                self.add(devices[-1], f"management IP {ip} is used by devices {names}", "mgmt_ip")
        mgmt = [p for p in inv.prefixes if p.role == "management"]
        if not mgmt or self.gaps.unsure("prefixes") or self.gaps.failed.get("prefixes"):
            return  # the management prefixes that bound the addresses are not all known
        for device in inv.devices:
            own = [p for p in mgmt if p.site == device.site] or [p for p in mgmt if not p.site]
            candidates = own or mgmt
            if not any(device.mgmt_ip in p.prefix for p in candidates):
                where = ", ".join(str(p.prefix) for p in candidates)
                self.add(
                    device,
                    f"device {device.hostname!r} management IP {device.mgmt_ip} is outside "
                    f"the management prefix ({where})",
                    "mgmt_ip",
                )
        addresses: dict[str, str] = {}
        for device in inv.devices:
            for interface in device.interfaces:
                if interface.ip is None:
                    continue
                ip = str(interface.ip.ip)
                owner = f"{device.hostname}:{interface.name}"
                if ip in addresses:
                    self.add(
                        interface,
                        f"interface address {ip} is on both {addresses[ip]} and {owner}",
                        "ip",
                    )
                addresses[ip] = owner

    def links(self) -> None:
        inv = self.inv
        used: dict[tuple[str, str], Record] = {}
        for link in inv.links:
            ends = link.ends()
            if len(ends) == 2 and ends[0] == ends[1]:
                self.add(link, f"link {link.id} connects a port to itself")
            for side, end in zip("ab", ends, strict=False):
                device = inv.find_device(end.device)
                if device is None:
                    if not self.gaps.explains("devices", end.device):
                        self.add(link, f"link {link.id} names unknown device {end.device!r}", side)
                    continue
                if device.interface(end.interface) is None:
                    self.add(
                        link,
                        f"link {link.id}: device {end.device!r} has no interface {end.interface!r}",
                        side,
                    )
                key = (end.device, end.interface)
                if key in used:
                    self.add(
                        link,
                        f"port {end} is used by two links (also at {_where(used[key])})",
                        side,
                    )
                used[key] = link

    def backups(self) -> None:
        """A backup names an existing primary leased circuit (by link id or circuit id)."""
        inv = self.inv
        primaries = {
            name: link
            for link in inv.links
            if link.medium == "leased" and link.role == "primary"
            for name in link.names()
        }
        for link in inv.links:
            if link.role != "backup" or not link.backup_for:
                continue
            if link.backup_for not in primaries and not self.gaps.unsure("links"):
                self.add(
                    link,
                    f"link {link.id}: backup_for {link.backup_for!r} is no primary leased "
                    "link (give its circuit_id or link id)",
                    "backup_for",
                )

    def maintenance(self) -> None:
        """A maintenance window names sites, devices and links that exist."""
        inv = self.inv
        sites = {s.id for s in inv.sites}
        devices = {d.hostname for d in inv.devices}
        links = {name for link in inv.links for name in link.names()}
        for window in inv.maintenance:
            for site in window.sites:
                if self.dangles("sites", site, sites):
                    self.add(window, f"maintenance window names unknown site {site!r}", "sites")
            for device in window.devices:
                if self.dangles("devices", device, devices):
                    self.add(
                        window, f"maintenance window names unknown device {device!r}", "devices"
                    )
            for link in window.links:
                if link not in links and not self.gaps.unsure("links"):
                    self.add(window, f"maintenance window names unknown link {link!r}", "links")

    def hotspots(self) -> None:
        inv = self.inv
        sites = {s.id for s in inv.sites}
        plans = {p.name for p in inv.plans}
        portal = inv.services.portal
        if portal.phone_plan is not None and self.dangles("plans", portal.phone_plan, plans):
            self.add(portal, f"services.portal.phone_plan names unknown plan {portal.phone_plan!r}")
        if portal.phone_plan is not None and inv.services.sms is None:
            self.add(portal, "services.portal.phone_plan needs services.sms to send the codes")
        sms = inv.services.sms
        if sms is not None and sms.kind == "kannel" and not sms.username:
            self.add(sms, "services.sms of kind kannel needs the send-sms user's username")
        for hotspot in inv.hotspots:
            name = f"hotspot {hotspot.id!r}"
            if self.dangles("sites", hotspot.site, sites):
                self.add(hotspot, f"{name} is at unknown site {hotspot.site!r}", "site")
            if self.dangles("plans", hotspot.plan, plans):
                self.add(hotspot, f"{name} uses unknown plan {hotspot.plan!r}", "plan")
            gateway = inv.find_device(hotspot.gateway)
            if gateway is None:
                if not self.gaps.explains("devices", hotspot.gateway):
                    self.add(
                        hotspot,
                        f"{name} names unknown gateway device {hotspot.gateway!r}",
                        "gateway",
                    )
            else:
                if gateway.role != "hotspot-gateway":
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has role {gateway.role!r}, "
                        "not hotspot-gateway",
                        "gateway",
                    )
                if gateway.radius is None and not self.inheritance_unsure:
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has no RADIUS profile "
                        "(radius: …), so it cannot be a NAS",
                        "gateway",
                    )
                if hotspot.interface and gateway.interface(hotspot.interface) is None:
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has no interface "
                        f"{hotspot.interface!r}",
                        "interface",
                    )
            devices = {d.hostname for d in inv.devices}
            for ap in hotspot.access_points:
                if self.dangles("devices", ap, devices):
                    self.add(hotspot, f"{name} names unknown access point {ap!r}", "access_points")

    def prefixes(self) -> None:
        sites = {s.id for s in self.inv.sites}
        for prefix in self.inv.prefixes:
            if prefix.site and self.dangles("sites", prefix.site, sites):
                self.add(
                    prefix, f"prefix {prefix.prefix} is at unknown site {prefix.site!r}", "site"
                )
            if prefix.gateway and prefix.gateway not in prefix.prefix:
                self.add(
                    prefix,
                    f"prefix {prefix.prefix}: gateway {prefix.gateway} is outside it",
                    "gateway",
                )
        for vlan in self.inv.vlans:
            if vlan.site and self.dangles("sites", vlan.site, sites):
                self.add(vlan, f"VLAN {vlan.id} is at unknown site {vlan.site!r}", "site")

    def secrets(self) -> None:
        if self.inv.meta.lab or self.gaps.unsure("meta") or self.gaps.failed.get("meta"):
            return  # plain secrets are allowed in a lab, and whether this is one is not known
        for record, label, secret in _secrets(self.inv):
            if not secret.is_reference:
                self.add(
                    record,
                    f"{label} is written in plain text; use env:NAME or file:PATH "
                    "(plain secrets are only allowed in an inventory with meta.lab: true)",
                )


def _secrets(inventory: Inventory) -> Iterator[tuple[Record, str, Secret]]:
    for section in ("credentials", "snmp", "radius"):
        profiles: dict[str, Record] = getattr(inventory, section)
        for name, profile in profiles.items():
            for field, value in profile:
                if isinstance(value, Secret):
                    yield profile, f"{section} profile {name!r} field {field!r}", value
    uam = inventory.services.portal.uam_secret
    if uam is not None:
        yield inventory.services.portal, "services.portal.uam_secret", uam
    sms = inventory.services.sms
    if sms is not None and sms.password is not None:
        yield sms, "services.sms.password", sms.password


def check_inventory(inventory: Inventory, gaps: Gaps | None = None) -> list[InventoryIssue]:
    """Every cross-reference problem in ``inventory`` (empty when it is sound).

    ``gaps`` describes what a partly loaded inventory lacks; problems that only follow from
    those gaps are left out.
    """
    return _Checker(inventory, gaps or Gaps()).run()
