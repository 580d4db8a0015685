"""``netops privacy`` end to end on SQLite: register, export (JSON + Indonesian HTML),
erase, requests, purge, the MAC look-up, and the inventory's privacy section."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.inventory import load_inventory
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import BANJARMASIN, LAB


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "200")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_register_lists_every_class_with_the_inventorys_periods(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "-i", str(BANJARMASIN), "privacy", "register", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["data_protection_officer"]["email"] == "ppdp@banjarmasinkota.go.id"
    periods = {r["data_class"]: r["retention_s"] for r in doc["register"]}
    assert periods["connection_records"] == 90 * 86400
    assert periods["clickthroughs"] == 30 * 86400
    assert {r["where"].split(" ")[0] for r in doc["register"]} >= {"subscribers", "acct_sessions:"}
    code, out, _ = run(capsys, "-i", str(LAB), "privacy", "register", "--format", "md")
    assert code == 0 and "| connection_records |" in out and "| 7d |" in out


def test_export_erase_and_requests(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with Store.open(db, keys=store_keys()) as store:
        store.add_user("siti", "rahasia-123", "gratis")
        store.add_user("budi", "rahasia-123", "gratis")
    out_file = tmp_path / "siti.json"
    code, out, err = run(capsys, "privacy", "export", "--user", "siti", "--out", str(out_file))
    assert code == 0, err
    doc = json.loads(out_file.read_text())
    assert [r["username"] for r in doc["data"]["subscribers"]] == ["siti"]
    assert doc["due_at"].endswith("+08:00")
    page = out_file.with_suffix(".html").read_text()
    assert "Pejabat Pelindungan Data Pribadi" in page and "WITA" in page
    code, out, _ = run(capsys, "privacy", "erase", "--user", "siti")
    assert code == 0 and "deleted" in out and "1 subscribers" in out
    code, out, _ = run(capsys, "privacy", "requests", "--format", "json")
    found = json.loads(out)
    assert [(r["kind"], r["subject"], r["in_time"]) for r in found] == [
        ("erase", "siti", True),
        ("export", "siti", True),
    ]
    with Store.open(db, keys=store_keys()) as store:
        assert store.lookup("siti") is None and store.lookup("budi") is not None


def test_bad_subjects_are_one_sentence(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "privacy", "export", "--mac", "00:11")
    assert code == 1 and "is not a MAC address" in err and "Traceback" not in err
    code, _, err = run(capsys, "privacy", "erase", "--user", "a", "--phone", "0812")
    assert code == 1 and "exactly one subject" in err
    code, _, err = run(capsys, "privacy", "export", "--phone", "hello")
    assert code == 1 and "is not a phone number" in err


def test_mac_lookup_prints_the_stored_pseudonym(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "privacy", "mac", "3C-52-82-10-AA-01")
    with Store.open(db, keys=store_keys()) as store:
        assert code == 0 and out.strip() == store.mac_pseudonym("3c:52:82:10:aa:01")


def test_purge_reports_counts_per_class(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "privacy", "purge")
    assert code == 0
    for name in ("accounting_sessions", "connection_records", "clickthroughs", "operator_audit"):
        assert f"{name} 0" in out


def test_purge_cuts_the_audit_trail_behind_an_anchor_that_verify_starts_from(
    db: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    with Store.open(db, keys=store_keys()) as store:
        for days in (200, 120, 91, 10, 1):  # the lab keeps the operator audit for 90 days
            store.audit("siti", "cli", "voucher.create", f"batch-{days}", at=now - timedelta(days))
    caplog.set_level("INFO", logger="netops.privacy")
    code, out, _ = run(capsys, "privacy", "purge")
    assert code == 0 and "operator_audit 3" in out
    assert "audit trail lost its 3 oldest row(s), up to id 3" in caplog.text
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0, out
    assert "starts at the purge anchor: 3 older row(s) purged" in out and "WITA" in out
    assert "audit trail intact: 3 row(s)" in out  # two kept, and the purge's own row
    with Store.open(db, keys=store_keys()) as store:
        kept = [e.target for e in store.audit_entries()]
    assert kept == ["batch-10", "batch-1", "audit_log<=3"]
    # Tampering with what is left is still found, with exit status 1.
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET target = 'batch-2' WHERE target = 'batch-1'"))
    engine.dispose()
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 1 and "its content was edited" in out


def test_an_inventory_without_privacy_is_one_sentence(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    inv = tmp_path / "inv"
    shutil.copytree(LAB, inv)
    (inv / "privacy.yml").unlink()
    code, _, err = run(capsys, "-i", str(inv), "privacy", "purge")
    assert code == 1 and "has no 'privacy:' section" in err


def test_connection_records_longer_than_sessions_is_refused(tmp_path: Path) -> None:
    from netops.errors import InventoryError

    inv = tmp_path / "inv"
    shutil.copytree(LAB, inv)
    text = (
        (inv / "privacy.yml")
        .read_text()
        .replace("connection_records: 7d", "connection_records: 60d")
    )
    (inv / "privacy.yml").write_text(text)
    with pytest.raises(InventoryError, match="connection_records is longer than accounting"):
        load_inventory(inv)
