"""The monthly availability report: per site, per hotspot and per leased uplink, from the
ICMP probes' history, with declared maintenance left out, every outage listed with the
cause an alert named at the time, and each leased circuit's SLA against what was measured.

Measurement (documented in docs/reports.md): the exporter's ``probe_success`` samples are
read raw from Prometheus. An outage starts at the first failed sample and ends at the first
successful one after it, so its length is exact to the second at the probe interval's
resolution. A site is down while none of its devices answers; a hotspot while its gateway
does not; a leased uplink while the address beyond it (the link's ``probe``) does not.
Maintenance windows are taken out of both the period and the outages:

    availability = 1 − (downtime outside maintenance) / (period − maintenance)

The SLA credit is the percent of the monthly fee of the lowest band of the contract's
credit table that the measured availability falls below (``sla.credit``), in whole rupiah.

Interval arithmetic and the SLA are pure functions; ``collect`` is the one that queries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from netops.alerting.topology import Dependencies, dependencies
from netops.csvexport import to_csv as to_csv_text
from netops.errors import ReportError
from netops.inventory.models import Inventory, Link, Maintenance
from netops.report.capacity import city_zone
from netops.report.prometheus import PrometheusClient, Sample

Interval = tuple[float, float]  # [start, end) in unix seconds
Kind = Literal["site", "hotspot", "uplink"]

CAUSE_ALERTS = ("LinkDown", "UplinkOnBackup", "BackupUplinkDown", "DeviceUnreachable")
_CHUNK = 86400


# --- interval arithmetic -------------------------------------------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of ``intervals`` (empty ones dropped)."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two merged interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def total(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in intervals)


def down_intervals(points: Sequence[tuple[float, float]], until: float) -> list[Interval]:
    """Where a probe failed: from each first failed sample to the next successful one (an
    outage still open at the last sample runs to ``until``)."""
    out: list[Interval] = []
    began: float | None = None
    for ts, value in sorted(points):
        if value < 0.5 and began is None:
            began = ts
        elif value >= 0.5 and began is not None:
            out.append((began, ts))
            began = None
    if began is not None and until > began:
        out.append((began, until))
    return out


# --- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outage:
    """One outage: when (unix seconds), how long, how much of it fell in maintenance, and
    the cause an alert named at the time (``None`` when none did)."""

    start: float
    end: float
    maintenance_seconds: float
    cause_id: str | None = None
    cause_en: str | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def counted_seconds(self) -> float:
        return self.seconds - self.maintenance_seconds


@dataclass(frozen=True)
class SlaResult:
    """A leased circuit's contract against the month: promised and measured availability,
    the credit band reached and the credit owed."""

    promised: float
    measured: float | None
    credit_percent: float
    monthly_cost_idr: int | None
    credit_idr: int
    met: bool | None


@dataclass(frozen=True)
class Availability:
    """One site, hotspot or leased uplink over the month."""

    kind: Kind
    id: str
    name: str
    detail: str
    period_seconds: float
    maintenance_seconds: float
    downtime_seconds: float | None  # None: no probe data at all
    outages: list[Outage] = field(default_factory=list)
    sla: SlaResult | None = None

    @property
    def availability(self) -> float | None:
        """Percent of the period outside maintenance that it was up (``None``: no data)."""
        base = self.period_seconds - self.maintenance_seconds
        if self.downtime_seconds is None or base <= 0:
            return None
        return 100.0 * (1 - self.downtime_seconds / base)


@dataclass(frozen=True)
class AvailabilityReport:
    city: str
    timezone: str
    prometheus: str
    month: str
    start: datetime
    end: datetime
    complete: bool  # False while the month is still running
    sites: list[Availability]
    hotspots: list[Availability]
    uplinks: list[Availability]
    maintenance: list[Maintenance]

    @property
    def credit_idr(self) -> int:
        return sum(u.sla.credit_idr for u in self.uplinks if u.sla is not None)

    def entries(self) -> list[Availability]:
        return [*self.sites, *self.hotspots, *self.uplinks]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times ISO 8601 with the city's offset, durations in seconds."""
        zone = ZoneInfo(self.timezone)

        def when(ts: float) -> str:
            return datetime.fromtimestamp(ts, zone).isoformat()

        def entry(a: Availability) -> dict[str, Any]:
            data: dict[str, Any] = {
                "kind": a.kind,
                "id": a.id,
                "name": a.name,
                "detail": a.detail,
                "availability_percent": a.availability,
                "downtime_seconds": a.downtime_seconds,
                "maintenance_seconds": a.maintenance_seconds,
                "period_seconds": a.period_seconds,
                "outages": [
                    {
                        "start": when(o.start),
                        "end": when(o.end),
                        "seconds": o.seconds,
                        "counted_seconds": o.counted_seconds,
                        "maintenance_seconds": o.maintenance_seconds,
                        "cause_id": o.cause_id,
                        "cause_en": o.cause_en,
                    }
                    for o in a.outages
                ],
            }
            if a.sla is not None:
                data["sla"] = {
                    "promised_percent": a.sla.promised,
                    "measured_percent": a.sla.measured,
                    "met": a.sla.met,
                    "credit_percent": a.sla.credit_percent,
                    "monthly_cost_idr": a.sla.monthly_cost_idr,
                    "credit_idr": a.sla.credit_idr,
                }
            return data

        return {
            "city": self.city,
            "timezone": self.timezone,
            "prometheus": self.prometheus,
            "month": self.month,
            "start": self.start.astimezone(zone).isoformat(),
            "end": self.end.astimezone(zone).isoformat(),
            "complete": self.complete,
            "sites": [entry(a) for a in self.sites],
            "hotspots": [entry(a) for a in self.hotspots],
            "uplinks": [entry(a) for a in self.uplinks],
            "maintenance": [
                {
                    "start": m.start.astimezone(zone).isoformat(),
                    "end": m.end.astimezone(zone).isoformat(),
                    "sites": list(m.sites),
                    "devices": list(m.devices),
                    "links": list(m.links),
                    "description": m.description,
                }
                for m in self.maintenance
            ],
            "totals": {"credit_idr": self.credit_idr},
        }


