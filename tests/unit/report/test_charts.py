"""Inline SVG charts are well-formed XML and carry their data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from netops.report.charts import bar_list, daily_line, hour_columns, hourly_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_hourly_bars_draw_48_bars_and_the_capacity_line() -> None:
    svg = hourly_bars([float(h) for h in range(24)], [1.0] * 24, 100, "Per jam <uji>", tier=60)
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}rect"))) == 48
    assert root.find(f"{SVG}title").text == "Per jam <uji>"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "kapasitas 100 Mbps" in texts and "saran 60 Mbps" in texts


def test_daily_line_has_one_point_per_day() -> None:
    points = [(f"2026-11-{d:02d}", 10.0 + d) for d in range(1, 31)]
    root = ET.fromstring(daily_line(points, 100, "p95 harian"))
    assert len(list(root.iter(f"{SVG}circle"))) == 30
    lines = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke-width") == "2"]
    assert len(lines) == 29 and not any(ln.get("stroke-dasharray") for ln in lines)


def test_every_chart_prints_its_title_above_it() -> None:
    for svg in (
        hourly_bars([1.0] * 24, [1.0] * 24, 100, "Rata-rata per jam"),
        daily_line([("2026-11-01", 5.0)], 100, "p95 harian core-01:Gi0/0"),
        bar_list([("Pasar", 3.0)], "Waktu online per hotspot"),
    ):
        root = ET.fromstring(svg)
        title = root.find(f"{SVG}title")
        assert title is not None
        visible = [t.text for t in root.findall(f"{SVG}text")]
        assert title.text in visible  # drawn, not only a tooltip


def test_a_partial_last_day_is_hollow_dashed_and_labelled_not_a_drop() -> None:
    points = [("2026-11-28", 300.0), ("2026-11-29", 300.0), ("2026-11-30", 130.0)]
    root = ET.fromstring(daily_line(points, 500, "p95 harian", partial={"2026-11-30"}))
    circles = list(root.iter(f"{SVG}circle"))
    assert [c.get("fill") for c in circles] == ["#2e75b6", "#2e75b6", "#fff"]
    segments = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke-width") == "2"]
    assert [bool(ln.get("stroke-dasharray")) for ln in segments] == [False, True]
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "11-30*" in texts and "hari tidak penuh" in texts
    assert "partial day" in (circles[-1].find(f"{SVG}title").text or "")  # type: ignore[union-attr]


def test_chart_numbers_are_indonesian_and_never_long_decimals() -> None:
    root = ET.fromstring(bar_list([("Taman", 9.733333)], "Jam", " jam"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "9,7 jam" in texts and not any("9,73" in (t or "") for t in texts)


def test_bar_list_labels_each_bar_and_escapes_names() -> None:
    root = ET.fromstring(bar_list([("Taman & Siring", 12.5), ("Pasar", 3.0)], "Jam", " jam"))
    assert len(list(root.iter(f"{SVG}rect"))) == 2
    assert "Taman & Siring" in [t.text for t in root.iter(f"{SVG}text")]


def test_bar_list_shortens_long_names_but_keeps_them_as_tooltips() -> None:
    name = "Halaman Masjid Raya Sabilal Muhtadin Banjarmasin"
    root = ET.fromstring(bar_list([(name, 1.0)], "Jam"))
    label = next(t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.text is not None and label.text.endswith("…") and len(label.text) == 32
    assert label.find(f"{SVG}title").text == name  # type: ignore[union-attr]


def test_axis_ticks_keep_their_exact_quarters() -> None:
    root = ET.fromstring(hour_columns([0.6] * 24, "Rata-rata pengguna online per jam"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"0", "0,25", "0,5", "0,75", "1"} <= set(texts)
