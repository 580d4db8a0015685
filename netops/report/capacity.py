"""The leased-capacity report: what the city pays its providers for, what it uses, and what
it should keep, downsize or upgrade; plus the headroom on the city's own fibre.

Analysis is pure (``analyse_uplink``, ``recommend``, ``peak_hours``); ``collect`` is the one
function that talks to Prometheus.

Downsizing rule (documented in docs/reports.md): a circuit should carry its busy traffic with
room to spare, so the right size is the smallest standard tier that keeps the period's p95
at or under 70% of the tier and its p99 at or under 90%. When p95 already exceeds 80% of the
current capacity the circuit is saturated: upgrade to that tier. When the right tier is
smaller than today's, downsize; the new price is pro-rata to the current price per Mbps
(``cost × new / current``), the saving is the difference. Otherwise keep.

A backup circuit (``role: backup``) carries nothing until its primary fails, so its own
traffic says nothing about its size: it is sized by the same rule for the load it must take
over — the city's declared ``failover_mbps``, else its primary's p95/p99 — never on its own
idle traffic, and its advice stays out of the savings headline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from netops.errors import ReportError
from netops.inventory.models import Inventory, Link
from netops.report.prometheus import PrometheusClient

# Standard leased-internet sizes (Mbps), as Telkom Astinet / Metro-E are sold.
DEFAULT_TIERS: tuple[int, ...] = (
    10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 150, 200, 250, 300, 400, 500,
    600, 700, 800, 900, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 10000,
)  # fmt: skip

Action = Literal["keep", "downsize", "upgrade", "no-data"]


@dataclass(frozen=True)
class Policy:
    """The sizing rule's knobs."""

    tiers: tuple[int, ...] = DEFAULT_TIERS
    p95_target: float = 0.70  # p95 at or under this share of the tier
    p99_target: float = 0.90  # p99 at or under this share of the tier
    upgrade_at: float = 0.80  # p95 above this share of today's capacity = saturated


@dataclass(frozen=True)
class Recommendation:
    action: Action
    target_mbps: float | None
    monthly_change_idr: int  # negative = saving, positive = extra cost
    reason_id: str
    reason_en: str

    @property
    def saving_idr(self) -> int:
        return max(0, -self.monthly_change_idr)


@dataclass(frozen=True)
class Percentiles:
    p50: float
    p95: float
    p99: float
    max: float
    mean: float


@dataclass(frozen=True)
class UplinkReport:
    """One leased circuit over the report period (rates in Mbps). For a backup,
    ``backup_for`` names its primary and ``failover_basis`` says what sized the advice."""

    link_id: str
    device: str
    interface: str
    site: str
    provider: str
    circuit: str | None
    description: str | None
    capacity_mbps: float
    monthly_cost_idr: int | None
    samples: int
    inbound: Percentiles | None
    outbound: Percentiles | None
    hourly_in_mbps: list[float]
    hourly_out_mbps: list[float]
    peak_hours: list[tuple[int, int]]
    daily_p95_mbps: list[tuple[str, float]]
    cost_per_used_mbps_idr: int | None
    recommendation: Recommendation
    partial_days: list[str] = field(default_factory=list)
    role: str = "primary"
    backup_for: str | None = None
    failover_mbps: float | None = None
    failover_basis: str | None = None  # "declared" | "primary" | None (no basis)

    @property
    def is_backup(self) -> bool:
        return self.role == "backup"

    @property
    def busiest_p95_mbps(self) -> float:
        return max(p.p95 for p in (self.inbound, self.outbound, Percentiles(0, 0, 0, 0, 0)) if p)


