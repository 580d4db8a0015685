"""A year of accounting: does a login cost the same with 10 k, 1 M and 10 M sessions stored?

For each size and engine (SQLite, PostgreSQL) a fresh store gets 10,000 subscribers on plan
``gratis`` and that many closed sessions spread over the past 365 days, generated inside the
database (an ``INSERT … SELECT``; 10 M take minutes, not hours); then
``netops radius serve`` (default threads for the engine) answers PAP Access-Requests from 500
of those subscribers: ``radclient -p 256`` for the rate, a 32-in-flight client for the
round-trip percentiles. Then ``Store.purge`` deletes the sessions older than 180 days (about
half; what they added up to is kept in ``usage_totals``) and is timed, while a second store
connection writes an Accounting Start every 20 ms: the longest of those writes is how long
accounting waits at most during a purge. The store's size on disk is read before the purge.
The hot path's plans themselves are checked (no full scan) by
tests/integration/store/test_hot_path_plans.py, part of ``make test``.

Sizes: ``NETOPS_YEAR_BENCH_SIZES`` (default ``10000,1000000``; add ``10000000`` given time
and about 5 GB of disk per engine). ``NETOPS_YEAR_BENCH_PURGE=0`` skips the purge (when only
the Access-Request figures are wanted). The server's CPU per answer (its process group's user
and system time over the ``radclient`` run) is reported beside the rate: load from other work
moves it less than it moves the rate.
Run: ``.venv/bin/pytest -q -s tests/bench/test_accounting_year_bench.py``.
Figures go to docs/benchmarks.md (``## A year of accounting``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[2]
for _path in (str(REPO), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.append(_path)

from sqlradius import (  # noqa: E402
    Flows,
    Target,
    access_request,
    group_cpu_times,
    password,
    radclient,
    radclient_file,
    start_netops,
    user_name,
    with_message_authenticator,
)

from netops.environment import store_keys  # noqa: E402
from netops.inventory import load_inventory  # noqa: E402
from netops.radius.server import RadiusServer, ServerConfig  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from netops.store.purge import BATCH_BY_ENGINE  # noqa: E402
from netops.store.types import NewUser  # noqa: E402
from tests.support.benchdoc import write_section  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402
from tests.support.records import acct_record  # noqa: E402

SIZES = [int(s) for s in os.environ.get("NETOPS_YEAR_BENCH_SIZES", "10000,1000000").split(",")]
PURGE = os.environ.get("NETOPS_YEAR_BENCH_PURGE", "1") != "0"
SUBSCRIBERS = 10_000
AUTH_USERS = 500
INVENTORY = REPO / "inventory" / "lab"

pytestmark = [pytest.mark.timeout(7200)]


@dataclass
class Figures:
    engine: str
    sessions: int
    load_s: float
    size_bytes: int
    sessions_bytes: int  # what the sessions added to the store
    rate: float  # answers (accepts and rejects) per second
    rejected: float  # the share of them that were rejects
    user_us: float  # the server's user CPU per answer, microseconds
    sys_us: float  # and its system CPU
    p50: float
    p99: float
    unanswered: int
    purge_s: float
    purged: int
    writes: int  # accounting writes served during the purge
    longest_write: float  # the longest of them, seconds
    load: str
    # in process: the sessions a sampled user has today, accepted or not → (users, µs CPU)
    by_today: dict[tuple[int, bool], tuple[int, float]] = field(default_factory=dict)


# Each session's random figures come from its number through a multiplicative hash (the same
# arithmetic on both engines, all in 64-bit integers), so the database generates every row
# itself and both engines hold the same year.
_P = 4_294_967_291  # the largest prime below 2**32


def _hash(n: str, multiplier: int) -> str:
    """SQL for a pseudo-random integer in [0, _P) from row number ``n``."""
    return f"((({n} + 1) * {multiplier}) % {_P} * 1103515245 % {_P})"


def _columns(n: str) -> dict[str, str]:
    """The SQL that both engines share: the offset of the start into the past year, the
    length (60–7,200 s) and the counters of session ``n``."""
    return {
        "back": f"({_hash(n, 2654435761)} % {365 * 86400} + 3600)",
        "length": f"(60 + {_hash(n, 40503)} % 7140)",
        "input_octets": f"{_hash(n, 2246822519)} % {10**8}",
        "output_octets": f"{_hash(n, 3266489917)} % {10**9}",
        "input_packets": f"{_hash(n, 668265263)} % {10**5}",
        "output_packets": f"{_hash(n, 374761393)} % {10**6}",
    }


def _fill_sqlite(path: Path, sessions: int, now: datetime) -> None:
    """One INSERT … SELECT over a recursive CTE, with the secondary indexes dropped and
    rebuilt after, no journal and no fsync during the fill only (the store is closed)."""
    import sqlite3

    c = _columns("n")
    base = int(now.timestamp())
    frac = f"{now.microsecond:06d}"

    def at(seconds: str) -> str:  # SQLAlchemy's SQLite DATETIME text, microseconds included
        return f"strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.{frac}'"

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'acct_sessions' AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute(
            f"""
            INSERT INTO acct_sessions (username, nas_ip, nas_identifier, hotspot,
                acct_session_id, mac, ip, started_at, updated_at, stopped_at, stale_at,
                session_time, input_octets, output_octets, input_packets, output_packets,
                terminate_cause, interim_interval)
            WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ?),
            t AS (
                SELECT n, {base} - {c["back"]} AS s,
                    min({base} - {c["back"]} + {c["length"]}, {base - 1800}) AS e
                FROM seq
            )
            SELECT 'hp' || printf('%06d', n % {SUBSCRIBERS}), '127.0.0.1', 'lab-hs-01',
                'siring-menara-pandang', 'y' || printf('%09d', n),
                'mac~' || printf('%012d', n % 997), '100.64.' || (n % 250) || '.' || (n % 200 + 2),
                {at("s")}, {at("e")}, {at("e")}, {at("e + 900")}, e - s,
                {c["input_octets"]}, {c["output_octets"]}, {c["input_packets"]},
                {c["output_packets"]}, 'User-Request', 300
            FROM t
            """,
            (sessions - 1,),
        )
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def _fill_postgres(store: Store, sessions: int, now: datetime) -> None:
    """One INSERT … SELECT over generate_series, the secondary indexes dropped and rebuilt."""
    c = _columns("n")
    with store._engine.begin() as conn:
        indexes = conn.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'acct_sessions' "
                "AND indexname LIKE 'ix_%'"
            )
        ).all()
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        for name, _sql in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(
            text(
                f"""
                INSERT INTO acct_sessions (username, nas_ip, nas_identifier, hotspot,
                    acct_session_id, mac, ip, started_at, updated_at, stopped_at, stale_at,
                    session_time, input_octets, output_octets, input_packets, output_packets,
                    terminate_cause, interim_interval)
                SELECT 'hp' || lpad((n % {SUBSCRIBERS})::text, 6, '0'), '127.0.0.1',
                    'lab-hs-01', 'siring-menara-pandang', 'y' || lpad(n::text, 9, '0'),
                    'mac~' || lpad((n % 997)::text, 12, '0'),
                    '100.64.' || (n % 250) || '.' || (n % 200 + 2),
                    CAST(:now AS timestamptz) - make_interval(secs => s),
                    CAST(:now AS timestamptz) - make_interval(secs => e),
                    CAST(:now AS timestamptz) - make_interval(secs => e),
                    CAST(:now AS timestamptz) - make_interval(secs => e - 900),
                    s - e, {c["input_octets"]}, {c["output_octets"]}, {c["input_packets"]},
                    {c["output_packets"]}, 'User-Request', 300
                FROM (
                    SELECT n, {c["back"]} AS s, greatest({c["back"]} - {c["length"]}, 1800) AS e
                    FROM generate_series(0::bigint, :last) AS n
                ) AS t
                """
            ),
            {"now": now, "last": sessions - 1},
        )
        for _name, sql in indexes:
            conn.execute(text(sql))
    with store._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE acct_sessions"))


def _size(store: Store, url: str) -> int:
    engine = store._engine
    if url.startswith("sqlite"):
        with engine.begin() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with engine.begin() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def _purge_beside_accounting(url: str, now: datetime) -> tuple[float, int, list[float]]:
    """``Store.purge`` of the sessions older than 180 days while a second store connection
    (as a RADIUS server's) writes an Accounting Start every 20 ms; returns the purge's
    seconds, the sessions it deleted and how long each accounting write took meanwhile."""
    store = Store.open(url, keys=store_keys())
    writer = Store.open(url, keys=store_keys())
    finished = threading.Event()
    waits: list[float] = []

    def account() -> None:
        i = 0
        while not finished.is_set():
            started = time.perf_counter()
            writer.account(
                acct_record(
                    status="start",
                    nas_ip="127.0.0.1",
                    nas_identifier="lab-hs-01",
                    username=user_name(i % SUBSCRIBERS),
                    acct_session_id=f"purge-probe-{i}",
                    hotspot="siring-menara-pandang",
                    event_time=datetime.now(UTC),
                )
            )
            waits.append(time.perf_counter() - started)
            i += 1
            finished.wait(0.02)

    thread = threading.Thread(target=account)
    try:
        thread.start()
        started = time.perf_counter()
        purged = store.purge(now - timedelta(days=180))
        purge_s = time.perf_counter() - started
    finally:
        finished.set()
        thread.join()
        writer.close()
        store.close()
    return purge_s, purged.sessions, waits


def _measure(base: Path, url: str, engine_name: str, sessions: int) -> Figures:
    now = datetime.now(UTC)
    store = Store.open(url, keys=store_keys())
    try:
        store.add_users([NewUser(user_name(i), password(i), "gratis") for i in range(SUBSCRIBERS)])
        empty = _size(store, url)
        started = time.perf_counter()
        if url.startswith("sqlite"):
            store.close()
            _fill_sqlite(Path(url.removeprefix("sqlite:///")), sessions, now)
            store = Store.open(url, keys=store_keys())
        else:
            _fill_postgres(store, sessions, now)
        load_s = time.perf_counter() - started
        size = _size(store, url)
    finally:
        store.close()
    # No reject delay: the more sessions a year, the more sampled subscribers are over their
    # day's allowance, and a Reject's deliberate 1 s wait would set the rate and the p99.
    target: Target = start_netops(
        base,
        INVENTORY,
        url,
        f"{engine_name}-{sessions}",
        threads=None,
        extra=("--reject-delay", "0"),
    )
    try:
        before = group_cpu_times(target.proc.pid)
        accepted, rejected, seconds = radclient(
            target.auth_port, radclient_file(base / "auth.txt", AUTH_USERS), 10
        )
        after = group_cpu_times(target.proc.pid)
        answers = max(1, accepted + rejected)
        rate = (accepted + rejected) / seconds
        probe = Flows(
            [[access_request(i)] for i in range(AUTH_USERS)] * 4, window=32, retry=1.0, tries=4
        ).run(target)
    finally:
        target.stop()
    by_today = _cost_by_sessions_today(url)
    purge_s, purged, waits = _purge_beside_accounting(url, now) if PURGE else (0.0, 0, [])
    return Figures(
        engine_name,
        sessions,
        load_s,
        size,
        size - empty,
        rate,
        rejected / answers,
        (after[0] - before[0]) / answers * 1e6,
        (after[1] - before[1]) / answers * 1e6,
        probe.p("Access-Request", 0.5),
        probe.p("Access-Request", 0.99),
        probe.unanswered,
        purge_s,
        purged,
        len(waits),
        max(waits, default=0.0),
        "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
        by_today,
    )


IN_PROCESS_CALLS = 5_000  # Access-Requests per group of users


def _cost_by_sessions_today(url: str) -> dict[tuple[int, bool], tuple[int, float]]:
    """CPU per Access-Request in this process (``RadiusServer.process_auth``: no sockets,
    no other process), the sampled users grouped by the sessions they have today and by
    whether they are accepted (a reject: over the day's allowance): what an answer costs
    with the same activity today at every size of the stored year."""
    store = Store.open(url, keys=store_keys())
    try:
        server = RadiusServer(load_inventory(INVENTORY), store, ServerConfig(reject_delay=0))
        nas = next(iter(server.nas.values()))
        packets = {
            i: with_message_authenticator(access_request(i).encode(i % 256))
            for i in range(AUTH_USERS)
        }
        since = server.handler.day_start(server.clock())
        groups: dict[tuple[int, bool], list[int]] = {}
        for i, packet in packets.items():
            outcome = server.process_auth(nas, packet)  # admits the device, as the run did
            today = store.usage(user_name(i), since).sessions
            groups.setdefault((min(today, 4), outcome.result == "accept"), []).append(i)
        found = {}
        for key, users in sorted(groups.items()):
            if len(users) < 10:  # too few to say
                continue
            sequence = [packets[users[k % len(users)]] for k in range(IN_PROCESS_CALLS)]
            started = time.process_time()
            for packet in sequence:
                server.process_auth(nas, packet)
            spent = time.process_time() - started
            found[key] = (len(users), spent / IN_PROCESS_CALLS * 1e6)
        return found
    finally:
        store.close()


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
        "365 days, generated inside the database (one `INSERT … SELECT` over a recursive CTE "
        "on SQLite, over `generate_series` on PostgreSQL; the same rows on both) with the "
        "secondary indexes rebuilt after (PostgreSQL: the tests' throwaway cluster, "
        "`fsync=off`). Then `netops "
        "radius serve --workers 2` with its default threads answers PAP Access-Requests of "
        f"{AUTH_USERS} of them: `radclient -c 10 -p 256` for the rate, a 32-in-flight client "
        f"({AUTH_USERS * 4:,} requests) for the round trip. Answers per second count accepts and "
        "rejects: the more sessions a year, the more of the day's allowance (`gratis`: 2 h, "
        "daily data) the sampled subscribers have used (at 10 M, 2.7 sessions a day each), and "
        "a reject is the same statement and policy work as an accept (the server runs with "
        "`--reject-delay 0`: a Reject's deliberate 1 s wait would otherwise set the rate and "
        "the p99). The server's CPU per answer is its process group's user and system time "
        "over the `radclient` run divided by the answers (PostgreSQL's own processes are not "
        "in it). Then `Store.purge` "
        "deletes the "
        "sessions that ended more than 180 days ago (about half), a batch of "
        f"{BATCH_BY_ENGINE['sqlite']:,} (SQLite) or {BATCH_BY_ENGINE['postgresql']:,} "
        "(PostgreSQL) per write transaction, each folded into `usage_totals`, while "
        "a second store connection writes an Accounting Start every 20 ms: the last column "
        "but one says how many it wrote during the purge and the longest any of them took "
        "(how long accounting waited at most). The store's size is read before the purge "
        "(SQLite: the file after a WAL checkpoint; PostgreSQL: `pg_database_size`).",
        "",
        f"Measured {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores shared with other "
        f"work (load average {load_before} before; at the end of each row in the last "
        "column); absolute figures are taken under that load. Command: "
        "`.venv/bin/pytest -q -s tests/bench/test_accounting_year_bench.py`.",
        "",
        "| engine | sessions stored | loading them | store size | the sessions' share, per "
        "million | PAP answers/s (rejects) | server CPU per answer, user + system | "
        "p50 / p99 round trip | purge (sessions deleted) | "
        "accounting writes during the purge: count, longest | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in figures:
        lines.append(
            f"| {f.engine} | {f.sessions:,} | {f.load_s:.0f} s | {f.size_bytes / 2**20:,.0f} MiB | "
            f"{f.sessions_bytes / 2**20 / (f.sessions / 1e6):,.0f} MiB | "
            f"{f.rate:,.0f} ({f.rejected:.0%}) | {f.user_us:,.0f} + {f.sys_us:,.0f} µs | "
            f"{f.p50:.1f} / {f.p99:.1f} ms | "
            + (
                f"{f.purge_s:.1f} s ({f.purged:,}) | "
                f"{f.writes:,}, {f.longest_write * 1000:,.0f} ms | "
                if PURGE
                else "not run | not run | "
            )
            + f"{f.load} |"
        )
    return lines + _by_today_doc(figures)


def _by_today_doc(figures: list[Figures]) -> list[str]:
    columns = [(n, True) for n in range(5)] + [(n, False) for n in range(5)]
    shown = [c for c in columns if any(c in f.by_today for f in figures)]

    def head(key: tuple[int, bool]) -> str:
        today = "4 or more" if key[0] == 4 else str(key[0])
        return f"{'accepted' if key[1] else 'rejected'}, {today} today"

    lines = [
        "",
        "**What an answer costs, by the user's sessions today**: the same stores, the same "
        f"{AUTH_USERS} users in this process (`RadiusServer.process_auth`, no sockets, "
        f"{IN_PROCESS_CALLS:,} Access-Requests a group), grouped by how many sessions each has "
        "today and by the answer (rejected: over the day's allowance); CPU per Access-Request "
        "(the number of users in brackets; groups of fewer than 10 users are left out), this "
        "process's only (PostgreSQL's backends not counted), with no log output (the server "
        "logs each reject: 15–20 µs more). A column read down is the cost of the year "
        "stored, at the same activity today.",
        "",
        "| engine | sessions stored | " + " | ".join(head(c) for c in shown) + " |",
        "| --- | ---: | " + " | ".join("---:" for _ in shown) + " |",
    ]
    for f in figures:
        cells = []
        for c in shown:
            got = f.by_today.get(c)
            cells.append(f"{got[1]:.0f} µs ({got[0]})" if got else "–")
        lines.append(f"| {f.engine} | {f.sessions:,} | " + " | ".join(cells) + " |")
    return lines
