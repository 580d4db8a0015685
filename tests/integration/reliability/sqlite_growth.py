"""How fast one process writes accounting into SQLite, and how much each session costs on
disk: ``.venv/bin/python tests/integration/reliability/sqlite_growth.py 20000``
(a start, an interim and a stop per session, through the store's own accounting upsert).
The figures in docs/store.md ("SQLite's limits") come from it."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta

from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.support.records import acct_record

STEPS = (("start", 0), ("interim", 300), ("stop", 900))


def main(sessions: int) -> None:
    os.environ.setdefault("NETOPS_STORE_KEY", generate_key())
    path = f"{tempfile.mkdtemp()}/netops.db"
    store = Store.open(f"sqlite:///{path}", keys=store_keys())
    t0 = datetime.now(UTC)
    began = time.perf_counter()
    for i in range(sessions):
        for status, seconds in STEPS:
            store.account(
                acct_record(
                    status=status,
                    nas_ip="10.1.0.1",
                    nas_identifier="smp-hs-01",
                    username=f"user{i % 5000}",
                    acct_session_id=f"s-{i}",
                    hotspot="siring",
                    mac=f"pseudo{i % 5000:08x}",
                    ip="10.254.200.7",
                    session_time=seconds,
                    input_octets=123456789,
                    output_octets=987654321,
                    input_packets=1000,
                    output_packets=2000,
                    terminate_cause="User-Request" if status == "stop" else None,
                    event_time=t0 + timedelta(seconds=seconds),
                )
            )
    took = time.perf_counter() - began
    store.close()
    size = os.path.getsize(path)
    if os.path.exists(path + "-wal"):
        size += os.path.getsize(path + "-wal")
    rate = len(STEPS) * sessions / took
    print(
        f"{sessions} sessions x {len(STEPS)} records in {took:.1f} s = {rate:.0f} records/s; "
        f"file {size / 1e6:.1f} MB = {size / sessions:.0f} bytes/session"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
