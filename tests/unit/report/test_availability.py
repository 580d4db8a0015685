"""The availability arithmetic: outages from probe samples, maintenance, the SLA credit."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from netops.errors import ReportError
from netops.exporters.targets import probe_targets
from netops.inventory import load_inventory
from netops.inventory.models import Link
from netops.report.availability import (
    assess,
    down_intervals,
    intersect,
    merge,
    month_period,
    sla_result,
)
from tests.paths import BANJARMASIN

WITA = ZoneInfo("Asia/Makassar")


def test_an_outage_runs_from_the_first_failed_probe_to_the_next_success() -> None:
    points = [(0, 1), (30, 0), (60, 0), (90, 1), (120, 0), (150, 0)]
    assert down_intervals(points, until=200) == [(30, 90), (120, 200)]
    assert down_intervals([(0, 1), (30, 1)], until=60) == []


def test_merge_and_intersect_intervals() -> None:
    assert merge([(5, 10), (0, 3), (3, 4), (9, 12), (20, 20)]) == [(0, 4), (5, 12)]
    assert intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]


def test_maintenance_leaves_the_period_and_the_outage() -> None:
    a = assess("uplink", "x", "x", "", (0, 1000), [(100, 300)], [(200, 400)])
    (outage,) = a.outages
    assert (outage.seconds, outage.maintenance_seconds, outage.counted_seconds) == (200, 100, 100)
    assert a.maintenance_seconds == 200 and a.downtime_seconds == 100
    assert a.availability == pytest.approx(100 * (1 - 100 / 800))


def test_no_probe_data_is_said_not_counted_as_up() -> None:
    a = assess("site", "x", "x", "", (0, 1000), None, [])
    assert a.availability is None and a.downtime_seconds is None


def _leased(**sla: object) -> Link:
    return Link.model_validate(
        {"a": "core:Gi0/2", "provider": "Telkom", "medium": "leased", "capacity_mbps": 1000,
         "monthly_cost_idr": 95_000_000, "sla": sla}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("measured", "percent", "credit"),
    [(99.6, 0, 0), (99.5, 0, 0), (99.43, 5, 4_750_000), (98.9, 10, 9_500_000),
     (90.0, 25, 23_750_000)],
)  # fmt: skip
def test_the_credit_is_the_lowest_band_reached(measured: float, percent: int, credit: int) -> None:
    link = _leased(
        availability=99.5,
        credit=[{"below": 99.5, "percent": 5}, {"below": 99.0, "percent": 10},
                {"below": 98.0, "percent": 25}],
    )  # fmt: skip
    result = sla_result(link, measured)
    assert result is not None
    assert (result.credit_percent, result.credit_idr) == (percent, credit)
    assert result.met is (measured >= 99.5)


def test_credit_bands_must_grow_as_availability_falls() -> None:
    with pytest.raises(ValueError, match="smaller credit"):
        _leased(availability=99.5, credit=[{"below": 99.5, "percent": 10},
                                           {"below": 99.0, "percent": 5}])  # fmt: skip


def test_month_is_local_midnight_to_local_midnight() -> None:
    now = datetime(2026, 12, 5, tzinfo=UTC)
    label, start, end = month_period("2026-11", WITA, now)
    assert label == "2026-11"
    assert start.isoformat() == "2026-11-01T00:00:00+08:00"
    assert end.isoformat() == "2026-12-01T00:00:00+08:00"
    assert month_period(None, WITA, now)[0] == "2026-11"  # the last whole month
    assert month_period(None, WITA, datetime(2027, 1, 2, tzinfo=UTC))[0] == "2026-12"
    with pytest.raises(ReportError, match="not a month"):
        month_period("2026-13", WITA, now)
    with pytest.raises(ReportError, match="not begun"):
        month_period("2027-01", WITA, now)


def test_leased_circuits_with_a_probe_address_become_icmp_targets() -> None:
    entries = probe_targets(load_inventory(BANJARMASIN))
    circuits = {e["labels"].get("link_circuit"): e for e in entries if "link_id" in e["labels"]}
    assert set(circuits) == {"ASTINET-BJM-0001", "METRO-BJM-0042", "ASTINET-BJM-0107"}
    primary = circuits["ASTINET-BJM-0001"]
    assert primary["targets"] == ["198.51.100.1"]
    assert "device" not in primary["labels"]  # a circuit, not a device's reachability
    assert primary["labels"]["link_role"] == "primary"
