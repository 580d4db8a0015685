"""Reports as one self-contained HTML file (inline CSS and SVG), JSON or CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from netops.inventory.models import Maintenance
from netops.report import charts
from netops.report.availability import AvailabilityReport
from netops.report.capacity import CapacityReport, UplinkReport
from netops.report.hotspots import HotspotReport
from netops.report.money import duration, hours_minutes, number, percent, rupiah

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:2px solid #1f4e79}
h3{margin-bottom:.3rem}.en{color:#666;font-size:.9em}
table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.92rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.keep{color:#1f4e79}.downsize{color:#548235;font-weight:600}
.upgrade{color:#c00000;font-weight:600}.no-data{color:#7f7f7f}
.card{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
.summary{display:flex;gap:1rem;flex-wrap:wrap}.summary div{flex:1;min-width:200px;
background:#f3f6fa;border-radius:6px;padding:.8rem}.big{font-size:1.4rem;font-weight:600}
footer{margin-top:3rem;color:#666;font-size:.85rem}
td.advice{min-width:12rem;overflow-wrap:anywhere}td.advice small{display:block;color:#666}
svg{max-width:100%;height:auto;display:block;margin:.6rem 0}
.note{color:#666;font-size:.9em}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}
table{font-size:8.5pt}th,td{padding:.2rem .3rem}td.n,th.n{white-space:normal}
.card,tr,svg{break-inside:avoid}}
"""

_ACTION = {
    "keep": ("Pertahankan", "Keep"),
    "downsize": ("Turunkan", "Downsize"),
    "upgrade": ("Naikkan", "Upgrade"),
    "no-data": ("Tidak ada data", "No data"),
}

_CAPACITY = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Laporan kapasitas & biaya — {{ r.city }}</title><style>{{ css }}</style></head>
<body>
<h1>Laporan kapasitas &amp; biaya link sewa</h1>
<div class="en">Leased capacity and cost report — {{ r.city }}</div>
<p>Periode {{ r.start_local }} – {{ r.end_local }} {{ tzname }}
({{ r.days }} hari, {{ r.timezone }}). Sumber: Prometheus {{ r.prometheus }}.</p>
<div class="summary">
 <div>Biaya sewa per bulan<br><span class="en">Monthly leased cost</span>
  <div class="big">{{ rupiah(r.monthly_cost_idr) }}</div></div>
 <div>Potensi penghematan per bulan<br><span class="en">Possible monthly saving</span>
  <div class="big downsize">{{ rupiah(r.monthly_saving_idr) }}</div></div>
 <div>Tambahan biaya untuk upgrade<br><span class="en">Extra cost of upgrades</span>
  <div class="big upgrade">{{ rupiah(r.monthly_extra_idr) }}</div></div>
</div>

<p class="note">Penghematan di atas hanya dari link utama. Link cadangan diukur untuk beban
yang harus ditanggungnya saat link utama putus, dan ditampilkan terpisah di bawah.
<span class="en">The saving above counts primary circuits only; backups are sized for the
load they take over and shown apart below.</span></p>

<h2>Link sewa utama <span class="en">Primary leased uplinks</span></h2>
<table>
<tr><th>Link</th><th class="n">Kapasitas</th><th class="n">Biaya/bulan</th>
<th class="n">p95 masuk</th><th class="n">p95 keluar</th><th class="n">p99</th>
<th class="n">Rp per Mbps terpakai</th><th>Saran <span class="en">advice</span></th></tr>
{% for u in r.primaries %}
<tr><td>{{ u.device }}:{{ u.interface }}<br><small>{{ u.provider }}
{%- if u.circuit %} {{ u.circuit }}{% endif %}</small></td>
<td class="n">{{ mbps(u.capacity_mbps) }} Mbps</td>
<td class="n">{{ rupiah(u.monthly_cost_idr) if u.monthly_cost_idr is not none else "–" }}</td>
<td class="n">{{ mbps(u.inbound.p95) ~ " Mbps" if u.inbound else "–" }}</td>
<td class="n">{{ mbps(u.outbound.p95) ~ " Mbps" if u.outbound else "–" }}</td>
<td class="n">{{ mbps(p99(u)) ~ " Mbps" if u.inbound or u.outbound else "–" }}</td>
<td class="n">{{ rupiah(u.cost_per_used_mbps_idr) if u.cost_per_used_mbps_idr else "–" }}</td>
<td class="advice {{ u.recommendation.action }}">{{ advice_id(u) }}
<small>{{ advice_en(u) }}</small></td></tr>
{% endfor %}
</table>

