"""Plans → decisions and vendor attributes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from netops.inventory.models import Plan
from netops.radius.policy import (
    Consumed,
    authorize,
    quota_exhausted,
    remaining_octets,
    shortest_purge_age,
)

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
GRATIS = Plan.model_validate(
    {
        "name": "gratis",
        "session_timeout": "2h",
        "idle_timeout": "10m",
        "daily_time": "2h",
        "daily_data": "1GB",
        "rate_limit": {"down": "5M", "up": "2M"},
        "interim_interval": "5m",
    }
)
BIG = Plan.model_validate(
    {"name": "big", "data_quota": "10GB", "rate_limit": {"down": "20M", "up": "10M"}}
)


def attrs(decision: object) -> dict[str, object]:
    return dict(decision.attributes)  # type: ignore[attr-defined]


def test_session_timeout_is_the_plan_timeout_when_nothing_is_used() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=0,
    )
    assert d.accept
    assert attrs(d)["Session-Timeout"] == 7200
    assert attrs(d)["Idle-Timeout"] == 600
    assert attrs(d)["Acct-Interim-Interval"] == 300


def test_session_timeout_is_what_is_left_of_the_day() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(seconds=6000),
        total=Consumed(),
        open_sessions=0,
    )
    assert attrs(d)["Session-Timeout"] == 1200


def test_session_timeout_is_what_is_left_of_the_validity() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=0,
        valid_until=NOW + timedelta(minutes=15),
    )
    assert attrs(d)["Session-Timeout"] == 900


@pytest.mark.parametrize(
    ("today", "valid_until", "reason"),
    [
        (Consumed(seconds=7200), None, "daily_time"),
        (Consumed(octets=10**9), None, "daily_data"),
        (Consumed(), NOW, "expired"),
        (Consumed(), NOW - timedelta(seconds=1), "expired"),
    ],
)
def test_a_used_up_limit_rejects_with_its_reason(
    today: Consumed, valid_until: datetime | None, reason: str
) -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=today,
        total=today,
        open_sessions=0,
        valid_until=valid_until,
    )
    assert not d.accept
    assert d.reason == reason
    assert d.attributes == []


def test_total_quota_counts_across_sessions_not_only_today() -> None:
    d = authorize(
        plan=BIG,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(octets=10 * 10**9),
        open_sessions=0,
    )
    assert d.reason == "quota"


def test_simultaneous_use_rejects_when_the_sessions_are_all_taken() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=1,
    )
    assert d.reason == "simultaneous_use"


def test_mikrotik_rate_limit_is_upload_then_download() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=0,
    )
    assert attrs(d)["Mikrotik-Rate-Limit"] == "2M/5M"
    assert not any(name.startswith(("WISPr", "ChilliSpot")) for name in attrs(d))


def test_mikrotik_total_limit_splits_into_gigawords_above_4_gib() -> None:
    d = authorize(
        plan=BIG,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(),
        total=Consumed(octets=1_000_000_000),
        open_sessions=0,
    )
    left = 9 * 10**9
    assert attrs(d)["Mikrotik-Total-Limit"] == left & 0xFFFFFFFF
    assert attrs(d)["Mikrotik-Total-Limit-Gigawords"] == left >> 32
    assert (attrs(d)["Mikrotik-Total-Limit-Gigawords"] << 32) + attrs(d)[  # type: ignore[operator]
        "Mikrotik-Total-Limit"
    ] == left


def test_mikrotik_total_limit_has_no_gigawords_below_4_gib() -> None:
    d = authorize(
        plan=GRATIS,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(octets=400),
        total=Consumed(octets=400),
        open_sessions=0,
    )
    assert attrs(d)["Mikrotik-Total-Limit"] == 10**9 - 400
    assert "Mikrotik-Total-Limit-Gigawords" not in attrs(d)


def test_coovachilli_gets_chillispot_kbps_and_wispr_bps() -> None:
    d = authorize(
        plan=GRATIS,
        platform="coovachilli",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=0,
    )
    a = attrs(d)
    assert a["ChilliSpot-Bandwidth-Max-Up"] == 2000
    assert a["ChilliSpot-Bandwidth-Max-Down"] == 5000
    assert a["ChilliSpot-Max-Total-Octets"] == 10**9
    assert a["WISPr-Bandwidth-Max-Up"] == 2_000_000
    assert a["WISPr-Bandwidth-Max-Down"] == 5_000_000
    assert "Mikrotik-Rate-Limit" not in a


def test_wispr_terminate_time_is_the_validity_end_in_the_city_time_zone() -> None:
    d = authorize(
        plan=GRATIS,
        platform="openwrt",
        now=NOW,
        today=Consumed(),
        total=Consumed(),
        open_sessions=0,
        valid_until=NOW + timedelta(hours=1),
        timezone=ZoneInfo("Asia/Makassar"),
    )
    assert attrs(d)["WISPr-Session-Terminate-Time"] == "2026-11-22T19:00:00+08:00"


def test_an_unlimited_plan_sends_no_timeout_and_no_quota() -> None:
    plan = Plan.model_validate({"name": "pegawai"})
    d = authorize(
        plan=plan,
        platform="mikrotik_routeros",
        now=NOW,
        today=Consumed(seconds=10**6),
        total=Consumed(octets=10**12),
        open_sessions=0,
    )
    assert d.accept
    assert set(attrs(d)) == {"Acct-Interim-Interval"}
    assert remaining_octets(plan, Consumed(), Consumed()) is None


def test_quota_exhausted_names_the_limit_reached() -> None:
    assert quota_exhausted(GRATIS, Consumed(octets=10**9), Consumed()) == "daily_data"
    assert quota_exhausted(GRATIS, Consumed(octets=10**9 - 1), Consumed()) is None
    assert quota_exhausted(BIG, Consumed(), Consumed(octets=10 * 10**9)) == "quota"


def test_purging_may_not_reach_into_the_day_when_a_plan_has_a_daily_limit() -> None:
    assert shortest_purge_age([BIG, GRATIS], since_midnight=3600) == 86_400
    # a 25-hour day (a DST change) needs the whole day
    assert shortest_purge_age([GRATIS], since_midnight=90_000) == 90_000
    # total quotas are kept in the store's usage totals: no floor of their own
    assert shortest_purge_age([BIG], since_midnight=3600) == 0
