"""Failover-aware capacity advice against a real Prometheus holding 30 days where the
primary Telkom circuit is busy and its backup idle; and the page laid out at A4 width in a
real Chromium (no column past the margin, titled charts, the partial last day marked)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.inventory import load_inventory
from netops.report.capacity import collect
from netops.report.prometheus import PrometheusClient
from tests.integration.report.conftest import (
    Counter,
    PrometheusPeer,
    bytes_per_s,
    print_a4,
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
            interfaces: [{name: Gi0/2}, {name: Gi0/3}, {name: Gi0/4}]
        """,
    "links.yml": """
        links:
          - {a: "core-01:Gi0/2", provider: Telkom, circuit_id: ASTINET-BJM-0001, medium: leased,
             capacity_mbps: 1000, monthly_cost_idr: 95000000,
             description: "Telkom Astinet 1 Gbps, internet utama"}
          - {a: "core-01:Gi0/3", provider: Telkom, circuit_id: METRO-BJM-0042, medium: leased,
             capacity_mbps: 500, monthly_cost_idr: 45000000, role: backup,
             backup_for: ASTINET-BJM-0001,
             description: "Telkom Metro-E 500 Mbps, internet cadangan"}
          - {a: "core-01:Gi0/4", provider: Lintasarta, circuit_id: LA-BJM-7, medium: leased,
             capacity_mbps: 500, monthly_cost_idr: 40000000, role: backup,
             backup_for: ASTINET-BJM-0001, failover_mbps: 200,
             description: "Cadangan kedua: layanan penting saja"}
        """,
}


def _busy_mbps(ts: float) -> float:
    """The primary: 320-330 Mbps from 08:00 to 22:00 WITA, 100 at night."""
    hour = int(((ts + WITA) % 86400) // 3600)
    jitter = random.Random(int(ts)).random()
    return 320 + 10 * jitter if 8 <= hour < 22 else 100 + jitter


def _idle_mbps(ts: float) -> float:
    """A backup waiting for its primary to fail: keep-alives and routing only."""
    return 0.3 + 0.1 * random.Random(int(ts) + 7).random()


@pytest.fixture(scope="module")
def end() -> datetime:
    """A period end at 03:30 WITA: the last local day is covered for 3.5 hours only."""
    today = datetime.now(UTC).replace(hour=19, minute=30, second=0, microsecond=0)
    return today - timedelta(days=1)


@pytest.fixture
def city(tmp_path: Path) -> Path:
    return write_inventory(tmp_path, INVENTORY)


@pytest.fixture
def peer(
    tmp_path: Path, end: datetime, prometheus_with: Callable[[Path], PrometheusPeer]
) -> PrometheusPeer:
    def port(if_name: str) -> dict[str, str]:
        return snmp_port("core-01", if_name)

    counters = [
        Counter("ifHCInOctets", port("Gi0/2"), bytes_per_s(_busy_mbps)),
        Counter("ifHCOutOctets", port("Gi0/2"), bytes_per_s(_busy_mbps, 0.2)),
        Counter("ifHCInOctets", port("Gi0/3"), bytes_per_s(_idle_mbps)),
        Counter("ifHCOutOctets", port("Gi0/3"), bytes_per_s(_idle_mbps)),
        Counter("ifHCInOctets", port("Gi0/4"), bytes_per_s(_idle_mbps)),
        Counter("ifHCOutOctets", port("Gi0/4"), bytes_per_s(_idle_mbps)),
    ]
    stop = int(end.timestamp())
    source = tmp_path / "traffic.om"
    write_openmetrics(source, counters, stop - 30 * 86400 - 3600, stop, 120)
    return prometheus_with(source)


def test_the_idle_backup_is_sized_for_the_busy_primary_and_kept_out_of_the_saving(
    peer: PrometheusPeer, city: Path, end: datetime
) -> None:
    report = collect(load_inventory(city), PrometheusClient(peer.url), days=30, end=end)
    primary, metro, second = report.uplinks
    assert primary.inbound is not None and 325 <= primary.inbound.p95 <= 330.5
    # The primary's own advice: p95 330 / 70% = 471 → the 500 tier.
    assert primary.recommendation.action == "downsize"
    assert primary.recommendation.target_mbps == 500
    assert primary.recommendation.saving_idr == 47_500_000

    # The backup idles at 0.4 Mbps: its own traffic would say "20 Mbps"; it must carry the
    # primary's 330 Mbps when the primary fails, so 500 Mbps stays.
    assert metro.recommendation.action == "keep"
    assert metro.is_backup and metro.inbound is not None and metro.inbound.p95 < 1
    assert metro.recommendation.target_mbps == 500
    assert metro.failover_basis == "primary"
    assert metro.backup_for == primary.link_id

    # The second backup is declared to carry 200 Mbps of essential services only.
    assert second.recommendation.action == "downsize"
    assert second.recommendation.target_mbps == 200
    assert second.failover_basis == "declared"

    # The headline counts the primary only; the backups' change is shown apart.
    assert report.monthly_saving_idr == 47_500_000
    assert report.backup_change_idr == -24_000_000

    # The period starts and ends at 03:30 WITA: those days are partial, not drops to 100 Mbps.
    first_day = (end - timedelta(days=30) + timedelta(hours=8)).date().isoformat()
    last_day = (end + timedelta(hours=8)).date().isoformat()
    assert primary.daily_p95_mbps[-1][0] == last_day
    assert primary.partial_days == [first_day, last_day]


def test_the_page_fits_a4_titles_its_charts_and_marks_the_partial_day(
    peer: PrometheusPeer, city: Path, end: datetime, tmp_path: Path
) -> None:
    html = tmp_path / "capacity.html"
    args = ["report", "capacity", "-i", str(city), "-p", peer.url, "--end", end.isoformat()]
    assert main([*args, "--out", str(html)]) == 0
    overflow, titles = print_a4(html, "capacity-a4")
    assert overflow == []
    assert any(t.startswith("p95 harian core-01:Gi0/2") for t in titles)
    assert any(t.startswith("Rata-rata trafik per jam core-01:Gi0/2") for t in titles)

    page = html.read_text(encoding="utf-8")
    assert "Link sewa cadangan" in page and "METRO-BJM-0042" in page
    assert "Rp 47.500.000" in page
    assert "Turunkan ke 20 Mbps" not in page and "Turunkan ke 10 Mbps" not in page
    assert "hari tidak penuh" in page

    doc = tmp_path / "capacity.json"
    assert main([*args, "--format", "json", "--out", str(doc)]) == 0
    data = json.loads(doc.read_text(encoding="utf-8"))
    assert data["totals"]["monthly_saving_idr"] == 47_500_000
    assert data["totals"]["backup_monthly_change_idr"] == -24_000_000
    roles = {u["circuit"]: (u["role"], u["recommendation"]["action"]) for u in data["uplinks"]}
    assert roles["METRO-BJM-0042"] == ("backup", "keep")
