"""Every CLI command that shows a time shows the city's clock, its zone named (WITA for the
lab and Banjarmasin); JSON and CSV carry ISO 8601 with the offset."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import LAB
from tests.support.records import acct_record

WITA = ZoneInfo("Asia/Makassar")
HUMAN = r"\d{4}-\d\d-\d\d \d\d:\d\d WITA"
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00"
START = datetime(2026, 11, 22, 0, 30, tzinfo=UTC)  # 08:30 WITA


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "250")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def session(store: Store, status: str, at: datetime, seconds: int, user: str = "ani") -> None:
    store.account(
        acct_record(
            status=status,
            nas_ip="127.0.0.1",
            nas_identifier="lab-hs-01",
            username=user,
            acct_session_id="S-1",
            hotspot="lab-park",
            session_time=seconds,
            terminate_cause="User-Request" if status == "stop" else None,
            event_time=at,
        )
    )


def test_sessions_show_wita_for_people_and_offsets_for_machines(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(db, keys=store_keys()) as store:
        session(store, "start", START, 0)
        session(store, "stop", START + timedelta(minutes=5), 300)
    code, out, _ = run(capsys, "radius", "sessions")
    assert code == 0
    assert "2026-11-22 08:30:00 WITA" in out and "closed 2026-11-22 08:35:00 WITA" in out
    assert "UTC" not in out and "00:30:00" not in out
    (row,) = json.loads(run(capsys, "radius", "sessions", "--format", "json")[1])
    assert row["started_at"] == "2026-11-22T08:30:00+08:00"
    assert row["stopped_at"] == "2026-11-22T08:35:00+08:00"
    (line,) = csv.DictReader(io.StringIO(run(capsys, "radius", "sessions", "-f", "csv")[1]))
    assert line["started_at"] == "2026-11-22T08:30:00+08:00"


def test_user_show_and_list_use_the_city_clock(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    with Store.open(db, keys=store_keys()) as store:
        store.add_user("ani", "pw", "gratis")
        session(store, "start", now - timedelta(minutes=3), 0)
    code, out, _ = run(capsys, "radius", "user", "show", "ani")
    assert code == 0
    local = now.astimezone(WITA)
    assert f"today since {local:%Y-%m-%d} 00:00 WITA" in out
    started = (now - timedelta(minutes=3)).astimezone(WITA)
    assert f"since {started:%Y-%m-%d %H:%M}" in out and "WITA (no MAC" in out
    shown = json.loads(run(capsys, "radius", "user", "show", "ani", "-f", "json")[1])
    assert re.fullmatch(ISO, shown["created_at"])
    assert re.fullmatch(ISO, shown["open_sessions"][0]["started_at"])
    code, out, _ = run(capsys, "radius", "user", "list")
    assert re.search(r"ani .* " + HUMAN, out) and "(UTC)" not in out
    (user,) = json.loads(run(capsys, "radius", "user", "list", "-f", "json")[1])
    assert re.fullmatch(ISO, user["created_at"])


def test_mac_list_uses_the_city_clock(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "radius", "mac", "add", "aa:bb:cc:00:00:01", "--plan", "pegawai")[0] == 0
    out = run(capsys, "radius", "mac", "list")[1]
    assert re.search(HUMAN, out) and "(UTC)" not in out


def test_voucher_list_and_create_use_the_city_clock(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "voucher", "create", "--plan", "voucher-harian", "-f", "json")
    assert code == 0
    (made,) = json.loads(out)
    # the default batch name is the city's wall clock
    assert made["batch"][:8] == datetime.now(UTC).astimezone(WITA).strftime("%Y%m%d")
    claimed = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)  # 09:00 WITA
    with Store.open(db, keys=store_keys()) as store:
        store.claim_voucher(made["code"], "aa:bb:cc:00:00:09", claimed)
    out = run(capsys, "voucher", "list")[1]
    assert "2026-11-22 09:00 WITA" in out and "2026-11-23 09:00 WITA" in out  # 1d validity
    assert "(UTC)" not in out
    (row,) = csv.DictReader(io.StringIO(run(capsys, "voucher", "list", "-f", "csv")[1]))
    assert row["first use"] == "2026-11-22T09:00:00+08:00"
    assert row["valid until"] == "2026-11-23T09:00:00+08:00"
    (item,) = json.loads(run(capsys, "voucher", "list", "-f", "json")[1])
    assert item["first_used_at"] == "2026-11-22T09:00:00+08:00"


def test_without_an_inventory_times_are_utc_and_say_so(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db, keys=store_keys()) as store:
        session(store, "start", START, 0)
    monkeypatch.delenv("NETOPS_INVENTORY")
    out = run(capsys, "radius", "sessions")[1]
    assert "2026-11-22 00:30:00 UTC" in out
    (row,) = json.loads(run(capsys, "radius", "sessions", "-f", "json")[1])
    assert row["started_at"] == "2026-11-22T00:30:00+00:00"


def test_up_events_are_stamped_with_the_city_clock(capsys: pytest.CaptureFixture[str]) -> None:
    from netops.cli.up import _print_event
    from netops.service.supervisor import Event

    _print_event(Event("radius", "ready", "listening"), {}, WITA)
    out = capsys.readouterr().out
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WITA radius", out), out


def test_config_backup_commit_names_the_city_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import netops.cli.config as config_cli
    from netops.provision.result import Result

    def fetched(*_args: object) -> list[Result]:
        return [Result(device="lab-hs-01", operation="backup", running="/system identity\n")]

    monkeypatch.setattr(config_cli, "run", fetched)
    out = tmp_path / "backups"
    code = main(["config", "backup", "-i", str(LAB), "--device", "lab-hs-01", "--out", str(out)])
    assert code == 0, capsys.readouterr()
    message = subprocess.run(
        ["git", "-C", str(out), "log", "-1", "--format=%s"], capture_output=True, text=True
    ).stdout.strip()
    assert re.match(r"backup " + HUMAN + ":", message), message


def test_hotspot_report_says_when_it_was_made_in_city_time(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "hotspots.html"
    code = main(["report", "hotspots", "-i", str(LAB), "--db", db, "--out", str(page)])
    assert code == 0, capsys.readouterr()
    assert re.search(r"dibuat " + HUMAN, page.read_text(encoding="utf-8"))
