"""The RADIUS hot path reads and writes through indexes only, on SQLite and on PostgreSQL.

Every statement the store runs while it answers an Access-Request, its Simultaneous-Use
hold, an Accounting Start / Interim-Update / Stop and an Accounting-On is recorded with its
parameters, then asked for its plan (``EXPLAIN QUERY PLAN`` on SQLite; ``EXPLAIN`` with
sequential scans disabled on PostgreSQL, so that a plan still scanning a whole table means
no index serves the statement). A full scan of a stored table fails the test: with a year
of accounting behind it, such a statement would slow every login down as the table grows.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from netops.inventory import load_inventory
from netops.radius.handler import AuthInput, Handler, nas_table
from netops.store import AccountingRecord, Store
from netops.store.fastread import FastReader
from netops.store.hotpath import ADMIT_IF_ROOM, ADMIT_PG, DROP_LAPSED
from tests.paths import LAB
from tests.support.records import acct_record

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
Statement = tuple[str, Any]


def _admission_statements(params: tuple[Any, ...]) -> list[Statement]:
    """The statements ``netops_admit`` (migration 0014) runs for ADMIT_PG's parameters,
    as the module's constants with the function's parameters in their places."""
    name, key, device, nas_ip, at, until, limit = params
    return [
        (DROP_LAPSED, (name, at)),
        (ADMIT_IF_ROOM, (key, nas_ip, at, until, name, name, key, name, device, name, name, limit)),
    ]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Statement]]:
    """Every statement the fast reader runs from now on, with its parameters."""
    seen: list[Statement] = []
    rows, write, atomic = FastReader.rows, FastReader.write, FastReader.atomic

    def recording_rows(self: FastReader, sql: str, params: tuple[Any, ...]) -> Any:
        seen.append((self._prepared(sql), params))
        if sql == ADMIT_PG:  # the function runs these: plan them as it does
            seen.extend((self._prepared(q), p) for q, p in _admission_statements(params))
        return rows(self, sql, params)

    def recording_write(self: FastReader, work: Callable[[Any], Any]) -> Any:
        def recorded_work(execute: Callable[[str, tuple[Any, ...]], Any]) -> Any:
            def run(sql: str, params: tuple[Any, ...]) -> Any:
                seen.append((self._prepared(sql), params))
                return execute(sql, params)

            return work(run)

        return write(self, recorded_work)

    def recording_atomic(self: FastReader, steps: Any) -> Any:
        if self.postgres:  # on SQLite atomic() runs through write(), recorded above
            seen.extend((self._prepared(sql), params) for sql, params in steps)
        return atomic(self, steps)

    monkeypatch.setattr(FastReader, "rows", recording_rows)
    monkeypatch.setattr(FastReader, "atomic", recording_atomic)
    monkeypatch.setattr(FastReader, "write", recording_write)
    yield seen


def _history(store: Store, users: int) -> None:
    """A few hundred closed sessions, so that the planners see tables worth indexing."""
    for u in range(users):
        for s in range(3):
            start = NOW - timedelta(days=s + 1, hours=u % 7)
            rec = _record("start", f"warga{u:03d}", f"h-{u}-{s}", start)
            store.account(rec)
            store.account(replace(rec, status="stop", session_time=600, event_time=start))


def _record(status: str, user: str, session: str, at: datetime) -> AccountingRecord:
    return acct_record(
        status=status,
        nas_ip="127.0.0.1",
        nas_identifier="lab-hs-01",
        username=user,
        acct_session_id=session,
        mac="02:00:00:00:01:01",
        ip="100.64.0.10",
        event_time=at,
    )


def _full_scans_sqlite(conn: sqlite3.Connection, sql: str, params: Any) -> list[str]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    # "SEARCH t USING INDEX …" reads a range; "SCAN t [USING … INDEX]" reads all of t.
    # (A SCAN of a subquery's own result, or of a constant row, reads no table.)
    return [p for p in plan if p.startswith("SCAN ") and _scanned(p, conn, sql, tables)]


def _scanned(line: str, conn: sqlite3.Connection, sql: str, tables: set[str]) -> bool:
    name = line.split()[1]
    if name in tables:
        return True
    # an alias: "FROM subscribers s" → s stands for a table
    words = sql.replace(",", " ").split()
    return any(words[i] in tables and words[i + 1] == name for i in range(len(words) - 1))


def _full_scans_postgres(conn: Any, sql: str, params: Any) -> list[str]:
    found: list[str] = []

    def leading_column(cur: Any, index: str) -> str:
        cur.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
            "WHERE c.relname = %s",
            (index,),
        )
        return str(cur.fetchone()[0])

    def walk(cur: Any, node: dict[str, Any]) -> None:
        kind = node["Node Type"]
        where = node.get("Relation Name") or node.get("Index Name")
        if kind == "Seq Scan":
            found.append(f"{kind} on {where}")
        elif kind in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            # An index condition only on a later column of the index still reads all of it.
            cond = node.get("Index Cond", "")
            column = leading_column(cur, node["Index Name"])
            if not re.search(rf"\b{column}\b", cond):
                found.append(f"{kind} on {node['Index Name']} without its leading {column}")
        for child in node.get("Plans", []):
            walk(cur, child)

    with conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            if isinstance(params, dict):  # SQLAlchemy's, planned for each run's values
                cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
                (plan,) = cur.fetchone()
                walk(cur, (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
            else:
                walk(cur, _generic_plan(cur, sql, params))
        finally:
            cur.execute("RESET enable_seqscan")
    return found


def _generic_plan(cur: Any, sql: str, params: Any) -> dict[str, Any]:
    """The plan PostgreSQL runs ``sql`` with on the hot path: its generic plan, the one
    the fast reader's connections use for every run (``plan_cache_mode``), not a plan made
    for these values."""
    from psycopg import sql as pgsql

    marks = iter(range(1, len(params) + 1))
    numbered = re.sub(r"%s", lambda _m: f"${next(marks)}", sql)
    types = ", ".join(_PG_TYPES.get(type(v), "unknown") for v in params)
    cur.execute(f"PREPARE netops_hot ({types}) AS {numbered}")
    try:
        cur.execute("SET plan_cache_mode = force_generic_plan")
        values = pgsql.SQL(", ").join(pgsql.Literal(v) for v in params)
        cur.execute(pgsql.SQL("EXPLAIN (FORMAT JSON) EXECUTE netops_hot ({})").format(values))
        (plan,) = cur.fetchone()
    finally:
        cur.execute("RESET plan_cache_mode")
        cur.execute("DEALLOCATE netops_hot")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]  # type: ignore[no-any-return]


_PG_TYPES = {str: "text", int: "bigint", bool: "boolean", datetime: "timestamptz"}


def _hot_path_scans(store: Store, recorded: list[Statement]) -> dict[str, list[str]]:
    """Drive the hot path once and return each statement that scans a whole table."""
    inventory = load_inventory(LAB)
    store.add_user("warga000", "sandi-123", "gratis")
    store.add_user("dewi", "sandi-456", "voucher-harian")
    _history(store, 40)
    recorded.clear()

    def engine_statement(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        if not many:
            recorded.append((statement, params))

    engine = store._engine
    event.listen(engine, "before_cursor_execute", engine_statement)
    try:
        handler = Handler(inventory, store)
        nas = next(iter(nas_table(inventory).values()))
        mac = "02:00:00:00:01:01"
        for user, password in (("warga000", "sandi-123"), ("dewi", "sandi-456"), ("tamu", "x")):
            handler.authenticate(nas, AuthInput(user, password, mac=mac), NOW)
        # A store-level admission (its already-held read) and one a second device is refused.
        store.admit("warga000", 1, mac=mac, now=NOW, nas_ip="127.0.0.1")
        store.admit("warga000", 1, mac="02:00:00:00:01:02", now=NOW, nas_ip="127.0.0.1")
        start = _record("start", "warga000", "s-1", NOW)
        later = NOW + timedelta(minutes=5)
        for rec in (
            start,
            replace(start, status="interim", session_time=300, event_time=later),
            replace(start, status="stop", session_time=420, event_time=later),
        ):
            if rec.status == "interim":  # with its quota check, as the server stores it
                handler.interim(rec, later)
            else:
                store.account(rec)
        store.account(_record("start", "dewi", "s-2", NOW))
        # Accounting-On after a power cut closes the NAS's open sessions.
        store.close_nas_sessions("127.0.0.1", NOW + timedelta(minutes=8), "NAS-Reboot")
    finally:
        event.remove(engine, "before_cursor_execute", engine_statement)
    assert recorded, "the hot path ran no statement"

    statements: dict[str, Any] = {}
    for sql, params in recorded:
        statements.setdefault(sql, params)
    reader = store._fast
    conn = reader._connection()
    scans = {}
    for sql, params in statements.items():
        if sql.split()[0].upper() not in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            continue
        if reader.postgres:
            found = _full_scans_postgres(conn, sql, params)
        else:
            found = _full_scans_sqlite(conn, sql, params)
        if found:
            scans[sql] = found
    return scans


def test_the_radius_hot_path_never_scans_a_whole_table(
    store: Store, recorded: list[Statement]
) -> None:
    scans = _hot_path_scans(store, recorded)
    assert not scans, "full scans on the hot path:\n" + "\n".join(
        f"{sql}\n  → {', '.join(found)}" for sql, found in scans.items()
    )


def test_a_missing_index_is_caught(store: Store, recorded: list[Statement]) -> None:
    """The check can fail: without the (username, stopped_at) index, reading a user's
    sessions scans the whole accounting table."""
    with store._engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_acct_sessions_username_stopped_at")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_acct_sessions_username")
    scans = _hot_path_scans(store, recorded)
    assert any("acct_sessions" in sql for sql in scans), scans


def _session_ranges(conn: Any, postgres: bool, sql: str, params: Any) -> list[str]:
    """How each read of the (username, stopped_at) index is bounded: its condition."""
    index = "ix_acct_sessions_username_stopped_at"
    if not postgres:
        plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        return [p[p.index("(") :] for p in plan if index in p]
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Index Name") == index:
            found.append(str(node.get("Index Cond", "")))
        for child in node.get("Plans", []):
            walk(child)

    with conn.cursor() as cur:
        cur.execute("SET enable_seqscan = off")
        try:
            cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            (plan,) = cur.fetchone()
            walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        finally:
            cur.execute("RESET enable_seqscan")
    return found


def test_a_users_open_and_recent_sessions_are_read_as_index_ranges(store: Store) -> None:
    """An Access-Request reads the user's open sessions and those ended today, not every
    session the user ever had: at 1,000 sessions a user (10 M a year for 10,000 users),
    reading them all and filtering cost SQLite two thirds of its rate. Each read of the
    (username, stopped_at) index must bound both columns."""
    from netops.store.hotpath import SESSIONS_SINCE, auth_view_params, auth_view_sql

    store.add_user("warga000", "sandi-123", "gratis")
    _history(store, 40)
    reader = store._fast
    conn = reader._connection()
    since = store._when(NOW - timedelta(hours=10))
    fresh = store._when(NOW)
    statements = {
        "auth_view": (auth_view_sql(1), auth_view_params("dev", fresh, since, ("warga000",))),
        "usage since": (SESSIONS_SINCE, ("warga000", "warga000", since)),
    }
    for what, (sql, params) in statements.items():
        ranges = _session_ranges(conn, reader.postgres, reader._prepared(sql), params)
        assert ranges, f"{what}: the (username, stopped_at) index is not used"
        for bound in ranges:
            assert "stopped_at" in bound, f"{what} reads every session of the user: {bound}"


def test_postgresql_plans_the_hot_statements_once(store: Store) -> None:
    """With a million sessions stored PostgreSQL chose to plan the Access-Request's read
    afresh on every run (three times the backend's CPU per request it costs with one plan):
    the fast reader's connections use one generic plan per statement."""
    if not store._fast.postgres:
        pytest.skip("PostgreSQL's plan cache")
    from netops.store.hotpath import auth_view_sql

    store.add_user("warga000", "sandi-123", "gratis")
    _history(store, 40)
    for _ in range(8):  # psycopg prepares a statement on its fifth run
        assert store.auth_view("warga000", NOW - timedelta(hours=10), mac=None, now=NOW)
    marks = iter(range(1, 100))
    prepared = re.sub(r"\?", lambda _m: f"${next(marks)}", auth_view_sql(1))
    plans = store._fast.rows(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = ?",
        (prepared,),
    )
    assert plans, "the Access-Request's read was never prepared"
    generic, custom = plans[0]
    assert custom == 0 and generic > 0, plans


def test_the_postgresql_admission_function_runs_the_hot_path_statements(store: Store) -> None:
    """``netops_admit`` (migration 0014) is the lock, DROP_LAPSED and ADMIT_IF_ROOM with
    named parameters: the plans above check those constants, so the function must not drift
    from them (a change to either needs a migration that replaces the function)."""
    if not store._fast.postgres:
        pytest.skip("a PostgreSQL function")
    ((source,),) = store._fast.rows(
        "SELECT prosrc FROM pg_proc WHERE proname = ?", ("netops_admit",)
    )
    order = ("key", "nas_ip", "at", "until", "name", "name", "key", "name", "device", "name")
    names = iter([f"p_{n}" for n in (*order, "name", "limit")])
    admit = re.sub(r"\?", lambda _m: next(names), ADMIT_IF_ROOM).replace(" RETURNING 1", ";")
    drop = DROP_LAPSED.replace("username = ?", "username = p_name").replace("<= ?", "<= p_at;")

    def flat(sql: str) -> str:
        return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", " ".join(sql.split())))

    body = flat(source)
    assert "PERFORM 1 FROM subscribers WHERE username = p_name FOR UPDATE;" in body
    assert flat(drop) in body
    assert flat(admit) in body
    assert body.index(flat(drop)) < body.index(flat(admit)), "lapsed holds go first"
