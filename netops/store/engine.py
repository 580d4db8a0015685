"""Engines for SQLite (WAL) and PostgreSQL, and the translation of driver errors into
:class:`StoreError` sentences."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.engine.url import URL

from netops.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
# Each SQLite connection's page cache, KiB (SQLite's default is 2,000 KiB). A page not in it
# is a read system call into the OS cache: with 10 M sessions stored, the Access-Request's
# statement read 3.5 pages a request that way under the default and none with this one (the
# statement 28 → 21 µs). The cache fills on demand only: an idle connection holds none of it.
SQLITE_CACHE_KIB = 32 * 1024
WRITE = "netops_write"


def parse_url(url: str) -> URL:
    """The SQLAlchemy URL, or a clear error for anything the store does not speak."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise StoreError(
            f"database URL {url!r} is not valid: use sqlite:///PATH or postgresql+psycopg://…"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername != "postgresql+psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return parsed
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError(
                "the store needs an SQLite file (sqlite:///PATH), not an in-memory database"
            )
        return parsed
    raise StoreError(
        f"database URL {parsed.render_as_string(hide_password=True)!r} names {backend}; "
        "the store speaks sqlite:///PATH and postgresql+psycopg://…"
    )


def make_engine(url: URL) -> Engine:
    """An engine with the store's settings: WAL + busy timeout + foreign keys + a page cache
    of :data:`SQLITE_CACHE_KIB` on SQLite;
    pre-ping on PostgreSQL so a restarted server is noticed."""
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        path = Path(url.database).expanduser()
        if not path.parent.is_dir():
            raise StoreError(f"the folder of the SQLite database {path} does not exist")
        _check_sqlite_file(path)
        if not path.exists():
            # Subscribers' password hashes and ciphertexts: readable by the service only
            # (SQLite gives its -wal and -shm files the same mode).
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass
            except OSError as error:
                raise StoreError(
                    f"SQLite database {path} cannot be created ({error.strerror})"
                ) from None
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=8,
            max_overflow=16,
        )
        _sqlite_pragmas(engine)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=8,
        max_overflow=16,
        connect_args={"connect_timeout": 5, "application_name": "netops-store"},
    )


SQLITE_HEADER = b"SQLite format 3\x00"


def _check_sqlite_file(path: Path) -> None:
    """Refuse, in one sentence, a file the store could open but never write: SQLite itself
    says only "unable to open database file" or "file is not a database"."""
    where = path if path.exists() else path.parent
    if not os.access(where, os.W_OK) or (path.exists() and not os.access(path.parent, os.W_OK)):
        why = "read-only filesystem" if _read_only_mount(path.parent) else "no write permission"
        raise StoreError(
            f"SQLite database {path} is read-only ({why}): the store writes on every request; "
            f"give the service write access to the file and its folder (SQLite keeps "
            f"{path.name}-wal and {path.name}-shm beside it)"
        )
    if path.is_file():
        try:
            with path.open("rb") as source:
                header = source.read(len(SQLITE_HEADER))
        except OSError as error:
            raise StoreError(f"SQLite database {path} cannot be read ({error.strerror})") from None
        if header and header != SQLITE_HEADER:
            raise StoreError(
                f"SQLite database {path} is not an SQLite database (damaged, or another file): "
                "restore it from a backup"
            )


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _journal_wal(cursor: Any) -> None:
    """Switch to WAL, waiting while another process holds the database: SQLite answers a
    journal-mode change with "database is locked" at once, without its busy timeout (two
    servers opening a fresh database together hit it)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Manage transactions ourselves so writers can take the lock up front (IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _journal_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def describe(url: URL) -> str:
    """The URL as it may be printed: no password."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database}"
    host = url.host or "localhost"
    where = f"{host}:{url.port}" if url.port else host
    hosts = url.query.get("host")
    if hosts and not url.host:
        # A Unix socket folder, or several hosts (a primary and its standbys) as repeated
        # ``host=`` parameters: libpq tries them in order.
        where = hosts if isinstance(hosts, str) else ", ".join(hosts)
    return f"PostgreSQL database {url.database or ''} at {where}"


def reason(error: BaseException) -> str:
    """The driver's own explanation, first line only, no trailing punctuation."""
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text.rstrip(".")


def refused(where: str, why: str) -> StoreError:
    """The sentence for a database that refused an operation, naming the cure when the
    driver's reason shows it (a damaged file, a full disk)."""
    if "malformed" in why or "not a database" in why:
        return StoreError(f"{where} is damaged ({why}): restore it from a backup")
    if "disk is full" in why or "No space left" in why:
        return StoreError(f"{where} is full ({why}): free space on its disk")
    return StoreError(f"{where} refused the operation ({why})")


def unavailable(where: str, why: str) -> StoreError:
    """The sentence for a database that could not be used (SQLite reports a full disk and
    some damage this way too)."""
    if any(sign in why for sign in ("malformed", "not a database", "disk is full", "No space")):
        return refused(where, why)
    return StoreError(f"{where} is unavailable ({why})")


@contextmanager
def translate(where: str) -> Iterator[None]:
    """Turn database failures inside the block into one-sentence :class:`StoreError`s."""
    try:
        yield
    except StoreError:
        raise
    except (exc.OperationalError, exc.InterfaceError) as error:
        why = reason(error)
        if "authentication failed" in why or "no pg_hba.conf entry" in why:
            raise StoreError(f"{where} refused the login ({why})") from None
        raise unavailable(where, why) from None
    except exc.DBAPIError as error:
        raise refused(where, reason(error)) from None
    except exc.TimeoutError:
        raise StoreError(f"{where} is overloaded (no free connection in time)") from None