@dataclass(frozen=True)
class FibreLink:
    """Headroom on a city-owned link (fibre or radio), from its busier end and direction."""

    link_id: str
    device: str
    interface: str
    far_end: str
    medium: str
    capacity_mbps: float
    p95_in_mbps: float | None
    p95_out_mbps: float | None

    @property
    def p95_mbps(self) -> float | None:
        values = [v for v in (self.p95_in_mbps, self.p95_out_mbps) if v is not None]
        return max(values) if values else None

    @property
    def headroom_mbps(self) -> float | None:
        p95 = self.p95_mbps
        return None if p95 is None else max(0.0, self.capacity_mbps - p95)

    @property
    def utilisation(self) -> float | None:
        p95 = self.p95_mbps
        return None if p95 is None else p95 / self.capacity_mbps


@dataclass(frozen=True)
class CapacityReport:
    city: str
    timezone: str
    prometheus: str
    start: datetime
    end: datetime
    days: int
    policy: Policy
    uplinks: list[UplinkReport]
    fibre: list[FibreLink] = field(default_factory=list)

    @property
    def monthly_cost_idr(self) -> int:
        return sum(u.monthly_cost_idr or 0 for u in self.uplinks)

    @property
    def primaries(self) -> list[UplinkReport]:
        return [u for u in self.uplinks if not u.is_backup]

    @property
    def backups(self) -> list[UplinkReport]:
        return [u for u in self.uplinks if u.is_backup]

    @property
    def monthly_saving_idr(self) -> int:
        """The headline saving: primary circuits only (a backup is sized for failover)."""
        return sum(u.recommendation.saving_idr for u in self.primaries)

    @property
    def monthly_extra_idr(self) -> int:
        return sum(max(0, u.recommendation.monthly_change_idr) for u in self.primaries)

    @property
    def backup_change_idr(self) -> int:
        """What following the backups' failover sizing would change per month (shown apart)."""
        return sum(u.recommendation.monthly_change_idr for u in self.backups)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: times in ISO 8601, money in whole rupiah, rates in Mbps."""
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        data["policy"]["tiers"] = list(self.policy.tiers)
        for uplink, raw in zip(self.uplinks, data["uplinks"], strict=True):
            raw["recommendation"]["saving_idr"] = uplink.recommendation.saving_idr
            raw["peak_hours"] = [f"{a:02d}:00-{b:02d}:00" for a, b in uplink.peak_hours]
        for link, raw in zip(self.fibre, data["fibre"], strict=True):
            raw["headroom_mbps"] = link.headroom_mbps
            raw["utilisation"] = link.utilisation
        data["totals"] = {
            "monthly_cost_idr": self.monthly_cost_idr,
            "monthly_saving_idr": self.monthly_saving_idr,
            "monthly_extra_idr": self.monthly_extra_idr,
            "backup_monthly_change_idr": self.backup_change_idr,
        }
        return data


# --- pure analysis ----------------------------------------------------------------------------


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile with linear interpolation between ranks (as PromQL's ``quantile``)."""
    if not values:
        raise ValueError("quantile of no values")
    return _quantile_sorted(sorted(values), q)


def _quantile_sorted(ordered: Sequence[float], q: float) -> float:
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def percentiles(values: Sequence[float]) -> Percentiles | None:
    if not values:
        return None
    ordered = sorted(values)
    return Percentiles(
        p50=_quantile_sorted(ordered, 0.5),
        p95=_quantile_sorted(ordered, 0.95),
        p99=_quantile_sorted(ordered, 0.99),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )


