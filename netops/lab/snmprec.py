"""SNMP agent data (snmpsim ``.snmprec``) for an inventory device.

Interfaces, descriptions, speeds and statuses come from the inventory; traffic counters
grow at a rate taken from the link each port is plugged into (a share of its capacity), so
a Prometheus ``rate()`` over the exporter's ``ifHCInOctets`` shows believable, steady
traffic. Counters use snmpsim's ``numeric`` variation: ``value = initial + rate × seconds
since the agent started``; 32-bit counters wrap like real ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from netops.inventory.models import Device, Interface, Inventory

SYSTEM = "1.3.6.1.2.1.1"
IF_NUMBER = "1.3.6.1.2.1.2.1.0"
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IFX_TABLE = "1.3.6.1.2.1.31.1.1.1"
HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
HR_DEVICE_DESCR = "1.3.6.1.2.1.25.3.2.1.3"
HR_PROCESSOR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"
MTXR = "1.3.6.1.4.1.14988.1.1"  # MIKROTIK-MIB mtXRouterOs
MAX_GAUGE32 = 4_294_967_295
AVERAGE_PACKET = 800  # bytes

# platform → (sysObjectID, sysDescr template)
PLATFORMS: dict[str, tuple[str, str]] = {
    "mikrotik_routeros": ("1.3.6.1.4.1.14988.1", "RouterOS {model}"),
    "eos": (
        "1.3.6.1.4.1.30065.1.3011.7010.427.48",
        "Arista Networks EOS version 4.30.1F running on an Arista Networks {model}",
    ),
    "cisco_ios": (
        "1.3.6.1.4.1.9.1.2066",
        "Cisco IOS Software, {model} Software, Version 15.9(3)M7",
    ),
    "frr": ("1.3.6.1.4.1.8072.3.2.10", "Linux {hostname} FRRouting 8.4 {model}"),
}
DEFAULT_PLATFORM = ("1.3.6.1.4.1.8072.3.2.10", "{model}")


@dataclass(frozen=True)
class PortTraffic:
    """What a simulated port carries: octets per second each way, and its state."""

    in_bps: float
    out_bps: float
    speed_mbps: int
    admin_up: bool
    oper_up: bool
    errors_per_s: float = 0.0

    @property
    def in_octets_per_s(self) -> float:
        return self.in_bps / 8

    @property
    def out_octets_per_s(self) -> float:
        return self.out_bps / 8


def share(*parts: str) -> float:
    """A stable number in [0, 1) from ``parts`` (the same port always gets the same load)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def port_traffic(inventory: Inventory, device: Device, interface: Interface) -> PortTraffic:
    """The simulated load of ``device:interface``, from the link plugged into it."""
    link = inventory.link_at(device.hostname, interface.name)
    admin_up = not interface.shutdown
    if link is not None:
        capacity = link.capacity_mbps
        if link.is_uplink:  # leased uplinks run hot: that is what the offload report is for
            load = 0.55 + 0.2 * share(device.hostname, interface.name)
        else:
            load = 0.1 + 0.35 * share(device.hostname, interface.name)
        speed = interface.speed_mbps or (
            int(capacity) if link.medium == "wireless" else max(1000, int(capacity))
        )
        down = capacity * load * 1e6
        up = down * (0.25 + 0.3 * share(interface.name, device.hostname))
        if link.is_uplink or _faces_core(
            inventory, device, link.far_end(device.hostname, interface.name)
        ):
            in_bps, out_bps = down, up
        else:
            in_bps, out_bps = up, down
        errors = 0.02 if link.medium == "wireless" else 0.0
        return PortTraffic(in_bps, out_bps, speed, admin_up, admin_up, errors)
    speed = interface.speed_mbps or 1000
    active = admin_up and bool(
        interface.ip or interface.description or interface.name.startswith(("wlan", "wifi"))
    )
    rate = speed * 1e6 * 0.02 * share(device.hostname, interface.name) if active else 0.0
    return PortTraffic(rate, rate * 0.5, speed, admin_up, active)


_RANK = {"core": 0, "distribution": 1, "switch": 2, "hotspot-gateway": 3, "access-point": 4}


def _faces_core(inventory: Inventory, device: Device, far_end: str) -> bool:
    """True when the far end sits closer to the core than ``device`` (traffic comes in)."""
    far_device = inventory.find_device(far_end.partition(":")[0])
    if far_device is None:
        return True
    return _RANK.get(far_device.role, 5) < _RANK.get(device.role, 5)


def _text(value: str) -> tuple[str, str]:
    raw = value.encode()
    if all(32 <= b < 127 for b in raw) and "|" not in value:
        return "4", value
    return "4x", raw.hex()


def _mac(device: Device, index: int) -> str:
    digest = hashlib.sha256(f"{device.hostname}:{index}".encode()).digest()
    return "02" + digest[:5].hex()  # locally administered


