"""One side of a two-process race on the store (run by test_store_races.py, not by pytest).

Usage: python race_worker.py URL SCENARIO WORKER_ID GO_FILE ROUNDS
Opens its own Store, prints "ready", waits for GO_FILE to appear (so both processes start
together), runs the scenario and prints one JSON line with what it saw.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from netops.environment import store_keys  # noqa: E402
from netops.store import AccountingRecord, Store  # noqa: E402
from tests.support.records import acct_record  # noqa: E402

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def mac_of(worker: int, n: int = 0) -> str:
    return f"02:00:00:00:{worker:02x}:{n:02x}"


def interim(username: str, sid: str, step: int, worker: int) -> AccountingRecord:
    return acct_record(
        status="interim",
        nas_ip=f"127.0.0.{1 + worker}",
        username=username,
        acct_session_id=sid,
        hotspot="lab-park",
        mac="02:00:00:00:00:01",
        session_time=step * 60,
        input_octets=step * 1_000_000 + (step << 32),
        output_octets=step * 3_000_000,
        input_packets=step,
        output_packets=step,
        event_time=T0 + timedelta(minutes=step),
    )


def main() -> None:
    url, scenario, worker_text, go_file, rounds_text = sys.argv[1:6]
    worker, rounds = int(worker_text), int(rounds_text)
    # "open": both processes migrate a fresh database at the same moment.
    store = None if scenario == "open" else Store.open(url, keys=store_keys())
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    while not Path(go_file).exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.001)
    result: object
    if store is None:
        store = Store.open(url, keys=store_keys())
    if scenario == "admit":
        # Lock-step rounds: the parent sends a round number to both workers at once; each
        # tries to take user<round>'s only Simultaneous-Use slot with its own device.
        for line in sys.stdin:
            i = int(line)
            won = store.admit(f"user{i}", 1, mac=mac_of(worker), now=T0, nas_ip="127.0.0.1")
            print(json.dumps(won), flush=True)
        result = "done"
    elif scenario == "admit-hammer":
        # One user, limit 2, each worker tries many devices: at most 2 devices ever admitted.
        result = [
            mac_of(worker, n)
            for n in range(rounds)
            if store.admit("shared", 2, mac=mac_of(worker, n), now=T0)
        ]
    elif scenario == "claim":
        codes = json.loads(Path(go_file).read_text())
        result = [store.claim_voucher(c, mac_of(worker), T0).bound_mac for c in codes]
    elif scenario == "interim":
        # Both servers receive the same interims (from two NAS retransmitting to both) in a
        # shuffled order: totals must end at the highest values, never lowered.
        order = [(s, step) for s in range(rounds) for step in range(1, 11)]
        random.Random(worker).shuffle(order)
        for sid, step in order:
            store.account(interim("alice", f"sess-{sid}", step, 0))
        result = "done"
    elif scenario == "ack":
        # Accounting under load: "ack N" goes out only after account() returned (as the
        # RADIUS server sends Accounting-Response); the parent kills this process with -9.
        for n in range(rounds):
            store.account(
                acct_record(
                    status="start",
                    nas_ip="127.0.0.1",
                    username="alice",
                    acct_session_id=f"ack-{n}",
                    event_time=T0,
                )
            )
            print(f"ack {n}", flush=True)
        result = "done"
    elif scenario == "open":
        result = store.dialect
    else:
        raise SystemExit(f"unknown scenario {scenario}")
    store.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
