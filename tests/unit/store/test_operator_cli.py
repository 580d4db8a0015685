"""``netops operator`` and ``netops audit`` through the real CLI entry point on a SQLite
store: accounts, tokens shown once and stored hashed, the local user recorded for changes
to subscribers, and ``audit verify`` failing on an edited trail."""

from __future__ import annotations

import getpass
import io
import json
import sqlite3
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.paths import LAB

PASSWORD = "kata-sandi-yang-panjang"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "200")
    return url


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_operator_accounts_tokens_and_their_audit(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(
        capsys,
        monkeypatch,
        "operator",
        "add",
        "siti",
        "--role",
        "helpdesk",
        "--site",
        "lab-park",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0 and "added operator siti as helpdesk at lab-park" in out
    code, _, err = run(
        capsys,
        monkeypatch,
        "operator",
        "add",
        "x",
        "--role",
        "viewer",
        "--site",
        "nowhere",
        "--no-password",
    )
    assert code == 1 and "--site nowhere: not a site of the inventory" in err
    code, out, _ = run(capsys, monkeypatch, "operator", "token", "create", "siti")
    token = out.splitlines()[0]
    assert code == 0 and token.startswith("nto_")
    with Store.open(db, keys=store_keys()) as store:
        op = store.operator_for_token(token)
        assert op is not None and op.name == "siti" and op.sites == {"lab-park"}
        assert store.check_operator_password("siti", PASSWORD) is not None
    raw = sqlite3.connect(db.removeprefix("sqlite:///")).execute("SELECT * FROM operator_tokens")
    assert token not in repr(raw.fetchall())
    code, out, _ = run(capsys, monkeypatch, "operator", "token", "list")
    assert code == 0 and token not in out and token[:12] in out
    assert run(capsys, monkeypatch, "operator", "token", "revoke", "1")[0] == 0
    code, _, err = run(capsys, monkeypatch, "operator", "token", "revoke", "1")
    assert code == 1 and "no live API token #1" in err
    code, out, _ = run(capsys, monkeypatch, "operator", "totp", "siti")
    assert code == 0 and out.startswith("otpauth://totp/") and "secret=" in out
    assert run(capsys, monkeypatch, "operator", "disable", "siti")[0] == 0
    with Store.open(db, keys=store_keys()) as store:
        assert store.check_operator_password("siti", PASSWORD) is None
    code, out, _ = run(capsys, monkeypatch, "audit", "list", "--format", "json")
    rows = json.loads(out)
    actions = [r["action"] for r in rows]
    assert actions == [
        "operator.add",
        "operator.token_create",
        "operator.token_revoke",
        "operator.totp",
        "operator.disable",
    ]
    assert {r["operator"] for r in rows} == {getpass.getuser()}
    assert rows[0]["at"].endswith("+08:00")  # the lab inventory's zone, ISO 8601
    code, out, _ = run(capsys, monkeypatch, "audit", "list")
    assert code == 0 and "WITA" in out


def test_cli_changes_to_subscribers_record_the_local_user(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(
        capsys,
        monkeypatch,
        "radius",
        "user",
        "add",
        "alice",
        "--plan",
        "gratis",
        "--password-stdin",
        stdin="pw-alice-1\n",
    )
    run(capsys, monkeypatch, "radius", "user", "disable", "alice")
    run(capsys, monkeypatch, "radius", "user", "del", "alice")
    run(capsys, monkeypatch, "radius", "mac", "add", "AA:BB:CC:DD:EE:01", "--plan", "gratis")
    run(capsys, monkeypatch, "radius", "mac", "del", "AA:BB:CC:DD:EE:01")
    code, out, _ = run(
        capsys,
        monkeypatch,
        "voucher",
        "create",
        "--plan",
        "gratis",
        "--count",
        "2",
        "--format",
        "json",
    )
    assert code == 0
    codes = [v["code"] for v in json.loads(out)]
    assert run(capsys, monkeypatch, "voucher", "revoke", codes[0])[0] == 0
    with Store.open(db, keys=store_keys()) as store:
        entries = store.audit_entries()
    assert [e.action for e in entries] == [
        "user.add",
        "user.disable",
        "user.del",
        "mac.add",
        "mac.del",
        "voucher.create",
        "voucher.revoke",
    ]
    assert {(e.operator, e.source) for e in entries} == {(getpass.getuser(), "cli")}
    with Store.open(db, keys=store_keys()) as store:
        assert entries[-1].target == store.voucher_name(codes[0])  # never the code
    assert not any("aa:bb:cc" in (e.target or "").lower() for e in entries)
    assert entries[3].target == entries[4].target and (entries[3].target or "").startswith("mac~")


def test_audit_verify_names_the_first_edited_row(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db, keys=store_keys()) as store:
        for n in range(3):
            store.audit("siti", "10.40.10.5", "voucher.revoke", f"code-{n}[/]")
    code, out, _ = run(capsys, monkeypatch, "audit", "list")
    assert code == 0 and "code-2[/]" in out
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 0 and "intact: 3 row(s)" in out
    raw = sqlite3.connect(db.removeprefix("sqlite:///"))
    raw.execute("UPDATE audit_log SET target = 'other' WHERE id = 2")
    raw.commit()
    code, out, _ = run(capsys, monkeypatch, "audit", "verify")
    assert code == 1 and "broken at row 2" in out
