"""The capacity analysis: percentiles, peak hours and the keep/downsize/upgrade rule."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netops.inventory.models import Link
from netops.report.capacity import (
    Policy,
    analyse_uplink,
    daily_p95,
    hourly_profile,
    partial_days,
    peak_hours,
    quantile,
    recommend,
    recommend_backup,
    step_for,
)

WITA = ZoneInfo("Asia/Makassar")


def test_quantile_interpolates_like_promql() -> None:
    assert quantile([1, 2, 3, 4, 5], 0.5) == 3
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile(list(range(101)), 0.95) == 95
    assert quantile([7], 0.99) == 7


@given(st.lists(st.floats(0, 1e4), min_size=1, max_size=200), st.floats(0, 1))
def test_quantile_lies_between_min_and_max(values: list[float], q: float) -> None:
    assert min(values) - 1e-9 <= quantile(values, q) <= max(values) + 1e-9


def test_quiet_circuit_is_downsized_to_the_tier_keeping_p95_under_70_percent() -> None:
    rec = recommend(100, 9_000_000, p95_mbps=39.5, p99_mbps=40)
    assert (rec.action, rec.target_mbps, rec.saving_idr) == ("downsize", 60, 3_600_000)
    assert rec.monthly_change_idr == -3_600_000


def test_p99_can_keep_a_circuit_bigger_than_p95_alone_would() -> None:
    # p95 20 → 30 Mbps would do, but p99 80 needs 80 / 0.9 = 89 → 90 Mbps.
    rec = recommend(100, 10_000_000, p95_mbps=20, p99_mbps=80)
    assert (rec.action, rec.target_mbps, rec.saving_idr) == ("downsize", 90, 1_000_000)


def test_saturated_circuit_is_upgraded_with_its_extra_cost() -> None:
    rec = recommend(300, 27_000_000, p95_mbps=299, p99_mbps=300)
    assert (rec.action, rec.target_mbps, rec.monthly_change_idr) == ("upgrade", 500, 18_000_000)
    assert rec.saving_idr == 0


def test_well_sized_circuit_is_kept() -> None:
    rec = recommend(100, 9_000_000, p95_mbps=65, p99_mbps=75)
    assert (rec.action, rec.target_mbps, rec.monthly_change_idr) == ("keep", 100, 0)


def test_no_traffic_data_is_said_not_guessed() -> None:
    rec = recommend(100, 9_000_000, p95_mbps=None, p99_mbps=None)
    assert rec.action == "no-data" and rec.target_mbps is None and "SNMP" in rec.reason_en


def test_upgrade_beyond_the_largest_tier_goes_to_the_largest_tier() -> None:
    rec = recommend(1000, 95_000_000, 990, 1000, Policy(tiers=(100, 500, 1000, 2000)))
    assert (rec.action, rec.target_mbps) == ("upgrade", 2000)


def test_peak_hours_are_runs_of_hours_near_the_busiest() -> None:
    profile = [5.0] * 24
    profile[19] = profile[20] = profile[21] = 40.0
    profile[12] = 37.0
    assert peak_hours(profile) == [(12, 13), (19, 22)]
    assert peak_hours([0.0] * 24) == []


def test_peak_hours_wrap_past_midnight() -> None:
    profile = [1.0] * 24
    profile[22] = profile[23] = profile[0] = profile[1] = 10.0
    assert peak_hours(profile) == [(22, 2)]


def test_hourly_profile_and_days_use_the_city_time_zone() -> None:
    # 16:30 UTC is 00:30 WITA the next day.
    ts = datetime(2026, 11, 1, 16, 30, tzinfo=UTC).timestamp()
    profile = hourly_profile([(ts, 10.0), (ts + 60, 20.0)], WITA)
    assert profile[0] == 15.0 and sum(profile) == 15.0
    assert daily_p95([(ts, 10.0)], WITA) == [("2026-11-02", 10.0)]


def test_analyse_uplink_reports_cost_per_used_mbps() -> None:
    link = Link.model_validate(
        {"a": "core:Gi0/0", "provider": "Telkom", "medium": "leased", "capacity_mbps": 100,
         "monthly_cost_idr": 9_000_000}
    )  # fmt: skip
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    inbound = [(start + i * 300, 30e6 if i % 10 else 45e6) for i in range(2000)]
    outbound = [(t, v / 4) for t, v in inbound]
    report = analyse_uplink(link, "cc", inbound, outbound, WITA)
    assert report.inbound is not None and report.inbound.max == pytest.approx(45)
    assert report.cost_per_used_mbps_idr == round(9_000_000 / report.inbound.p95)
    assert report.samples == 2000
    assert report.busiest_p95_mbps == report.inbound.p95


def test_range_step_stays_under_prometheus_point_limit() -> None:
    assert step_for(30) == 300
    assert 365 * 86400 / step_for(365) <= 11000


def test_an_unknown_report_time_zone_is_refused_before_any_query() -> None:
    from netops.errors import ReportError
    from netops.inventory import load_inventory
    from netops.report.capacity import collect
    from netops.report.prometheus import PrometheusClient
    from tests.paths import LAB

    client = PrometheusClient("http://127.0.0.1:9")  # nothing listens: no query may be made
    with pytest.raises(ReportError, match="unknown time zone 'Mars/Olympus'"):
        collect(load_inventory(LAB), client, days=7, timezone="Mars/Olympus")


def test_a_bad_prometheus_url_is_a_clear_error() -> None:
    from netops.errors import ReportError
    from netops.report.prometheus import PrometheusClient

    with pytest.raises(ReportError, match="not an http"):
        PrometheusClient("127.0.0.1:9090")


def test_a_backup_is_sized_for_its_primarys_load_not_its_own_idle_traffic() -> None:
    primary = Link.model_validate(
        {"a": "core:Gi0/2", "provider": "Telkom", "circuit_id": "ASTINET-1", "medium": "leased",
         "capacity_mbps": 1000, "monthly_cost_idr": 95_000_000}
    )  # fmt: skip
    backup = Link.model_validate(
        {"a": "core:Gi0/3", "provider": "Telkom", "circuit_id": "METRO-42", "medium": "leased",
         "capacity_mbps": 500, "monthly_cost_idr": 45_000_000, "role": "backup",
         "backup_for": "ASTINET-1"}
    )  # fmt: skip
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    busy = [(start + i * 300, 300e6) for i in range(2000)]
    idle = [(start + i * 300, 0.5e6) for i in range(2000)]
    main = analyse_uplink(primary, "cc", busy, busy, WITA)
    alone = analyse_uplink(backup, "cc", idle, idle, WITA)
    assert alone.recommendation.action == "keep"  # no primary data: no basis to cut
    assert alone.recommendation.saving_idr == 0
    sized = analyse_uplink(backup, "cc", idle, idle, WITA, primary=main)
    # 300 Mbps / 70% = 429 → the 500 tier: keep, not "downsize to 10 Mbps".
    assert sized.recommendation.action == "keep"
    assert sized.failover_basis == "primary" and sized.is_backup
    assert "ASTINET-1" in sized.recommendation.reason_id
    assert sized.cost_per_used_mbps_idr is None  # idle by design: no cost per used Mbps


def test_a_declared_failover_capacity_wins_and_too_small_a_backup_is_upgraded() -> None:
    backup = Link.model_validate(
        {"a": "core:Gi0/3", "provider": "Telkom", "medium": "leased", "capacity_mbps": 500,
         "monthly_cost_idr": 45_000_000, "role": "backup", "failover_mbps": 200}
    )  # fmt: skip
    advice, basis = recommend_backup(500, 45_000_000, 200, (600.0, 650.0), "ASTINET-1")
    assert basis == "declared" and advice.action == "downsize" and advice.target_mbps == 200
    advice, basis = recommend_backup(500, 45_000_000, None, (600.0, 650.0), "ASTINET-1")
    assert basis == "primary" and advice.action == "upgrade" and advice.target_mbps == 900
    assert backup.role == "backup"


def test_partial_days_are_the_cut_first_and_last_local_days() -> None:
    start = datetime(2026, 11, 1, 16, 0, tzinfo=UTC)  # 02-11 00:00 WITA: a whole day
    end = datetime(2026, 12, 1, 19, 30, tzinfo=UTC)  # 02-12 03:30 WITA: partial
    assert partial_days(start, end, WITA) == ["2026-12-02"]
    assert partial_days(start.replace(hour=3), end, WITA) == ["2026-11-01", "2026-12-02"]


def test_a_backup_link_must_say_what_it_backs_up() -> None:
    with pytest.raises(ValueError, match="backup_for"):
        Link.model_validate(
            {"a": "core:Gi0/3", "provider": "Telkom", "medium": "leased", "capacity_mbps": 500,
             "role": "backup"}
        )  # fmt: skip