class _LocalClock:
    """Local (day, hour) of unix times, cached per quarter hour (every zone offset is a
    multiple of 15 minutes)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._cache: dict[int, tuple[str, int]] = {}

    def __call__(self, ts: float) -> tuple[str, int]:
        key = int(ts // 900)
        hit = self._cache.get(key)
        if hit is None:
            moment = datetime.fromtimestamp(key * 900, self.zone)
            hit = self._cache[key] = (moment.date().isoformat(), moment.hour)
        return hit


def hourly_profile(points: Sequence[tuple[float, float]], zone: ZoneInfo) -> list[float]:
    """Mean of the values per hour of the local day (24 entries; 0 where no data)."""
    sums = [0.0] * 24
    counts = [0] * 24
    clock = _LocalClock(zone)
    for ts, value in points:
        hour = clock(ts)[1]
        sums[hour] += value
        counts[hour] += 1
    return [s / c if c else 0.0 for s, c in zip(sums, counts, strict=True)]


def peak_hours(profile: Sequence[float], share: float = 0.9) -> list[tuple[int, int]]:
    """Runs of hours whose mean is within ``share`` of the busiest hour, as (start, end)."""
    top = max(profile, default=0.0)
    if top <= 0:
        return []
    busy = [value >= share * top for value in profile]
    runs: list[tuple[int, int]] = []
    hour = 0
    while hour < 24:
        if busy[hour]:
            start = hour
            while hour < 24 and busy[hour]:
                hour += 1
            runs.append((start, hour))
        else:
            hour += 1
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == 24:  # wraps past midnight
        runs = [(runs[-1][0], runs[0][1]), *runs[1:-1]]
    return runs


def daily_p95(points: Sequence[tuple[float, float]], zone: ZoneInfo) -> list[tuple[str, float]]:
    by_day: dict[str, list[float]] = {}
    clock = _LocalClock(zone)
    for ts, value in points:
        by_day.setdefault(clock(ts)[0], []).append(value)
    return [(day, quantile(values, 0.95)) for day, values in sorted(by_day.items())]


def partial_days(start: datetime, end: datetime, zone: ZoneInfo) -> list[str]:
    """The local days the period ``start``–``end`` covers only in part (its first day when
    it starts after midnight, its last when it ends before the next midnight): their p95
    is of some hours only and must not read as a whole day."""
    first, last = start.astimezone(zone), end.astimezone(zone)
    days: list[str] = []
    if first.time() != datetime.min.time():
        days.append(first.date().isoformat())
    if last.time() != datetime.min.time():
        days.append(last.date().isoformat())
    return sorted(set(days))


def _tier_for(needed: float, tiers: Sequence[int]) -> int | None:
    return next((t for t in sorted(tiers) if t >= needed - 1e-9), None)


def _mbps(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value >= 10 else f"{value:.1f}".replace(".", ",")


def recommend(
    capacity_mbps: float,
    monthly_cost_idr: int | None,
    p95_mbps: float | None,
    p99_mbps: float | None,
    policy: Policy = Policy(),
) -> Recommendation:
    """Keep, downsize or upgrade a circuit from its busiest direction's p95 and p99."""
    if p95_mbps is None or p99_mbps is None:
        return Recommendation(
            "no-data",
            None,
            0,
            "Tidak ada data trafik untuk periode ini: periksa exporter SNMP.",
            "No traffic data for the period: check the SNMP exporter.",
        )
    needed = max(p95_mbps / policy.p95_target, p99_mbps / policy.p99_target)
    tier = _tier_for(needed, policy.tiers)
    cost = monthly_cost_idr or 0

    def price(mbps: float) -> int:
        return round(cost * mbps / capacity_mbps)

    if p95_mbps > policy.upgrade_at * capacity_mbps:
        target = float(tier) if tier is not None else float(max(policy.tiers))
        if target <= capacity_mbps:
            target = float(
                next((t for t in sorted(policy.tiers) if t > capacity_mbps), capacity_mbps * 2)
            )
        extra = price(target) - cost
        return Recommendation(
            "upgrade",
            target,
            extra,
            f"p95 {_mbps(p95_mbps)} Mbps melebihi {policy.upgrade_at:.0%} dari kapasitas "
            f"{_mbps(capacity_mbps)} Mbps: link jenuh, kebutuhan sebenarnya bisa lebih tinggi.",
            f"p95 {p95_mbps:,.0f} Mbps is above {policy.upgrade_at:.0%} of the "
            f"{capacity_mbps:,.0f} Mbps capacity: saturated, real demand may be higher.",
        )
    if tier is not None and tier < capacity_mbps:
        change = price(tier) - cost
        return Recommendation(
            "downsize",
            float(tier),
            change,
            f"p95 {_mbps(p95_mbps)} Mbps dan p99 {_mbps(p99_mbps)} Mbps muat di {tier} Mbps "
            f"(p95 ≤ {policy.p95_target:.0%}, p99 ≤ {policy.p99_target:.0%}).",
            f"p95 {p95_mbps:,.0f} Mbps and p99 {p99_mbps:,.0f} Mbps fit in {tier} Mbps "
            f"(p95 ≤ {policy.p95_target:.0%}, p99 ≤ {policy.p99_target:.0%}).",
        )
    return Recommendation(
        "keep",
        capacity_mbps,
        0,
        f"Kapasitas {_mbps(capacity_mbps)} Mbps sesuai: p95 {_mbps(p95_mbps)} Mbps.",
        f"The {capacity_mbps:,.0f} Mbps capacity fits: p95 {p95_mbps:,.0f} Mbps.",
    )