{% if r.backups %}
<h2>Link sewa cadangan <span class="en">Backup leased uplinks</span></h2>
<p>Link cadangan tidak membawa trafik sampai link utamanya putus: trafiknya sendiri tidak
dipakai untuk menyarankan penurunan. Ukurannya dihitung dari beban link utama (p95/p99 periode
ini) atau kapasitas cadangan yang ditetapkan kota (<code>failover_mbps</code>).
<span class="en">A backup carries nothing until its primary fails: its own traffic never
argues for a downsize. It is sized from its primary's p95/p99 or the capacity the city
declares.</span></p>
<table>
<tr><th>Link</th><th>Cadangan untuk</th><th class="n">Kapasitas</th><th class="n">Biaya/bulan</th>
<th class="n">Beban saat failover</th><th class="n">p95 sendiri</th>
<th>Saran <span class="en">advice</span></th></tr>
{% for u in r.backups %}
<tr><td>{{ u.device }}:{{ u.interface }}<br><small>{{ u.provider }}
{%- if u.circuit %} {{ u.circuit }}{% endif %}</small></td>
<td>{{ primary_name(u) }}</td>
<td class="n">{{ mbps(u.capacity_mbps) }} Mbps</td>
<td class="n">{{ rupiah(u.monthly_cost_idr) if u.monthly_cost_idr is not none else "–" }}</td>
<td class="n">{{ failover(u) }}</td>
<td class="n">{{ mbps(u.busiest_p95_mbps) ~ " Mbps" if u.samples else "–" }}</td>
<td class="advice {{ u.recommendation.action }}">{{ advice_id(u) }}
<small>{{ advice_en(u) }}</small></td></tr>
{% endfor %}
</table>
<p>Perubahan biaya jika saran cadangan diikuti: {{ rupiah(r.backup_change_idr) }}/bulan
<span class="en">(not part of the saving headline)</span>.</p>
{% endif %}

{% for u in r.uplinks %}
<div class="card">
<h3>{{ u.device }}:{{ u.interface }} — {{ u.provider }}
{%- if u.circuit %} {{ u.circuit }}{% endif %}
{%- if u.is_backup %} (cadangan / backup){% endif %}</h3>
{% if u.description %}<div>{{ u.description }}</div>{% endif %}
<p class="{{ u.recommendation.action }}">{{ advice(u) }}</p>
{% if u.partial_days %}<p class="note">Hari tidak penuh <span class="en">(partial days)</span>:
{{ u.partial_days | join(", ") }}: p95-nya hanya dari sebagian jam, bukan penurunan.</p>{% endif %}
<p>{{ u.recommendation.reason_id }}<br><span class="en">{{ u.recommendation.reason_en }}</span></p>
{% if u.samples %}
<table>
<tr><th></th><th class="n">rata-rata</th><th class="n">p50</th><th class="n">p95</th>
<th class="n">p99</th><th class="n">maks</th><th class="n">p95 / kapasitas</th></tr>
{% for label, p in (("Masuk / in", u.inbound), ("Keluar / out", u.outbound)) if p %}
<tr><td>{{ label }}</td><td class="n">{{ mbps(p.mean) }}</td><td class="n">{{ mbps(p.p50) }}</td>
<td class="n">{{ mbps(p.p95) }}</td><td class="n">{{ mbps(p.p99) }}</td>
<td class="n">{{ mbps(p.max) }}</td><td class="n">{{ percent(p.p95 / u.capacity_mbps) }}</td></tr>
{% endfor %}
</table>
<p>Jam sibuk <span class="en">(peak hours)</span>: {{ peaks(u) }} {{ tzname }}</p>
{{ hourly(u) }}
{{ daily(u) }}
{% endif %}
</div>
{% endfor %}

<h2>Ruang sisa fiber kota <span class="en">City-fibre headroom</span></h2>
<p>p95 periode ini di ujung dan arah tersibuk tiap link milik kota (urut dari yang terpadat).</p>
<table>
<tr><th>Link</th><th>Media</th><th class="n">Kapasitas</th><th class="n">p95</th>
<th class="n">Pemakaian</th><th class="n">Ruang sisa</th></tr>
{% for f in r.fibre %}
<tr><td>{{ f.device }}:{{ f.interface }} → {{ f.far_end }}</td><td>{{ f.medium }}</td>
<td class="n">{{ mbps(f.capacity_mbps) }} Mbps</td>
<td class="n">{{ mbps(f.p95_mbps) ~ " Mbps" if f.p95_mbps is not none else "tidak ada data" }}</td>
<td class="n">{{ percent(f.utilisation) if f.utilisation is not none else "–" }}</td>
<td class="n">{{ mbps(f.headroom_mbps) ~ " Mbps" if f.headroom_mbps is not none else "–" }}
</td></tr>
{% endfor %}
</table>

