"""Inline SVG charts are well-formed XML and carry their data."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from netops.report.charts import bar_list, daily_line, hourly_bars

SVG = "{http://www.w3.org/2000/svg}"


def test_hourly_bars_draw_48_bars_and_the_capacity_line() -> None:
    svg = hourly_bars([float(h) for h in range(24)], [1.0] * 24, 100, "Per jam <uji>", tier=60)
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}rect")) == 48
    assert root.find(f"{SVG}title").text == "Per jam <uji>"  # type: ignore[union-attr]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "kapasitas 100 Mbps" in texts and "saran 60 Mbps" in texts


def test_daily_line_has_one_point_per_day() -> None:
    points = [(f"2026-11-{d:02d}", 10.0 + d) for d in range(1, 31)]
    root = ET.fromstring(daily_line(points, 100, "p95 harian"))
    assert len(root.findall(f"{SVG}circle")) == 30
    assert root.find(f"{SVG}polyline") is not None


def test_bar_list_labels_each_bar_and_escapes_names() -> None:
    root = ET.fromstring(bar_list([("Taman & Siring", 12.5), ("Pasar", 3.0)], "Jam", " jam"))
    assert len(root.findall(f"{SVG}rect")) == 2
    assert "Taman & Siring" in [t.text for t in root.iter(f"{SVG}text")]


def test_bar_list_shortens_long_names_but_keeps_them_as_tooltips() -> None:
    name = "Halaman Masjid Raya Sabilal Muhtadin Banjarmasin"
    root = ET.fromstring(bar_list([(name, 1.0)], "Jam"))
    label = next(t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.text is not None and label.text.endswith("…") and len(label.text) == 32
    assert label.find(f"{SVG}title").text == name  # type: ignore[union-attr]
