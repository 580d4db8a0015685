"""The hot path of RADIUS (authentication reads, admissions, accounting) on the driver.

Every Access-Request reads a subscriber, its usage and its open sessions and records an
admission; every Accounting-Request upserts a session. Through SQLAlchemy each of those costs a
pool checkout, statement construction and result processing (one to several milliseconds);
here each thread keeps one autocommit driver connection and runs fixed SQL, 10-20 times faster.
Administrative writes stay SQLAlchemy transactions. An operation that fails because the
connection broke is retried once on a fresh connection (the server may have restarted; every
hot-path operation is idempotent) before it becomes a :class:`StoreError`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine

from netops.errors import StoreError
from netops.store.engine import reason, refused, unavailable

T = TypeVar("T")
Execute = Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]]
Step = tuple[str, tuple[Any, ...]]

SUBSCRIBER_COLUMNS = (
    "id",
    "username",
    "kind",
    "plan",
    "enabled",
    "password_enc",
    "password_hash",
    "bound_mac",
    "shared",
    "validity_s",
    "first_used_at",
    "valid_until",
    "hotspot",
    "batch",
    "note",
    "created_at",
    "revoked_at",
)
SESSION_COLUMNS = (
    "id",
    "username",
    "nas_ip",
    "nas_identifier",
    "hotspot",
    "acct_session_id",
    "mac",
    "ip",
    "started_at",
    "updated_at",
    "stopped_at",
    "stale_at",
    "session_time",
    "input_octets",
    "output_octets",
    "input_packets",
    "output_packets",
    "terminate_cause",
    "interim_interval",
)
SubscriberTuple = namedtuple("SubscriberTuple", SUBSCRIBER_COLUMNS)  # type: ignore[misc]
SessionTuple = namedtuple("SessionTuple", SESSION_COLUMNS)  # type: ignore[misc]

_SUB_TIMES = tuple(
    i
    for i, c in enumerate(SUBSCRIBER_COLUMNS)
    if c in ("first_used_at", "valid_until", "created_at", "revoked_at")
)
_SESSION_TIMES = tuple(
    i
    for i, c in enumerate(SESSION_COLUMNS)
    if c in ("started_at", "updated_at", "stopped_at", "stale_at")
)


def _sqlite_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _pg_time(value: Any) -> datetime | None:
    if value is None:
        return None
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


class FastReader:
    """Per-thread driver connections running the store's hot statements (reads and the
    admission and accounting writes)."""

    def __init__(self, engine: Engine, where: str) -> None:
        self._engine = engine
        self._where = where
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[Any] = []
        self.postgres = engine.dialect.name == "postgresql"
        dbapi = engine.dialect.loaded_dbapi
        self._unavailable: tuple[type[BaseException], ...] = (
            dbapi.OperationalError,
            dbapi.InterfaceError,
        )
        self._error: type[BaseException] = dbapi.Error
        self._time = _pg_time if self.postgres else _sqlite_time
        self._sql: dict[str, str] = {}
        self._pid = os.getpid()

    def _connection(self) -> Any:
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            return held[1]
        if self._pid != os.getpid():
            # A forked child: the parent's connections are not ours to use or to close.
            with self._lock:
                self._open, self._pid = [], os.getpid()
        proxied = self._engine.raw_connection()
        proxied.detach()
        conn = proxied.dbapi_connection
        assert conn is not None
        if self.postgres:
            conn.rollback()  # a pre-ping may have opened a transaction
            conn.autocommit = True
            # psycopg prepares a statement on its fifth run; PostgreSQL then chooses between
            # planning it afresh for each run's values and one plan for all. The hot
            # statements read by user name whatever the values, but with a million sessions
            # stored PostgreSQL kept replanning the Access-Request's read (a range on
            # stopped_at), which tripled its CPU per request. Their plans are checked by
            # tests/integration/store/test_hot_path_plans.py in this mode.
            conn.execute("SET plan_cache_mode = force_generic_plan")
        # One cursor per connection for rows(): building a cursor per statement is a
        # tenth of psycopg's time for a one-row read.
        # (and spare ones for atomic()'s pipelines).
        self._local.held = (os.getpid(), conn, conn.cursor(), [])
        with self._lock:
            self._open.append(conn)
        # A thread that ends takes its connection with it.
        weakref.finalize(threading.current_thread(), self._release, conn)
        return conn

    def _release(self, conn: Any) -> None:
        with self._lock:
            if conn not in self._open:
                return
            self._open.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def _forget(self) -> None:
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None and held[0] == os.getpid():
            with self._lock:
                if held[1] in self._open:
                    self._open.remove(held[1])
            with contextlib.suppress(Exception):
                held[1].close()

    def _prepared(self, sql: str) -> str:
        """``?`` placeholders for sqlite3, ``%s`` for psycopg."""
        if not self.postgres:
            return sql
        found = self._sql.get(sql)
        if found is None:
            found = self._sql[sql] = sql.replace("?", "%s")
        return found

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Run one statement that returns rows (a SELECT, or a write with RETURNING that is
        atomic on its own) in autocommit; retried once on a fresh connection."""
        text = self._prepared(sql)
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            # The common case, without the retry machinery, on the connection's own cursor.
            # Any error goes the careful way below.
            try:
                return held[2].execute(text, params).fetchall()  # type: ignore[no-any-return]
            except self._error:
                pass

        def once(conn: Any) -> list[tuple[Any, ...]]:
            cursor = conn.cursor()
            try:
                cursor.execute(text, params)
                return list(cursor.fetchall())
            finally:
                cursor.close()

        return self._retrying(once)

    def write(self, work: Callable[[Execute], T]) -> T:
        """Run ``work(execute)`` in one write transaction (``BEGIN IMMEDIATE`` on SQLite);
        committed when it returns, rolled back if it raises. ``work`` must be idempotent: it
        is run again on a fresh connection if the first one broke."""

        def once(conn: Any) -> T:
            cursor = conn.cursor()

            def execute(sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
                cursor.execute(self._prepared(sql), params)
                return list(cursor.fetchall()) if cursor.description else []

            try:
                cursor.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
                try:
                    result = work(execute)
                except BaseException:
                    cursor.execute("ROLLBACK")
                    raise
                cursor.execute("COMMIT")
                return result
            finally:
                cursor.close()

        return self._retrying(once)

    def atomic(self, steps: Sequence[Step]) -> list[list[tuple[Any, ...]]]:
        """Run ``steps`` (statement, parameters) in one write transaction and return the rows
        of each. No statement's parameters may depend on an earlier one's result: on
        PostgreSQL they go out in one pipeline (``BEGIN`` … ``COMMIT`` and one sync: one
        round trip however many statements); on SQLite in ``BEGIN IMMEDIATE``. All or
        nothing: a pipeline that fails or breaks off leaves nothing applied (its connection
        is dropped, which ends the transaction), and is run again once on a fresh connection
        if the first one broke, so the steps must be idempotent."""
        if not self.postgres:
            return self.write(lambda execute: [execute(sql, params) for sql, params in steps])

        def once(conn: Any) -> list[list[tuple[Any, ...]]]:
            spare: list[Any] = self._local.held[3]  # once() runs on this thread's connection
            while len(spare) <= len(steps):
                spare.append(conn.cursor())
            control, cursors = spare[0], spare[1 : len(steps) + 1]
            with conn.pipeline():
                control.execute("BEGIN")
                for cursor, (sql, params) in zip(cursors, steps, strict=True):
                    cursor.execute(self._prepared(sql), params)
                control.execute("COMMIT")
            return [list(c.fetchall()) if c.description else [] for c in cursors]

        return self._retrying(once)

    def _retrying(self, once: Callable[[Any], T]) -> T:
        for attempt in (1, 2):
            try:
                return once(self._connection())
            except StoreError:
                raise
            except self._unavailable as error:
                self._forget()
                if attempt == 2:
                    raise unavailable(self._where, reason(error)) from None
            except self._error as error:
                self._forget()
                raise refused(self._where, reason(error)) from None
            except (ValueError, TypeError, KeyError, AssertionError):
                raise
            except Exception as error:
                # The engine could not even hand out a connection (SQLAlchemy wraps it).
                self._forget()
                if attempt == 2:
                    raise StoreError(f"{self._where} is unavailable ({reason(error)})") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def time(self, value: Any) -> datetime | None:
        """A time column as returned by the driver → aware UTC."""
        return self._time(value)

    def subscriber(self, raw: tuple[Any, ...]) -> Any:
        values = list(raw)
        for i in _SUB_TIMES:
            values[i] = self._time(values[i])
        return SubscriberTuple(*values)

    def session(self, raw: tuple[Any, ...]) -> Any:
        values = list(raw)
        for i in _SESSION_TIMES:
            values[i] = self._time(values[i])
        return SessionTuple(*values)

    def close(self) -> None:
        with self._lock:
            conns, self._open = self._open, []
            if self._pid != os.getpid():
                conns = []  # inherited over fork: closing them would cut the parent's
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()