<h2>Aturan <span class="en">Rules</span></h2>
<p>Ukuran yang tepat = paket standar terkecil yang membuat p95 ≤ {{ percent(r.policy.p95_target) }}
dan p99 ≤ {{ percent(r.policy.p99_target) }} dari paket. Jika p95 di atas
{{ percent(r.policy.upgrade_at) }} kapasitas sekarang, link jenuh: naikkan. Harga paket baru
dihitung proporsional dengan harga per Mbps kontrak sekarang.
<span class="en">Right size = the smallest standard tier keeping p95 ≤
{{ percent(r.policy.p95_target) }} and p99 ≤ {{ percent(r.policy.p99_target) }} of it; p95 above
{{ percent(r.policy.upgrade_at) }} of today's capacity means saturated: upgrade. New prices are
pro-rata to the current price per Mbps.</span></p>
<p>Paket standar (Mbps): {{ r.policy.tiers | join(", ") }}.</p>
<footer>netops report capacity · dibuat {{ r.generated }}</footer>
</body></html>
"""


def _mbps(value: float | None) -> str:
    if value is None:
        return "–"
    return number(value, 0) if value >= 10 else number(value, 1)


def advice_parts(uplink: UplinkReport) -> tuple[str, str]:
    """The advice in Indonesian and in English, apart (the table shows them on two lines)."""
    rec = uplink.recommendation
    id_word, en_word = _ACTION[rec.action]
    if rec.action == "downsize" and rec.target_mbps is not None:
        return (
            f"{id_word} ke {_mbps(rec.target_mbps)} Mbps, hemat {rupiah(rec.saving_idr)}/bulan",
            f"{en_word} to {_mbps(rec.target_mbps)} Mbps, saving {rupiah(rec.saving_idr)} "
            "per month",
        )
    if rec.action == "upgrade" and rec.target_mbps is not None:
        extra = rupiah(rec.monthly_change_idr)
        return (
            f"{id_word} ke {_mbps(rec.target_mbps)} Mbps, tambah {extra}/bulan",
            f"{en_word} to {_mbps(rec.target_mbps)} Mbps, {extra} more per month",
        )
    return id_word, en_word


def advice_text(uplink: UplinkReport) -> str:
    """One line: ``Turunkan ke 60 Mbps, hemat Rp 3.600.000/bulan (Downsize …)``."""
    rec = uplink.recommendation
    id_word, en_word = _ACTION[rec.action]
    if rec.action == "downsize" and rec.target_mbps is not None:
        return (
            f"{id_word} ke {_mbps(rec.target_mbps)} Mbps, hemat {rupiah(rec.saving_idr)}/bulan "
            f"({en_word} to {_mbps(rec.target_mbps)} Mbps, saving {rupiah(rec.saving_idr)} "
            "per month)"
        )
    if rec.action == "upgrade" and rec.target_mbps is not None:
        extra = rupiah(rec.monthly_change_idr)
        return (
            f"{id_word} ke {_mbps(rec.target_mbps)} Mbps, tambah {extra}/bulan "
            f"({en_word} to {_mbps(rec.target_mbps)} Mbps, {extra} more per month)"
        )
    return f"{id_word} ({en_word})"


def capacity_html(report: CapacityReport, generated: str) -> str:
    """The capacity report as one self-contained HTML page."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(report.timezone)
    env = Environment(autoescape=True)
    template = env.from_string(_CAPACITY)
    tzname = report.end.astimezone(zone).tzname()

    def hourly(u: UplinkReport) -> Markup:
        return Markup(
            charts.hourly_bars(
                u.hourly_in_mbps,
                u.hourly_out_mbps,
                u.capacity_mbps,
                f"Rata-rata trafik per jam {u.device}:{u.interface} (Mbps, {tzname})",
                u.recommendation.target_mbps,
            )
        )

    def daily(u: UplinkReport) -> Markup:
        return Markup(
            charts.daily_line(
                u.daily_p95_mbps,
                u.capacity_mbps,
                f"p95 harian {u.device}:{u.interface} (Mbps, {tzname})",
                u.recommendation.target_mbps,
                partial=u.partial_days,
            )
        )

    def peaks(u: UplinkReport) -> str:
        return ", ".join(f"{a:02d}:00–{b:02d}:00" for a, b in u.peak_hours) or "–"

    def p99(u: UplinkReport) -> float:
        return max(p.p99 for p in (u.inbound, u.outbound) if p is not None)

    names = {u.link_id: u.circuit or u.link_id for u in report.uplinks}

    def primary_name(u: UplinkReport) -> str:
        return names.get(u.backup_for or "", u.backup_for or "–")

    def failover(u: UplinkReport) -> str:
        if u.failover_basis == "declared" and u.failover_mbps is not None:
            return f"{_mbps(u.failover_mbps)} Mbps (ditetapkan)"
        primary = next((p for p in report.uplinks if p.link_id == u.backup_for), None)
        if u.failover_basis == "primary" and primary is not None:
            return f"p95 {_mbps(primary.busiest_p95_mbps)} Mbps (link utama)"
        return "–"

    context: dict[str, Any] = {
        "r": _View(report, zone, generated),
        "css": Markup(_CSS),
        "rupiah": rupiah,
        "mbps": _mbps,
        "percent": percent,
        "advice": advice_text,
        "advice_id": lambda u: advice_parts(u)[0],
        "advice_en": lambda u: advice_parts(u)[1],
        "primary_name": primary_name,
        "failover": failover,
        "hourly": hourly,
        "daily": daily,
        "peaks": peaks,
        "p99": p99,
        "tzname": tzname,
    }
    return template.render(**context)


