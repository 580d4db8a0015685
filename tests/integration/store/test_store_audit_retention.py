"""The audit trail obeys its retention period (``privacy.retention.operator_audit``) and
still verifies: the purge deletes the oldest rows behind a sealed anchor, on SQLite and
PostgreSQL; tampering after a purge, deleting rows without it and forging the anchor are
all still found."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key, parse_key
from netops.store.operators import anchor_seal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _trail(store_url: str, days: int = 10) -> Store:
    """One action a day for ``days`` days from T0."""
    store = Store.open(store_url, keys=store_keys())
    for n in range(days):
        store.audit("siti", "10.40.10.5", "voucher.revoke", f"v-{n:013d}", at=T0 + timedelta(n))
    return store


def _sql(store_url: str, statement: str, **params: object) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def test_purge_deletes_the_oldest_rows_and_the_chain_still_verifies(store_url: str) -> None:
    with _trail(store_url) as store:
        now = T0 + timedelta(days=30)
        done = store.purge_audit(T0 + timedelta(days=4), now=now)
        assert (done.rows, done.last_id, done.last_at) == (4, 4, T0 + timedelta(days=3))
        left = store.audit_entries()
        assert [e.id for e in left] == [5, 6, 7, 8, 9, 10, 11]
        # The purge is itself a row of the chain, saying what went.
        purge = left[-1]
        assert (purge.action, purge.target, purge.source) == (
            "audit.purge",
            "audit_log<=4",
            "purge",
        )
        assert json.loads(purge.detail or "{}")["rows"] == 4
        check = store.verify_audit()
        assert (check.problem, check.rows) == (None, 7)
        assert check.anchor is not None and check.anchor.last_id == 4
        assert check.anchor.purged_rows == 4 and check.anchor.purged_at == now
        # Appending and purging again keep one chain; the anchor counts every purge.
        store.audit("budi", "cli", "user.add", "alice")
        again = store.purge_audit(T0 + timedelta(days=6), now=now + timedelta(days=1))
        assert again.rows == 2
        check = store.verify_audit()
        assert check.problem is None and check.anchor is not None
        assert (check.anchor.last_id, check.anchor.purged_rows) == (6, 6)
        assert store.purge_audit(T0, now=now).rows == 0, "nothing older: nothing happens"


def test_purging_every_row_leaves_a_chain_that_starts_at_the_anchor(store_url: str) -> None:
    with _trail(store_url, days=3) as store:
        done = store.purge_audit(T0 + timedelta(days=100), now=T0 + timedelta(days=100))
        assert done.rows == 3
        store.audit("siti", "cli", "voucher.create", "batch-1")
        check = store.verify_audit()
        assert check.problem is None and check.rows == 2


def test_the_purge_cuts_only_at_the_start_of_the_chain(store_url: str) -> None:
    """A row written out of time order (an older ``at`` after newer ones) is not purged
    out of the middle: the chain is only ever cut before the first row to keep."""
    with _trail(store_url, days=4) as store:
        store.audit("siti", "cli", "late.entry", None, at=T0)
        done = store.purge_audit(T0 + timedelta(days=2), now=T0 + timedelta(days=9))
        assert done.rows == 2
        assert store.verify_audit().problem is None
        assert "late.entry" in [e.action for e in store.audit_entries()]


def test_a_purged_chain_that_is_then_edited_fails(store_url: str) -> None:
    with _trail(store_url) as store:
        store.purge_audit(T0 + timedelta(days=4), now=T0 + timedelta(days=30))
        _sql(store_url, "UPDATE audit_log SET target = 'v-0' WHERE id = 7")
        check = store.verify_audit()
        assert (check.broken_id, check.problem) == (7, "its content was edited")


def test_deleting_a_middle_row_of_a_purged_chain_fails(store_url: str) -> None:
    with _trail(store_url) as store:
        store.purge_audit(T0 + timedelta(days=4), now=T0 + timedelta(days=30))
        _sql(store_url, "DELETE FROM audit_log WHERE id = 6")
        check = store.verify_audit()
        assert (check.broken_id, check.problem) == (7, "the row before it was deleted or edited")


def test_deleting_the_oldest_rows_without_the_purge_fails(store_url: str) -> None:
    with _trail(store_url) as store:
        _sql(store_url, "DELETE FROM audit_log WHERE id <= 3")
        check = store.verify_audit()
        assert (check.broken_id, check.problem) == (4, "the row before it was deleted or edited")
        assert check.anchor is None


def test_an_anchor_moved_to_hide_more_deleted_rows_fails(store_url: str) -> None:
    """Someone deletes two more rows and moves the anchor over them: the seal, made with the
    store key, no longer matches."""
    with _trail(store_url) as store:
        store.purge_audit(T0 + timedelta(days=4), now=T0 + timedelta(days=30))
        six = next(e for e in store.audit_entries() if e.id == 6)
        _sql(store_url, "DELETE FROM audit_log WHERE id <= 6")
        _sql(store_url, "UPDATE audit_anchor SET last_id = 6, last_hash = :h", h=six.hash)
        check = store.verify_audit()
        assert check.problem is not None and "anchor" in check.problem


def test_an_anchor_sealed_with_another_key_fails(store_url: str) -> None:
    """A forger who writes a whole anchor, sealed with a key of their own, is found too."""
    with _trail(store_url) as store:
        entries = store.audit_entries()
        _sql(store_url, "DELETE FROM audit_log WHERE id <= 3")
        when = T0 + timedelta(days=30)
        seal = anchor_seal(parse_key(generate_key(), "forger"), 3, entries[2].hash, when, 3)
        _sql(
            store_url,
            "INSERT INTO audit_anchor (id, last_id, last_hash, purged_at, purged_rows, seal) "
            "VALUES (1, 3, :h, :t, 3, :s)",
            h=entries[2].hash,
            t=when if not store_url.startswith("sqlite") else when.replace(tzinfo=None),
            s=seal,
        )
        check = store.verify_audit()
        assert check.problem is not None and "anchor" in check.problem