def to_csv(report: AvailabilityReport) -> str:
    """One row per site, hotspot and uplink: availability, downtime, maintenance, SLA (dot
    decimals; cells a spreadsheet would evaluate are made safe)."""
    header = [
        "month", "kind", "id", "name", "availability_percent", "downtime_seconds",
        "maintenance_seconds", "outages", "sla_percent", "sla_met", "credit_percent",
        "credit_idr",
    ]  # fmt: skip
    rows: list[list[object]] = []
    for a in report.entries():
        value = a.availability
        rows.append(
            [
                report.month,
                a.kind,
                a.id,
                a.name,
                "" if value is None else f"{value:.4f}",
                "" if a.downtime_seconds is None else f"{a.downtime_seconds:.0f}",
                f"{a.maintenance_seconds:.0f}",
                len(a.outages),
                "" if a.sla is None else f"{a.sla.promised:g}",
                "" if a.sla is None or a.sla.met is None else str(a.sla.met).lower(),
                "" if a.sla is None else f"{a.sla.credit_percent:g}",
                "" if a.sla is None else a.sla.credit_idr,
            ]
        )
    return to_csv_text(header, rows)


# --- pure analysis -------------------------------------------------------------------------


def sla_result(link: Link, measured: float | None) -> SlaResult | None:
    """The contract's verdict for ``measured`` percent availability (``None``: no SLA)."""
    if link.sla is None:
        return None
    cost = link.monthly_cost_idr
    if measured is None:
        return SlaResult(link.sla.availability, None, 0.0, cost, 0, None)
    percent = link.sla.credit_percent(measured)
    credit = round((cost or 0) * percent / 100)
    met = measured >= link.sla.availability
    return SlaResult(link.sla.availability, measured, percent, cost, credit, met)


