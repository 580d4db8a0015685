"""Capacity-report benchmark: netops's report beside Prometheus computing the same
percentiles itself (``quantile_over_time`` subqueries, what one would write in Grafana).

Both run against the same real Prometheus holding 30 days of 2-minute counters for three
leased uplinks and one fibre (backfilled with promtool). netops fetches each uplink's 5-minute
rates once (``query_range``) and computes p50/p95/p99, peak hours, daily p95 and the advice
locally; the peer asks Prometheus for p95 and p99 in and out of each uplink. Figures go to
docs/benchmarks.md (section ``## report``).

Run: ``make bench`` or ``.venv/bin/pytest -q -s tests/bench/test_report_bench.py``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from netops.inventory import Inventory, load_inventory  # noqa: E402
from netops.report.capacity import collect  # noqa: E402
from netops.report.prometheus import PrometheusClient  # noqa: E402
from tests.integration.report.conftest import (  # noqa: E402
    Counter,
    bytes_per_s,
    prometheus_servers,
    snmp_port,
    write_inventory,
    write_openmetrics,
)
from tests.integration.report.test_capacity_report import (  # noqa: E402
    INVENTORY,
    _full_mbps,
    _quiet_mbps,
)
from tests.support.benchdoc import write_section  # noqa: E402

RUNS = 5

pytestmark = [pytest.mark.timeout(600)]


def _median(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_capacity_report_beside_promql_percentiles(tmp_path: Path) -> None:
    inv = load_inventory(write_inventory(tmp_path, INVENTORY))
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    end -= timedelta(minutes=end.minute % 10)

    def port(if_name: str) -> dict[str, str]:
        return snmp_port("core-01", if_name)

    counters = [
        Counter("ifHCInOctets", port("Gi0/0"), bytes_per_s(_quiet_mbps)),
        Counter("ifHCOutOctets", port("Gi0/0"), bytes_per_s(_quiet_mbps, 0.25)),
        Counter("ifHCInOctets", port("Gi0/1"), bytes_per_s(_full_mbps)),
        Counter("ifHCOutOctets", port("Gi0/1"), bytes_per_s(_full_mbps, 0.3)),
        Counter("ifHCInOctets", port("Gi0/2"), bytes_per_s(_quiet_mbps, 0.4)),
        Counter("ifHCOutOctets", port("Gi0/2"), bytes_per_s(_quiet_mbps, 0.1)),
        Counter("ifHCInOctets", port("Gi0/3"), lambda ts: 200e6 / 8),
        Counter("ifHCOutOctets", port("Gi0/3"), lambda ts: 50e6 / 8),
    ]
    stop = int(end.timestamp())
    source = tmp_path / "traffic.om"
    write_openmetrics(source, counters, stop - 30 * 86400 - 3600, stop, 120)
    with prometheus_servers(tmp_path) as start:
        _measure(inv, PrometheusClient(start(source).url, timeout=300), end)


def _measure(inv: Inventory, client: PrometheusClient, end: datetime) -> None:
    report = collect(inv, client, days=30, end=end)
    assert all(u.samples for u in report.uplinks)
    ours = _median(lambda: collect(inv, client, days=30, end=end))

    def promql() -> None:
        for link in inv.links:
            if link.medium != "leased":
                continue
            sel = f'device="{link.a.device}",ifName="{link.a.interface}"'
            for metric in ("ifHCInOctets", "ifHCOutOctets"):
                for q in ("0.95", "0.99"):
                    rate = f"max(rate({metric}{{{sel}}}[300s])) * 8"
                    expr = f"quantile_over_time({q}, ({rate})[30d:300s])"
                    assert client.query(expr, end.timestamp())

    theirs = _median(promql)
    samples = sum(u.samples for u in report.uplinks) * 2
    section = "\n".join(
        [
            "## report",
            "",
            "`netops report capacity` over 30 days (3 leased uplinks, 1 fibre; 2-minute",
            "counters backfilled into a real Prometheus 2.42) beside Prometheus computing p95",
            "and p99 in and out of each uplink itself with `quantile_over_time` subqueries",
            "(12 queries). netops does more (p50, mean, max, 24-hour profile, daily p95, advice,",
            f"the fibre headroom queries); median of {RUNS} runs, load average "
            f"{os.getloadavg()[0]:.1f} on the shared machine.",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, Python "
            f"{platform.python_version()}; command: "
            "`.venv/bin/pytest -q -s tests/bench/test_report_bench.py`.",
            "",
            "| job | netops report (s) | PromQL percentiles (s) | ratio (PromQL / netops) |",
            "| --- | ---: | ---: | ---: |",
            f"| 30-day capacity report, {samples:,} rate points | {ours:.3f} | {theirs:.3f} | "
            f"{theirs / ours:.2f} |",
            "",
        ]
    )
    print("\n" + section)
    write_section(section)
    assert ours > 0 and theirs > 0
