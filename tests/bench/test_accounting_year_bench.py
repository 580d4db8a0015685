"""A year of accounting: does a login cost the same with 10 k and with 1 M sessions stored?

For each size and engine (SQLite, PostgreSQL) a fresh store gets 10,000 subscribers on plan
``gratis`` and that many closed sessions spread over the past 365 days; then
``netops radius serve`` (default threads for the engine) answers PAP Access-Requests from 500
of those subscribers: ``radclient -p 256`` for the rate, a 32-in-flight client for the
round-trip percentiles. Then ``Store.purge`` deletes the sessions older than 180 days (about
half; what they added up to is kept in ``usage_totals``) and is timed; the store's size on
disk is read before the purge. The hot path's plans themselves are checked (no full scan) by
tests/integration/store/test_hot_path_plans.py, part of ``make test``.

Sizes: ``NETOPS_YEAR_BENCH_SIZES`` (default ``10000,1000000``; add ``10000000`` given time
and about 10 GB of disk). Run: ``.venv/bin/pytest -q -s tests/bench/test_accounting_year_bench.py``.
Figures go to docs/benchmarks.md (``## A year of accounting``).
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, text

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from sqlradius import (  # noqa: E402
    Flows,
    Target,
    access_request,
    password,
    radclient,
    radclient_file,
    start_netops,
    user_name,
)

from netops.environment import store_keys  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from netops.store.rows import SESSIONS  # noqa: E402
from netops.store.types import NewUser  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402

SIZES = [int(s) for s in os.environ.get("NETOPS_YEAR_BENCH_SIZES", "10000,1000000").split(",")]
SUBSCRIBERS = 10_000
AUTH_USERS = 500
BATCH = 20_000
INVENTORY = REPO / "inventory" / "lab"

pytestmark = [pytest.mark.timeout(7200)]


@dataclass
class Figures:
    engine: str
    sessions: int
    load_s: float
    size_bytes: int
    sessions_bytes: int  # what the sessions added to the store
    rate: float
    p50: float
    p99: float
    unanswered: int
    purge_s: float
    purged: int
    load: str


def _fill(store: Store, sessions: int, now: datetime) -> float:
    """Subscribers and ``sessions`` closed sessions over the past year; seconds it took."""
    started = time.perf_counter()
    rng = random.Random(7)
    engine = store._engine
    done = 0
    while done < sessions:
        rows = []
        for n in range(done, min(sessions, done + BATCH)):
            start = now - timedelta(seconds=rng.randrange(365 * 86400) + 3600)
            seconds = rng.randrange(60, 7200)
            stop = min(start + timedelta(seconds=seconds), now - timedelta(minutes=30))
            rows.append(
                {
                    "username": user_name(n % SUBSCRIBERS),
                    "nas_ip": "127.0.0.1",
                    "nas_identifier": "lab-hs-01",
                    "hotspot": "siring-menara-pandang",
                    "acct_session_id": f"y{n:09d}",
                    "mac": f"mac~{n % 997:012d}",
                    "ip": f"100.64.{n % 250}.{n % 200 + 2}",
                    "started_at": start,
                    "updated_at": stop,
                    "stopped_at": stop,
                    "stale_at": stop + timedelta(minutes=15),
                    "session_time": int((stop - start).total_seconds()),
                    "input_octets": rng.randrange(10**8),
                    "output_octets": rng.randrange(10**9),
                    "input_packets": rng.randrange(10**5),
                    "output_packets": rng.randrange(10**6),
                    "terminate_cause": "User-Request",
                    "interim_interval": 300,
                }
            )
        with engine.begin() as conn:
            conn.execute(insert(SESSIONS), rows)
        done += len(rows)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def _size(store: Store, url: str) -> int:
    engine = store._engine
    if url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _measure(base: Path, url: str, engine_name: str, sessions: int) -> Figures:
    now = datetime.now(UTC)
    store = Store.open(url, keys=store_keys())
    try:
        store.add_users([NewUser(user_name(i), password(i), "gratis") for i in range(SUBSCRIBERS)])
        empty = _size(store, url)
        load_s = _fill(store, sessions, now)
        size = _size(store, url)
    finally:
        store.close()
    target: Target = start_netops(base, INVENTORY, url, f"{engine_name}-{sessions}", threads=None)
    try:
        accepted, _, seconds = radclient(
            target.auth_port, radclient_file(base / "auth.txt", AUTH_USERS), 10
        )
        rate = accepted / seconds
        probe = Flows(
            [[access_request(i)] for i in range(AUTH_USERS)] * 4, window=32, retry=1.0, tries=4
        ).run(target)
    finally:
        target.stop()
    store = Store.open(url, keys=store_keys())
    try:
        started = time.perf_counter()
        purged = store.purge(now - timedelta(days=180))
        purge_s = time.perf_counter() - started
    finally:
        store.close()
    return Figures(
        engine_name,
        sessions,
        load_s,
        size,
        size - empty,
        rate,
        probe.p("Access-Request", 0.5),
        probe.p("Access-Request", 0.99),
        probe.unanswered,
        purge_s,
        purged.sessions,
        "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    )


@pytest.fixture
def store_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NETOPS_STORE_KEY", generate_key())
        yield


def test_a_year_of_accounting(store_key: None) -> None:
    base = Path(tempfile.mkdtemp(prefix="netops-year-bench-"))
    figures: list[Figures] = []
    started_at = datetime.now(UTC)
    load_before = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    try:
        with running_postgres() as cluster:
            for sessions in SIZES:
                figures.append(
                    _measure(base, f"sqlite:///{base / f'y{sessions}.db'}", "SQLite", sessions)
                )
                (base / f"y{sessions}.db").unlink()
                for extra in base.glob(f"y{sessions}.db-*"):
                    extra.unlink()
                figures.append(_measure(base, cluster.new_database("year"), "PostgreSQL", sessions))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    lines = _doc(figures, started_at, load_before)
    print("\n".join(lines))
    write_section("\n".join(lines))
    for f in figures:
        assert f.unanswered == 0, f


def _doc(figures: list[Figures], started_at: datetime, load_before: str) -> list[str]:
    lines = [
        "## A year of accounting",
        "",
        f"A fresh store per size and engine: {SUBSCRIBERS:,} subscribers (plan `gratis`: "
        "daily time, Simultaneous-Use 1) and that many closed sessions spread over the past "
        "365 days (PostgreSQL: the tests' throwaway cluster, `fsync=off`). Then `netops "
        "radius serve --workers 2` with its default threads answers PAP Access-Requests of "
        f"{AUTH_USERS} of them: `radclient -c 10 -p 256` for the rate, a 32-in-flight client "
        f"({AUTH_USERS * 4:,} requests) for the round trip. Then `Store.purge` deletes the "
        "sessions that ended more than 180 days ago (about half), folding them into "
        "`usage_totals`. The store's size is read before the purge (SQLite: the file after a "
        "WAL checkpoint; PostgreSQL: `pg_database_size`).",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores shared with other "
        f"work (load average {load_before} before; at the end of each row in the last "
        "column); absolute figures are taken under that load. Command: "
        "`.venv/bin/pytest -q -s tests/bench/test_accounting_year_bench.py`.",
        "",
        "| engine | sessions stored | loading them | store size | the sessions' share, per "
        "million | PAP accepts/s | p50 / p99 round trip | purge (sessions deleted) | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(
            f"| {f.engine} | {f.sessions:,} | {f.load_s:.0f} s | {f.size_bytes / 2**20:,.0f} MiB | "
            f"{f.sessions_bytes / 2**20 / (f.sessions / 1e6):,.0f} MiB | {f.rate:,.0f} | "
            f"{f.p50:.1f} / {f.p99:.1f} ms | {f.purge_s:.1f} s ({f.purged:,}) | {f.load} |"
        )
    return lines
