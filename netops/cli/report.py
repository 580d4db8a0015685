"""``netops report``: the leased-capacity/cost report and the hotspot-usage report."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from netops import environment
from netops.cli.common import DbOpt, InventoryOpt, absolute_path, console, db_url, get_inventory
from netops.errors import ReportError
from netops.files import write_atomic
from netops.report import availability as availability_report
from netops.report import hotspots as hotspot_report
from netops.report.capacity import DEFAULT_TIERS, CapacityReport, Policy, city_zone, collect
from netops.report.money import rupiah
from netops.report.prometheus import PrometheusClient
from netops.report.render import (
    advice_text,
    availability_html,
    capacity_html,
    hotspots_html,
)
from netops.store import Store
from netops.timefmt import human, zone_of

app = typer.Typer(
    help="Reports: leased capacity and cost, monthly availability and SLA credits (from "
    "Prometheus), hotspot usage (from the store).",
    no_args_is_help=True,
)

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Write the report here (default: stdout).", callback=absolute_path
    ),
]


class CapacityFormat(StrEnum):
    html = "html"
    json = "json"


class AvailabilityFormat(StrEnum):
    html = "html"
    json = "json"
    csv = "csv"


class HotspotFormat(StrEnum):
    html = "html"
    csv = "csv"


def _end(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ReportError(f"--end {value!r} is not an ISO 8601 time (2026-11-01T00:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _tiers(value: str | None) -> tuple[int, ...]:
    if not value:
        return DEFAULT_TIERS
    try:
        tiers = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError as exc:
        raise ReportError(f"--tiers {value!r} must be whole Mbps separated by commas") from exc
    if not tiers or tiers[0] <= 0:
        raise ReportError(f"--tiers {value!r} must be positive Mbps values")
    return tiers


def _write(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    write_atomic(out, text, error=ReportError)


def _summary(report: CapacityReport) -> Table:
    table = Table(title=f"{report.city}: leased uplinks, last {report.days} days")
    for column in ("uplink", "capacity", "cost/month", "p95 in", "p95 out", "advice"):
        table.add_column(
            column, justify="right" if column.startswith(("cap", "cost", "p9")) else "left"
        )
    for u in report.uplinks:
        table.add_row(
            f"{u.device}:{u.interface} {u.provider}" + (" (backup)" if u.is_backup else ""),
            f"{u.capacity_mbps:g} Mbps",
            rupiah(u.monthly_cost_idr) if u.monthly_cost_idr is not None else "–",
            f"{u.inbound.p95:.1f}" if u.inbound else "–",
            f"{u.outbound.p95:.1f}" if u.outbound else "–",
            advice_text(u),
        )
    return table


@app.command("capacity")
def capacity(
    prometheus: Annotated[
        str,
        typer.Option(
            "--prometheus",
            "-p",
            envvar="NETOPS_PROMETHEUS",
            help="Prometheus base URL, e.g. http://127.0.0.1:9090 (or $NETOPS_PROMETHEUS).",
        ),
    ],
    inventory: InventoryOpt = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=400, help="Period length in days.")
    ] = 30,
    out: OutOpt = None,
    fmt: Annotated[
        CapacityFormat,
        typer.Option("--format", "-f", help="html: one self-contained page; json: for machines."),
    ] = CapacityFormat.html,
    end: Annotated[
        str | None,
        typer.Option("--end", help="End of the period, ISO 8601 (default: now)."),
    ] = None,
    tiers: Annotated[
        str | None,
        typer.Option(
            "--tiers",
            help="Standard circuit sizes in Mbps, comma-separated (default: Telkom-like tiers "
            "10…100 in tens, 150, 200, 250, 300, 400 … 1000, 1500 … 10000).",
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="IANA time zone for hours and days (default: the inventory's meta.timezone, "
            "Asia/Makassar = WITA when unset).",
        ),
    ] = None,
) -> None:
    """Per leased uplink: p95/p99 in and out, peak hours, Rupiah per used Mbps and advice
    (keep / downsize / upgrade); headroom on the city's own fibre."""
    inv = get_inventory(inventory)
    client = PrometheusClient(prometheus)
    report = collect(
        inv,
        client,
        days=days,
        end=_end(end),
        policy=Policy(tiers=_tiers(tiers)),
        timezone=timezone,
    )
    if fmt is CapacityFormat.json:
        _write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), out)
    else:
        generated = human(datetime.now(UTC), zone_of(report.timezone))
        _write(capacity_html(report, generated), out)
    if out is not None:
        console.print(_summary(report))
        console.print(
            f"saving possible: {rupiah(report.monthly_saving_idr)}/month (primary circuits; "
            f"backups sized for failover apart: {rupiah(report.backup_change_idr)}/month); "
            f"wrote {fmt.value} report to {out}"
        )


