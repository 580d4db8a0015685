"""The hotspot report from a real accounting store filled with known sessions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.inventory import load_inventory
from netops.report.hotspots import collect
from netops.store import AccountingRecord, Store
from tests.paths import BANJARMASIN
from tests.support.records import acct_record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

WITA = timezone(timedelta(hours=8))
END = datetime(2026, 11, 8, 0, 0, tzinfo=WITA)  # seven days: 1-7 November (WITA)
GB = 10**9


def _account(
    store: Store,
    sid: str,
    user: str,
    hotspot: str,
    start: datetime,
    stop: datetime | None,
    down: int,
    up: int,
    seen: datetime | None = None,
) -> None:
    def record(status: str, at: datetime, d: int, u: int) -> AccountingRecord:
        return acct_record(
            status=status,
            nas_ip="10.50.0.1",
            nas_identifier=f"{hotspot}-hs-01",
            username=user,
            acct_session_id=sid,
            hotspot=hotspot,
            session_time=int((at - start).total_seconds()),
            input_octets=u,
            output_octets=d,
            terminate_cause="User-Request" if status == "stop" else None,
            event_time=at.astimezone(UTC),
        )

    store.account(record("start", start, 0, 0))
    if stop is not None:
        store.account(record("stop", stop, down, up))
    else:
        assert seen is not None
        store.account(record("interim", seen, down, up))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store, SQLite or a PostgreSQL the test run starts, filled with known sessions."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'netops.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    store = Store.open(url, keys=store_keys())
    try:
        day = lambda d, h, m=0: datetime(2026, 11, d, h, m, tzinfo=WITA)  # noqa: E731
        smp, pasar = "siring-menara-pandang", "pasar-lama"
        _account(store, "s1", "warga1", smp, day(5, 19), day(5, 21), 3 * GB // 2, GB // 2)
        _account(store, "s2", "warga2", smp, day(5, 19, 15), day(5, 20, 15), 3 * GB // 4, GB // 4)
        _account(store, "s3", "warga1", smp, day(6, 23), day(7, 1), GB, 0)  # over midnight
        _account(store, "s4", "warga3", pasar, day(6, 8), day(6, 8, 30), GB // 10, 0)
        _account(store, "s5", "warga4", pasar, day(7, 10), None, GB // 5, 0, seen=day(7, 11))
        old = timedelta(days=10)
        _account(store, "s0", "warga9", smp, day(1, 6) - old, day(1, 7) - old, GB, GB)
    finally:
        store.close()
    return url


def test_report_counts_users_sessions_hours_and_gb_per_hotspot_per_day(db: str) -> None:
    store = Store.open(db, keys=store_keys())
    try:
        report = collect(load_inventory(BANJARMASIN), store, days=7, end=END)
    finally:
        store.close()
    assert report.dates == [f"2026-11-0{d}" for d in range(1, 8)]
    by_id = {h.hotspot: h for h in report.hotspots}
    assert len(by_id) == 17  # every inventory hotspot, used or not
    smp = by_id["siring-menara-pandang"]
    days = {d.day: d for d in smp.days}
    assert (days["2026-11-05"].users, days["2026-11-05"].sessions) == (2, 2)
    assert days["2026-11-05"].hours == pytest.approx(3.0)
    assert days["2026-11-05"].gb == pytest.approx(3.0)
    # the session over midnight: an hour and half its data on each day
    assert (days["2026-11-06"].users, days["2026-11-06"].sessions) == (1, 1)
    assert days["2026-11-06"].hours == pytest.approx(1.0)
    assert days["2026-11-06"].gb == pytest.approx(0.5)
    assert (days["2026-11-07"].users, days["2026-11-07"].sessions) == (1, 0)
    assert days["2026-11-07"].gb == pytest.approx(0.5)
    assert days["2026-11-01"].hours == 0  # the old session is outside the period
    assert (smp.users, smp.sessions) == (2, 3)
    assert smp.hours == pytest.approx(5.0)
    assert smp.busiest_hour == 19

    pasar = by_id["pasar-lama"]
    p_days = {d.day: d for d in pasar.days}
    assert p_days["2026-11-06"].hours == pytest.approx(0.5)
    assert p_days["2026-11-07"].hours == pytest.approx(1.0)  # still open: up to its interim
    assert pasar.gb == pytest.approx(0.3)
    assert by_id["terminal-km6"].sessions == 0 and by_id["terminal-km6"].hours == 0
    assert report.busiest_hours == [(19, 20)]


def test_cli_writes_csv_and_html(db: str, tmp_path: Path) -> None:
    args = ["report", "hotspots", "-i", str(BANJARMASIN), "--db", db, "--end", END.isoformat()]
    out = tmp_path / "hotspots.csv"
    assert main([*args, "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 17 * 7
    row = next(
        r for r in rows if r["hotspot"] == "siring-menara-pandang" and r["date"] == "2026-11-05"
    )
    assert (row["users"], row["sessions"], row["hours"], row["gb_total"]) == (
        "2",
        "2",
        "3.00",
        "3.000",
    )

    page = tmp_path / "hotspots.html"
    assert main([*args, "--out", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "Siring Menara Pandang" in html and "Jam tersibuk" in html
    assert "19:00–20:00" in html
    assert html.count("<svg") == 2 and "<script" not in html


def test_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    from tests.integration.report.conftest import free_port

    url = f"postgresql+psycopg://netops:x@127.0.0.1:{free_port()}/netops"
    out = tmp_path / "never.html"
    args = ["report", "hotspots", "-i", str(BANJARMASIN), "--db", url, "--out", str(out)]
    assert main(args) == 1
    assert not out.exists()
