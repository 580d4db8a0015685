"""What the shared rate limits add to a portal login: the limiter calls of one login, timed.

A login checks two limits (the phone's and the hotspot's) before the code is checked; a
wrong code then counts against both, a right one clears the phone's count. This times
those calls against the store (SQLite file, throwaway PostgreSQL) and against the
in-memory limiter they replace, each phone a new key as in a busy park.

Run: .venv/bin/python tests/bench/portal_limits_latency.py [LOGINS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO))

from netops.portal.security import Limiter, RateLimiter, SharedRateLimiter  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402


def one_login(phone: Limiter, hotspot: Limiter, n: int, wrong: bool) -> None:
    now = time.time()
    key = f"phone:{n:08x}"
    phone.retry_after(key, now)
    hotspot.retry_after("gw:lab-hs-01", now)
    if wrong:
        phone.fail(key, now)
        hotspot.fail("gw:lab-hs-01", now)
    else:
        phone.reset(key)


def measure(make: Callable[[str, int], Limiter], logins: int) -> dict[str, float]:
    phone, hotspot = make("phone", 5), make("hotspot", 10**6)
    out: dict[str, float] = {}
    for wrong in (True, False):
        times = []
        for n in range(logins):
            start = time.perf_counter()
            one_login(phone, hotspot, n + (0 if wrong else 10**6), wrong)
            times.append(time.perf_counter() - start)
        name = "wrong" if wrong else "right"
        out[f"{name} median ms"] = statistics.median(times) * 1000
        out[f"{name} p95 ms"] = statistics.quantiles(times, n=20)[18] * 1000
    return out


def main() -> None:
    import os

    logins = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    os.environ.setdefault("NETOPS_STORE_KEY", generate_key())
    rows: list[tuple[str, dict[str, float]]] = []
    rows.append(("memory", measure(lambda _s, limit: RateLimiter(limit, 600.0), logins)))
    with tempfile.TemporaryDirectory() as tmp, Store.open(f"sqlite:///{tmp}/n.db") as store:
        rows.append(
            (
                "SQLite",
                measure(lambda s, limit: SharedRateLimiter(store, s, limit, 600.0), logins),
            )
        )
    from tests.support.postgres import running_postgres

    with running_postgres() as cluster, Store.open(cluster.new_database()) as store:
        rows.append(
            (
                "PostgreSQL",
                measure(lambda s, limit: SharedRateLimiter(store, s, limit, 600.0), logins),
            )
        )
    print(f"{logins} logins each, limiter calls only")
    for name, figures in rows:
        print(name.ljust(11), "  ".join(f"{k} {v:.3f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