def month_period(
    month: str | None, zone: ZoneInfo, now: datetime
) -> tuple[str, datetime, datetime]:
    """``YYYY-MM`` → its first local midnight and the next month's (the default: the last
    whole month before ``now``)."""
    local_now = now.astimezone(zone)
    if month is None:
        first = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        previous = (first - timedelta(days=1)).replace(day=1)
        year, mon = previous.year, previous.month
    else:
        found = re.fullmatch(r"(\d{4})-(\d{2})", month.strip())
        if found is None or not 1 <= int(found.group(2)) <= 12:
            raise ReportError(f"--month {month!r} is not a month like 2026-11")
        year, mon = int(found.group(1)), int(found.group(2))
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=zone)
    if start >= local_now:
        raise ReportError(f"--month {year}-{mon:02d} has not begun yet")
    return f"{year}-{mon:02d}", start, end


def _window(m: Maintenance) -> Interval:
    return (m.start.timestamp(), m.end.timestamp())


@dataclass(frozen=True)
class _Alert:
    name: str
    labels: dict[str, str]
    intervals: list[Interval]


def _causes(
    outage: Interval,
    own: set[str],
    upstream_links: set[str],
    upstream_devices: set[str],
    own_links: set[str],
    alerts: Sequence[_Alert],
) -> tuple[str | None, str | None]:
    """The cause an alert named while ``outage`` lasted: an upstream link or device first,
    then the entity's own link or device."""

    def firing(alert: _Alert) -> bool:
        return bool(intersect(alert.intervals, [outage]))

    ranked: list[tuple[int, str, str]] = []
    for alert in alerts:
        if not firing(alert):
            continue
        labels = alert.labels
        link_id, device = labels.get("link_id", ""), labels.get("device", "")
        port = f"{device}:{labels.get('ifName', '')}"
        far = labels.get("link_far_end", "")
        if alert.name == "LinkDown" and link_id in upstream_links:
            ranked.append(
                (0, f"link {port} ke {far} putus (LinkDown)", f"link {port} to {far} down")
            )
        elif alert.name == "DeviceUnreachable" and device in upstream_devices:
            ranked.append(
                (
                    1,
                    f"perangkat di hulu {device} tidak terjangkau (DeviceUnreachable)",
                    f"upstream device {device} unreachable",
                )
            )
        elif alert.name in ("LinkDown", "UplinkOnBackup", "BackupUplinkDown") and (
            link_id in own_links
        ):
            ranked.append(
                (2, f"port {port} mati ({alert.name})", f"port {port} down ({alert.name})")
            )
        elif alert.name == "DeviceUnreachable" and device in own:
            ranked.append(
                (
                    3,
                    f"{device} sendiri tidak terjangkau: listrik atau perangkatnya "
                    "(DeviceUnreachable)",
                    f"{device} itself unreachable: power or the device",
                )
            )
    if not ranked:
        return None, None
    ranked.sort()
    return ranked[0][1], ranked[0][2]


def assess(
    kind: Kind,
    ident: str,
    name: str,
    detail: str,
    period: Interval,
    down: list[Interval] | None,
    windows: Sequence[Interval],
    cause: Any = None,
) -> Availability:
    """One entity's month from its merged down intervals (``None``: no data) and the
    maintenance windows that cover it. ``cause(interval)`` names each outage's cause."""
    maintenance = intersect(merge(windows), [period])
    if down is None:
        return Availability(
            kind, ident, name, detail, period[1] - period[0], total(maintenance), None
        )
    clipped = intersect(merge(down), [period])
    outages: list[Outage] = []
    for interval in clipped:
        in_maintenance = total(intersect(maintenance, [interval]))
        cause_id, cause_en = cause(interval) if cause is not None else (None, None)
        if cause_id is None and in_maintenance >= interval[1] - interval[0]:
            cause_id = "dalam jendela pemeliharaan yang dinyatakan (tidak dihitung)"
            cause_en = "inside a declared maintenance window (not counted)"
        outages.append(Outage(interval[0], interval[1], in_maintenance, cause_id, cause_en))
    downtime = sum(o.counted_seconds for o in outages)
    return Availability(
        kind, ident, name, detail, period[1] - period[0], total(maintenance), downtime, outages
    )


# --- Prometheus ----------------------------------------------------------------------------


