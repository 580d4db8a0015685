"""Inventory → Prometheus recording rules: the facts the alert rules join against.

Every fact is a constant series (``expr: vector(1)`` with labels, or the value itself), so
Prometheus holds the inventory's link capacities, providers, costs, topology dependencies
and hotspot opening hours, and PromQL can join them with the exporter's series. Opening
hours become a series that is 1 while the hotspot is open, computed from ``hour()`` and
``minute()`` shifted into the city's time zone. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from netops.alerting.topology import dependencies
from netops.errors import NetopsError
from netops.inventory.models import Hotspot, Inventory, Link

Rule = dict[str, Any]


@dataclass(frozen=True)
class GeneratedRules:
    """A rule-file document plus what the operator should know about it."""

    document: dict[str, Any]
    timezone: str
    utc_offset_minutes: int
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rule_count(self) -> int:
        return sum(len(group["rules"]) for group in self.document["groups"])


def zone_offset(name: str, now: datetime | None = None) -> tuple[int, list[str]]:
    """UTC offset of ``name`` in minutes at ``now``, and a warning when the zone has DST."""
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise NetopsError(
            f"unknown time zone {name!r}: use an IANA name like Asia/Makassar"
        ) from exc
    moment = now or datetime.now(UTC)
    offset = moment.astimezone(zone).utcoffset() or timedelta(0)
    warnings: list[str] = []
    year = moment.year
    offsets = {
        datetime(year, month, 1, tzinfo=UTC).astimezone(zone).utcoffset() for month in (1, 7)
    }
    if len(offsets) > 1:
        warnings.append(
            f"time zone {name} changes its UTC offset during the year: the opening-hours "
            "rules use today's offset, regenerate them after each change"
        )
    return int(offset.total_seconds() // 60), warnings


def _fact(record: str, labels: dict[str, str], value: float = 1) -> Rule:
    clean = {k: v for k, v in labels.items() if v not in (None, "")}
    return {"record": record, "expr": f"vector({value:g})", "labels": clean}


def _capacity_bps(link: Link) -> float:
    return float(link.capacity_mbps) * 1_000_000


def _leaf_role(inventory: Inventory, link: Link, behind: tuple[str, ...]) -> str:
    """The role of the one device a link serves when nothing else sits behind it (an access
    point on its gateway's port): its loss then pages as that device, not as the link."""
    if link.b is None or len(behind) != 1:
        return ""
    device = inventory.find_device(behind[0])
    return device.role if device is not None and device.role == "access-point" else ""


def _link_rules(inventory: Inventory) -> list[Rule]:
    deps = dependencies(inventory)
    rules: list[Rule] = []
    primaries = {
        name: link
        for link in inventory.links
        if link.medium == "leased" and link.role == "primary"
        for name in link.names()
    }
    for link in inventory.links:
        if link.role == "backup" and link.backup_for in primaries:
            rules.append(
                _fact(
                    "netops_link_backup",
                    {"link_id": primaries[link.backup_for].id, "backup_link_id": link.id},
                )
            )
    for link in inventory.links:
        upstream = deps.upstream_end.get(link.id)
        leaf_role = _leaf_role(inventory, link, deps.behind_link(link.id))
        for end in link.ends():
            device = inventory.find_device(end.device)
            if link.is_uplink:
                position = "uplink"
            elif upstream is None:
                position = "unknown"
            else:
                position = "upstream" if upstream == (end.device, end.interface) else "downstream"
            labels = {
                "device": end.device,
                "ifName": end.interface,
                "site": device.site if device else "",
                "link_id": link.id,
                "link_far_end": link.far_end(end.device, end.interface),
                "link_medium": link.medium,
                "link_capacity_mbps": f"{link.capacity_mbps:g}",
                "link_provider": link.provider or "",
                "link_circuit": link.circuit_id or "",
                "link_end": position,
                "link_role": link.role if link.medium == "leased" else "",
                "link_leaf_role": leaf_role,
            }
            rules.append(_fact("netops_link_info", labels))
            rules.append(
                _fact(
                    "netops_link_capacity_bps",
                    {"device": end.device, "ifName": end.interface},
                    _capacity_bps(link),
                )
            )
            if link.monthly_cost_idr is not None:
                rules.append(
                    _fact(
                        "netops_link_monthly_cost_idr",
                        {
                            "device": end.device,
                            "ifName": end.interface,
                            "link_provider": link.provider or "",
                        },
                        link.monthly_cost_idr,
                    )
                )
    return rules


def _topology_rules(inventory: Inventory) -> list[Rule]:
    deps = dependencies(inventory)
    rules: list[Rule] = []
    for site in inventory.sites:
        labels = {"site": site.id, "name": site.name, "kind": site.kind}
        if site.location is not None:
            labels["lat"] = f"{site.location.lat:g}"
            labels["lon"] = f"{site.location.lon:g}"
        rules.append(_fact("netops_site_info", labels))
    for device in inventory.devices:
        rules.append(
            _fact(
                "netops_device_info",
                {
                    "device": device.hostname,
                    "site": device.site,
                    "role": device.role,
                    "platform": device.platform,
                },
            )
        )
    for dep in deps.on_links:
        rules.append(
            _fact(
                "netops_device_depends_on_link",
                {
                    "device": dep.device,
                    "link_id": dep.link_id,
                    "via_device": dep.via_device,
                    "via_ifName": dep.via_interface,
                },
            )
        )
    for hostname, via in deps.on_devices:
        rules.append(
            _fact("netops_device_depends_on_device", {"device": hostname, "via_device": via})
        )
    centre = next((s for s in inventory.sites if s.kind == "command-centre"), None)
    if centre is not None:
        rules.append(_fact("netops_command_centre_info", {"site": centre.id}))
    return rules


def opening_expr(hotspot: Hotspot, offset_minutes: int) -> str:
    """PromQL that is 1 while ``hotspot`` is open (its local time of day), else 0."""
    hours = hotspot.opening_hours
    if hours.always:
        return "vector(1)"
    local = f"((hour() * 60 + minute() + {offset_minutes + 1440}) % 1440)"
    return f"({local} >= bool {hours.start_minute}) * ({local} < bool {hours.end_minute})"


def _hotspot_rules(inventory: Inventory, zone: str, offset: int) -> list[Rule]:
    rules: list[Rule] = []
    for hotspot in inventory.hotspots:
        labels = {
            "hotspot": hotspot.id,
            "site": hotspot.site,
            "device": hotspot.gateway,
            "opening_hours": str(hotspot.opening_hours),
            "timezone": zone,
        }
        rules.append(_fact("netops_hotspot_info", {**labels, "name": hotspot.name or ""}))
        rules.append(
            {
                "record": "netops:hotspot_open",
                "expr": opening_expr(hotspot, offset),
                "labels": labels,
            }
        )
    return rules


def generate_rules(
    inventory: Inventory, timezone: str | None = None, now: datetime | None = None
) -> GeneratedRules:
    """The inventory's recording rules, with opening hours in ``timezone`` (else the
    inventory's ``meta.timezone``)."""
    zone = timezone or inventory.meta.timezone
    offset, warnings = zone_offset(zone, now)
    groups = [
        {"name": "netops-inventory-links", "rules": _link_rules(inventory)},
        {"name": "netops-inventory-topology", "rules": _topology_rules(inventory)},
        {"name": "netops-inventory-hotspots", "rules": _hotspot_rules(inventory, zone, offset)},
    ]
    return GeneratedRules(
        document={"groups": [g for g in groups if g["rules"]]},
        timezone=zone,
        utc_offset_minutes=offset,
        warnings=tuple(warnings),
    )


def render_rules(generated: GeneratedRules, inventory: Inventory) -> str:
    """The rule file as YAML text, with a header saying where it came from."""
    sign = "+" if generated.utc_offset_minutes >= 0 else "-"
    minutes = abs(generated.utc_offset_minutes)
    header = (
        "# Generated by `netops prometheus rules` from the inventory "
        f"{inventory.meta.name or inventory.meta.city!r}: do not edit, regenerate.\n"
        f"# Time zone {generated.timezone} (UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}); "
        f"{generated.rule_count} rules.\n"
    )
    body = yaml.safe_dump(
        generated.document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return header + body
