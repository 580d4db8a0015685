"""Hotspot usage aggregation: days and hours in the city's time, pro-rata splitting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from netops.report.hotspots import NO_HOTSPOT, build, period, session_end, to_csv
from netops.store import Session

WITA = ZoneInfo("Asia/Makassar")


def _session(
    sid: int,
    start: datetime,
    seconds: int,
    *,
    hotspot: str | None = "park",
    user: str = "u",
    down: int = 0,
    stopped: bool = True,
) -> Session:
    return Session(
        id=sid,
        username=user,
        nas_ip="10.0.0.1",
        nas_identifier=None,
        hotspot=hotspot,
        acct_session_id=str(sid),
        mac=None,
        ip=None,
        started_at=start,
        updated_at=start + timedelta(seconds=seconds),
        stopped_at=start + timedelta(seconds=seconds) if stopped else None,
        session_time=seconds,
        input_octets=0,
        output_octets=down,
        terminate_cause=None,
    )


def test_period_is_whole_local_days_ending_with_todays() -> None:
    end = datetime(2026, 11, 7, 3, 0, tzinfo=UTC)  # 11:00 WITA on 7 November
    start, finish, dates = period(end, 3, WITA)
    assert start == datetime(2026, 11, 4, 16, 0, tzinfo=UTC)  # 5 Nov 00:00 WITA
    assert finish == end
    assert [d.isoformat() for d in dates] == ["2026-11-05", "2026-11-06", "2026-11-07"]


def test_open_session_runs_to_its_last_update() -> None:
    start = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)
    s = _session(1, start, 1800, stopped=False)
    assert session_end(s) == start + timedelta(seconds=1800)


def test_time_and_data_split_over_midnight_in_the_city_time_zone() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 2, WITA)
    # 23:30 WITA on the 6th for one hour, 1 GB down.
    s = _session(1, datetime(2026, 11, 6, 15, 30, tzinfo=UTC), 3600, down=10**9)
    report = build([s], [("park", "Taman")], start, end, dates, WITA)
    (park,) = report.hotspots
    first, second = park.days
    assert (first.day, first.hours, first.gb, first.sessions) == ("2026-11-06", 0.5, 0.5, 1)
    assert (second.day, second.hours, second.gb, second.sessions) == ("2026-11-07", 0.5, 0.5, 0)
    assert park.hourly_user_hours[23] == pytest.approx(0.5)
    assert park.hourly_user_hours[0] == pytest.approx(0.5)


def test_sessions_without_a_hotspot_are_kept_under_their_own_name() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 1, WITA)
    s = _session(1, datetime(2026, 11, 7, 2, 0, tzinfo=UTC), 600, hotspot=None)
    report = build([s], [], start, end, dates, WITA)
    assert [h.hotspot for h in report.hotspots] == [NO_HOTSPOT]


def test_a_zero_length_session_counts_its_data_on_its_day() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 1, WITA)
    s = _session(1, datetime(2026, 11, 7, 2, 0, tzinfo=UTC), 0, down=5 * 10**8)
    (park,) = build([s], [("park", "Taman")], start, end, dates, WITA).hotspots
    assert (park.sessions, park.users, park.hours, park.gb) == (1, 1, 0.0, 0.5)


def test_distinct_users_per_day_and_period() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 2, WITA)
    day1 = datetime(2026, 11, 6, 2, 0, tzinfo=UTC)
    sessions = [
        _session(1, day1, 600, user="a"),
        _session(2, day1 + timedelta(hours=1), 600, user="a"),
        _session(3, day1 + timedelta(days=1), 600, user="a"),
        _session(4, day1 + timedelta(days=1), 600, user="b"),
    ]
    (park,) = build(sessions, [("park", "Taman")], start, end, dates, WITA).hotspots
    assert [(d.users, d.sessions) for d in park.days] == [(1, 2), (2, 2)]
    assert park.users == 2


def test_csv_has_one_row_per_hotspot_per_day() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 2, WITA)
    report = build([], [("park", "Taman"), ("pasar", "Pasar")], start, end, dates, WITA)
    lines = to_csv(report).splitlines()
    assert lines[0] == "hotspot,name,date,users,sessions,hours,gb_down,gb_up,gb_total"
    assert len(lines) == 1 + 2 * 2


def test_a_user_at_two_hotspots_counts_once_for_the_city() -> None:
    start, end, dates = period(datetime(2026, 11, 7, 16, 0, tzinfo=UTC), 1, WITA)
    at = datetime(2026, 11, 7, 2, 0, tzinfo=UTC)
    sessions = [
        _session(1, at, 600, hotspot="park", user="a"),
        _session(2, at + timedelta(hours=1), 600, hotspot="pasar", user="a"),
        _session(3, at, 600, hotspot="pasar", user="b"),
    ]
    report = build(sessions, [("park", "Taman"), ("pasar", "Pasar")], start, end, dates, WITA)
    assert sorted(h.users for h in report.hotspots) == [1, 2]
    assert report.users == 2
