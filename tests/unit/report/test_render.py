"""The HTML reports: self-contained, escaped, and whole even when data is missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from netops.inventory.models import Link
from netops.report.capacity import CapacityReport, FibreLink, Policy, analyse_uplink
from netops.report.hotspots import build, period
from netops.report.render import advice_text, capacity_html, hotspots_html

WITA = ZoneInfo("Asia/Makassar")
END = datetime(2026, 11, 1, tzinfo=UTC)


def _uplink(description: str) -> Link:
    return Link.model_validate(
        {
            "a": "core:Gi0/0",
            "provider": "Telkom",
            "medium": "leased",
            "capacity_mbps": 100,
            "monthly_cost_idr": 9_000_000,
            "description": description,
        }
    )


def _report(points: list[tuple[float, float]], fibre_p95: float | None) -> CapacityReport:
    link = _uplink("<script>alert(1)</script>")
    uplink = analyse_uplink(link, "cc", points, points, WITA)
    fibre = FibreLink("a--b", "core", "Gi0/1", "dist:Gi0/0", "fiber", 1000, fibre_p95, None)
    return CapacityReport(
        "Kota <Uji>", "Asia/Makassar", "http://127.0.0.1:9090", END - timedelta(days=30), END,
        30, Policy(), [uplink], [fibre],
    )  # fmt: skip


def test_capacity_page_is_self_contained_and_escapes_inventory_text() -> None:
    points = [((END - timedelta(minutes=5 * i)).timestamp(), 30e6) for i in range(2000)]
    page = capacity_html(_report(points, 200.0), "now")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "Kota &lt;Uji&gt;" in page
    assert "Periode 02-10-2026 08:00 – 01-11-2026 08:00 WITA" in page  # the people's clock
    assert "Turunkan ke 50 Mbps, hemat Rp 4.500.000/bulan" in page
    assert page.count("<svg") == 2
    for external in ("<link", "src=", "@import", "http-equiv"):
        assert external not in page


def test_capacity_page_without_any_data_still_renders() -> None:
    page = capacity_html(_report([], None), "now")
    assert "Tidak ada data" in page and "tidak ada data" in page
    assert "<svg" not in page


def test_advice_text_for_keep_and_upgrade() -> None:
    points = [(END.timestamp() - 300 * i, 65e6) for i in range(100)]
    keep = analyse_uplink(_uplink(""), "cc", points, points, WITA)
    assert advice_text(keep) == "Pertahankan (Keep)"
    full = [(END.timestamp() - 300 * i, 99e6) for i in range(100)]
    upgrade = analyse_uplink(_uplink(""), "cc", full, full, WITA)
    assert advice_text(upgrade).startswith("Naikkan ke 150 Mbps, tambah Rp 4.500.000/bulan")


def test_hotspot_page_escapes_names_and_lists_idle_hotspots() -> None:
    start, end, dates = period(END, 7, WITA)
    report = build([], [("park", "Taman <b>Siring</b>")], start, end, dates, WITA, "Kota")
    page = hotspots_html(report, "now")
    assert "Taman &lt;b&gt;Siring&lt;/b&gt;" in page
    assert "Hotspot tanpa pengguna" in page
    assert "<script" not in page


def test_hotspot_hours_read_as_jam_and_menit_never_long_decimals() -> None:
    from tests.unit.report.test_hotspots import _session

    start, end, dates = period(END, 7, WITA)
    # 9 h 44 min online in one session: 9.7333… hours.
    sessions = [_session(1, END - timedelta(days=2), 9 * 3600 + 44 * 60)]
    report = build(sessions, [("park", "Taman Siring")], start, end, dates, WITA, "Kota")
    page = hotspots_html(report, "now")
    assert "9 jam 44 menit" in page
    assert "9,73" not in page and "9.73" not in page