class _View:
    """The report plus display-ready times, for the template."""

    def __init__(self, report: CapacityReport, zone: Any, generated: str) -> None:
        self._report = report
        self.start_local = report.start.astimezone(zone).strftime("%d-%m-%Y %H:%M")
        self.end_local = report.end.astimezone(zone).strftime("%d-%m-%Y %H:%M")
        self.generated = generated

    def __getattr__(self, name: str) -> Any:
        return getattr(self._report, name)


_HOTSPOTS = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Laporan pemakaian hotspot — {{ r.city }}</title><style>{{ css }}</style></head>
<body>
<h1>Laporan pemakaian WiFi publik</h1>
<div class="en">Hotspot usage report — {{ r.city }}</div>
<p>{{ r.dates[0] }} – {{ r.dates[-1] }} ({{ r.dates | length }} hari, {{ r.timezone }}).</p>
<div class="summary">
 <div>Pengguna <span class="en">users</span><div class="big">{{ num(r.users, 0) }}</div></div>
 <div>Sesi <span class="en">sessions</span><div class="big">{{ num(r.sessions, 0) }}</div></div>
 <div>Waktu online <span class="en">time online</span><div class="big">{{ hm(r.hours) }}</div></div>
 <div>Data <span class="en">data</span><div class="big">{{ num(r.gb, 2) }} GB</div></div>
</div>
<p>Jam tersibuk <span class="en">(busiest hours)</span>: {{ busiest }}</p>
{{ hours_chart }}

<h2>Per hotspot</h2>
<table>
<tr><th>Hotspot</th><th class="n">Pengguna</th><th class="n">Sesi</th>
<th class="n">Waktu online</th>
<th class="n">GB unduh</th><th class="n">GB unggah</th><th class="n">GB total</th>
<th>Jam tersibuk</th></tr>
{% for h in r.hotspots %}
<tr><td>{{ h.name }}<br><small>{{ h.hotspot }}</small></td><td class="n">{{ h.users }}</td>
<td class="n">{{ h.sessions }}</td><td class="n">{{ hm(h.hours) }}</td>
<td class="n">{{ num(h.octets_down / 1e9, 2) }}</td>
<td class="n">{{ num(h.octets_up / 1e9, 2) }}</td>
<td class="n">{{ num(h.gb, 2) }}</td>
<td>{{ "%02d:00" % h.busiest_hour if h.busiest_hour is not none else "–" }}</td></tr>
{% endfor %}
</table>
{{ bars }}

