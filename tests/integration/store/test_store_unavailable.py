"""The database goes away: a one-sentence StoreError, nothing half-written, and recovery."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import AccountingRecord, Store
from tests.support.postgres import PostgresCluster
from tests.support.records import acct_record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def start(sid: str) -> AccountingRecord:
    return acct_record(
        status="start",
        nas_ip="127.0.0.1",
        username="alice",
        acct_session_id=sid,
        event_time=T0,
    )


def one_sentence(error: pytest.ExceptionInfo[StoreError]) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_cluster: PostgresCluster) -> Iterator[PostgresCluster]:
    if not postgres_cluster.running:
        postgres_cluster.start()
    try:
        yield postgres_cluster
    finally:
        if not postgres_cluster.running:
            postgres_cluster.start()


def test_postgres_stopped_mid_test_gives_a_clear_error_then_recovers(
    pg: PostgresCluster,
) -> None:
    url = pg.new_database()
    with Store.open(url, keys=store_keys()) as store:
        store.add_user("alice", "pw", "gratis")
        store.account(start("before"))
        pg.stop("immediate")
        with pytest.raises(StoreError, match=r"PostgreSQL database .* is unavailable") as info:
            store.account(start("during"))
        message = one_sentence(info)
        assert pg.password not in message
        with pytest.raises(StoreError, match="unavailable"):
            store.lookup("alice")
        with pytest.raises(StoreError, match="unavailable"):
            store.add_user("bob", "pw", "gratis")
        pg.start()
        assert store.session("before") is not None
        assert store.session("during") is None
        assert store.lookup("bob") is None
        store.account(start("after"))
        assert {s.acct_session_id for s in store.sessions()} == {"before", "after"}


def test_a_voucher_batch_is_all_or_nothing_when_postgres_dies(pg: PostgresCluster) -> None:
    url = pg.new_database()
    outcome: list[object] = []
    with Store.open(url, keys=store_keys()) as store:
        # Slow every INSERT statement down (the batch is sent 1,000 rows at a time) so the
        # server is certainly killed half-way through the batch.
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER slow AFTER INSERT ON subscribers "
                    "FOR EACH STATEMENT EXECUTE FUNCTION slow()"
                )
            )
        engine.dispose()

        def create() -> None:
            try:
                outcome.append(len(store.create_vouchers("gratis", 10_000, batch="big")))
            except StoreError as exc:
                outcome.append(exc)

        worker = threading.Thread(target=create)
        worker.start()
        threading.Event().wait(1.5)
        pg.stop("immediate")
        worker.join(60)
        pg.start()
        stored = len(store.list_vouchers(batch="big"))
    assert len(outcome) == 1 and isinstance(outcome[0], StoreError), outcome
    assert "unavailable" in str(outcome[0])
    assert stored == 0, "a failed batch left no vouchers behind"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_opening_an_unreachable_postgres_names_it_without_the_password() -> None:
    url = f"postgresql+psycopg://netops:s3cret-pw@127.0.0.1:{_free_port()}/city"
    with pytest.raises(StoreError, match=r"PostgreSQL database city at 127\.0\.0\.1") as info:
        Store.open(url, keys=store_keys())
    assert "s3cret-pw" not in one_sentence(info)


# --- SQLite -----------------------------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(where: Path) -> Iterator[Path]:
    """A small tmpfs we can turn read-only under the store (like a disk gone read-only)."""
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _remount(where: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(where)], check=True)


def test_sqlite_on_a_read_only_disk_refuses_writes_and_loses_nothing(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "disk") as disk:
        url = f"sqlite:///{disk / 'netops.db'}"
        store = Store.open(url, keys=store_keys())
        try:
            store.add_user("alice", "pw", "gratis")
            store.account(start("before"))
            store.close()  # let the files go so the disk can turn read-only
            _remount(disk, "ro")
            with pytest.raises(StoreError, match=r"SQLite database .*netops\.db") as info:
                store.account(start("during"))
            one_sentence(info)
            with pytest.raises(StoreError):
                store.add_user("bob", "pw", "gratis")
            store.close()
            _remount(disk, "rw")
            assert store.lookup("alice") is not None
            assert store.lookup("bob") is None
            assert [s.acct_session_id for s in store.sessions()] == ["before"]
        finally:
            store.close()


def test_sqlite_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"folder of the SQLite database .* does not exist"):
        Store.open(f"sqlite:///{tmp_path / 'nope' / 'netops.db'}", keys=store_keys())


def test_sqlite_path_that_is_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    with pytest.raises(StoreError, match=r"SQLite database .* is unavailable") as info:
        Store.open(f"sqlite:///{tmp_path / 'db'}", keys=store_keys())
    one_sentence(info)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "netops.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="SQLite database") as info:
        Store.open(f"sqlite:///{path}", keys=store_keys())
    one_sentence(info)
    assert path.read_bytes() == b"this is not sqlite" * 100


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://root@localhost/netops", "names mysql"),
        ("sqlite:///:memory:", "needs an SQLite file"),
        ("sqlite://", "needs an SQLite file"),
        ("not a url", "not valid"),
    ],
)
def test_unsupported_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        Store.open(url, keys=store_keys())


def test_a_wrong_postgres_password_is_named_as_such(pg: PostgresCluster) -> None:
    url = pg.new_database().replace(pg.password, "not-the-password")
    with pytest.raises(StoreError, match=r"refused the login .*password authentication failed"):
        Store.open(url, keys=store_keys())
