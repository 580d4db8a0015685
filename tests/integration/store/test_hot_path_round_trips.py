"""How many round trips to PostgreSQL the RADIUS hot path takes, and that its one-trip
writes stay all or nothing.

libpq's own trace of the connection counts what the client sends: every wait for the
server's answer ends a ``Sync`` (extended protocol, pipelines) or a ``Query`` (simple
protocol), so their number is the number of round trips. No timing is measured.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import pq

from netops.environment import store_keys
from netops.errors import StoreError
from netops.inventory import load_inventory
from netops.radius.handler import AuthInput, Handler, nas_table
from netops.store import Store
from tests.paths import LAB
from tests.support.postgres import PostgresCluster
from tests.support.records import acct_record

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
MAC, OTHER = "02:00:00:00:01:01", "02:00:00:00:01:02"


@pytest.fixture
def pg_store(postgres_cluster: PostgresCluster) -> Iterator[Store]:
    """A fresh PostgreSQL store (round trips are a PostgreSQL cost: SQLite has none)."""
    if not postgres_cluster.running:
        postgres_cluster.start()
    store = Store.open(postgres_cluster.new_database(), keys=store_keys())
    try:
        store.add_user("warga000", "sandi-123", "gratis")
        yield store
    finally:
        store.close()


@contextmanager
def trips(store: Store) -> Iterator[list[int]]:
    """The round trips the calling thread's hot-path connection makes inside the block
    (the list holds one number once the block ends)."""
    conn: Any = store._fast._connection()
    counted: list[int] = []
    with tempfile.TemporaryFile("w+") as trace:
        conn.pgconn.trace(trace.fileno())
        conn.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        try:
            yield counted
        finally:
            conn.pgconn.untrace()
        trace.seek(0)
        sent = [line.split("\t") for line in trace.read().splitlines()]
    counted.append(sum(1 for f in sent if len(f) > 2 and f[0] == "F" and f[2] in ("Sync", "Query")))


def _authenticate(store: Store, mac: str) -> bool:
    """One Access-Request through a fresh handler (nothing remembered in the process)."""
    inventory = load_inventory(LAB)
    nas = next(iter(nas_table(inventory).values()))
    result = Handler(inventory, store).authenticate(
        nas, AuthInput("warga000", "sandi-123", mac=mac), NOW
    )
    return result.decision.accept


def _start(sid: str = "s-1") -> Any:
    return acct_record(
        status="start",
        nas_ip="127.0.0.1",
        username="warga000",
        acct_session_id=sid,
        mac=MAC,
        event_time=NOW,
    )


def test_an_admission_is_one_round_trip(pg_store: Store) -> None:
    with trips(pg_store) as counted:
        assert pg_store.admit("warga000", 1, mac=MAC, now=NOW, nas_ip="127.0.0.1", checked=True)
    assert counted == [1]
    with trips(pg_store) as counted:
        refused = pg_store.admit("warga000", 1, mac=OTHER, now=NOW, nas_ip="127.0.0.1")
    assert refused is False and counted == [2], "the already-held read, then the pipeline"


def test_an_access_request_of_a_new_device_takes_two_round_trips(pg_store: Store) -> None:
    pg_store._fast._connection()
    with trips(pg_store) as counted:
        assert _authenticate(pg_store, MAC)
    assert counted == [2], "auth_view (with the already-held check), then the admission"


def test_a_device_that_holds_a_slot_takes_one_round_trip(pg_store: Store) -> None:
    assert _authenticate(pg_store, MAC)
    with trips(pg_store) as counted:
        assert _authenticate(pg_store, MAC)
    assert counted == [1]
    pg_store.account(_start())
    with trips(pg_store) as counted:
        assert _authenticate(pg_store, MAC), "its open session holds the slot"
    assert counted == [1]
    with trips(pg_store) as counted:
        assert not _authenticate(pg_store, OTHER)
    assert counted == [1], "the read alone shows the open session fills the plan's one slot"


def test_accounting_start_interim_with_its_quota_check_and_stop_are_one_round_trip_each(
    pg_store: Store,
) -> None:
    assert pg_store.admit("warga000", 1, mac=MAC, now=NOW, nas_ip="127.0.0.1")
    start = _start()
    later = NOW + timedelta(minutes=5)
    with trips(pg_store) as counted:
        pg_store.account(start)
    assert counted == [1]
    assert pg_store.sessions(active=True)[0].acct_session_id == "s-1"
    assert _held(pg_store) == 0, "the Start ended its admission's hold"
    handler = Handler(load_inventory(LAB), pg_store)
    interim = replace(start, status="interim", session_time=300, event_time=later)
    with trips(pg_store) as counted:
        assert handler.interim(replace(interim, input_octets=10**6), later) is None
    assert counted == [1], "the upsert answers the plan and today's octets too"
    with trips(pg_store) as counted:
        assert handler.interim(replace(interim, input_octets=2 * 10**9), later) == "daily_data"
    assert counted == [1]
    with trips(pg_store) as counted:
        pg_store.account(replace(start, status="stop", session_time=420, event_time=later))
    assert counted == [1]


def _held(store: Store) -> int:
    return len(store._fast.rows("SELECT device FROM admissions WHERE username = ?", ("warga000",)))


def test_a_failing_pipeline_applies_nothing(store: Store) -> None:
    store.add_user("warga000", "sandi-123", "gratis")
    assert store.admit("warga000", 1, mac=MAC, now=NOW)
    with pytest.raises(StoreError):
        store._fast.atomic(
            [
                ("DELETE FROM admissions WHERE username = ?", ("warga000",)),
                ("SELECT device FROM no_such_table WHERE username = ?", ("warga000",)),
            ]
        )
    assert _held(store) == 1, "the DELETE before the failing statement was rolled back"
    assert store.admit("warga000", 1, mac=MAC, now=NOW), "the store works on"


def test_a_pipeline_on_a_broken_connection_runs_again_on_a_fresh_one(pg_store: Store) -> None:
    conn: Any = pg_store._fast._connection()
    pid = conn.info.backend_pid
    with pg_store._engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
    assert pg_store.admit("warga000", 1, mac=MAC, now=NOW, checked=True)
    assert pg_store._fast._connection().info.backend_pid != pid
    assert _held(pg_store) == 1
    pg_store.account(_start())
    assert _held(pg_store) == 0 and len(pg_store.sessions(active=True)) == 1


def test_an_interim_answers_the_plan_and_todays_octets_as_usage_counts_them(
    store: Store,
) -> None:
    store.add_user("warga000", "sandi-123", "gratis")
    midnight = NOW - timedelta(hours=10)
    yesterday = replace(_start("old"), event_time=midnight - timedelta(hours=2))
    store.account(replace(yesterday, status="stop", session_time=600, input_octets=10**8))
    earlier = replace(_start("earlier"), event_time=NOW - timedelta(hours=2))
    store.account(replace(earlier, status="stop", session_time=600, output_octets=5000))
    store.account(_start())
    interim = replace(_start(), status="interim", session_time=60, input_octets=700)
    session, plan, octets = store.account_with_usage(interim, midnight)
    assert session.input_octets == 700 and plan == "gratis"
    assert octets == store.usage("warga000", midnight).octets == 5700
    again = store.account_with_usage(interim, midnight)
    assert again == (session, "gratis", 5700), "a retransmission counts the same"
    ghost = replace(interim, username="nobody", acct_session_id="g-1")
    assert store.account_with_usage(ghost, midnight)[1:] == (None, 700)
    with pytest.raises(ValueError, match="interim/stop"):
        store.account_with_usage(_start("s-9"), midnight)
