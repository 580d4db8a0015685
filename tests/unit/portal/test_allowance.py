"""What a citizen has left, as the status page and the captive API show it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from netops.inventory.models import Plan
from netops.portal.allowance import allowance, day_start, next_midnight

WITA = ZoneInfo("Asia/Makassar")
NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)  # 11:00 WITA
GRATIS = Plan(
    name="gratis", session_timeout="2h", daily_time="2h", daily_data="1GB", interim_interval="5m"
)


def test_day_starts_at_the_city_midnight() -> None:
    assert day_start(NOW, WITA) == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert next_midnight(NOW, WITA) == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def test_daily_time_and_data_left_subtract_today_usage() -> None:
    left = allowance(
        GRATIS,
        now=NOW,
        today_seconds=1800,
        today_octets=100_000_000,
        total_octets=5_000_000_000,
        valid_until=None,
        session_seconds=600,
    )
    assert left.time_left_s == 5400
    assert left.data_left == 900_000_000
    assert left.session_left_s == 5400  # capped by the day's time, not the 2 h session


def test_validity_is_not_todays_time_but_cuts_the_running_session() -> None:
    left = allowance(
        GRATIS,
        now=NOW,
        today_seconds=600,
        today_octets=0,
        total_octets=0,
        valid_until=NOW + timedelta(minutes=30),
        session_seconds=600,
    )
    assert left.time_left_s == 6600  # today's 2 h minus 10 min, whatever the voucher says
    assert left.validity_left_s == 1800
    assert left.valid_until == NOW + timedelta(minutes=30)
    assert left.session_left_s == 1800  # the session ends when the voucher does


def test_a_plan_without_daily_time_has_no_daily_limit_even_with_a_validity() -> None:
    day = Plan(name="voucher-harian", session_timeout="4h", interim_interval="5m")
    left = allowance(
        day,
        now=NOW,
        today_seconds=0,
        today_octets=0,
        total_octets=0,
        valid_until=NOW - timedelta(minutes=5),
        session_seconds=60,
    )
    assert (left.time_left_s, left.validity_left_s, left.session_left_s) == (None, 0, 0)


def test_no_running_session_means_no_session_countdown() -> None:
    left = allowance(
        GRATIS,
        now=NOW,
        today_seconds=0,
        today_octets=0,
        total_octets=0,
        valid_until=NOW + timedelta(hours=5),
    )
    assert (left.time_left_s, left.session_left_s, left.validity_left_s) == (7200, None, 18000)


def test_used_up_limits_show_zero_not_negative() -> None:
    left = allowance(
        GRATIS,
        now=NOW,
        today_seconds=9000,
        today_octets=2_000_000_000,
        total_octets=0,
        valid_until=None,
    )
    assert (left.time_left_s, left.data_left) == (0, 0)


def test_plans_without_limits_are_unlimited() -> None:
    staff = Plan(name="pegawai", interim_interval="5m")
    left = allowance(
        staff, now=NOW, today_seconds=99, today_octets=99, total_octets=99, valid_until=None
    )
    assert (left.time_left_s, left.data_left, left.session_left_s) == (None, None, None)


def test_total_quota_counts_all_time_usage() -> None:
    event = Plan(name="event", data_quota="5GB", interim_interval="5m")
    left = allowance(
        event,
        now=NOW,
        today_seconds=0,
        today_octets=0,
        total_octets=4_500_000_000,
        valid_until=None,
    )
    assert left.data_left == 500_000_000
