"""`netops privacy trace` end to end: sessions from the store, the real `netops privacy
syslog` receiver on loopback fed real syslog over UDP and TCP, the answer as a person and a
machine read it."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from netops.environment import store_keys
from netops.store import AccountingRecord, Store
from tests.paths import LAB, REPO
from tests.support.records import acct_record

PUBLIC = "100.64.10.1"  # lab-hs-01's nat_public in inventory/lab
NAS = "127.0.0.1"  # lab-hs-01's NAS address (its mgmt_ip)
WITA = ZoneInfo("Asia/Makassar")


def _record(status: str, user: str, sid: str, ip: str, at: datetime, secs: int) -> AccountingRecord:
    return acct_record(
        status=status,
        nas_ip=NAS,
        nas_identifier="lab-hs-01",
        username=user,
        acct_session_id=sid,
        hotspot="lab-park",
        ip=ip,
        session_time=secs,
        terminate_cause="User-Request" if status == "stop" else None,
        event_time=at,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'netops.db'}"


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def sessions(db: str, now: datetime) -> None:
    """Two phones behind the one public address: alice since 20 minutes ago, bob from 13
    minutes ago until 2 minutes from now (both overlap now ± 5 minutes); carol long gone, dave's
    Stop lost three hours ago (stale since) and erin on another gateway."""
    with Store.open(db, keys=store_keys()) as store:
        store.account(
            _record("start", "alice", "S-A", "10.254.200.23", now - timedelta(minutes=20), 0)
        )
        store.account(
            _record("start", "bob", "S-B", "10.254.200.24", now - timedelta(minutes=13), 0)
        )
        store.account(
            _record("stop", "bob", "S-B", "10.254.200.24", now + timedelta(minutes=2), 900)
        )
        store.account(
            _record("start", "carol", "S-C", "10.254.200.25", now - timedelta(hours=3), 0)
        )
        store.account(
            _record("stop", "carol", "S-C", "10.254.200.25", now - timedelta(hours=2), 3600)
        )
        store.account(_record("start", "dave", "S-D", "10.254.200.26", now - timedelta(hours=3), 0))
        erin = _record("start", "erin", "S-E", "10.254.200.27", now - timedelta(minutes=9), 0)
        store.account(replace(erin, nas_ip="127.0.1.9"))


def netops(
    db: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netops", "-i", str(LAB), "--db", db, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env=env,
    )


def trace(db: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return netops(db, "privacy", "trace", "--ip", PUBLIC, "--case", "LP/123/XII/2026",
                  *extra)  # fmt: skip


def traces_in_trail(db: str) -> list[dict[str, str]]:
    """The ``privacy.trace`` rows of the hash-chained audit trail, oldest first."""
    trail = netops(db, "audit", "list", "--format", "json")
    assert trail.returncode == 0, trail.stderr
    return [e for e in json.loads(trail.stdout) if e["action"] == "privacy.trace"]


def free_port() -> int:
    """A port free for both TCP and UDP on loopback."""
    for _ in range(50):
        with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no port free for both TCP and UDP")


@pytest.fixture
def receiver(db: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The real `netops privacy syslog` on a free loopback port."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "netops", "-i", str(LAB), "--db", db,
         "privacy", "syslog", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"receiver did not start: {proc.communicate()[1]}") from None
            time.sleep(0.1)
    yield proc, port
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def nat_line(private: str, port: int) -> str:
    """A RouterOS srcnat log line as the gateway writes it with log-prefix=netops-nat."""
    return (
        "firewall,info netops-nat srcnat: in:bridge-hotspot out:ether1, connection-state:new "
        f"src-mac 02:00:00:00:00:01, proto TCP (SYN), {private}:{port}->93.184.216.34:443, "
        f"NAT ({private}:{port}->{PUBLIC}:{port})->93.184.216.34:443, len 60"
    )


def wait_stored(db: str, count: int) -> None:
    deadline = time.monotonic() + 15
    with Store.open(db, keys=store_keys()) as store:
        while True:
            start = datetime.now(UTC) - timedelta(hours=1)
            found = store.nat_mappings(PUBLIC, start, start + timedelta(hours=2))
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) == count
                return
            time.sleep(0.2)


def test_without_nat_log_both_sessions_on_the_address_are_named(
    db: str, sessions: None, now: datetime, tmp_path: Path
) -> None:
    local = now.astimezone(WITA).strftime("%Y-%m-%d %H:%M:%S")
    done = trace(db, "--at", local, "--format", "json")  # local time, inventory zone
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["gateway"] == "lab-hs-01" and answer["narrowed_by_nat_log"] is False
    assert sorted(s["user"] for s in answer["answer"]) == ["alice", "bob"]
    bob = next(s for s in answer["answer"] if s["user"] == "bob")
    assert bob["start"] == (now - timedelta(minutes=13)).astimezone(WITA).isoformat()
    assert bob["start"].endswith("+08:00") and bob["private_ip"] == "10.254.200.24"
    # The record is the hash-chained trail; no side file is written any more.
    (entry,) = traces_in_trail(db)
    assert entry["target"] == "lab-hs-01" and "LP/123/XII/2026" in entry["detail"]
    assert PUBLIC in entry["detail"] and entry["operator"]
    assert "deprecated" not in done.stderr and not list(tmp_path.glob("*.jsonl"))

    table = trace(db, "--at", now.isoformat())
    assert table.returncode == 0, table.stderr
    started = (now - timedelta(minutes=20)).astimezone(WITA).strftime("%Y-%m-%d %H:%M:%S")
    assert f"{started} WITA" in table.stdout
    assert not {"carol", "dave", "erin"} & set(table.stdout.split())
    assert "alice" in table.stdout and "bob" in table.stdout
    assert len(traces_in_trail(db)) == 2
    assert netops(db, "audit", "verify").returncode == 0


def test_the_deprecated_audit_log_still_gets_a_line_and_warns(
    db: str, sessions: None, now: datetime, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    done = trace(db, "--at", now.isoformat(), "--audit-log", str(audit))
    assert done.returncode == 0, done.stderr
    assert "deprecated" in done.stderr and "netops audit list" in done.stderr
    record = json.loads(audit.read_text().splitlines()[-1])
    assert record["case"] == "LP/123/XII/2026" and record["ip"] == PUBLIC and record["operator"]
    assert len(traces_in_trail(db)) == 1, "the trail is written all the same"


def test_nat_log_over_udp_and_tcp_narrows_to_the_one_session(
    db: str,
    sessions: None,
    now: datetime,
    tmp_path: Path,
    receiver: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = receiver
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"\x00\xff garbage", ("127.0.0.1", port))
        udp.sendto(
            b"<30>firewall,info netops-nat srcnat: in:x out:y, truncated", ("127.0.0.1", port)
        )
        udp.sendto(b"<30>system,info user admin logged in", ("127.0.0.1", port))
        # RFC 3164 with a timestamp and host (RouterOS bsd-syslog=yes)
        stamp = datetime.now(UTC).strftime("%b %d %H:%M:%S").replace(" 0", "  ", 1)
        line = f"<134>{stamp} lab-hs-01 {nat_line('10.254.200.24', 40001)}"
        udp.sendto(line.encode(), ("127.0.0.1", port))
    with socket.create_connection(("127.0.0.1", port)) as tcp:
        # RFC 5424, octet-counted (RFC 6587), then a malformed line and a newline-framed one
        msg = (
            f"<134>1 {now.isoformat()} lab-hs-01 firewall - - - {nat_line('10.254.200.23', 40002)}"
        )
        tcp.sendall(f"{len(msg.encode())} {msg}".encode())
        tcp.sendall(b"<999>1 nonsense\n")
        tcp.sendall(f"<30>{nat_line('10.254.200.23', 40003)}\n".encode())
    wait_stored(db, 3)
    assert proc.poll() is None  # garbage never brought it down

    one = json.loads(
        trace(db, "--at", now.isoformat(), "--port", "40001", "--format", "json").stdout
    )
    assert one["narrowed_by_nat_log"] is True
    assert [s["user"] for s in one["answer"]] == ["bob"]
    assert sorted(s["user"] for s in one["sessions_in_window"]) == ["alice", "bob"]
    other = trace(db, "--at", now.isoformat(), "--port", "40002")
    assert other.returncode == 0, other.stderr
    assert "alice" in other.stdout and "bob" not in other.stdout and "WITA" in other.stdout

    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=20)
    assert "3 stored" in err and "1 ignored" in err and "3 malformed" in err, err


def test_unknown_address_and_bad_time_are_one_sentence(db: str, tmp_path: Path) -> None:
    done = netops(db, "privacy", "trace", "--ip", "198.51.100.9", "--at", "2026-12-05 14:00",
                  "--case", "X")  # fmt: skip
    assert done.returncode == 1 and "not a public NAT address" in done.stderr
    assert "Traceback" not in done.stderr and traces_in_trail(db) == []
    done = trace(db, "--at", "yesterday")
    assert (
        done.returncode == 1 and "is not a time" in done.stderr and "Traceback" not in done.stderr
    )
