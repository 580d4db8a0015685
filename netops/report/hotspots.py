"""The hotspot-usage report: users, sessions, hours online and data per hotspot per day, and
the busiest hours, from the RADIUS accounting store.

Counting rules (docs/reports.md): a session's time runs from its start to its Stop, or to its
last update while it is still open; time and data are split across days and hours in
proportion to the time online in each (a session over midnight counts on both days). A session
counts on the day it started; a user counts on every day they were online. Days are the
city's local days. GB are 10^9 bytes.

``build`` is pure; ``collect`` reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from netops.csvexport import to_csv as to_csv_text
from netops.errors import ReportError
from netops.inventory.models import Inventory
from netops.report.capacity import city_zone, peak_hours
from netops.store import Session, Store

NO_HOTSPOT = "(tanpa hotspot)"
GB = 1e9


@dataclass
class HotspotDay:
    hotspot: str
    day: str
    users: int = 0
    sessions: int = 0
    hours: float = 0.0
    octets_down: float = 0.0  # to the users
    octets_up: float = 0.0  # from the users

    @property
    def gb(self) -> float:
        return (self.octets_down + self.octets_up) / GB


@dataclass
class HotspotSummary:
    hotspot: str
    name: str
    days: list[HotspotDay]
    users: int = 0
    sessions: int = 0
    hours: float = 0.0
    octets_down: float = 0.0
    octets_up: float = 0.0
    hourly_user_hours: list[float] = field(default_factory=lambda: [0.0] * 24)

    @property
    def gb(self) -> float:
        return (self.octets_down + self.octets_up) / GB

    @property
    def busiest_hour(self) -> int | None:
        top = max(self.hourly_user_hours)
        return self.hourly_user_hours.index(top) if top > 0 else None


@dataclass
class HotspotReport:
    city: str
    timezone: str
    start: datetime
    end: datetime
    dates: list[str]
    hotspots: list[HotspotSummary]
    distinct_users: int = 0  # over every hotspot: a user seen at two hotspots counts once

    @property
    def hourly_avg_users(self) -> list[float]:
        """Average number of users online in each hour of the local day."""
        days = max(1, len(self.dates))
        return [sum(h.hourly_user_hours[i] for h in self.hotspots) / days for i in range(24)]

    @property
    def busiest_hours(self) -> list[tuple[int, int]]:
        return peak_hours(self.hourly_avg_users)

    @property
    def users(self) -> int:
        return self.distinct_users

    @property
    def sessions(self) -> int:
        return sum(h.sessions for h in self.hotspots)

    @property
    def hours(self) -> float:
        return sum(h.hours for h in self.hotspots)

    @property
    def gb(self) -> float:
        return sum(h.gb for h in self.hotspots)


def period(end: datetime, days: int, zone: ZoneInfo) -> tuple[datetime, datetime, list[date]]:
    """The ``days`` local calendar days ending with the one ``end`` falls in (UTC bounds)."""
    if days < 1:
        raise ReportError("--days must be at least 1")
    local_end = end.astimezone(zone)
    last = (local_end - timedelta(microseconds=1)).date()
    first = last - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    return start, end.astimezone(UTC), [first + timedelta(days=i) for i in range(days)]


def session_end(session: Session) -> datetime:
    """When the session stopped, or how far accounting has seen it while open."""
    if session.stopped_at is not None:
        return session.stopped_at
    return max(session.updated_at, session.started_at + timedelta(seconds=session.session_time))


def _pieces(start: datetime, end: datetime, zone: ZoneInfo) -> Iterable[tuple[date, int, float]]:
    """(local day, local hour, seconds) for each local hour the interval touches."""
    cursor = start.astimezone(zone)
    stop = end.astimezone(zone)
    while cursor < stop:
        next_hour = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        piece_end = min(next_hour, stop)
        yield cursor.date(), cursor.hour, (piece_end - cursor).total_seconds()
        cursor = piece_end


def build(
    sessions: Sequence[Session],
    hotspots: Sequence[tuple[str, str]],
    start: datetime,
    end: datetime,
    dates: Sequence[date],
    zone: ZoneInfo,
    city: str = "",
) -> HotspotReport:
    """Aggregate sessions into per-hotspot, per-day figures for [start, end)."""
    names = dict(hotspots)
    day_keys = [d.isoformat() for d in dates]
    grid: dict[str, dict[str, HotspotDay]] = {}
    summaries: dict[str, HotspotSummary] = {}
    users_day: dict[tuple[str, str], set[str]] = {}
    users_all: dict[str, set[str]] = {}

    def summary(hotspot: str) -> HotspotSummary:
        if hotspot not in summaries:
            grid[hotspot] = {d: HotspotDay(hotspot, d) for d in day_keys}
            summaries[hotspot] = HotspotSummary(
                hotspot, names.get(hotspot, hotspot), list(grid[hotspot].values())
            )
        return summaries[hotspot]

    for hotspot_id, _ in hotspots:
        summary(hotspot_id)
    for s in sessions:
        hotspot = s.hotspot or NO_HOTSPOT
        s_end = session_end(s)
        lo, hi = max(s.started_at, start), min(s_end, end)
        started_inside = start <= s.started_at < end
        if hi <= lo and not started_inside:
            continue
        total = (s_end - s.started_at).total_seconds()
        agg = summary(hotspot)
        days = grid[hotspot]
        if started_inside:
            key = s.started_at.astimezone(zone).date().isoformat()
            days[key].sessions += 1
            agg.sessions += 1
        users_all.setdefault(hotspot, set()).add(s.username)
        if total <= 0:  # no time online: its data counts where it started
            key = s.started_at.astimezone(zone).date().isoformat()
            if key in days:
                days[key].octets_down += s.output_octets
                days[key].octets_up += s.input_octets
                users_day.setdefault((hotspot, key), set()).add(s.username)
            continue
        for day, hour, seconds in _pieces(lo, hi, zone):
            key = day.isoformat()
            if key not in days:
                continue
            share = seconds / total
            cell = days[key]
            cell.hours += seconds / 3600
            cell.octets_down += s.output_octets * share
            cell.octets_up += s.input_octets * share
            agg.hourly_user_hours[hour] += seconds / 3600
            users_day.setdefault((hotspot, key), set()).add(s.username)
    for hotspot, agg in summaries.items():
        for cell in agg.days:
            cell.users = len(users_day.get((hotspot, cell.day), ()))
        agg.users = len(users_all.get(hotspot, ()))
        agg.hours = sum(c.hours for c in agg.days)
        agg.octets_down = sum(c.octets_down for c in agg.days)
        agg.octets_up = sum(c.octets_up for c in agg.days)
    ordered = sorted(summaries.values(), key=lambda h: (-h.hours, h.hotspot))
    return HotspotReport(
        city=city,
        timezone=zone.key,
        start=start,
        end=end,
        dates=day_keys,
        hotspots=ordered,
        distinct_users=len(set().union(*users_all.values())) if users_all else 0,
    )


def collect(
    inventory: Inventory,
    store: Store,
    days: int = 7,
    end: datetime | None = None,
    timezone: str | None = None,
) -> HotspotReport:
    """Read the sessions of the period from the store and build the report; days and hours
    are in ``timezone`` (default: the inventory's ``meta.timezone``)."""
    zone = city_zone(timezone or inventory.meta.timezone)
    start, finish, dates = period((end or datetime.now(UTC)), days, zone)
    sessions = store.sessions(since=start)
    return build(
        [s for s in sessions if s.started_at < finish],
        [(h.id, h.name or h.id) for h in inventory.hotspots],
        start,
        finish,
        dates,
        zone,
        city=inventory.meta.name or inventory.meta.city,
    )


def to_csv(report: HotspotReport) -> str:
    """One row per hotspot per day; dot decimals, for spreadsheets and scripts."""
    header = [
        "hotspot",
        "name",
        "date",
        "users",
        "sessions",
        "hours",
        "gb_down",
        "gb_up",
        "gb_total",
    ]
    return to_csv_text(
        header,
        (
            [
                h.hotspot,
                h.name,
                d.day,
                d.users,
                d.sessions,
                f"{d.hours:.2f}",
                f"{d.octets_down / GB:.3f}",
                f"{d.octets_up / GB:.3f}",
                f"{d.gb:.3f}",
            ]
            for h in report.hotspots
            for d in h.days
        ),
    )