def raw_samples(client: PrometheusClient, selector: str, start: float, end: float) -> list[Sample]:
    """Every raw sample of ``selector`` in (start, end], one day per query, merged by
    series."""
    merged: dict[tuple[tuple[str, str], ...], Sample] = {}
    at = start
    while at < end:
        step = min(float(_CHUNK), end - at)
        at += step
        for sample in client.query_matrix(f"{selector}[{int(step)}s]", at):
            key = tuple(sorted(sample.labels.items()))
            if key in merged:
                merged[key].points.extend(sample.points)
            else:
                merged[key] = Sample(sample.labels, list(sample.points))
    return list(merged.values())


def _selector(labels: dict[str, str]) -> str:
    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in sorted(labels.items())) + "}"


def failure_history(
    client: PrometheusClient, selector: str, start: float, end: float
) -> list[Sample]:
    """Every series of ``selector`` with data in (start, end], with its raw samples only for
    the days it failed (and the day after each, until the first success): a day without a
    failure needs no samples, so a month of 30-second probes of a whole city stays small.
    One ``min_over_time`` query per day finds the failing series; their raw samples follow."""
    series: dict[tuple[tuple[str, str], ...], Sample] = {}
    still_down: set[tuple[tuple[str, str], ...]] = set()
    name = selector.split("{", 1)[0]
    at = start
    while at < end:
        step = min(float(_CHUNK), end - at)
        at += step
        window = f"[{int(step)}s]"
        fetch: set[tuple[tuple[str, str], ...]] = set(still_down)
        for found in client.query(f"min_over_time({selector}{window})", at):
            labels = {k: v for k, v in found.labels.items() if k != "__name__"}
            key = tuple(sorted(labels.items()))
            series.setdefault(key, Sample(labels, []))
            if found.points and found.points[0][1] < 0.5:
                fetch.add(key)
        still_down = set()
        for key in sorted(fetch):
            labels = {"__name__": name, **dict(key)}
            for raw in client.query_matrix(f"{_selector(labels)}{window}", at):
                series[key].points.extend(raw.points)
                if raw.points and max(raw.points)[1] < 0.5:
                    still_down.add(key)
    return list(series.values())


def _alerts(client: PrometheusClient, start: float, end: float) -> list[_Alert]:
    names = "|".join(CAUSE_ALERTS)
    selector = f'ALERTS{{alertstate="firing",alertname=~"{names}"}}'
    out: list[_Alert] = []
    for sample in raw_samples(client, selector, start, end):
        stamps = sorted(ts for ts, _ in sample.points)
        if not stamps:
            continue
        gaps = [b - a for a, b in pairwise(stamps)]
        step = min(gaps) if gaps else 60.0
        intervals = merge((ts, ts + step) for ts in stamps)
        labels = {k: v for k, v in sample.labels.items() if k != "__name__"}
        out.append(_Alert(labels.get("alertname", ""), labels, intervals))
    return out


@dataclass(frozen=True)
class _Month:
    """What judging each site, hotspot and uplink of the month needs: the period, the
    probes' outages, the firing alerts and the topology to find upstream causes."""

    inventory: Inventory
    period: Interval
    device_down: dict[str, list[Interval]]
    link_points: dict[str, list[tuple[float, float]]]
    alerts: list[_Alert]
    deps: Dependencies

    def upstream_of(self, devices: set[str]) -> tuple[set[str], set[str]]:
        links = {d.link_id for d in self.deps.on_links if d.device in devices}
        via = {v for d, v in self.deps.on_devices if d in devices} - devices
        return links, via

    def windows(
        self, sites: Iterable[str] = (), devices: Iterable[str] = (), links: Iterable[str] = ()
    ) -> list[Interval]:
        """The maintenance windows that cover any of ``sites``, ``devices`` or ``links``."""
        s, d, k = set(sites), set(devices), set(links)
        return [
            _window(m)
            for m in self.inventory.maintenance
            if m.city_wide or s & set(m.sites) or d & set(m.devices) or k & set(m.links)
        ]

    def cause_for(self, devices: set[str], own_links: set[str]) -> Any:
        up_links, up_devices = self.upstream_of(devices)
        alerts = self.alerts
        return lambda interval: _causes(interval, devices, up_links, up_devices, own_links, alerts)


