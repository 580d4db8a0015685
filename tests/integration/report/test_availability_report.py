"""The monthly availability report against a real Prometheus whose TSDB holds November 2026
of ICMP probes (every 30 s) and alerts, with outages of known length to the second."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.inventory import load_inventory
from netops.report.availability import collect
from netops.report.prometheus import PrometheusClient
from tests.integration.report.conftest import PrometheusPeer, print_a4, write_inventory

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

WITA = timezone(timedelta(hours=8))
MONTH_START = datetime(2026, 11, 1, tzinfo=WITA)
MONTH_END = datetime(2026, 12, 1, tzinfo=WITA)
NOW = datetime(2026, 12, 5, tzinfo=UTC)
UPLINK = "core-01:Gi0/2--Telkom"
FIBRE = "dist-01:Gi0/2--park-hs-01:ether1"

INVENTORY = {
    "meta.yml": "meta: {city: Ujikota, lab: true, timezone: Asia/Makassar}\n",
    "sites.yml": """
        sites:
          - {id: cc, name: Command Centre, kind: command-centre}
          - {id: kec, name: Kantor Kecamatan, kind: kecamatan}
          - {id: park, name: Taman Siring, kind: hotspot}
          - {id: pasar, name: Pasar Lama, kind: office}
        prefixes:
          - {prefix: 10.0.0.0/24, role: management}
        """,
    "devices.yml": """
        devices:
          - {hostname: core-01, site: cc, role: core, platform: cisco_ios, mgmt_ip: 10.0.0.1,
             interfaces: [{name: Gi0/1}, {name: Gi0/2}, {name: Gi0/3}]}
          - {hostname: pasar-sw-01, site: pasar, role: switch, platform: cisco_ios,
             mgmt_ip: 10.0.0.5, interfaces: [{name: Gi1/0/1}]}
          - {hostname: dist-01, site: kec, role: distribution, platform: cisco_ios,
             mgmt_ip: 10.0.0.2, interfaces: [{name: Gi0/0}, {name: Gi0/2}]}
          - {hostname: park-hs-01, site: park, role: hotspot-gateway, platform: mikrotik_routeros,
             mgmt_ip: 10.0.0.3, radius: nas, interfaces: [{name: ether1}, {name: ether3}]}
          - {hostname: park-ap-01, site: park, role: access-point, platform: mikrotik_routeros,
             mgmt_ip: 10.0.0.4, interfaces: [{name: ether1}]}
        """,
    "links.yml": """
        links:
          - {a: "core-01:Gi0/1", b: "dist-01:Gi0/0", medium: fiber, capacity_mbps: 1000}
          - {a: "core-01:Gi0/3", b: "pasar-sw-01:Gi1/0/1", medium: fiber, capacity_mbps: 1000}
          - {a: "dist-01:Gi0/2", b: "park-hs-01:ether1", medium: fiber, capacity_mbps: 1000}
          - {a: "park-hs-01:ether3", b: "park-ap-01:ether1", medium: fiber, capacity_mbps: 1000}
          - a: core-01:Gi0/2
            provider: Telkom
            circuit_id: ASTINET-1
            medium: leased
            capacity_mbps: 1000
            monthly_cost_idr: 95000000
            probe: 198.51.100.1
            sla:
              availability: 99.5
              credit:
                - {below: 99.5, percent: 5}
                - {below: 99.0, percent: 10}
                - {below: 98.0, percent: 25}
        """,
    "hotspots.yml": """
        hotspots:
          - {id: park, name: Taman Siring, site: park, gateway: park-hs-01,
             access_points: [park-ap-01], ssid: WiFi Gratis, plan: gratis}
        plans:
          - {name: gratis, session_timeout: 2h, daily_time: 2h, rate_limit: {down: 5M, up: 2M}}
        """,
    "profiles.yml": """
        radius:
          nas: {secret: testing123}
        """,
    "maintenance.yml": """
        maintenance:
          - start: 2026-11-15T01:00:00+08:00
            end: 2026-11-15T04:00:00+08:00
            links: [ASTINET-1]
            description: Pemeliharaan terjadwal Telkom
        """,
}


def wita(day: int, hms: str) -> float:
    h, m, s = (int(x) for x in hms.split(":"))
    return datetime(2026, 11, day, h, m, s, tzinfo=WITA).timestamp()


# Outages as (first failed sample, first successful sample after it), in WITA.
DIST_DOWN = [(wita(5, "22:00:07"), wita(5, "22:10:37"))]  # 630 s
FIBRE_CUT = [(wita(10, "14:03:07"), wita(10, "16:25:37"))]  # 8,550 s
# Longer than a day and across two of the report's day-long reads (at 23:00 WITA).
PASAR_LONG = [(wita(27, "22:50:07"), wita(29, "00:10:37"))]  # 91,230 s
AP_POWER = [(wita(25, "10:00:07"), wita(25, "10:20:07"))]  # the gateway still answers
UPLINK_DOWN = [
    (wita(15, "01:30:07"), wita(15, "02:30:07")),  # inside maintenance: 0 s counted
    (wita(15, "03:30:07"), wita(15, "04:30:07")),  # 1,793 s inside, 1,807 s counted
    (wita(20, "09:00:07"), wita(20, "12:36:37")),  # 12,990 s
]


def _down(ts: float, outages: list[tuple[float, float]]) -> bool:
    return any(start <= ts < end for start, end in outages)


def _write(path: Path) -> None:
    first = int(MONTH_START.timestamp()) - 7200 + 7
    last = int(MONTH_END.timestamp()) + 600
    probes: list[tuple[dict[str, str], list[tuple[float, float]]]] = [
        ({"device": "core-01", "site": "cc", "role": "core"}, []),
        ({"device": "dist-01", "site": "kec", "role": "distribution"}, DIST_DOWN),
        (
            {"device": "park-hs-01", "site": "park", "role": "hotspot-gateway"},
            DIST_DOWN + FIBRE_CUT,
        ),
        (
            {"device": "park-ap-01", "site": "park", "role": "access-point"},
            DIST_DOWN + FIBRE_CUT + AP_POWER,
        ),
        ({"device": "pasar-sw-01", "site": "pasar", "role": "switch"}, PASAR_LONG),
        ({"link_id": UPLINK, "link_circuit": "ASTINET-1", "site": "cc"}, UPLINK_DOWN),
    ]
    alerts = [
        (
            {"alertname": "DeviceUnreachable", "device": "dist-01", "site": "kec",
             "severity": "critical"},
            DIST_DOWN,
        ),
        (
            {"alertname": "LinkDown", "device": "dist-01", "ifName": "Gi0/2", "link_id": FIBRE,
             "link_far_end": "park-hs-01:ether1", "severity": "critical"},
            FIBRE_CUT,
        ),
        (
            {"alertname": "UplinkOnBackup", "device": "core-01", "ifName": "Gi0/2",
             "link_id": UPLINK, "link_far_end": "Telkom", "severity": "warning"},
            UPLINK_DOWN[2:],
        ),
    ]  # fmt: skip
    with path.open("w", encoding="utf-8") as out:
        out.write("# TYPE probe_success gauge\n")
        for labels, outages in probes:
            text = ",".join(f'{k}="{v}"' for k, v in sorted({"job": "icmp", **labels}.items()))
            for ts in range(first, last, 30):
                out.write(f"probe_success{{{text}}} {0 if _down(ts, outages) else 1} {ts}\n")
        out.write("# TYPE ALERTS gauge\n")
        for labels, outages in alerts:
            text = ",".join(
                f'{k}="{v}"' for k, v in sorted({"alertstate": "firing", **labels}.items())
            )
            for start, end in outages:
                # Firing from two minutes in (the rules' for: 2m), every evaluation.
                for ts in range(int(start) - 7 + 120, int(end), 60):
                    out.write(f"ALERTS{{{text}}} 1 {ts}\n")
        out.write("# EOF\n")


@pytest.fixture
def city(tmp_path: Path) -> Path:
    return write_inventory(tmp_path, INVENTORY)


@pytest.fixture
def peer(tmp_path: Path, prometheus_with: Callable[[Path], PrometheusPeer]) -> PrometheusPeer:
    source = tmp_path / "probes.om"
    _write(source)
    return prometheus_with(source)


def test_availability_per_site_hotspot_and_uplink_to_the_second(
    peer: PrometheusPeer, city: Path
) -> None:
    report = collect(load_inventory(city), PrometheusClient(peer.url), month="2026-11", now=NOW)
    assert report.month == "2026-11" and report.complete
    month = 30 * 86400
    sites = {a.id: a for a in report.sites}

    assert sites["cc"].downtime_seconds == 0 and sites["cc"].availability == 100
    kec = sites["kec"]
    assert [(o.start, o.end, o.seconds) for o in kec.outages] == [(*DIST_DOWN[0], 630)]
    assert kec.outages[0].cause_id is not None and "dist-01 sendiri" in kec.outages[0].cause_id

    pasar = sites["pasar"]
    assert [(o.start, o.end, o.seconds) for o in pasar.outages] == [(*PASAR_LONG[0], 91230)]
    assert pasar.outages[0].cause_id is None

    # The park is down while neither its gateway nor its AP answers: the AP's own power
    # loss on the 25th is no site outage.
    park = sites["park"]
    assert [o.seconds for o in park.outages] == [630, 8550]
    assert park.downtime_seconds == 9180
    assert park.availability == pytest.approx(100 * (1 - 9180 / month), abs=1e-9)

    (hotspot,) = report.hotspots
    assert [(o.start, o.end) for o in hotspot.outages] == [DIST_DOWN[0], FIBRE_CUT[0]]
    upstream, fibre = (o.cause_id or "" for o in hotspot.outages)
    assert "perangkat di hulu dist-01" in upstream
    assert "link dist-01:Gi0/2 ke park-hs-01:ether1 putus (LinkDown)" in fibre

    (uplink,) = report.uplinks
    assert [o.seconds for o in uplink.outages] == [3600, 3600, 12990]
    assert [o.counted_seconds for o in uplink.outages] == [0, 1807, 12990]
    assert uplink.maintenance_seconds == 3 * 3600
    assert uplink.downtime_seconds == 14797
    measured = 100 * (1 - 14797 / (month - 3 * 3600))  # 99.4267…%
    assert uplink.availability == pytest.approx(measured, abs=1e-9)
    assert uplink.outages[2].cause_id == "port core-01:Gi0/2 mati (UplinkOnBackup)"
    assert uplink.outages[1].cause_id is None  # no alert named one
    assert (uplink.outages[0].cause_id or "").startswith("dalam jendela pemeliharaan")
    assert uplink.sla is not None and uplink.sla.met is False
    assert uplink.sla.credit_percent == 5
    assert uplink.sla.credit_idr == 4_750_000
    assert report.credit_idr == 4_750_000


def test_cli_writes_the_report_in_html_json_and_csv(
    peer: PrometheusPeer, city: Path, tmp_path: Path
) -> None:
    args = ["report", "availability", "-i", str(city), "-p", peer.url, "--month", "2026-11"]
    html = tmp_path / "availability.html"
    assert main([*args, "--out", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "Laporan ketersediaan jaringan November 2026" in page
    assert "10-11-2026 14:03:07" in page and "10-11-2026 16:25:37" in page
    assert "2 jam 22 menit 30 detik" in page
    assert "99,427%" in page and "Rp 4.750.000" in page
    assert "30 menit 7 detik" in page  # 1,807 s counted of the 04:30 outage
    assert "Pemeliharaan terjadwal Telkom" in page
    for external in ("<script", "<link", "src="):
        assert external not in page
    overflow, _ = print_a4(html, "availability-a4")
    assert overflow == []

    doc = tmp_path / "availability.json"
    assert main([*args, "--format", "json", "--out", str(doc)]) == 0
    data = json.loads(doc.read_text(encoding="utf-8"))
    (uplink,) = data["uplinks"]
    assert uplink["outages"][2]["start"] == "2026-11-20T09:00:07+08:00"
    assert uplink["outages"][2]["end"] == "2026-11-20T12:36:37+08:00"
    assert uplink["sla"]["credit_idr"] == 4_750_000
    assert data["start"] == "2026-11-01T00:00:00+08:00"

    table = tmp_path / "availability.csv"
    assert main([*args, "--format", "csv", "--out", str(table)]) == 0
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(table.read_text(encoding="utf-8")))}
    assert rows["ASTINET-1"]["downtime_seconds"] == "14797"
    assert rows["ASTINET-1"]["credit_idr"] == "4750000"
    assert rows["park"]["outages"] == "2"


def test_a_month_that_is_no_month_is_one_clear_error(city: Path, peer: PrometheusPeer) -> None:
    args = ["report", "availability", "-i", str(city), "-p", peer.url]
    assert main([*args, "--month", "2026-13"]) == 1
    assert main([*args, "--month", "2099-01"]) == 1