def recommend_backup(
    capacity_mbps: float,
    monthly_cost_idr: int | None,
    failover_mbps: float | None,
    primary: tuple[float, float] | None,
    primary_name: str | None,
    policy: Policy = Policy(),
) -> tuple[Recommendation, str | None]:
    """Size a backup circuit for the load it takes over when its primary fails: the declared
    ``failover_mbps`` (a floor the tier must reach), else the primary's (p95, p99) by the same
    rule as any circuit. Without either, keep it: its own idle traffic proves nothing."""
    cost = monthly_cost_idr or 0

    def price(mbps: float) -> int:
        return round(cost * mbps / capacity_mbps)

    if failover_mbps is not None:
        needed, basis = failover_mbps, "declared"
        why_id = f"kapasitas cadangan yang ditetapkan kota {_mbps(failover_mbps)} Mbps"
        why_en = f"the backup capacity the city declared, {failover_mbps:,.0f} Mbps"
    elif primary is not None:
        p95, p99 = primary
        needed = max(p95 / policy.p95_target, p99 / policy.p99_target)
        basis = "primary"
        name = primary_name or "utama"
        why_id = (
            f"beban link utama {name} (p95 {_mbps(p95)} Mbps, p99 {_mbps(p99)} Mbps) "
            "yang harus ditanggung saat link utama putus"
        )
        why_en = (
            f"the load of primary {primary_name or ''} (p95 {p95:,.0f} Mbps, p99 {p99:,.0f} "
            "Mbps) it must carry when the primary fails"
        )
    else:
        return (
            Recommendation(
                "keep",
                capacity_mbps,
                0,
                "Link cadangan: tidak ada data beban link utama dan tidak ada kapasitas "
                "cadangan yang ditetapkan, jadi tidak ada dasar untuk menurunkannya. "
                "Trafiknya sendiri kecil karena menunggu link utama putus.",
                "Backup circuit: no load data for its primary and no declared failover "
                "capacity, so nothing supports a downsize. Its own traffic is idle by design.",
            ),
            None,
        )
    tier = _tier_for(needed, policy.tiers)
    target = float(tier) if tier is not None else float(max(policy.tiers))
    if target > capacity_mbps:
        return (
            Recommendation(
                "upgrade",
                target,
                price(target) - cost,
                f"Link cadangan terlalu kecil untuk {why_id}: perlu {_mbps(target)} Mbps.",
                f"The backup is too small for {why_en}: it needs {target:,.0f} Mbps.",
            ),
            basis,
        )
    if target < capacity_mbps:
        return (
            Recommendation(
                "downsize",
                target,
                price(target) - cost,
                f"Cukup {_mbps(target)} Mbps untuk {why_id}.",
                f"{target:,.0f} Mbps is enough for {why_en}.",
            ),
            basis,
        )
    return (
        Recommendation(
            "keep",
            capacity_mbps,
            0,
            f"Kapasitas {_mbps(capacity_mbps)} Mbps sesuai untuk {why_id}.",
            f"The {capacity_mbps:,.0f} Mbps capacity fits {why_en}.",
        ),
        basis,
    )