def _sites(month: _Month) -> list[Availability]:
    """Each site is down only while none of its probed devices answers."""
    inventory, period = month.inventory, month.period
    sites: list[Availability] = []
    for site in inventory.sites:
        members = {d.hostname for d in inventory.devices if d.site == site.id}
        probed = [month.device_down[d] for d in sorted(members) if d in month.device_down]
        down: list[Interval] | None = None
        if probed:
            down = probed[0]
            for other in probed[1:]:
                down = intersect(down, other)  # down only while none answers
        sites.append(
            assess(
                "site",
                site.id,
                site.name,
                site.kind,
                period,
                down,
                month.windows(sites={site.id}, devices=members),
                month.cause_for(members, set()),
            )
        )
    return sites


def _hotspots(month: _Month) -> list[Availability]:
    """Each hotspot is down while its gateway is."""
    hotspots: list[Availability] = []
    for hotspot in month.inventory.hotspots:
        gateway = hotspot.gateway
        hotspots.append(
            assess(
                "hotspot",
                hotspot.id,
                hotspot.name or hotspot.id,
                gateway,
                month.period,
                month.device_down.get(gateway),
                month.windows(sites={hotspot.site}, devices={gateway}),
                month.cause_for({gateway}, set()),
            )
        )
    return hotspots


def _uplinks(month: _Month) -> list[Availability]:
    """Each leased uplink by its own probe, with the SLA's verdict."""
    inventory, period = month.inventory, month.period
    uplinks: list[Availability] = []
    for link in inventory.links:
        if link.medium != "leased":
            continue
        device = inventory.find_device(link.a.device)
        site_id = device.site if device else ""
        points = month.link_points.get(link.id)
        entry = assess(
            "uplink",
            link.circuit_id or link.id,
            f"{link.provider or ''} {link.circuit_id or ''}".strip() or link.id,
            f"{link.a} ({link.role})",
            period,
            merge(down_intervals(points, period[1])) if points is not None else None,
            month.windows(sites={site_id}, devices={link.a.device}, links=set(link.names())),
            month.cause_for({link.a.device}, {link.id}),
        )
        uplinks.append(replace(entry, sla=sla_result(link, entry.availability)))
    return uplinks


def collect(
    inventory: Inventory,
    client: PrometheusClient,
    month: str | None = None,
    now: datetime | None = None,
    timezone: str | None = None,
) -> AvailabilityReport:
    """Query the month's probe history and alerts and build the report."""
    zone = city_zone(timezone or inventory.meta.timezone)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    label, start, end = month_period(month, zone, moment)
    finish = min(end, moment)
    period: Interval = (start.timestamp(), finish.timestamp())
    lead = 3600.0  # read the hour before: an outage already running at the start
    probes = failure_history(client, 'probe_success{job="icmp"}', period[0] - lead, period[1])
    by_device: dict[str, list[tuple[float, float]]] = {}
    by_link: dict[str, list[tuple[float, float]]] = {}
    for sample in probes:
        if sample.labels.get("device"):
            by_device.setdefault(sample.labels["device"], []).extend(sample.points)
        elif sample.labels.get("link_id"):
            by_link.setdefault(sample.labels["link_id"], []).extend(sample.points)
    device_down = {
        device: merge(down_intervals(points, period[1])) for device, points in by_device.items()
    }
    judged = _Month(
        inventory,
        period,
        device_down,
        by_link,
        _alerts(client, period[0] - lead, period[1]),
        dependencies(inventory),
    )
    covering = [m for m in inventory.maintenance if intersect([_window(m)], [period])]
    return AvailabilityReport(
        city=inventory.meta.name or inventory.meta.city,
        timezone=zone.key,
        prometheus=client.url,
        month=label,
        start=start.astimezone(UTC),
        end=finish,
        complete=finish >= end,
        sites=_sites(judged),
        hotspots=_hotspots(judged),
        uplinks=_uplinks(judged),
        maintenance=covering,
    )
