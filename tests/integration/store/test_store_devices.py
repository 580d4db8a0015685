"""Bindings that follow a phone to a new private MAC, on SQLite and PostgreSQL: a move,
its limit (which holds when many portal threads move one voucher at once), the private
marks, and a data subject's export and erasure of both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from netops.store import Store

NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
DAY = timedelta(hours=24)
MACS = [f"02:00:5e:00:00:{n:02x}" for n in range(1, 40)]


def _move(store: Store, name: str, mac: str, now: datetime = NOW, limit: int = 3) -> str:
    return store.rebind(name, mac, now=now, limit=limit, window=DAY, via="code").outcome


def test_a_voucher_moves_to_a_new_device_up_to_the_limit(store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    name = store.claim_voucher(code, MACS[0], NOW).username
    assert _move(store, name, MACS[0]) == "same"
    assert [_move(store, name, m) for m in MACS[1:5]] == ["moved", "moved", "moved", "limit"]
    sub = store.lookup(name)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(MACS[3])
    refused = store.rebind(name, MACS[9], now=NOW, limit=3, window=DAY, via="code")
    assert refused.moves == 3 and 0 < refused.retry_after_s <= DAY.total_seconds() + 1
    assert _move(store, name, MACS[9], NOW + DAY + timedelta(seconds=1)) == "moved"
    assert store.rebinds(name, NOW - DAY) == 4


def test_a_shared_voucher_and_an_unknown_name_have_nothing_to_move(store: Store) -> None:
    shared = store.create_vouchers("gratis", 1, shared=True)[0]
    assert _move(store, store.claim_voucher(shared, MACS[0], NOW).username, MACS[1]) == "none"
    assert _move(store, "NOSUCHCODE", MACS[1]) == "none"
    assert _move(store, "someone", "not a mac") == "none"


def test_concurrent_moves_of_one_voucher_stay_within_the_limit(store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    name = store.claim_voucher(code, MACS[0], NOW).username
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda m: _move(store, name, m), MACS[1:25]))
    assert outcomes.count("moved") == 3 and outcomes.count("limit") == 21
    assert store.rebinds(name, NOW - DAY) == 3


def test_private_marks_hold_only_locally_administered_macs(store: Store) -> None:
    assert store.note_private("DA:A1:19:12:34:56", NOW)
    assert not store.note_private("00:1A:2B:12:34:56", NOW)
    assert store.note_private("da-a1-19-12-34-56", NOW + timedelta(hours=1))  # seen again
    private = store.mac_pseudonym("da:a1:19:12:34:56")
    universal = store.mac_pseudonym("00:1a:2b:12:34:56")
    assert private is not None and universal is not None
    assert store.private_devices([private, universal, ""]) == {private}
    assert store.purge_device_records(NOW + timedelta(hours=2)) == 1
    assert store.private_devices([private]) == set()


def test_a_data_subject_s_moves_and_mark_are_exported_and_erased(store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    name = store.claim_voucher(code, MACS[0], NOW).username
    _move(store, name, MACS[1])
    store.note_private(MACS[1], NOW)
    subject = store.subject(user=code)
    exported = store.subject_data(subject)
    assert [r["username"] for r in exported["device_rebinds"]] == [name]
    mine = store.subject(mac=MACS[1])
    assert len(store.subject_data(mine)["private_macs"]) == 1
    erased = store.erase(subject, hold_after=NOW)
    assert erased.deleted["device_rebinds"] == 1
    assert store.erase(mine, hold_after=NOW).deleted["private_macs"] == 1
    assert store.rebinds(name, NOW - DAY) == 0