def analyse_uplink(
    link: Link,
    site: str,
    inbound: Sequence[tuple[float, float]],
    outbound: Sequence[tuple[float, float]],
    zone: ZoneInfo,
    policy: Policy = Policy(),
    *,
    period: tuple[datetime, datetime] | None = None,
    primary: UplinkReport | None = None,
) -> UplinkReport:
    """Percentiles, peak hours, cost per used Mbps and advice for one leased uplink; the
    points are (unix time, bit/s). A backup is sized from ``primary`` (its primary's report)
    or its declared ``failover_mbps``, never from its own traffic."""
    to_mbps_in = [(t, v / 1e6) for t, v in inbound]
    to_mbps_out = [(t, v / 1e6) for t, v in outbound]
    p_in = percentiles([v for _, v in to_mbps_in])
    p_out = percentiles([v for _, v in to_mbps_out])
    p95 = max((p.p95 for p in (p_in, p_out) if p), default=None)
    p99 = max((p.p99 for p in (p_in, p_out) if p), default=None)
    hourly_in = hourly_profile(to_mbps_in, zone)
    hourly_out = hourly_profile(to_mbps_out, zone)
    busiest = [max(a, b) for a, b in zip(hourly_in, hourly_out, strict=True)]
    combined: dict[float, float] = {}
    for t, v in [*to_mbps_in, *to_mbps_out]:
        combined[t] = max(combined.get(t, 0.0), v)
    cost = link.monthly_cost_idr
    basis: str | None = None
    if link.role == "backup":
        load = None
        if primary is not None and primary.inbound is not None and primary.outbound is not None:
            load = (
                max(primary.inbound.p95, primary.outbound.p95),
                max(primary.inbound.p99, primary.outbound.p99),
            )
        name = (primary.circuit or primary.link_id) if primary is not None else link.backup_for
        advice, basis = recommend_backup(
            float(link.capacity_mbps), cost, link.failover_mbps, load, name, policy
        )
    else:
        advice = recommend(float(link.capacity_mbps), cost, p95, p99, policy)
    return UplinkReport(
        link_id=link.id,
        device=link.a.device,
        interface=link.a.interface,
        site=site,
        provider=link.provider or "",
        circuit=link.circuit_id,
        description=link.description,
        capacity_mbps=float(link.capacity_mbps),
        monthly_cost_idr=cost,
        samples=max(len(inbound), len(outbound)),
        inbound=p_in,
        outbound=p_out,
        hourly_in_mbps=hourly_in,
        hourly_out_mbps=hourly_out,
        peak_hours=peak_hours(busiest),
        daily_p95_mbps=daily_p95(sorted(combined.items()), zone),
        cost_per_used_mbps_idr=(
            round(cost / p95) if cost is not None and p95 and link.role != "backup" else None
        ),
        recommendation=advice,
        partial_days=partial_days(*period, zone) if period else [],
        role=link.role,
        backup_for=(primary.link_id if primary is not None else link.backup_for),
        failover_mbps=link.failover_mbps,
        failover_basis=basis,
    )


# --- Prometheus -------------------------------------------------------------------------------


def city_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or a :class:`ReportError` saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ReportError(
            f"unknown time zone {name!r}: use an IANA name like Asia/Makassar"
        ) from exc


def _selector(device: str, interface: str) -> str:
    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return f'device="{esc(device)}",ifName="{esc(interface)}"'


def step_for(days: int) -> int:
    """Range-query step: 5 minutes, coarser when the period would exceed 10,000 points."""
    return max(300, math.ceil(days * 86400 / 10000 / 60) * 60)


