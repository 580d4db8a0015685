"""What one scrape of the portal's privacy metrics costs with a large audit trail.

Fills a throw-away SQLite store with N audit rows (2 % failed console sign-ins, 1 % traces,
the rest ordinary actions, one every 13 s) and times :class:`PrivacyCollector.collect`
30 times: ``.venv/bin/python tests/bench/privacy_metrics_cost.py 200000``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.portal.privacy_metrics import PrivacyCollector
from netops.store import Store
from netops.store.credentials import generate_key

ACTIONS = ("voucher.list", "session.list", "voucher.create", "console.sign_in", "user.add")


def fill(url: str, rows: int, now: datetime) -> None:
    engine = create_engine(url)
    batch = []
    for i in range(rows):
        action = ACTIONS[i % len(ACTIONS)]
        if i % 50 == 0:
            action = "console.sign_in_failed"
        elif i % 97 == 0:
            action = "privacy.trace"
        at = (now - timedelta(seconds=(rows - i) * 13)).replace(tzinfo=None)
        batch.append({"at": at, "action": action})
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_log (at, operator, source, action, target, detail, "
                "prev_hash, hash) VALUES (:at, 'op', 'cli', :action, NULL, NULL, 'x', 'y')"
            ),
            batch,
        )
    engine.dispose()


def main(rows: int) -> None:
    os.environ.setdefault("NETOPS_STORE_KEY", generate_key())
    work = Path(tempfile.mkdtemp())
    try:
        url = f"sqlite:///{work / 'netops.db'}"
        Store.open(url, keys=store_keys()).close()
        fill(url, rows, datetime.now(UTC))
        with Store.open(url, keys=store_keys()) as store:
            collector = PrivacyCollector(store, lambda: datetime.now(UTC))
            list(collector.collect())
            times = []
            for _ in range(30):
                start = time.perf_counter()
                list(collector.collect())
                times.append((time.perf_counter() - start) * 1000)
        print(
            f"{rows} audit rows: scrape median {statistics.median(times):.2f} ms, "
            f"min {min(times):.2f} ms, max {max(times):.2f} ms"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
