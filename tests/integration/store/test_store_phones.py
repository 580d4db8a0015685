"""The phone sign-up's store on SQLite and PostgreSQL: codes hashed, tries, expiry, send
limits that hold when many portal threads ask at once, blocks, the account of a number."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, text

from netops.store import Store
from netops.store.phones import PhoneLimits

NUMBER = "+6281234567890"
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
LIMITS = PhoneLimits()


def _issue(store: Store, device: str = "dev-1", now: datetime = NOW) -> str | None:
    return store.issue_phone_code(
        NUMBER, device=device, hotspot="lab-park", now=now, limits=LIMITS
    ).code


def test_a_code_is_right_once_and_only_within_its_lifetime(store: Store) -> None:
    code = _issue(store)
    assert code is not None and len(code) == 6 and code.isdigit()
    assert store.check_phone_code(NUMBER, code, NOW + timedelta(minutes=4)) == "ok"
    assert store.check_phone_code(NUMBER, code, NOW + timedelta(minutes=4)) == "none"
    late = _issue(store, "dev-2")
    assert late is not None
    assert store.check_phone_code(NUMBER, late, NOW + timedelta(minutes=5)) == "expired"


def test_three_wrong_codes_spend_it(store: Store) -> None:
    code = _issue(store)
    assert code is not None
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    results = [store.check_phone_code(NUMBER, wrong, NOW) for _ in range(3)]
    assert results == ["wrong", "wrong", "spent"]
    assert store.check_phone_code(NUMBER, code, NOW) == "spent"


def test_concurrent_sends_to_one_number_stay_within_the_hourly_limit(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(lambda i: _issue(store, f"dev-{i}"), range(24)))
    assert sum(c is not None for c in codes) == LIMITS.per_number_hour
    assert store.phone_sends(NUMBER, NOW - timedelta(hours=1)) == LIMITS.per_number_hour


def test_limits_per_device_and_per_day(store: Store) -> None:
    for n in range(5):
        issue = store.issue_phone_code(
            f"+62812345678{n:02d}", device="one-phone", hotspot="lab-park", now=NOW, limits=LIMITS
        )
        assert (issue.code is not None) == (n < LIMITS.per_device_hour)
        if issue.code is None:
            assert issue.refused == "device" and 0 < issue.retry_after_s <= 3600
    sent = 0
    for hour in range(6):
        for i in range(3):
            sent += (
                _issue(store, f"d{hour}-{i}", NOW + timedelta(hours=hour, minutes=1)) is not None
            )
    assert sent == LIMITS.per_number_day


def test_numbers_and_codes_are_stored_as_keyed_hashes_only(store: Store, store_url: str) -> None:
    code = _issue(store)
    store.block_phone("+6285711112222", "+62857*****222", "abuse")
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = [
                str(tuple(r))
                for table in ("phone_codes", "phone_sends", "phone_blocks")
                for r in conn.execute(text(f"SELECT * FROM {table}"))
            ]
    finally:
        engine.dispose()
    dump = "\n".join(rows)
    assert code is not None and f"'{code}'" not in dump
    assert "81234567890" not in dump and "85711112222" not in dump


def test_a_blocked_number_gets_no_code_and_its_live_code_stops_working(store: Store) -> None:
    code = _issue(store)
    assert code is not None
    assert store.block_phone(NUMBER, "+62812*****890") is True
    assert store.block_phone(NUMBER, "+62812*****890") is False
    assert store.check_phone_code(NUMBER, code, NOW) == "blocked"
    assert (
        store.issue_phone_code(NUMBER, device="x", hotspot="h", now=NOW, limits=LIMITS).refused
        == "blocked"
    )
    assert [b.hint for b in store.list_phone_blocks()] == ["+62812*****890"]
    assert store.unblock_phone(NUMBER) and not store.unblock_phone(NUMBER)
    assert _issue(store, "y") is not None


def test_the_account_of_a_number_gets_a_fresh_password_each_time(store: Store) -> None:
    name, first = store.phone_account(NUMBER, "gratis")
    _, second = store.phone_account(NUMBER, "gratis")
    assert name == NUMBER and first != second
    sub = store.lookup(NUMBER)
    assert sub is not None and sub.kind == "user" and sub.clear_password == second
    assert not store.check_password(sub, first)