def _counter(tag: str, rate: float, initial: int) -> tuple[str, str]:
    if rate <= 0:
        return tag, str(initial)
    wrap = ",wrap=1" if tag == "65" else ""
    return f"{tag}:numeric", f"rate={rate:.3f},initial={initial}{wrap}"


def device_records(inventory: Inventory, device: Device) -> list[tuple[str, str, str]]:
    """``(oid, tag, value)`` rows for ``device``: system group, ifTable, ifXTable."""
    object_id, descr = PLATFORMS.get(device.platform, DEFAULT_PLATFORM)
    site = (
        inventory.site(device.site) if any(s.id == device.site for s in inventory.sites) else None
    )
    location = site.name if site else device.site
    if site and site.location:
        location += f" ({site.location.lat:.4f},{site.location.lon:.4f})"
    rows: list[tuple[str, str, str]] = [
        (
            f"{SYSTEM}.1.0",
            *_text(
                descr.format(model=device.model or device.role, hostname=device.hostname).strip()
            ),
        ),
        (f"{SYSTEM}.2.0", "6", object_id),
        (f"{SYSTEM}.3.0", "67:numeric", "rate=100,initial=0"),
        (f"{SYSTEM}.4.0", *_text(f"noc@{inventory.services.domain or 'netops'}")),
        (f"{SYSTEM}.5.0", *_text(device.hostname)),
        (f"{SYSTEM}.6.0", *_text(location)),
        (f"{SYSTEM}.7.0", "2", "78"),
        (IF_NUMBER, "2", str(len(device.interfaces))),
    ]
    for index, interface in enumerate(device.interfaces, start=1):
        t = port_traffic(inventory, device, interface)
        seed = int(share("initial", device.hostname, interface.name) * 1e9)
        in_pps, out_pps = t.in_octets_per_s / AVERAGE_PACKET, t.out_octets_per_s / AVERAGE_PACKET
        wireless = interface.name.startswith(("wlan", "wifi"))
        alias = interface.description or ""
        link = inventory.link_at(device.hostname, interface.name)
        if not alias and link is not None:
            alias = f"to {link.far_end(device.hostname, interface.name)}"
        i = str(index)
        rows += [
            (f"{IF_TABLE}.1.{i}", "2", i),
            (f"{IF_TABLE}.2.{i}", *_text(interface.name)),
            (f"{IF_TABLE}.3.{i}", "2", "71" if wireless else "6"),
            (f"{IF_TABLE}.4.{i}", "2", "1500"),
            (f"{IF_TABLE}.5.{i}", "66", str(min(MAX_GAUGE32, t.speed_mbps * 1_000_000))),
            (f"{IF_TABLE}.6.{i}", "4x", _mac(device, index)),
            (f"{IF_TABLE}.7.{i}", "2", "1" if t.admin_up else "2"),
            (f"{IF_TABLE}.8.{i}", "2", "1" if t.oper_up else "2"),
            (f"{IF_TABLE}.9.{i}", "67", "0"),
            (f"{IF_TABLE}.10.{i}", *_counter("65", t.in_octets_per_s, seed % 2**32)),
            (f"{IF_TABLE}.11.{i}", *_counter("65", in_pps, seed % 2**20)),
            (f"{IF_TABLE}.13.{i}", "65", "0"),
            (f"{IF_TABLE}.14.{i}", *_counter("65", t.errors_per_s, 0)),
            (f"{IF_TABLE}.16.{i}", *_counter("65", t.out_octets_per_s, seed % 2**31)),
            (f"{IF_TABLE}.17.{i}", *_counter("65", out_pps, seed % 2**19)),
            (f"{IF_TABLE}.19.{i}", "65", "0"),
            (f"{IF_TABLE}.20.{i}", "65", "0"),
            (f"{IFX_TABLE}.1.{i}", *_text(interface.name)),
            (f"{IFX_TABLE}.2.{i}", "65", "0"),
            (f"{IFX_TABLE}.3.{i}", "65", "0"),
            (f"{IFX_TABLE}.4.{i}", "65", "0"),
            (f"{IFX_TABLE}.5.{i}", "65", "0"),
            (f"{IFX_TABLE}.6.{i}", *_counter("70", t.in_octets_per_s, seed)),
            (f"{IFX_TABLE}.7.{i}", *_counter("70", in_pps, seed // 1000)),
            (f"{IFX_TABLE}.8.{i}", "70", "0"),
            (f"{IFX_TABLE}.9.{i}", "70", "0"),
            (f"{IFX_TABLE}.10.{i}", *_counter("70", t.out_octets_per_s, seed // 2)),
            (f"{IFX_TABLE}.11.{i}", *_counter("70", out_pps, seed // 2000)),
            (f"{IFX_TABLE}.12.{i}", "70", "0"),
            (f"{IFX_TABLE}.13.{i}", "70", "0"),
            (f"{IFX_TABLE}.14.{i}", "2", "1"),
            (f"{IFX_TABLE}.15.{i}", "66", str(t.speed_mbps)),
            (f"{IFX_TABLE}.16.{i}", "2", "2"),
            (f"{IFX_TABLE}.17.{i}", "2", "1"),
            (f"{IFX_TABLE}.18.{i}", *_text(alias)),
        ]
    if device.platform == "mikrotik_routeros":
        rows += routeros_records(inventory, device)
    return sorted(rows, key=lambda row: _oid_key(row[0]))


def routeros_records(inventory: Inventory, device: Device) -> list[tuple[str, str, str]]:
    """What a RouterOS device adds in MIKROTIK-MIB's column layout: health (temperature,
    voltage, PSU), CPU load and RAM (HOST-RESOURCES-MIB), one mtxrWlApTable row and its
    stations per ``wlan*`` interface, and, on a hotspot gateway, hotspot users and leases."""
    name = device.hostname
    rows: list[tuple[str, str, str]] = [
        (f"{HR_STORAGE}.2.65536", "6", "1.3.6.1.2.1.25.2.1.2"),
        (f"{HR_STORAGE}.3.65536", "4", "main memory"),
        (f"{HR_STORAGE}.4.65536", "2", "1024"),
        (f"{HR_STORAGE}.5.65536", "2", "262144"),
        (f"{HR_STORAGE}.6.65536", "2", str(int(262144 * (0.3 + 0.3 * share(name, "ram"))))),
        (f"{HR_DEVICE_DESCR}.1", "4", "CPU 1"),
        (f"{HR_PROCESSOR_LOAD}.1", "2", str(5 + int(40 * share(name, "cpu")))),
        (f"{MTXR}.3.8.0", "2", str(235 + int(20 * share(name, "volt")))),
        (f"{MTXR}.3.10.0", "2", str(380 + int(150 * share(name, "temp")))),
        (f"{MTXR}.3.11.0", "2", str(450 + int(200 * share(name, "cputemp")))),
        (f"{MTXR}.3.14.0", "2", "880"),
        (f"{MTXR}.3.15.0", "2", "1"),
    ]
    stations = 0
    for index, interface in enumerate(device.interfaces, start=1):
        if not interface.name.startswith("wlan") or interface.shutdown:
            continue
        clients = 3 + int(12 * share(name, interface.name, "clients"))
        stations += clients
        ap = f"{MTXR}.1.3.1"
        ssid = next(
            (h.ssid for h in inventory.hotspots if h.site == device.site and h.ssid), "netops"
        )
        rows += [
            (f"{ap}.2.{index}", "66", "144400000"),
            (f"{ap}.3.{index}", "66", "130000000"),
            (f"{ap}.4.{index}", *_text(ssid)),
            (f"{ap}.5.{index}", "4x", _mac(device, 100 + index)),
            (f"{ap}.6.{index}", "65", str(clients)),
            (f"{ap}.7.{index}", "2", "2412"),
            (f"{ap}.8.{index}", "4", "2ghz-b/g/n"),
            (f"{ap}.9.{index}", "2", "-105"),
            (f"{ap}.10.{index}", "65", "85"),
            (f"{ap}.11.{index}", "65", str(clients)),
        ]
        for n in range(clients):
            station = ".".join(
                str(int(_mac(device, 1000 * index + n)[i : i + 2], 16)) for i in range(0, 12, 2)
            )
            rows.append((f"{MTXR}.1.2.1.3.{station}.{index}", "2", str(-45 - (n * 7) % 40)))
    if stations:
        rows.append((f"{MTXR}.1.4.0", "66", str(stations)))
    if device.role == "hotspot-gateway":
        users = 5 + int(20 * share(name, "hotspot-users"))
        for user in range(1, users + 1):
            row = f"{MTXR}.5.1.1"
            rows += [
                (f"{row}.2.{user}", "2", "1"),
                (f"{row}.5.{user}", "64", f"10.254.200.{10 + user}"),
                (f"{row}.12.{user}", "70:numeric", f"rate={2000 + 100 * user},initial=0"),
                (f"{row}.13.{user}", "70:numeric", f"rate={20000 + 1000 * user},initial=0"),
            ]
        rows.append((f"{MTXR}.6.1.0", "66", str(users + 2)))
    return rows


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.split("."))


def render(rows: Iterable[tuple[str, str, str]]) -> str:
    """The ``.snmprec`` text: one ``oid|tag|value`` line per row, in OID order."""
    return "".join(f"{oid}|{tag}|{value}\n" for oid, tag, value in rows)
