"""The packaged Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import Store
from netops.store.migrate import alembic_config, head_revision
from netops.store.schema import Base

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    Store.open(store_url, keys=store_keys()).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(store_url: str) -> None:
    Store.open(store_url, keys=store_keys()).close()
    engine = create_engine(store_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    with Store.open(store_url, keys=store_keys()) as store:
        store.add_user("alice", "pw", "gratis")
        assert store.lookup("alice") is not None


def test_a_schema_newer_than_this_netops_is_a_clear_error(store_url: str) -> None:
    Store.open(store_url, keys=store_keys()).close()
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="schema is at revision 9999, which this netops"):
        Store.open(store_url, keys=store_keys())


def test_mac_pseudonym_migration_rewrites_every_clear_mac(store_url: str, store_key: str) -> None:
    """A database from before 0003_mac_pseudonyms, holding MACs in clear everywhere, comes
    out of the upgrade with pseudonyms only, and every binding still works."""
    from datetime import UTC, datetime, timedelta

    from netops.store.credentials import Cipher, parse_key

    mac, kiosk, other = "aa:bb:cc:00:00:01", "aa:bb:cc:00:00:02", "aa:bb:cc:00:00:03"
    now = datetime.now(UTC).replace(microsecond=0)
    if store_url.startswith("sqlite"):
        now = now.replace(tzinfo=None)  # the store keeps naive UTC text on SQLite
    cipher = Cipher(parse_key(store_key, "test"), "test")
    old_ct = "ct-aabbcc000001-20261205"
    engine = create_engine(store_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
            rows = [
                ("alice", "user", None, None),
                (kiosk, "mac", None, None),
                ("K7QXM3PART", "voucher", mac, None),
                (old_ct, "clickthrough", mac, cipher.encrypt(old_ct, "ct-secret")),
            ]
            for name, kind, bound, enc in rows:
                conn.execute(
                    text(
                        "INSERT INTO subscribers (username, kind, plan, enabled, password_enc, "
                        "bound_mac, shared, created_at, valid_until) VALUES (:u, :k, 'gratis', "
                        ":e, :p, :b, :s, :c, :v)"
                    ),
                    {
                        "u": name,
                        "k": kind,
                        "e": True,
                        "p": enc,
                        "b": bound,
                        "s": False,
                        "c": now,
                        "v": now + timedelta(hours=5) if kind == "clickthrough" else None,
                    },
                )
            for sid, user, device in (("s1", old_ct, mac), ("s2", "alice", other)):
                conn.execute(
                    text(
                        "INSERT INTO acct_sessions (username, nas_ip, acct_session_id, mac, "
                        "started_at, updated_at, stale_at, session_time, input_octets, "
                        "output_octets, input_packets, output_packets, interim_interval) "
                        "VALUES (:u, '127.0.0.1', :s, :m, :t, :t, :t, 60, 1, 1, 1, 1, 300)"
                    ),
                    {"u": user, "s": sid, "m": device, "t": now},
                )
            conn.execute(
                text(
                    "INSERT INTO admissions (username, device, created_at, expires_at) "
                    "VALUES ('alice', :d, :t, :t)"
                ),
                {"d": other, "t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO usage_totals (username, seconds, octets, sessions, updated_at) "
                    "VALUES (:u, 5, 5, 1, :t)"
                ),
                {"u": old_ct, "t": now},
            )
    finally:
        engine.dispose()
    with Store.open(store_url, keys=store_keys()) as store:
        engine = create_engine(store_url)
        try:
            with engine.connect() as conn:
                dumped = " ".join(
                    str(value)
                    for table in ("subscribers", "acct_sessions", "admissions", "usage_totals")
                    for row in conn.execute(text(f"SELECT * FROM {table}")).all()
                    for value in row
                ).lower()
        finally:
            engine.dispose()
        for clear in (mac, kiosk, other, "aabbcc00000"):
            assert clear not in dumped, clear
        device = store.mac_pseudonym(mac)
        kiosk_entry = store.lookup(kiosk.upper())
        assert kiosk_entry is not None and kiosk_entry.kind == "mac"
        voucher = store.lookup("K7QX-M3PA-RT")
        assert voucher is not None and voucher.bound_mac == device
        ct_name = store.clickthrough_name(mac, datetime(2026, 12, 5).date())
        allowance = store.lookup(ct_name or "")
        assert allowance is not None and allowance.bound_mac == device
        assert store.check_password(allowance, "ct-secret")  # re-encrypted under its new name
        assert {s.acct_session_id for s in store.sessions(mac=mac)} == {"s1"}
        assert {s.acct_session_id for s in store.sessions(mac=other)} == {"s2"}
        assert store.usage(ct_name or "").seconds >= 5  # its purged total followed the rename


def test_voucher_name_migration_renames_every_voucher_and_its_records(
    store_url: str, store_key: str
) -> None:
    """A database from before 0009_voucher_names, where a voucher's user name was its code,
    comes out with the derived name in the voucher row, its sessions, admissions and usage
    totals, the code nowhere in clear, and the voucher still found by its code."""
    from datetime import UTC, datetime

    code, bare = "K7QX-M3PA-RT", "K7QXM3PART"
    now = datetime.now(UTC).replace(microsecond=0)
    if store_url.startswith("sqlite"):
        now = now.replace(tzinfo=None)
    tables = ("subscribers", "acct_sessions", "admissions", "usage_totals")
    engine = create_engine(store_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0008_notice_acceptance")
            conn.execute(
                text(
                    "INSERT INTO subscribers (username, kind, plan, enabled, shared, created_at) "
                    "VALUES (:u, 'voucher', 'gratis', :e, :s, :c)"
                ),
                {"u": bare, "e": True, "s": False, "c": now},
            )
            conn.execute(
                text(
                    "INSERT INTO acct_sessions (username, nas_ip, acct_session_id, started_at, "
                    "updated_at, stale_at, session_time, input_octets, output_octets, "
                    "input_packets, output_packets, interim_interval) "
                    "VALUES (:u, '127.0.0.1', 's1', :t, :t, :t, 60, 1, 1, 1, 1, 300)"
                ),
                {"u": bare, "t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO admissions (username, device, created_at, expires_at) "
                    "VALUES (:u, 'mac~aaaaaaaaaaaaa', :t, :t)"
                ),
                {"u": bare, "t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO usage_totals (username, seconds, octets, sessions, updated_at) "
                    "VALUES (:u, 5, 5, 1, :t)"
                ),
                {"u": bare, "t": now},
            )
    finally:
        engine.dispose()

    def dump() -> str:
        engine = create_engine(store_url)
        try:
            with engine.connect() as conn:
                return " ".join(
                    str(value)
                    for table in tables
                    for row in conn.execute(text(f"SELECT * FROM {table}")).all()
                    for value in row
                )
        finally:
            engine.dispose()

    with Store.open(store_url, keys=store_keys()) as store:
        name = store.voucher_name(code)
        assert name is not None
        dumped = dump()
        assert bare not in dumped and code not in dumped
        assert dumped.count(name) == 4, "the voucher row, its session, admission and total"
        voucher = store.lookup(code.lower())
        assert voucher is not None and voucher.username == name
        assert store.voucher_code(voucher) == code  # kept encrypted, for printing again
        assert [s.acct_session_id for s in store.sessions(username=code)] == ["s1"]
        assert store.usage(name).seconds >= 5
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            config.attributes["keys"] = store_keys()  # the operator's key, as the store had
            command.downgrade(config, "0008_notice_acceptance")
    finally:
        engine.dispose()
    assert dump().count(bare) == 4, "a downgrade gives the code back as the name"
