"""Small inline SVG charts for self-contained HTML reports (no JavaScript, no files)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from html import escape
from itertools import pairwise

from netops.report.money import number

IN_COLOUR = "#2e75b6"
OUT_COLOUR = "#ed7d31"
LINE_COLOUR = "#c00000"
TIER_COLOUR = "#548235"
PARTIAL_COLOUR = "#7f7f7f"
TITLE_BAND = 22  # px above every chart for its visible title


def _scale(top: float) -> float:
    """A round axis maximum at or above ``top``."""
    if top <= 0:
        return 1.0
    magnitude = float(10 ** (len(str(int(top))) - 1))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * magnitude >= top:
            return step * magnitude
    return top


def _fmt(value: float) -> str:
    """Indonesian number for axes and labels: whole above 10, one decimal below (``9,7``)."""
    if value >= 10 or value == int(value):
        return number(value, 0)
    return number(value, 1)


def _tick(value: float) -> str:
    """An axis value exactly as far as it goes, up to two decimals: ``0,25``, ``7,5``, ``1.000``
    (a quarter of a round maximum; one decimal would print 0,25 as "0,2")."""
    if value >= 10 or value == int(value):
        return number(value, 0)
    return number(value, 2).rstrip("0").rstrip(",")


def _frame(width: int, height: int, title: str, body: list[str]) -> str:
    """The chart with its title printed above it (and as the SVG's accessible name). The
    SVG scales down to its container (``max-width: 100%``) so it never overflows a page."""
    full = height + TITLE_BAND
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {full}" '
        f'width="{width}" height="{full}" role="img" aria-label="{escape(title)}" '
        'style="max-width:100%;height:auto" font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="15" font-size="13" font-weight="bold" fill="#222">{escape(title)}</text>'
        f'<g transform="translate(0,{TITLE_BAND})">' + "".join(body) + "</g></svg>"
    )


def _hline(y: float, x0: float, x1: float, colour: str, label: str) -> list[str]:
    return [
        f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="{colour}" '
        'stroke-dasharray="6 3" stroke-width="1.5"/>',
        f'<text x="{x1 - 4}" y="{y - 4:.1f}" text-anchor="end" fill="{colour}">'
        f"{escape(label)}</text>",
    ]


def hourly_bars(
    inbound: Sequence[float],
    outbound: Sequence[float],
    capacity: float,
    title: str,
    tier: float | None = None,
    unit: str = "Mbps",
) -> str:
    """Mean traffic per hour of the day, in and out side by side, with the capacity line."""
    width, height, left, bottom, top_pad = 640, 250, 48, 28, 32
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = _scale(max([*inbound, *outbound, capacity, tier or 0]))
    slot = plot_w / 24
    body: list[str] = []
    for i in range(5):
        value = top * i / 4
        y = top_pad + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_tick(value)}</text>'
        )
    for hour in range(24):
        x = left + hour * slot
        for offset, values, colour in ((1, inbound, IN_COLOUR), (slot / 2, outbound, OUT_COLOUR)):
            value = values[hour] if hour < len(values) else 0.0
            h = plot_h * value / top
            body.append(
                f'<rect x="{x + offset:.1f}" y="{top_pad + plot_h - h:.1f}" '
                f'width="{slot / 2 - 1:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{hour:02d}:00 {_fmt(value)} {unit}</title></rect>"
            )
        if hour % 3 == 0:
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{hour:02d}</text>"
            )
    y_cap = top_pad + plot_h - plot_h * capacity / top
    body += _hline(y_cap, left, width - 10, LINE_COLOUR, f"kapasitas {_fmt(capacity)} {unit}")
    if tier is not None and tier != capacity:
        y_tier = top_pad + plot_h - plot_h * tier / top
        body += _hline(y_tier, left, width - 10, TIER_COLOUR, f"saran {_fmt(tier)} {unit}")
    body.append(
        f'<text x="{left}" y="11" fill="{IN_COLOUR}">■ masuk/in</text>'
        f'<text x="{left + 90}" y="11" fill="{OUT_COLOUR}">■ keluar/out</text>'
    )
    return _frame(width, height, title, body)


def daily_line(
    points: Sequence[tuple[str, float]],
    capacity: float,
    title: str,
    tier: float | None = None,
    unit: str = "Mbps",
    partial: Collection[str] = (),
) -> str:
    """One value per day (e.g. the day's p95) as a line, with the capacity line. Days in
    ``partial`` (covered only in part by the period) are hollow grey points on a dashed
    segment, labelled as partial, so a half day's lower p95 never reads as a real drop."""
    width, height, left, bottom, top_pad = 640, 210, 48, 28, 32
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = _scale(max([v for _, v in points] + [capacity, tier or 0]))
    body: list[str] = []
    for i in range(5):
        y = top_pad + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_tick(top * i / 4)}</text>'
        )
    n = len(points)
    coords: list[tuple[float, float, bool]] = []
    for index, (_day, value) in enumerate(points):
        x = left + (plot_w * index / (n - 1) if n > 1 else plot_w / 2)
        y = top_pad + plot_h - plot_h * value / top
        coords.append((x, y, _day in partial))
    for (x0, y0, p0), (x1, y1, p1) in pairwise(coords):
        style = (
            f'stroke="{PARTIAL_COLOUR}" stroke-dasharray="4 3"'
            if p0 or p1
            else f'stroke="{IN_COLOUR}"'
        )
        body.append(
            f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" {style} '
            'stroke-width="2"/>'
        )
    for index, ((day, value), (x, y, is_partial)) in enumerate(zip(points, coords, strict=True)):
        note = " (hari tidak penuh / partial day)" if is_partial else ""
        fill = "#fff" if is_partial else IN_COLOUR
        stroke = PARTIAL_COLOUR if is_partial else IN_COLOUR
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"><title>{escape(day)}: {_fmt(value)} {unit}{note}</title>'
            "</circle>"
        )
        if index in (0, n - 1) or (n > 10 and index % 7 == 0 and n - 1 - index >= 3):
            anchor = "start" if index == 0 else "end" if index == n - 1 else "middle"
            label = escape(day[5:]) + ("*" if is_partial else "")
            body.append(
                f'<text x="{x:.1f}" y="{height - 10}" text-anchor="{anchor}">{label}</text>'
            )
    y_cap = top_pad + plot_h - plot_h * capacity / top
    body += _hline(y_cap, left, width - 10, LINE_COLOUR, f"kapasitas {_fmt(capacity)} {unit}")
    if tier is not None and tier != capacity:
        y_tier = top_pad + plot_h - plot_h * tier / top
        body += _hline(y_tier, left, width - 10, TIER_COLOUR, f"saran {_fmt(tier)} {unit}")
    body.append(
        f'<text x="{left}" y="11" fill="{IN_COLOUR}">● p95 harian/daily p95</text>'
        + (
            f'<text x="{left + 150}" y="11" fill="{PARTIAL_COLOUR}">○ * hari tidak penuh, '
            "bukan penurunan (partial day, not a drop)</text>"
            if any(day in partial for day, _ in points)
            else ""
        )
    )
    return _frame(width, height, title, body)


