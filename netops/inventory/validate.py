"""Cross-reference checks over a loaded inventory: every name resolves, nothing is used twice.

Pure functions over the models; each problem becomes an :class:`InventoryIssue` that names
the objects involved and where they are written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from netops.errors import InventoryIssue
from netops.inventory.models import Inventory, Record
from netops.inventory.secrets import Secret


def _at(record: Record | None, inventory: Inventory) -> tuple[str, int | None]:
    if record is None or record.origin is None:
        return inventory.root, None
    return record.origin.file, record.origin.line


def _where(record: Record) -> str:
    if record.origin is None:
        return "?"
    return f"{record.origin.file}:{record.origin.line}"


class _Checker:
    def __init__(self, inventory: Inventory) -> None:
        self.inv = inventory
        self.issues: list[InventoryIssue] = []

    def add(self, record: Record | None, message: str) -> None:
        file, line = _at(record, self.inv)
        self.issues.append(InventoryIssue(file, line, message))

    def unique(self, kind: str, items: Iterable[tuple[str, Record]]) -> None:
        first: dict[str, Record] = {}
        for key, record in items:
            if key in first:
                self.add(
                    record,
                    f"{kind} {key!r} is defined twice (first at {_where(first[key])})",
                )
            else:
                first[key] = record

    def run(self) -> list[InventoryIssue]:
        inv = self.inv
        self.unique("site", ((s.id, s) for s in inv.sites))
        self.unique("device", ((d.hostname, d) for d in inv.devices))
        self.unique("hotspot", ((h.id, h) for h in inv.hotspots))
        self.unique("plan", ((p.name, p) for p in inv.plans))
        self.unique("VLAN", ((f"{v.id}@{v.site or 'city'}", v) for v in inv.vlans))
        self.unique("prefix", ((str(p.prefix), p) for p in inv.prefixes))
        self.devices()
        self.management_addresses()
        self.links()
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
                if parent not in groups:
                    self.add(grp, f"group {grp.name!r} names unknown group {parent!r}")
        for device in inv.devices:
            name = f"device {device.hostname!r}"
            if device.site not in sites:
                self.add(device, f"{name} is at unknown site {device.site!r}")
            for group in device.groups:
                if group not in groups:
                    self.add(device, f"{name} is in unknown group {group!r}")
            for field, profiles in (
                ("credentials", inv.credentials),
                ("snmp", inv.snmp),
                ("radius", inv.radius),
            ):
                ref = getattr(device, field)
                if ref is not None and ref not in profiles:
                    self.add(device, f"{name} uses unknown {field} profile {ref!r}")
            seen: set[str] = set()
            for interface in device.interfaces:
                if interface.name in seen:
                    self.add(interface, f"{name} declares interface {interface.name!r} twice")
                seen.add(interface.name)

    def management_addresses(self) -> None:
        inv = self.inv
        by_ip: dict[str, list[Record]] = defaultdict(list)
        for device in inv.devices:
            by_ip[str(device.mgmt_ip)].append(device)
        for ip, devices in by_ip.items():
            if len(devices) > 1:
                names = " and ".join(
                    f"{d.hostname!r} ({_where(d)})"  # type: ignore[attr-defined]
                    for d in devices
                )
                self.add(devices[-1], f"management IP {ip} is used by devices {names}")
        mgmt = [p for p in inv.prefixes if p.role == "management"]
        if not mgmt:
            return
        for device in inv.devices:
            own = [p for p in mgmt if p.site == device.site] or [p for p in mgmt if not p.site]
            candidates = own or mgmt
            if not any(device.mgmt_ip in p.prefix for p in candidates):
                where = ", ".join(str(p.prefix) for p in candidates)
                self.add(
                    device,
                    f"device {device.hostname!r} management IP {device.mgmt_ip} is outside "
                    f"the management prefix ({where})",
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
                    )
                addresses[ip] = owner

    def links(self) -> None:
        inv = self.inv
        used: dict[tuple[str, str], Record] = {}
        for link in inv.links:
            ends = link.ends()
            if len(ends) == 2 and ends[0] == ends[1]:
                self.add(link, f"link {link.id} connects a port to itself")
            for end in ends:
                device = inv.find_device(end.device)
                if device is None:
                    self.add(link, f"link {link.id} names unknown device {end.device!r}")
                    continue
                if device.interface(end.interface) is None:
                    self.add(
                        link,
                        f"link {link.id}: device {end.device!r} has no interface {end.interface!r}",
                    )
                key = (end.device, end.interface)
                if key in used:
                    self.add(link, f"port {end} is used by two links (also at {_where(used[key])})")
                used[key] = link

    def hotspots(self) -> None:
        inv = self.inv
        sites = {s.id for s in inv.sites}
        plans = {p.name for p in inv.plans}
        for hotspot in inv.hotspots:
            name = f"hotspot {hotspot.id!r}"
            if hotspot.site not in sites:
                self.add(hotspot, f"{name} is at unknown site {hotspot.site!r}")
            if hotspot.plan not in plans:
                self.add(hotspot, f"{name} uses unknown plan {hotspot.plan!r}")
            gateway = inv.find_device(hotspot.gateway)
            if gateway is None:
                self.add(hotspot, f"{name} names unknown gateway device {hotspot.gateway!r}")
            else:
                if gateway.role != "hotspot-gateway":
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has role {gateway.role!r}, "
                        "not hotspot-gateway",
                    )
                if gateway.radius is None:
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has no RADIUS profile "
                        "(radius: …), so it cannot be a NAS",
                    )
                if hotspot.interface and gateway.interface(hotspot.interface) is None:
                    self.add(
                        hotspot,
                        f"{name}: gateway {gateway.hostname!r} has no interface "
                        f"{hotspot.interface!r}",
                    )
            for ap in hotspot.access_points:
                if inv.find_device(ap) is None:
                    self.add(hotspot, f"{name} names unknown access point {ap!r}")

    def prefixes(self) -> None:
        sites = {s.id for s in self.inv.sites}
        for prefix in self.inv.prefixes:
            if prefix.site and prefix.site not in sites:
                self.add(prefix, f"prefix {prefix.prefix} is at unknown site {prefix.site!r}")
            if prefix.gateway and prefix.gateway not in prefix.prefix:
                self.add(prefix, f"prefix {prefix.prefix}: gateway {prefix.gateway} is outside it")
        for vlan in self.inv.vlans:
            if vlan.site and vlan.site not in sites:
                self.add(vlan, f"VLAN {vlan.id} is at unknown site {vlan.site!r}")

    def secrets(self) -> None:
        if self.inv.meta.lab:
            return
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


def check_inventory(inventory: Inventory) -> list[InventoryIssue]:
    """Every cross-reference problem in ``inventory`` (empty when it is sound)."""
    return _Checker(inventory).run()