<h2>Per hari <span class="en">Per day</span></h2>
{% for h in r.hotspots if h.sessions or h.hours %}
<h3>{{ h.name }}</h3>
<table>
<tr><th>Tanggal</th><th class="n">Pengguna</th><th class="n">Sesi</th>
<th class="n">Waktu online</th>
<th class="n">GB</th></tr>
{% for d in h.days %}
<tr><td>{{ d.day }}</td><td class="n">{{ d.users }}</td><td class="n">{{ d.sessions }}</td>
<td class="n">{{ hm(d.hours) }}</td><td class="n">{{ num(d.gb, 2) }}</td></tr>
{% endfor %}
</table>
{% endfor %}
{% set idle = r.hotspots | rejectattr("hours") | rejectattr("sessions") | list %}
{% if idle %}
<h2>Hotspot tanpa pengguna <span class="en">Hotspots without users</span></h2>
<p>{% for h in idle %}{{ h.name }}{{ ", " if not loop.last }}{% endfor %}</p>
{% endif %}
<footer>netops report hotspots · dibuat {{ generated }} · GB = 10<sup>9</sup> byte</footer>
</body></html>
"""


def hotspots_html(report: HotspotReport, generated: str) -> str:
    """The hotspot-usage report as one self-contained HTML page."""
    env = Environment(autoescape=True)
    busiest = ", ".join(f"{a:02d}:00–{b:02d}:00" for a, b in report.busiest_hours) or "–"
    return env.from_string(_HOTSPOTS).render(
        r=report,
        css=Markup(_CSS),
        num=number,
        hm=hours_minutes,
        busiest=busiest,
        generated=generated,
        hours_chart=Markup(
            charts.hour_columns(
                report.hourly_avg_users, "Rata-rata pengguna online per jam", " pengguna"
            )
        ),
        bars=Markup(
            charts.bar_list(
                [(h.name, h.hours) for h in report.hotspots if h.hours > 0],
                "Waktu online per hotspot",
                fmt=hours_minutes,
            )
        ),
    )


_MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip

_AVAILABILITY = """<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Laporan ketersediaan {{ month }} — {{ r.city }}</title><style>{{ css }}</style></head>
<body>
<h1>Laporan ketersediaan jaringan {{ month }}</h1>
<div class="en">Network availability report — {{ r.city }}</div>
<p>Periode {{ when(r.start) }} – {{ when(r.end) }} {{ tzname }} ({{ r.timezone }}).
{% if not r.complete %}<strong>Bulan masih berjalan: angka sementara.</strong>
<span class="en">(month still running: provisional figures)</span>{% endif %}
Sumber: probe ICMP di Prometheus {{ r.prometheus }}.</p>
<div class="summary">
 <div>Kredit SLA yang bisa ditagih<br><span class="en">SLA credit owed by providers</span>
  <div class="big downsize">{{ rupiah(r.credit_idr) }}</div></div>
 <div>Gangguan tercatat<br><span class="en">outages recorded</span>
  <div class="big">{{ outages }}</div></div>
 <div>Jendela pemeliharaan<br><span class="en">maintenance windows</span>
  <div class="big">{{ r.maintenance | length }}</div></div>
</div>

{% if r.uplinks %}
<h2>Uplink sewa dan SLA <span class="en">Leased uplinks and their SLA</span></h2>
<table>
<tr><th>Sirkuit</th><th class="n">Dijanjikan</th><th class="n">Terukur</th>
<th class="n">Waktu mati</th><th class="n">Kredit</th><th class="n">Kredit (Rp)</th></tr>
{% for u in r.uplinks %}
<tr><td>{{ u.name }}<br><small>{{ u.detail }}</small></td>
<td class="n">{{ pct(u.sla.promised) if u.sla else "–" }}</td>
<td class="n {{ 'upgrade' if u.sla and u.sla.met == false else '' }}">{{ pct(u.availability) }}</td>
<td class="n">{{ dur(u.downtime_seconds) }}</td>
<td class="n">{{ (num(u.sla.credit_percent, 0) ~ "% biaya bulanan") if u.sla else "–" }}</td>
<td class="n">{{ rupiah(u.sla.credit_idr) if u.sla else "–" }}</td></tr>
{% endfor %}
</table>
{% endif %}

{% for title, en, rows in (("Per lokasi", "Per site", r.sites),
                           ("Per hotspot", "Per hotspot", r.hotspots)) if rows %}