def bar_list(
    items: Sequence[tuple[str, float]],
    title: str,
    unit: str = "",
    fmt: Callable[[float], str] | None = None,
) -> str:
    """Horizontal bars, one per labelled value (e.g. hours per hotspot); ``fmt`` writes
    each value (default: an Indonesian number followed by ``unit``)."""
    write = fmt or (lambda value: f"{_fmt(value)}{unit}")
    row, left, width = 20, 220, 640
    height = row * max(1, len(items)) + 10
    top = _scale(max((v for _, v in items), default=0))
    body: list[str] = []
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        w = (width - left - 110) * value / top
        short = label if len(label) <= 32 else label[:31] + "…"
        body.append(
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" fill="{IN_COLOUR}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 13}">{escape(write(value))}</text>'
        )
    return _frame(width, height, title, body)


def hour_columns(values: Sequence[float], title: str, unit: str = "") -> str:
    """One column per hour of the local day (e.g. average users online)."""
    width, height, left, bottom, top_pad = 640, 200, 48, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = _scale(max(values, default=0))
    slot = plot_w / 24
    body: list[str] = []
    for i in range(5):
        y = top_pad + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_tick(top * i / 4)}</text>'
        )
    for hour in range(24):
        value = values[hour] if hour < len(values) else 0.0
        h = plot_h * value / top
        x = left + hour * slot
        body.append(
            f'<rect x="{x + 1:.1f}" y="{top_pad + plot_h - h:.1f}" width="{slot - 2:.1f}" '
            f'height="{h:.1f}" fill="{IN_COLOUR}"><title>{hour:02d}:00 {_fmt(value)}'
            f"{escape(unit)}</title></rect>"
        )
        if hour % 3 == 0:
            body.append(
                f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle">'
                f"{hour:02d}</text>"
            )
    return _frame(width, height, title, body)
