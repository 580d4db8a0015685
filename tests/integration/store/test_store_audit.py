"""The audit trail's hash chain on SQLite and PostgreSQL: an edited row and a deleted row
are found, by their id; console sign-ins kept in the store expire and are revoked."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _trail(store_url: str) -> Store:
    store = Store.open(store_url, keys=store_keys())
    for n in range(5):
        store.audit("siti", "10.40.10.5", "voucher.revoke", f"ABCD-EFGH-{n:04d}")
    return store


def _sql(store_url: str, statement: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def test_an_intact_trail_verifies(store_url: str) -> None:
    with _trail(store_url) as store:
        check = store.verify_audit()
        assert (check.rows, check.broken_id) == (5, None)
        assert check.head == store.audit_entries()[-1].hash


def test_an_edited_row_breaks_the_chain_at_that_row(store_url: str) -> None:
    with _trail(store_url) as store:
        third = store.audit_entries()[2].id
        _sql(store_url, f"UPDATE audit_log SET operator = 'budi' WHERE id = {third}")
        check = store.verify_audit()
        assert check.broken_id == third and "edited" in (check.problem or "")


def test_a_deleted_row_breaks_the_chain_at_the_next_row(store_url: str) -> None:
    with _trail(store_url) as store:
        rows = store.audit_entries()
        _sql(store_url, f"DELETE FROM audit_log WHERE id = {rows[1].id}")
        check = store.verify_audit()
        assert check.broken_id == rows[2].id and "deleted" in (check.problem or "")


def test_a_replaced_hash_is_found_at_its_row(store_url: str) -> None:
    """A row whose stored hash was overwritten no longer hashes to its content."""
    with _trail(store_url) as store:
        rows = store.audit_entries()
        _sql(store_url, f"UPDATE audit_log SET hash = '{'f' * 64}' WHERE id = {rows[1].id}")
        assert store.verify_audit().broken_id == rows[1].id


def test_console_sign_ins_in_the_store_expire_and_are_revoked(store_url: str) -> None:
    with Store.open(store_url, keys=store_keys()) as store:
        now = datetime.now(UTC)
        store.open_console_session("a" * 64, now, now + timedelta(hours=1))
        assert store.console_session_live("a" * 64, now)
        assert not store.console_session_live("a" * 64, now + timedelta(hours=2))
        assert store.revoke_console_session("a" * 64, now)
        assert not store.console_session_live("a" * 64, now)
        assert store.purge_console_sessions(now + timedelta(hours=2)) == 1


def test_concurrent_writers_keep_one_chain(store_url: str) -> None:
    """Four threads, each with its own Store (its own connections), append at once: every
    row chains to the one before it, none to the same predecessor."""
    stores = [Store.open(store_url, keys=store_keys()) for _ in range(4)]
    try:

        def append(store: Store, n: int) -> None:
            for i in range(25):
                store.audit(f"op-{n}", "10.40.10.5", "session.list", None, str(i))

        with ThreadPoolExecutor(4) as pool:
            for done in [pool.submit(append, s, n) for n, s in enumerate(stores)]:
                done.result()
        check = stores[0].verify_audit()
        assert (check.rows, check.broken_id) == (100, None)
        prevs = [e.prev_hash for e in stores[0].audit_entries()]
        assert len(set(prevs)) == 100
    finally:
        for store in stores:
            store.close()


def test_operators_and_their_tokens(store_url: str) -> None:
    with Store.open(store_url, keys=store_keys()) as store:
        store.add_operator("siti", "helpdesk", sites=frozenset({"lab-park"}), password="x" * 12)
        with pytest.raises(StoreError, match="already exists"):
            store.add_operator("siti", "viewer", password=None)
        with pytest.raises(StoreError, match="role 'root'"):
            store.add_operator("budi", "root", password=None)
        assert store.check_operator_password("siti", "x" * 12) is not None
        assert store.check_operator_password("siti", "y" * 12) is None
        made = store.add_operator_token("siti", "cron", "nto_" + "a" * 40)
        found = store.operator_for_token("nto_" + "a" * 40)
        assert found is not None and found.sites == {"lab-park"}
        assert store.revoke_operator_token(made.id)
        assert store.operator_for_token("nto_" + "a" * 40) is None
        store.set_operator_totp("siti", "JBSWY3DPEHPK3PXP")
        assert store.operator_totp_secret("siti") == "JBSWY3DPEHPK3PXP"
        store.delete_operator("siti")
        assert store.operator("siti") is None and store.operator_tokens("siti") == []
