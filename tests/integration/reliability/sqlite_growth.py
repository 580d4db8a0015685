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
from netops.store.types import AccountingRecord

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
                AccountingRecord(
                    status,  # type: ignore[arg-type]
                    "10.1.0.1",
                    "smp-hs-01",
                    f"user{i % 5000}",
                    f"s-{i}",
                    "siring",
                    f"pseudo{i % 5000:08x}",
                    "10.254.200.7",
                    seconds,
                    123456789,
                    987654321,
                    1000,
                    2000,
                    "User-Request" if status == "stop" else None,
                    300,
                    t0 + timedelta(seconds=seconds),
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