<h2>{{ title }} <span class="en">{{ en }}</span></h2>
<table>
<tr><th>Nama</th><th class="n">Ketersediaan</th><th class="n">Waktu mati</th>
<th class="n">Pemeliharaan</th><th class="n">Gangguan</th></tr>
{% for a in rows %}
<tr><td>{{ a.name }}<br><small>{{ a.id }}</small></td>
<td class="n">{{ pct(a.availability) }}</td><td class="n">{{ dur(a.downtime_seconds) }}</td>
<td class="n">{{ dur(a.maintenance_seconds) if a.maintenance_seconds else "–" }}</td>
<td class="n">{{ a.outages | length }}</td></tr>
{% endfor %}
</table>
{% endfor %}

<h2>Daftar gangguan <span class="en">Outages</span></h2>
{% set listed = r.entries() | selectattr("outages") | list %}
{% if not listed %}<p>Tidak ada gangguan tercatat. <span class="en">No outage.</span></p>{% endif %}
{% for a in listed %}
<h3>{{ a.name }} <small>({{ kinds[a.kind] }})</small></h3>
<table>
<tr><th>Mulai ({{ tzname }})</th><th>Selesai ({{ tzname }})</th><th class="n">Durasi</th>
<th class="n">Dihitung</th><th>Penyebab <span class="en">cause</span></th></tr>
{% for o in a.outages %}
<tr><td>{{ stamp(o.start) }}</td><td>{{ stamp(o.end) }}</td><td class="n">{{ dur(o.seconds) }}</td>
<td class="n">{{ dur(o.counted_seconds) }}{% if o.maintenance_seconds %}<br><small>
{{ dur(o.maintenance_seconds) }} dalam pemeliharaan</small>{% endif %}</td>
<td>{{ o.cause_id or "tidak diketahui (tidak ada alert)" }}</td></tr>
{% endfor %}
</table>
{% endfor %}

{% if r.maintenance %}
<h2>Jendela pemeliharaan <span class="en">Maintenance windows</span></h2>
<table>
<tr><th>Mulai</th><th>Selesai</th><th>Cakupan</th><th>Keterangan</th></tr>
{% for m in r.maintenance %}
<tr><td>{{ when(m.start) }}</td><td>{{ when(m.end) }}</td>
<td>{{ scope(m) }}</td><td>{{ m.description or "" }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Aturan <span class="en">Rules</span></h2>
<p>Ketersediaan = 1 − waktu mati di luar pemeliharaan ÷ (periode − pemeliharaan). Lokasi mati
bila tidak satu pun perangkatnya menjawab ping; hotspot mati bila gateway-nya tidak menjawab;
uplink sewa mati bila alamat di seberang sirkuit tidak menjawab. Gangguan dimulai pada probe
gagal pertama dan berakhir pada probe berhasil berikutnya. Kredit SLA = persen biaya bulanan
dari pita terendah yang terlampaui dalam kontrak.
<span class="en">Availability = 1 − downtime outside maintenance ÷ (period − maintenance). A
site is down while none of its devices answers ping, a hotspot while its gateway does not, a
leased uplink while the address beyond the circuit does not. The SLA credit is the percent of
the monthly fee of the lowest contract band reached.</span></p>
<footer>netops report availability · dibuat {{ generated }}</footer>
</body></html>
"""


def availability_html(report: AvailabilityReport, generated: str) -> str:
    """The monthly availability report as one self-contained HTML page."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(report.timezone)
    year, month = (int(part) for part in report.month.split("-"))

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%d-%m-%Y %H:%M")

    def stamp(ts: float) -> str:
        return datetime.fromtimestamp(ts, zone).strftime("%d-%m-%Y %H:%M:%S")

    def pct(value: float | None) -> str:
        return "tidak ada data" if value is None else f"{number(value, 3)}%"

    def dur(seconds: float | None) -> str:
        return "–" if seconds is None else duration(seconds)

    def scope(m: Maintenance) -> str:
        parts = [*m.sites, *m.devices, *m.links]
        return ", ".join(parts) if parts else "seluruh kota"

    env = Environment(autoescape=True)
    return env.from_string(_AVAILABILITY).render(
        r=report,
        css=Markup(_CSS),
        month=f"{_MONTHS[month - 1]} {year}",
        tzname=report.end.astimezone(zone).tzname(),
        when=when,
        stamp=stamp,
        pct=pct,
        dur=dur,
        num=number,
        scope=scope,
        rupiah=rupiah,
        outages=sum(len(a.outages) for a in report.entries()),
        kinds={"site": "lokasi", "hotspot": "hotspot", "uplink": "uplink sewa"},
        generated=generated,
    )