def collect(
    inventory: Inventory,
    client: PrometheusClient,
    days: int = 30,
    end: datetime | None = None,
    policy: Policy = Policy(),
    timezone: str | None = None,
) -> CapacityReport:
    """Query Prometheus for the period ending ``end`` (now) and build the report; hours and
    days are in ``timezone`` (default: the inventory's ``meta.timezone``)."""
    if days < 1:
        raise ReportError("--days must be at least 1")
    finish = (end or datetime.now(UTC)).astimezone(UTC)
    start = finish - timedelta(days=days)
    step = step_for(days)
    window = f"{max(5 * 60, step)}s"
    zone = city_zone(timezone or inventory.meta.timezone)
    uplinks: list[UplinkReport] = []
    by_name: dict[str, UplinkReport] = {}
    leased = [link for link in inventory.links if link.medium == "leased"]
    # Primaries first: a backup is sized from its primary's report.
    for link in sorted(leased, key=lambda item: item.role == "backup"):
        selector = _selector(link.a.device, link.a.interface)
        series: dict[str, list[tuple[float, float]]] = {}
        for direction, metric in (("in", "ifHCInOctets"), ("out", "ifHCOutOctets")):
            expr = f"max(rate({metric}{{{selector}}}[{window}])) * 8"
            result = client.query_range(expr, start.timestamp(), finish.timestamp(), step)
            series[direction] = result[0].points if result else []
        device = inventory.find_device(link.a.device)
        report = analyse_uplink(
            link,
            device.site if device else "",
            series["in"],
            series["out"],
            zone,
            policy,
            period=(start, finish),
            primary=by_name.get(link.backup_for or ""),
        )
        for name in link.names():
            by_name[name] = report
        uplinks.append(report)
    order = {link.id: index for index, link in enumerate(leased)}
    uplinks.sort(key=lambda u: order[u.link_id])
    fibre = _fibre(inventory, client, days, finish, step)
    return CapacityReport(
        city=inventory.meta.name or inventory.meta.city,
        timezone=zone.key,
        prometheus=client.url,
        start=start,
        end=finish,
        days=days,
        policy=policy,
        uplinks=uplinks,
        fibre=fibre,
    )


def _fibre(
    inventory: Inventory, client: PrometheusClient, days: int, end: datetime, step: int
) -> list[FibreLink]:
    """p95 per inventory-link port, one server-side query per direction for the whole city."""
    window = f"{max(5 * 60, step)}s"
    p95: dict[str, dict[tuple[str, str], float]] = {}
    for direction, metric in (("in", "ifHCInOctets"), ("out", "ifHCOutOctets")):
        expr = (
            f"quantile_over_time(0.95, (max by (device, ifName) "
            f"(rate({metric}[{window}])))[{days}d:{step}s]) * 8"
        )
        p95[direction] = {
            (s.labels.get("device", ""), s.labels.get("ifName", "")): s.points[0][1] / 1e6
            for s in client.query(expr, end.timestamp())
        }
    links: list[FibreLink] = []
    for link in inventory.links:
        if link.b is None:
            continue
        best: tuple[float, str, str, float | None, float | None] | None = None
        for end_point in link.ends():
            key = (end_point.device, end_point.interface)
            p_in, p_out = p95["in"].get(key), p95["out"].get(key)
            busiest = max((v for v in (p_in, p_out) if v is not None), default=-1.0)
            if best is None or busiest > best[0]:
                best = (busiest, end_point.device, end_point.interface, p_in, p_out)
        assert best is not None
        _, device, interface, p_in, p_out = best
        links.append(
            FibreLink(
                link_id=link.id,
                device=device,
                interface=interface,
                far_end=link.far_end(device, interface),
                medium=link.medium,
                capacity_mbps=float(link.capacity_mbps),
                p95_in_mbps=p_in,
                p95_out_mbps=p_out,
            )
        )
    links.sort(key=lambda f: (f.utilisation is None, -(f.utilisation or 0)))
    return links
