"""``netops phone block | unblock | list``: an operator bars a number from the sign-up."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from netops.store.phones import PhoneLimits
from tests.paths import LAB


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


def test_block_list_unblock(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "phone", "block", "0812-3456-7890", "--note", "abuse")
    assert code == 0 and "blocked: +62812*****890" in out
    assert run(capsys, "phone", "block", "+6281234567890")[1].startswith("already blocked")
    code, out, _ = run(capsys, "phone", "list", "--format", "json")
    (row,) = json.loads(out)
    assert row["number"] == "+62812*****890" and row["note"] == "abuse"
    assert row["blocked_at"].endswith("+08:00")  # the lab's zone, ISO 8601 with offset
    code, out, _ = run(capsys, "phone", "list")
    assert "+62812*****890" in out and "WITA" in out and "81234567890" not in out
    with Store.open(db, keys=store_keys()) as store:
        issue = store.issue_phone_code(
            "+6281234567890",
            device="d",
            hotspot="lab-park",
            now=datetime.now(UTC),
            limits=PhoneLimits(),
        )
        assert issue.refused == "blocked"
    assert run(capsys, "phone", "unblock", "6281234567890")[0] == 0
    code, _, err = run(capsys, "phone", "unblock", "6281234567890")
    assert code == 1 and "is not blocked" in err


def test_a_number_that_is_no_mobile_is_one_sentence(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "phone", "block", "0511-3301234")
    assert code == 1 and "not an Indonesian mobile number" in err
    assert "Traceback" not in out + err