@app.command("hotspots")
def hotspots(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=400, help="Number of local calendar days.")
    ] = 7,
    out: OutOpt = None,
    fmt: Annotated[
        HotspotFormat,
        typer.Option("--format", "-f", help="html: one self-contained page; csv: hotspot × day."),
    ] = HotspotFormat.html,
    end: Annotated[
        str | None,
        typer.Option("--end", help="End of the period, ISO 8601 (default: now)."),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="IANA time zone for hours and days (default: the inventory's meta.timezone, "
            "Asia/Makassar = WITA when unset).",
        ),
    ] = None,
) -> None:
    """Per hotspot and day: users, sessions, hours online and GB, and the busiest hours,
    from the RADIUS accounting store."""
    inv = get_inventory(inventory)
    if timezone:
        city_zone(timezone)  # before touching the database
    store = Store.open(db_url(db), keys=environment.store_keys())
    try:
        report = hotspot_report.collect(inv, store, days=days, end=_end(end), timezone=timezone)
    finally:
        store.close()
    if fmt is HotspotFormat.csv:
        _write(hotspot_report.to_csv(report), out)
    else:
        generated = human(datetime.now(UTC), zone_of(report.timezone))
        _write(hotspots_html(report, generated), out)
    if out is not None:
        table = Table(title=f"{report.city}: hotspots, {report.dates[0]} – {report.dates[-1]}")
        for column in ("hotspot", "users", "sessions", "hours", "GB"):
            table.add_column(column, justify="left" if column == "hotspot" else "right")
        for h in report.hotspots:
            if h.sessions or h.hours:
                table.add_row(
                    h.hotspot, str(h.users), str(h.sessions), f"{h.hours:.1f}", f"{h.gb:.2f}"
                )
        console.print(table)
        console.print(f"wrote {fmt.value} report to {out}")


@app.command("availability")
def availability(
    prometheus: Annotated[
        str,
        typer.Option(
            "--prometheus",
            "-p",
            envvar="NETOPS_PROMETHEUS",
            help="Prometheus base URL, e.g. http://127.0.0.1:9090 (or $NETOPS_PROMETHEUS).",
        ),
    ],
    inventory: InventoryOpt = None,
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            "-m",
            help="The month, YYYY-MM, in the city's time zone (default: the last whole month).",
        ),
    ] = None,
    out: OutOpt = None,
    fmt: Annotated[
        AvailabilityFormat,
        typer.Option(
            "--format",
            "-f",
            help="html: one self-contained page; json: everything, outages included; "
            "csv: one row per site, hotspot and uplink.",
        ),
    ] = AvailabilityFormat.html,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            "--tz",
            help="IANA time zone of the month and the times shown (default: the inventory's "
            "meta.timezone, Asia/Makassar = WITA when unset).",
        ),
    ] = None,
) -> None:
    """Availability per site, hotspot and leased uplink over a month from the ICMP probes,
    maintenance left out, every outage with its cause, and each circuit's SLA credit."""
    inv = get_inventory(inventory)
    client = PrometheusClient(prometheus)
    report = availability_report.collect(inv, client, month=month, timezone=timezone)
    if fmt is AvailabilityFormat.json:
        _write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), out)
    elif fmt is AvailabilityFormat.csv:
        _write(availability_report.to_csv(report), out)
    else:
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        _write(availability_html(report, generated), out)
    if out is not None:
        table = Table(title=f"{report.city}: availability {report.month}")
        for column in ("", "availability", "downtime s", "outages", "SLA credit"):
            table.add_column(column, justify="left" if not column else "right")
        for a in report.entries():
            value = a.availability
            table.add_row(
                f"{a.kind} {a.id}",
                "no data" if value is None else f"{value:.3f}%",
                "–" if a.downtime_seconds is None else f"{a.downtime_seconds:.0f}",
                str(len(a.outages)),
                rupiah(a.sla.credit_idr) if a.sla else "",
            )
        console.print(table)
        console.print(f"SLA credit owed: {rupiah(report.credit_idr)}; wrote {fmt.value} to {out}")
