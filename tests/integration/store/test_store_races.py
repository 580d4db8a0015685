"""Two processes on one database agree: Simultaneous-Use, first use of a voucher, counters.

This is how a city runs a primary and a secondary RADIUS server on one PostgreSQL; SQLite
gets the same races between two processes on one file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.environment import store_keys
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

WORKER = Path(__file__).with_name("race_worker.py")
# SQLite serialises every writer (BEGIN IMMEDIATE), so its write races are settled by the
# engine; these run where row locks and upserts do the work: two servers on one PostgreSQL.
POSTGRES_ONLY = pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)


def race(url: str, scenario: str, tmp_path: Path, rounds: int, payload: object = None) -> list:  # type: ignore[type-arg]
    """Run two worker processes released at the same instant; their JSON results."""
    go = tmp_path / f"go-{scenario}"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, scenario, str(worker), str(go), str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in (1, 2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline().strip()
            assert line == "ready", proc.stderr.read() if proc.stderr else line
        tmp = go.with_suffix(".tmp")
        tmp.write_text(json.dumps(payload))
        tmp.rename(go)
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=150)
            assert proc.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def opened(store_url: str) -> Iterator[tuple[str, Store]]:
    store = Store.open(store_url, keys=store_keys())
    try:
        yield store_url, store
    finally:
        store.close()


def test_two_servers_never_both_admit_the_last_slot(
    opened: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = opened
    rounds = 150
    for i in range(rounds):
        store.add_user(f"user{i}", "pw", "gratis")
    go = tmp_path / "go-admit"
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, "admit", str(worker), str(go), "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in (1, 2)
    ]
    winners = []
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        go.write_text("null")
        for i in range(rounds):
            for proc in procs:  # release both workers on the same round together
                assert proc.stdin is not None
                proc.stdin.write(f"{i}\n")
                proc.stdin.flush()
            won = [json.loads(proc.stdout.readline()) for proc in procs if proc.stdout]
            winners.append(sum(won))
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.close()
            assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert winners == [1] * rounds, "each slot went to exactly one server"


@POSTGRES_ONLY
def test_two_servers_hammering_one_account_admit_at_most_its_limit(
    opened: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = opened
    store.add_user("shared", "pw", "pegawai")
    first, second = race(url, "admit-hammer", tmp_path, 40)
    admitted = set(first) | set(second)
    assert 1 <= len(admitted) <= 2, admitted


@POSTGRES_ONLY
def test_a_voucher_claimed_from_two_servers_binds_one_device(
    opened: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = opened
    codes = store.create_vouchers("voucher-harian", 40, validity_s=3600)
    first, second = race(url, "claim", tmp_path, len(codes), payload=codes)
    assert first == second, "both servers see the same binding"
    assert all(mac is not None for mac in first)
    for code, mac in zip(codes, first, strict=True):
        sub = store.lookup(code)
        assert sub is not None and sub.bound_mac == mac


@POSTGRES_ONLY
def test_interims_through_two_servers_in_any_order_end_at_the_highest_counters(
    opened: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = opened
    sessions = 8
    race(url, "interim", tmp_path, sessions)
    found = store.sessions(username="alice")
    assert len(found) == sessions, "one row per session, no duplicates"
    for s in found:
        assert s.session_time == 600
        assert s.input_octets == 10_000_000 + (10 << 32)
        assert s.output_octets == 30_000_000
    assert store.usage("alice").octets == sessions * (40_000_000 + (10 << 32))


def test_two_processes_opening_a_fresh_database_migrate_it_once(
    store_url: str, tmp_path: Path
) -> None:
    first, second = race(store_url, "open", tmp_path, 0)
    assert first == second
    with Store.open(store_url, keys=store_keys()) as store:
        store.add_user("alice", "pw", "gratis")
        assert store.lookup("alice") is not None


def test_every_acknowledged_accounting_record_survives_kill_9(
    opened: tuple[str, Store], tmp_path: Path
) -> None:
    url, store = opened
    go = tmp_path / "go-ack"
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), url, "ack", "1", str(go), "100000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    acked: set[str] = set()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        go.write_text("null")
        while len(acked) < 200:
            line = proc.stdout.readline()
            assert line.startswith("ack "), proc.stderr.read() if proc.stderr else line
            acked.add(f"ack-{line.split()[1]}")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        acked |= {f"ack-{line.split()[1]}" for line in proc.stdout if line.startswith("ack ")}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = {s.acct_session_id for s in store.sessions(username="alice")}
    assert acked <= stored, f"lost {sorted(acked - stored)[:5]}"
