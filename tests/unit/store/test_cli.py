"""``netops radius user|mac|sessions`` and ``netops voucher`` as an operator runs them."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from netops.store.migrate import head_revision
from tests.paths import LAB
from tests.support.records import acct_record


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    (tmp_path / "var").mkdir()
    url = f"sqlite:///{tmp_path / 'var' / 'netops.db'}"
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_DB", url)
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    monkeypatch.setenv("COLUMNS", "200")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_add_list_delete(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "radius", "user", "add", "alice", "--password", "pw1", "--plan", "gratis"
    )
    assert code == 0 and "added user alice on plan gratis" in out
    code, _, _ = run(
        capsys,
        "radius",
        "user",
        "add",
        "bob",
        "--password",
        "pw2",
        "--plan",
        "pegawai",
        "--pap-only",
        "--note",
        "staff",
    )
    assert code == 0
    code, out, _ = run(capsys, "radius", "user", "list", "--format", "json")
    users = json.loads(out)
    assert [(u["username"], u["plan"], u["chap_capable"]) for u in users] == [
        ("alice", "gratis", True),
        ("bob", "pegawai", False),
    ]
    assert "pw1" not in out and "pw2" not in out and "password" not in out
    code, out, _ = run(capsys, "radius", "user", "list")
    assert code == 0 and "alice" in out and "PAP+CHAP" in out and "staff" in out
    assert run(capsys, "radius", "user", "del", "alice")[0] == 0
    code, _, err = run(capsys, "radius", "user", "del", "alice")
    assert code == 1 and "there is no user 'alice'" in err
    with Store.open(db, keys=store_keys()) as store:
        bob = store.lookup("bob")
        assert bob is not None and store.check_password(bob, "pw2")


def test_user_add_with_an_unknown_plan_is_one_clear_error(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "radius", "user", "add", "ani", "--password", "x", "--plan", "emas"
    )
    assert code == 1 and out == ""
    assert "plan 'emas' is not in the inventory" in err and "gratis" in err
    assert "Traceback" not in err
    with Store.open(db, keys=store_keys()) as store:
        assert store.list_users() == []


def test_user_add_twice_keeps_the_first(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "radius", "user", "add", "ani", "--password", "one", "--plan", "gratis")
    code, _, err = run(
        capsys, "radius", "user", "add", "ani", "--password", "two", "--plan", "gratis"
    )
    assert code == 1 and "user 'ani' already exists" in err
    with Store.open(db, keys=store_keys()) as store:
        sub = store.lookup("ani")
        assert sub is not None and sub.clear_password == "one"


def test_user_disable_and_enable(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "radius", "user", "add", "ani", "--password", "one", "--plan", "gratis")
    assert run(capsys, "radius", "user", "disable", "ani")[0] == 0
    with Store.open(db, keys=store_keys()) as store:
        sub = store.lookup("ani")
        assert sub is not None and not sub.enabled
    assert run(capsys, "radius", "user", "enable", "ani")[0] == 0
    assert run(capsys, "radius", "user", "disable", "nobody")[0] == 1


def test_mac_allow_list(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "radius",
        "mac",
        "add",
        "AA-BB-CC-00-00-01",
        "--plan",
        "pegawai",
        "--note",
        "kiosk balai kota",
    )
    assert code == 0 and "aa:bb:cc:00:00:01" in out
    code, out, _ = run(capsys, "radius", "mac", "list", "--format", "json")
    # The allow-list holds the MAC's keyed pseudonym, never the MAC itself.
    (entry,) = json.loads(out)
    assert re.fullmatch(r"mac~[a-z2-7]{13}", entry["username"]) and "aa:bb:cc" not in out
    code, _, err = run(capsys, "radius", "mac", "add", "nonsense", "--plan", "pegawai")
    assert code == 1 and "not a MAC address" in err
    assert run(capsys, "radius", "mac", "del", "aabbcc000001")[0] == 0
    assert run(capsys, "radius", "mac", "del", "aabbcc000001")[0] == 1


def test_voucher_create_as_csv_and_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "voucher",
        "create",
        "--plan",
        "voucher-harian",
        "--count",
        "5",
        "--batch",
        "hari-jadi",
        "--format",
        "csv",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 5
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", r["code"]) for r in rows)
    assert {(r["plan"], r["batch"], r["shared"], r["validity"]) for r in rows} == {
        ("voucher-harian", "hari-jadi", "no", "1d")
    }
    code, out, _ = run(
        capsys,
        "voucher",
        "create",
        "--plan",
        "gratis",
        "--count",
        "2",
        "--shared",
        "--validity",
        "4h",
        "--format",
        "json",
    )
    made = json.loads(out)
    assert [(v["shared"], v["validity_s"]) for v in made] == [(True, 14400)] * 2
    code, out, _ = run(capsys, "voucher", "list", "--batch", "hari-jadi", "--format", "json")
    listed = json.loads(out)
    # Lists name vouchers by their derived name: the code is shown once, when made.
    with Store.open(db, keys=store_keys()) as store:
        names = sorted(store.voucher_name(r["code"]) or "" for r in rows)
    assert sorted(v["name"] for v in listed) == names
    assert not {r["code"] for r in rows} & {v["name"] for v in listed}
    assert {v["status"] for v in listed} == {"unused"}


def test_voucher_create_checks_plan_and_count(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "voucher", "create", "--plan", "emas")
    assert code == 1 and "plan 'emas' is not in the inventory" in err
    code, _, err = run(capsys, "voucher", "create", "--plan", "gratis", "--count", "0")
    assert code != 0
    code, _, err = run(capsys, "voucher", "create", "--plan", "gratis", "--validity", "soon")
    assert code == 1 and "--validity 'soon'" in err


def test_voucher_list_shows_first_use_binding_and_revocation(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "voucher", "create", "--plan", "voucher-harian", "--count", "3", "--batch", "b")
    with Store.open(db, keys=store_keys()) as store:
        vouchers = store.list_vouchers(batch="b")
        first, second, _third = (v.username for v in vouchers)
        second_code = store.voucher_code(vouchers[1]) or ""
        store.claim_voucher(first, "aa:bb:cc:00:00:09", datetime.now(UTC))
        device = store.mac_pseudonym("aa:bb:cc:00:00:09")
    assert run(capsys, "voucher", "revoke", second_code.lower())[0] == 0
    with Store.open(db, keys=store_keys()) as store:
        targets = [e.target or "" for e in store.audit_entries()]
    assert second in targets, "the audit trail names the revoked voucher"
    assert not any(second_code.replace("-", "") in t.replace("-", "") for t in targets)
    code, out, _ = run(capsys, "voucher", "list", "--format", "csv")
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(out))}
    # The binding is the device's pseudonym: the list never shows a clear MAC.
    assert rows[first]["status"] == "active" and rows[first]["MAC"] == device
    assert rows[second]["status"] == "revoked"
    code, out, _ = run(capsys, "voucher", "list")
    assert code == 0 and "Vouchers (3; 1 unused, 1 active, 1 revoked)" in out


def test_voucher_revoke_a_whole_batch_and_unknown_codes(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "voucher", "create", "--plan", "gratis", "--count", "4", "--batch", "lost")
    code, out, _ = run(capsys, "voucher", "revoke", "--batch", "lost")
    assert code == 0 and "revoked 4 voucher(s)" in out
    code, _, err = run(capsys, "voucher", "revoke", "zzzz-zzzz-zz")
    assert code == 1 and "no such voucher: ZZZZ-ZZZZ-ZZ" in err
    code, _, err = run(capsys, "voucher", "revoke", "--batch", "never")
    assert code == 1 and "no voucher batch 'never'" in err
    assert run(capsys, "voucher", "revoke")[0] == 1


def test_sessions_show_who_where_and_how_much(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    with Store.open(db, keys=store_keys()) as store:
        for sid, user, status in (("A1", "alice", "interim"), ("B2", "bob", "stop")):
            store.account(
                acct_record(
                    status=status,
                    nas_ip="127.0.0.1",
                    nas_identifier="lab-hs-01",
                    username=user,
                    acct_session_id=sid,
                    hotspot="lab-park",
                    mac="aa:bb:cc:00:00:01",
                    ip="10.254.200.7",
                    session_time=3723,
                    input_octets=1_500_000,
                    output_octets=(1 << 32) + 5,
                    input_packets=1,
                    output_packets=1,
                    terminate_cause="User-Request" if status == "stop" else None,
                    event_time=now,
                )
            )
        device = store.mac_pseudonym("aa:bb:cc:00:00:01") or ""
    code, out, _ = run(capsys, "radius", "sessions", "--active")
    assert code == 0 and "aa:bb:cc:00:00:01" not in out
    for text in (
        "alice",
        "A1",
        "lab-hs-01",
        device,
        "10.254.200.7",
        "2026-11-22 14:57:57 WITA",
        "1h02m03s",
        "1.5 MB",
        "4.3 GB",
    ):
        assert text in out, text
    assert "bob" not in out
    code, out, _ = run(capsys, "radius", "sessions", "--user", "bob", "--format", "json")
    (bob,) = json.loads(out)
    assert bob["active"] is False and bob["terminate_cause"] == "User-Request"
    assert bob["output_octets"] == (1 << 32) + 5
    code, out, _ = run(capsys, "radius", "sessions", "--hotspot", "lab-park", "--format", "json")
    assert len(json.loads(out)) == 2
    # The helpdesk finds a device from the MAC a citizen reads out, in any spelling.
    code, out, _ = run(capsys, "radius", "sessions", "--mac", "AABB.CC00.0001", "--format", "json")
    assert code == 0 and {s["username"] for s in json.loads(out)} == {"alice", "bob"}
    code, out, _ = run(capsys, "radius", "sessions", "--mac", "aa:bb:cc:00:00:02")
    assert code == 0 and "alice" not in out
    code, _, err = run(capsys, "radius", "sessions", "--mac", "nope")
    assert code == 1 and "is not a MAC address" in err
    code, _, err = run(capsys, "radius", "sessions", "--hotspot", "pasar-terapung")
    assert code == 1 and "hotspot 'pasar-terapung' is not in the inventory" in err


def test_an_unreachable_database_is_one_sentence(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("NETOPS_DB", f"postgresql+psycopg://netops:hush@127.0.0.1:{port}/netops")
    code, out, err = run(capsys, "radius", "user", "list")
    assert code == 1 and out == ""
    assert err.startswith("error: PostgreSQL database netops at 127.0.0.1")
    assert "hush" not in err and "Traceback" not in err


def test_store_key_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "radius", "store-key")
    from netops.store.credentials import parse_key

    assert code == 0 and len(parse_key(out.strip(), "output")) == 32


def test_user_passwd_changes_the_password(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "radius", "user", "add", "ani", "--password", "one", "--plan", "gratis")
    code, out, _ = run(capsys, "radius", "user", "passwd", "ani", "--password", "two", "--pap-only")
    assert code == 0 and "changed the password of ani" in out
    with Store.open(db, keys=store_keys()) as store:
        sub = store.lookup("ani")
        assert sub is not None and not sub.chap_capable and store.check_password(sub, "two")
    assert run(capsys, "radius", "user", "passwd", "nobody", "--password", "x")[0] == 1


def test_sessions_since_purge_and_status(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    with Store.open(db, keys=store_keys()) as store:
        store.add_user("alice", "pw", "gratis")
        for sid, age_days in (("fresh", 0), ("month", 30), ("ancient", 400)):
            store.account(
                acct_record(
                    status="stop",
                    nas_ip="127.0.0.1",
                    username="alice",
                    acct_session_id=sid,
                    hotspot="lab-park",
                    session_time=60,
                    input_octets=1,
                    output_octets=1,
                    input_packets=1,
                    output_packets=1,
                    terminate_cause="User-Request",
                    event_time=now - timedelta(days=age_days),
                )
            )
    code, out, _ = run(capsys, "radius", "sessions", "--since", "7d", "--format", "json")
    assert [s["acct_session_id"] for s in json.loads(out)] == ["fresh"]
    code, _, err = run(capsys, "radius", "sessions", "--since", "later")
    assert code == 1 and "--since 'later'" in err
    code, out, _ = run(capsys, "radius", "purge", "--older-than", "365d")
    assert code == 0 and "purged 1 session(s)" in out
    code, out, _ = run(capsys, "radius", "store-status", "--format", "json")
    status = json.loads(out)
    assert status["sessions"] == 2 and status["user"] == 1 and status["schema"] == head_revision()
    assert status["database"].startswith("SQLite database ")


def test_store_rekey_takes_the_old_key_by_reference(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    run(capsys, "radius", "user", "add", "ani", "--password", "one", "--plan", "gratis")
    monkeypatch.setenv("OLD_STORE_KEY", os.environ["NETOPS_STORE_KEY"])
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    code, out, _ = run(capsys, "radius", "store-status")
    assert "1 password(s) under key" in out and "not the current key: run store-rekey" in out
    code, _, err = run(capsys, "radius", "store-rekey", "--old-key", os.environ["OLD_STORE_KEY"])
    assert code == 1 and "must be a reference" in err
    assert os.environ["OLD_STORE_KEY"] not in err
    code, out, _ = run(capsys, "radius", "store-rekey", "--old-key", "env:OLD_STORE_KEY")
    assert code == 0 and "re-encrypted 1 password(s)" in out
    code, out, _ = run(capsys, "radius", "store-status", "--format", "json")
    key = json.loads(out)["key"]
    assert key["source"] == "$NETOPS_STORE_KEY"
    assert key["passwords_by_key"] == {key["key_id"]: 1}
    assert os.environ["NETOPS_STORE_KEY"] not in out
    with Store.open(db, keys=store_keys()) as store:
        sub = store.lookup("ani")
        assert sub is not None and sub.clear_password == "one"


def test_user_import_from_csv(db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "username,password,plan,note,pap_only\n"
        "rina,s3cret1,pegawai,Dishub,\n"
        "yusuf,s3cret2,pegawai,,yes\n"
        "dewi,s3cret3,gratis,intern,no\n"
    )
    code, out, _ = run(capsys, "radius", "user", "import", str(staff), "--dry-run")
    assert code == 0 and "3 user(s) ready" in out
    with Store.open(db, keys=store_keys()) as store:
        assert store.list_users() == []
    code, out, _ = run(capsys, "radius", "user", "import", str(staff))
    assert code == 0 and "imported 3 user(s)" in out
    with Store.open(db, keys=store_keys()) as store:
        users = {u.username: u for u in store.list_users()}
        assert set(users) == {"rina", "yusuf", "dewi"}
        assert not users["yusuf"].chap_capable and users["rina"].note == "Dishub"
    code, _, err = run(capsys, "radius", "user", "import", str(staff))
    assert code == 1 and "user 'dewi' already exists (and 2 more); nothing was added" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,password,plan\nrina,x,gratis\n", "staff.csv:1: the header must name"),
        ("username,password,plan\nrina,x,gratis\nyusuf,y,emas\n", "staff.csv:3: plan 'emas'"),
        ("username,password,plan\nrina,,gratis\n", "staff.csv:2: username, password and plan"),
        ("username,password,plan,pap_only\nrina,x,gratis,maybe\n", "pap_only must be yes or no"),
    ],
)
def test_user_import_names_the_bad_line(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(content)
    code, _, err = run(capsys, "radius", "user", "import", str(staff))
    assert code == 1 and message in err
    with Store.open(db, keys=store_keys()) as store:
        assert store.list_users() == []


def test_user_import_of_a_missing_file_is_one_sentence(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "radius", "user", "import", str(tmp_path / "nope.csv"))
    assert code == 1 and "nope.csv cannot be read" in err


def test_user_show_gives_the_helpdesk_the_whole_picture(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "radius", "user", "add", "ani", "--password", "pw", "--plan", "gratis")
    now = datetime.now(UTC)
    with Store.open(db, keys=store_keys()) as store:
        store.account(
            acct_record(
                status="interim",
                nas_ip="127.0.0.1",
                nas_identifier="lab-hs-01",
                username="ani",
                acct_session_id="S9",
                hotspot="lab-park",
                mac="aa:bb:cc:00:00:05",
                ip="10.254.200.5",
                session_time=600,
                input_octets=2_000_000,
                output_octets=48_000_000,
                input_packets=1,
                output_packets=1,
                event_time=now,
            )
        )
    code, out, _ = run(capsys, "radius", "user", "show", "ani")
    assert code == 0
    for text in (
        "user ani",
        "gratis",
        "PAP+CHAP",
        "10m00s of 2h00m00s",
        "50.0 MB of 1.0 GB",
        "1 of 1",
        "S9 at lab-hs-01",
    ):
        assert text in out, text
    code, out, _ = run(capsys, "radius", "user", "show", "ani", "--format", "json")
    shown = json.loads(out)
    assert shown["today"]["octets"] == 50_000_000 and len(shown["open_sessions"]) == 1
    assert "password" not in out
    code, _, err = run(capsys, "radius", "user", "show", "nobody")
    assert code == 1 and "there is no user, voucher or MAC address 'nobody'" in err


def test_user_show_works_without_the_store_key(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "radius", "user", "add", "ani", "--password", "pw", "--plan", "gratis")
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    code, out, _ = run(capsys, "radius", "user", "show", "ani")
    assert code == 0 and "user ani" in out
    assert run(capsys, "radius", "user", "disable", "ani")[0] == 0


def test_voucher_list_filters_by_status_and_counts_them(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "voucher", "create", "--plan", "voucher-harian", "--count", "4", "--batch", "x")
    with Store.open(db, keys=store_keys()) as store:
        codes = [v.username for v in store.list_vouchers(batch="x")]
        store.claim_voucher(codes[0], "aa:bb:cc:00:00:01", datetime.now(UTC))
        store.revoke_voucher(codes[1])
    code, out, _ = run(capsys, "voucher", "list", "--status", "unused", "--format", "json")
    assert code == 0 and len(json.loads(out)) == 2
    code, out, _ = run(capsys, "voucher", "list")
    assert "Vouchers (4; 2 unused, 1 active, 1 revoked)" in out
    code, out, _ = run(capsys, "voucher", "list", "--status", "revoked")
    assert "Vouchers (1; 2 unused, 1 active, 1 revoked)" in out
    assert run(capsys, "voucher", "list", "--status", "lost")[0] != 0


def test_store_status_creates_no_key_file(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NETOPS_STORE_KEY")
    code, out, _ = run(capsys, "radius", "store-status")
    assert code == 0 and "none yet (set NETOPS_STORE_KEY)" in out
    assert not (tmp_path / "var" / "netops-store.key").exists()


def test_sessions_as_csv_for_a_spreadsheet(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "radius", "sessions", "--format", "csv")
    assert code == 0 and out.startswith("id,username,acct_session_id,nas_ip,")
    with Store.open(db, keys=store_keys()) as store:
        store.account(
            acct_record(
                status="stop",
                nas_ip="127.0.0.1",
                nas_identifier="lab-hs-01",
                username="ani",
                acct_session_id="C1",
                hotspot="lab-park",
                mac="aa:bb:cc:00:00:07",
                ip="10.254.200.7",
                session_time=90,
                input_octets=(2 << 32) + 1,
                output_octets=5,
                input_packets=1,
                output_packets=1,
                terminate_cause="Idle-Timeout",
                event_time=datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
            )
        )
        device = store.mac_pseudonym("aa:bb:cc:00:00:07")
    code, out, _ = run(capsys, "radius", "sessions", "--format", "csv")
    (row,) = list(csv.DictReader(io.StringIO(out)))
    assert row["acct_session_id"] == "C1" and row["mac"] == device
    assert int(row["input_octets"]) == (2 << 32) + 1 and row["terminate_cause"] == "Idle-Timeout"
    assert row["stopped_at"] == "2026-11-22T16:00:00+08:00" and row["active"] == "False"


def test_purge_without_an_inventory_assumes_a_daily_limit(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_INVENTORY")
    code, out, err = run(capsys, "radius", "purge", "--older-than", "23h")
    assert code == 1 and out == ""
    assert err.startswith("error: --older-than 23h is shorter than 1d: plans may have a daily")
    assert "00:00 UTC" in err
    code, out, _ = run(capsys, "radius", "purge", "--older-than", "1d")
    assert code == 0 and "purged 0 session(s)" in out
