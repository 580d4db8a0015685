"""CSV files netops writes are safe to open in a spreadsheet, and batch names are names."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import LAB
from tests.support.records import acct_record

HYPERLINK = '=HYPERLINK("http://203.0.113.9/x","klik")'


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    "batch", [HYPERLINK, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "a b", "x" * 65]
)
def test_voucher_create_refuses_a_batch_name_the_admin_api_refuses(
    db: str, capsys: pytest.CaptureFixture[str], batch: str
) -> None:
    code, out, err = run(
        capsys, "voucher", "create", "--plan", "gratis", "--batch", batch, "--format", "csv"
    )
    assert code == 1, out
    assert "Traceback" not in err
    assert "--batch" in err and "letters, digits" in err
    with Store.open(db, keys=store_keys()) as store:
        assert store.list_vouchers() == []  # nothing was made


def test_the_cli_and_the_admin_api_share_one_batch_rule() -> None:
    from netops.portal import admin
    from netops.store.codes import BATCH_NAME

    assert BATCH_NAME.pattern == admin._BATCH


def test_a_good_batch_name_still_works(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "voucher",
        "create",
        "--plan",
        "gratis",
        "-n",
        "2",
        "--batch",
        "hari-jadi_2026.1",
        "--format",
        "csv",
    )
    assert code == 0
    assert [r["batch"] for r in rows(out)] == ["hari-jadi_2026.1"] * 2


def test_voucher_list_csv_neutralises_a_formula_already_in_the_store(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a batch named before names were checked, or through the store's own API
    with Store.open(db, keys=store_keys()) as store:
        store.create_vouchers("gratis", 1, batch=HYPERLINK)
    code, out, _ = run(capsys, "voucher", "list", "--format", "csv")
    assert code == 0
    (row,) = rows(out)
    assert row["batch"] == "'" + HYPERLINK


def test_sessions_csv_neutralises_a_user_name_typed_by_a_citizen(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(db, keys=store_keys()) as store:
        store.account(
            acct_record(
                status="stop",
                nas_ip="127.0.0.1",
                nas_identifier="lab-hs-01",
                username="@SUM(1+1)*cmd|' /C calc'!A0",
                acct_session_id="-1+1",
                hotspot="lab-park",
                mac="aa:bb:cc:00:00:07",
                ip="10.254.200.7",
                session_time=90,
                input_octets=5,
                output_octets=5,
                input_packets=1,
                output_packets=1,
                terminate_cause="Idle-Timeout",
                event_time=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
            )
        )
    code, out, _ = run(capsys, "radius", "sessions", "--format", "csv")
    assert code == 0
    (row,) = rows(out)
    assert row["username"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["acct_session_id"] == "'-1+1"
    assert row["session_time"] == "90"  # numbers stay numbers


def test_hotspot_report_csv_neutralises_a_hotspot_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(LAB, lab)
    hotspots = lab / "hotspots.yml"
    text = hotspots.read_text()
    assert "name: Lab Park" in text
    hotspots.write_text(text.replace("name: Lab Park", 'name: "=1+1"'))
    (tmp_path / "var").mkdir()
    monkeypatch.setenv("NETOPS_DB", f"sqlite:///{tmp_path / 'var' / 'netops.db'}")
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    out = tmp_path / "hotspots.csv"
    code = main(
        ["report", "hotspots", "-i", str(lab), "--format", "csv", "--out", str(out), "--days", "1"]
    )
    assert code == 0, capsys.readouterr().err
    names = [r["name"] for r in rows(out.read_text())]
    assert "'=1+1" in names
    assert not any(name.startswith("=") for name in names)
