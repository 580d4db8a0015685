"""Database URLs, how they are described, and how times are stored."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import Store
from netops.store.credentials import generate_key
from netops.store.engine import SQLITE_CACHE_KIB, describe, parse_url, reason
from netops.store.schema import UTCDateTime


def test_postgresql_urls_use_psycopg_3() -> None:
    url = parse_url("postgresql://netops:pw@db1:5433/city")
    assert url.drivername == "postgresql+psycopg"
    assert parse_url("postgresql+psycopg://db1/city").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/netops", "names mysql"),
        ("sqlite:///:memory:", "needs an SQLite file"),
        ("sqlite://", "needs an SQLite file"),
        ("::::", "not valid"),
    ],
)
def test_unsupported_urls_are_one_sentence(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        parse_url(url)
    assert "\n" not in str(info.value)


def test_descriptions_never_show_the_password() -> None:
    text = describe(parse_url("postgresql+psycopg://netops:s3cr3t@10.10.0.20:5432/netops"))
    assert text == "PostgreSQL database netops at 10.10.0.20:5432"
    assert describe(parse_url("sqlite:///var/netops.db")) == "SQLite database var/netops.db"
    socket = describe(parse_url("postgresql+psycopg://netops@/netops?host=/run/postgresql"))
    assert socket == "PostgreSQL database netops at /run/postgresql"


def test_reason_keeps_the_first_line_only() -> None:
    assert reason(RuntimeError("connection refused.\nIs the server running?")) == (
        "connection refused"
    )
    assert reason(RuntimeError("")) == "RuntimeError"


def test_times_are_stored_as_utc() -> None:
    column = UTCDateTime()
    wita = timezone(timedelta(hours=8))
    local = datetime(2026, 11, 22, 16, 0, tzinfo=wita)
    stored = column.process_bind_param(local, sqlite.dialect())
    assert stored == datetime(2026, 11, 22, 8, 0)
    assert column.process_bind_param(local, postgresql.dialect()) == datetime(
        2026, 11, 22, 8, 0, tzinfo=UTC
    )
    assert column.process_result_value(stored, sqlite.dialect()) == datetime(
        2026, 11, 22, 8, 0, tzinfo=UTC
    )
    assert column.process_bind_param(None, sqlite.dialect()) is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        UTCDateTime().process_bind_param(datetime(2026, 11, 22, 8, 0), sqlite.dialect())


def test_every_sqlite_connection_gets_the_store_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's default page cache (2,000 KiB) made the hot path read pages from the OS on
    every request of a large store: SQLAlchemy's connections and each thread's hot-path
    connection all get the larger one."""
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    assert SQLITE_CACHE_KIB > 2000
    with Store.open(f"sqlite:///{tmp_path / 'netops.db'}", keys=store_keys()) as store:
        with store._engine.connect() as conn:
            assert conn.execute(text("PRAGMA cache_size")).scalar_one() == -SQLITE_CACHE_KIB
        sizes = [store._fast.rows("PRAGMA cache_size", ())[0][0]]
        thread = threading.Thread(
            target=lambda: sizes.append(store._fast.rows("PRAGMA cache_size", ())[0][0])
        )
        thread.start()
        thread.join()
        assert sizes == [-SQLITE_CACHE_KIB, -SQLITE_CACHE_KIB]
