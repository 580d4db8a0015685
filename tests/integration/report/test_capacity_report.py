"""The capacity report against a real Prometheus holding 30 days of synthetic traffic."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.errors import ReportError
from netops.inventory import load_inventory
from netops.report.capacity import collect
from netops.report.prometheus import PrometheusClient
from tests.integration.report.conftest import (
    Counter,
    PrometheusPeer,
    bytes_per_s,
    snmp_port,
    write_inventory,
    write_openmetrics,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

WITA = 8 * 3600
INVENTORY = {
    "meta.yml": "meta: {city: Ujikota, lab: true, timezone: Asia/Makassar}\n",
    "sites.yml": """
        sites:
          - {id: cc, name: Command Centre, kind: command-centre}
          - {id: kantor, name: Kantor, kind: office}
        prefixes:
          - {prefix: 10.0.0.0/24, role: management}
        """,
    "devices.yml": """
        devices:
          - hostname: core-01
            site: cc
            role: core
            platform: cisco_ios
            mgmt_ip: 10.0.0.1
            interfaces: [{name: Gi0/0}, {name: Gi0/1}, {name: Gi0/2}, {name: Gi0/3}]
          - hostname: kantor-sw-01
            site: kantor
            role: switch
            platform: cisco_ios
            mgmt_ip: 10.0.0.2
            interfaces: [{name: Gi1/0/1}]
        """,
    "links.yml": """
        links:
          - {a: "core-01:Gi0/0", provider: Telkom, circuit_id: ASTINET-QUIET, medium: leased,
             capacity_mbps: 100, monthly_cost_idr: 9000000, description: quiet uplink}
          - {a: "core-01:Gi0/1", provider: Telkom, circuit_id: METRO-FULL, medium: leased,
             capacity_mbps: 300, monthly_cost_idr: 27000000, description: saturated uplink}
          - {a: "core-01:Gi0/2", provider: Telkom, circuit_id: ASTINET-NEW, medium: leased,
             capacity_mbps: 50, monthly_cost_idr: 5000000, description: not yet monitored}
          - {a: "core-01:Gi0/3", b: "kantor-sw-01:Gi1/0/1", medium: fiber, capacity_mbps: 1000}
        """,
}


def _local_hour(ts: float) -> int:
    return int(((ts + WITA) % 86400) // 3600)


def _quiet_mbps(ts: float) -> float:
    """Never above 40 of 100 Mbps; busiest 19:00-22:00 WITA."""
    hour = _local_hour(ts)
    jitter = random.Random(int(ts)).random()
    if hour < 6:
        return 5 + jitter
    if hour < 19:
        return 30 + 5 * jitter
    if hour < 22:
        return 38 + 2 * jitter
    return 20 + jitter


def _full_mbps(ts: float) -> float:
    """A 300 Mbps circuit running at 95-100% from 07:00 to 23:00 WITA."""
    hour = _local_hour(ts)
    jitter = random.Random(int(ts) + 1).random()
    if hour < 7:
        return 100 + 10 * jitter
    if hour < 23:
        return 285 + 15 * jitter
    return 150 + 10 * jitter


@pytest.fixture(scope="module")
def end() -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 10)


@pytest.fixture
def city(tmp_path: Path) -> Path:
    return write_inventory(tmp_path, INVENTORY)


@pytest.fixture
def peer(
    tmp_path: Path, end: datetime, prometheus_with: Callable[[Path], PrometheusPeer]
) -> PrometheusPeer:

    counters = [
        Counter("ifHCInOctets", snmp_port("core-01", "Gi0/0"), bytes_per_s(_quiet_mbps)),
        Counter("ifHCOutOctets", snmp_port("core-01", "Gi0/0"), bytes_per_s(_quiet_mbps, 0.25)),
        Counter("ifHCInOctets", snmp_port("core-01", "Gi0/1"), bytes_per_s(_full_mbps)),
        Counter("ifHCOutOctets", snmp_port("core-01", "Gi0/1"), bytes_per_s(_full_mbps, 0.3)),
        Counter("ifHCInOctets", snmp_port("core-01", "Gi0/3"), lambda ts: 200e6 / 8),
        Counter("ifHCOutOctets", snmp_port("core-01", "Gi0/3"), lambda ts: 50e6 / 8),
    ]
    stop = int(end.timestamp())
    start = stop - 30 * 86400 - 3600
    source = tmp_path / "traffic.om"
    write_openmetrics(source, counters, start, stop, 120)
    return prometheus_with(source)


def test_capacity_report_advises_downsize_upgrade_and_shows_headroom(
    peer: PrometheusPeer, city: Path, end: datetime
) -> None:
    report = collect(load_inventory(city), PrometheusClient(peer.url), days=30, end=end)
    quiet, full, new = report.uplinks

    assert quiet.inbound is not None and quiet.outbound is not None
    assert quiet.inbound.max <= 40.5
    assert 38 <= quiet.inbound.p95 <= 40.5
    assert quiet.recommendation.action == "downsize"
    assert quiet.recommendation.target_mbps == 60
    assert quiet.recommendation.saving_idr == 3_600_000
    assert quiet.peak_hours == [(19, 22)]
    assert quiet.cost_per_used_mbps_idr == round(9_000_000 / quiet.inbound.p95)
    assert len(quiet.daily_p95_mbps) in (30, 31)

    assert full.recommendation.action == "upgrade"
    assert full.recommendation.target_mbps == 500
    assert full.recommendation.monthly_change_idr == 18_000_000
    assert full.peak_hours == [(7, 23)]

    assert new.recommendation.action == "no-data" and new.samples == 0

    # Prometheus's own quantile over the same period agrees with the report's.
    client = PrometheusClient(peer.url)
    for uplink, port in ((quiet, "Gi0/0"), (full, "Gi0/1")):
        expr = (
            f'quantile_over_time(0.95, (max(rate(ifHCInOctets{{device="core-01",ifName="{port}"}}'
            "[300s])) * 8)[30d:300s]) / 1e6"
        )
        (sample,) = client.query(expr, end.timestamp())
        assert uplink.inbound is not None
        assert math.isclose(uplink.inbound.p95, sample.points[0][1], rel_tol=0.01)

    (fibre,) = report.fibre
    assert fibre.device == "core-01" and fibre.interface == "Gi0/3"
    assert fibre.p95_in_mbps is not None and math.isclose(fibre.p95_in_mbps, 200, rel_tol=0.01)
    assert fibre.headroom_mbps is not None and math.isclose(fibre.headroom_mbps, 800, rel_tol=0.01)
    assert report.monthly_saving_idr == 3_600_000
    assert report.monthly_cost_idr == 41_000_000


def test_cli_writes_one_self_contained_html_page_and_json(
    peer: PrometheusPeer, city: Path, end: datetime, tmp_path: Path
) -> None:
    html = tmp_path / "out" / "report.html"
    args = [
        "report",
        "capacity",
        "-i",
        str(city),
        "--prometheus",
        peer.url,
        "--end",
        end.isoformat(),
    ]
    assert main([*args, "--out", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>")
    assert "Turunkan ke 60 Mbps, hemat Rp 3.600.000/bulan" in page
    assert "Naikkan ke 500 Mbps, tambah Rp 18.000.000/bulan" in page
    assert "Rp 41.000.000" in page
    assert "19:00–22:00" in page
    assert page.count("<svg") == 4  # two charts per uplink with data
    for external in ("<script", "<link", "src=", "@import"):
        assert external not in page

    doc = tmp_path / "report.json"
    assert main([*args, "--format", "json", "--out", str(doc)]) == 0
    data = json.loads(doc.read_text(encoding="utf-8"))
    by_circuit = {u["circuit"]: u for u in data["uplinks"]}
    assert by_circuit["ASTINET-QUIET"]["recommendation"]["saving_idr"] == 3_600_000
    assert by_circuit["METRO-FULL"]["recommendation"]["action"] == "upgrade"
    assert by_circuit["ASTINET-QUIET"]["peak_hours"] == ["19:00-22:00"]
    assert data["totals"]["monthly_saving_idr"] == 3_600_000


def test_unreachable_prometheus_is_one_clear_error(city: Path, tmp_path: Path) -> None:
    from tests.integration.report.conftest import free_port

    client = PrometheusClient(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ReportError, match=r"Prometheus at http://127\.0\.0\.1:\d+ is unreachable"):
        collect(load_inventory(city), client, days=7)
    out = tmp_path / "never.html"
    assert main(["report", "capacity", "-i", str(city), "-p", client.url, "-o", str(out)]) == 1
    assert not out.exists()
