"""The purge deletes old sessions a batch per write transaction: usage totals are exact after
and between batches, and on SQLite an accounting write is served between batches instead of
waiting for the whole purge."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from netops.environment import store_keys
from netops.store import Store
from netops.store.types import AccountingRecord, Usage
from tests.support.records import acct_record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def stop(name: str, sid: str, at: datetime, seconds: int, octets: int) -> AccountingRecord:
    return acct_record(
        status="stop",
        nas_ip="127.0.0.1",
        username=name,
        acct_session_id=sid,
        hotspot="lab-park",
        session_time=seconds,
        input_octets=octets,
        output_octets=2 * octets,
        event_time=at,
    )


def test_usage_totals_are_exact_after_and_between_the_batches_of_a_purge(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ["alice", "bob", "citra"]
    for name in names:
        store.add_user(name, "pw", "kuota")
    n = 0
    for k in range(40):
        # seven sessions end at the same moment, more than a batch: ties cross batch edges
        at = T0 - 100 * DAY if k < 7 else T0 - (40 + k) * DAY - timedelta(minutes=k)
        store.account(stop(names[k % 3], f"old-{k}", at, 60 + k, 1000 + k))
        n += 1
    store.account(stop("alice", "recent", T0 - DAY, 5, 7))
    store.account(stop("ghost", "gone", T0 - 99 * DAY, 9, 9))  # no subscriber: no total
    before = {name: store.usage(name) for name in names}
    assert sum(u.sessions for u in before.values()) == n + 1

    seen: list[dict[str, Usage]] = []
    monkeypatch.setattr(store, "purge_batch", 3)
    monkeypatch.setattr(
        store, "_between_batches", lambda: seen.append({name: store.usage(name) for name in names})
    )
    done = store.purge(T0 - 30 * DAY)

    assert done.sessions == n + 1
    assert len(seen) >= (n + 1) // 3, "the purge ran in batches of three"
    assert all(between == before for between in seen)
    assert {name: store.usage(name) for name in names} == before
    assert [s.acct_session_id for s in store.sessions()] == ["recent"]
    assert store.usage("ghost").sessions == 0
    # run again: nothing left to fold, nothing counted twice
    assert store.purge(T0 - 30 * DAY).sessions == 0
    assert {name: store.usage(name) for name in names} == before


def test_a_purge_interrupted_between_batches_leaves_exact_totals_and_finishes_on_rerun(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_user("alice", "pw", "kuota")
    for k in range(10):
        store.account(stop("alice", f"old-{k}", T0 - (40 + k) * DAY, 10, 100))
    before = store.usage("alice")
    batches = 0

    def interrupted() -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(store, "purge_batch", 3)
    monkeypatch.setattr(store, "_between_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.purge(T0 - 30 * DAY)
    assert len(store.sessions(username="alice")) == 4
    assert store.usage("alice") == before
    monkeypatch.setattr(store, "_between_batches", lambda: None)
    assert store.purge(T0 - 30 * DAY).sessions == 4
    assert store.usage("alice") == before


def test_accounting_is_served_between_the_batches_of_a_purge_on_sqlite(tmp_path: Path) -> None:
    """A RADIUS server's write (its own store connection, as `netops radius serve` has) that
    starts while the purge deletes its first batch completes before the purge's last batch:
    it waited for one batch, not for the whole purge."""
    url = f"sqlite:///{tmp_path / 'netops.db'}"
    purger = Store.open(url, keys=store_keys())
    server = Store.open(url, keys=store_keys())
    try:
        purger.add_user("alice", "pw", "gratis")
        for k in range(400):
            purger.account(stop("alice", f"old-{k}", T0 - (40 + k % 50) * DAY, 10, 100))
        purger.purge_batch = 20  # 20 batches
        events: list[str] = []
        deleting = threading.Event()

        @event.listens_for(purger._engine, "after_cursor_execute")
        def observe(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("DELETE FROM ACCT_SESSIONS"):
                events.append("batch deleted")
                if not deleting.is_set():
                    deleting.set()
                    # hold the write lock a moment so the server's write is surely waiting
                    threading.Event().wait(0.3)

        def account() -> None:
            deleting.wait(30)
            server.account(
                acct_record(
                    status="start",
                    nas_ip="127.0.0.1",
                    username="alice",
                    acct_session_id="now",
                    event_time=datetime.now(UTC),
                )
            )
            events.append("accounted")

        writer = threading.Thread(target=account)
        writer.start()
        done = purger.purge(T0 - 30 * DAY)
        writer.join(30)
        assert "accounted" in events
        after = events[events.index("accounted") + 1 :]
        assert "batch deleted" in after, f"the write waited for the whole purge: {events}"
        assert done.sessions == 400
        assert events.count("batch deleted") == 20
        assert [s.acct_session_id for s in purger.sessions()] == ["now"]
    finally:
        server.close()
        purger.close()
