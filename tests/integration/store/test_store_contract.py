"""The store contract the RADIUS server and the portal rely on, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import AccountingRecord, Store
from netops.store.codes import VOUCHER_ALPHABET
from netops.store.migrate import head_revision

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
MAC = "aa:bb:cc:00:00:01"
OTHER_MAC = "aa:bb:cc:00:00:02"


def record(
    status: str = "start",
    *,
    username: str = "alice",
    sid: str = "S1",
    nas: str = "127.0.0.1",
    at: datetime = T0,
    session_time: int = 0,
    octets_in: int = 0,
    octets_out: int = 0,
    mac: str | None = MAC,
    hotspot: str | None = "lab-park",
    interval: int = 300,
    cause: str | None = None,
) -> AccountingRecord:
    return acct_record(
        status=status,
        nas_ip=nas,
        nas_identifier="lab-hs-01",
        username=username,
        acct_session_id=sid,
        hotspot=hotspot,
        mac=mac,
        ip="10.254.200.10",
        session_time=session_time,
        input_octets=octets_in,
        output_octets=octets_out,
        input_packets=octets_in // 1000,
        output_packets=octets_out // 1000,
        terminate_cause=cause,
        interim_interval=interval,
        event_time=at,
    )


def raw_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


# --- users ------------------------------------------------------------------------------------


def test_chap_user_is_found_with_its_clear_password(store: Store) -> None:
    store.add_user("alice", "rahasia-123", "gratis", note="staff")
    sub = store.lookup("alice")
    assert sub is not None
    assert (sub.kind, sub.plan, sub.enabled, sub.chap_capable) == ("user", "gratis", True, True)
    assert sub.clear_password == "rahasia-123"
    assert sub.note == "staff"
    assert store.check_password(sub, "rahasia-123")
    assert not store.check_password(sub, "rahasia-124")
    assert "rahasia" not in repr(sub)


def test_chap_password_is_encrypted_at_rest(store: Store, store_url: str) -> None:
    store.add_user("alice", "rahasia-123", "gratis")
    (stored,) = raw_rows(store_url, "SELECT password_enc, password_hash FROM subscribers")
    assert stored[1] is None
    assert isinstance(stored[0], str) and stored[0].startswith("aesgcm$")
    assert "rahasia" not in stored[0]


def test_pap_only_user_keeps_only_a_slow_hash(store: Store, store_url: str) -> None:
    store.add_user("bob", "kata-sandi", "pegawai", chap=False)
    sub = store.lookup("bob")
    assert sub is not None
    assert not sub.chap_capable and sub.clear_password is None
    assert store.check_password(sub, "kata-sandi")
    assert not store.check_password(sub, "kata-sandI")
    (stored,) = raw_rows(store_url, "SELECT password_enc, password_hash FROM subscribers")
    assert stored[0] is None
    assert isinstance(stored[1], str) and stored[1].startswith("scrypt$")
    assert "kata-sandi" not in stored[1]


def test_adding_an_existing_user_is_a_clear_error_and_keeps_the_first(store: Store) -> None:
    store.add_user("alice", "first", "gratis")
    with pytest.raises(StoreError, match="user 'alice' already exists"):
        store.add_user("alice", "second", "pegawai")
    sub = store.lookup("alice")
    assert sub is not None and sub.clear_password == "first" and sub.plan == "gratis"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "pw", "user name"),
        (" alice", "pw", "user name"),
        ("alice", "", "password"),
        ("alice", "x" * 129, "password"),
        ("AA-BB-CC-DD-EE-FF", "pw", "MAC address"),
    ],
)
def test_invalid_users_are_refused(
    store: Store, username: str, password: str, message: str
) -> None:
    with pytest.raises(StoreError, match=message):
        store.add_user(username, password, "gratis")
    assert store.list_users() == []


def test_deleting_a_user(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    assert store.delete_user("alice") is True
    assert store.delete_user("alice") is False
    assert store.lookup("alice") is None


def test_users_are_listed_by_name_without_secrets(store: Store) -> None:
    store.add_user("zaki", "pw1", "gratis")
    store.add_user("ani", "pw2", "pegawai", chap=False)
    users = store.list_users()
    assert [u.username for u in users] == ["ani", "zaki"]
    assert all(u.clear_password is None for u in users)
    assert [u.chap_capable for u in users] == [False, True]


def test_a_different_store_key_cannot_read_passwords(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(store_url, keys=store_keys()) as first:
        first.add_user("alice", "pw", "gratis")
    from netops.store.credentials import generate_key

    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    with (
        Store.open(store_url, keys=store_keys()) as second,
        pytest.raises(StoreError, match="store key"),
    ):
        second.lookup("alice")


def test_disabling_a_subscriber(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    assert store.set_enabled("alice", False)
    sub = store.lookup("alice")
    assert sub is not None and not sub.enabled
    assert store.set_enabled("alice", True)
    sub = store.lookup("alice")
    assert sub is not None and sub.enabled


# --- vouchers ---------------------------------------------------------------------------------


def test_vouchers_are_grouped_codes_without_look_alikes(store: Store) -> None:
    codes = store.create_vouchers("voucher-harian", 50, batch="event-1")
    assert len(codes) == len(set(codes)) == 50
    for code in codes:
        assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2}", code), code
        assert set(code.replace("-", "")) <= set(VOUCHER_ALPHABET)
    listed = store.list_vouchers(batch="event-1")
    # Listed by their derived names; the codes come back only from the encrypted copy.
    assert {v.username for v in listed} == {store.voucher_name(c) for c in codes}
    assert all(re.fullmatch(r"v-[a-z2-7]{13}", v.username) for v in listed)
    assert {store.voucher_code(v) for v in listed} == set(codes)
    assert all(v.kind == "voucher" and v.plan == "voucher-harian" for v in listed)
    assert store.list_vouchers(batch="other") == []


def test_a_voucher_is_found_however_it_is_typed(store: Store) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", " ").lower()):
        sub = store.lookup(typed)
        assert sub is not None and sub.username == store.voucher_name(code), typed
        assert store.check_password(sub, typed)
    assert sub is not None
    # Its CHAP password is the hand-off password derived from its name, never the code.
    assert sub.chap_capable and sub.clear_password == store.voucher_handoff(sub.username)
    assert code.replace("-", "") not in (sub.username.upper(), sub.clear_password.upper())
    assert store.check_password(sub, sub.clear_password)
    assert store.lookup(sub.username) == sub
    assert not store.check_password(sub, "ABCD-EFGH-JK")
    assert not store.check_password(sub, sub.username)


def test_voucher_validity_counts_from_first_use_and_binds_the_first_device(
    store: Store,
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1, validity_s=86400)
    fresh = store.lookup(code)
    assert fresh is not None and fresh.first_used_at is None and fresh.valid_until is None
    claimed = store.claim_voucher(code.lower(), "AA-BB-CC-00-00-01", T0)
    assert claimed.first_used_at == T0
    assert claimed.valid_until == T0 + timedelta(days=1)
    assert claimed.bound_mac == store.mac_pseudonym(MAC) != MAC
    again = store.claim_voucher(code, OTHER_MAC, T0 + timedelta(hours=3))
    assert again == claimed
    assert claimed.expired(T0 + timedelta(days=1))
    assert not claimed.expired(T0 + timedelta(hours=23))


def test_a_shared_voucher_binds_no_device(store: Store) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1, shared=True)
    claimed = store.claim_voucher(code, MAC, T0)
    assert claimed.shared and claimed.bound_mac is None and claimed.valid_until is None


def test_claiming_an_unknown_voucher_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="voucher ABCD-EFGH-JK does not exist"):
        store.claim_voucher("abcd-efgh-jk", MAC, T0)


def test_a_revoked_voucher_stays_disabled(store: Store) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    assert store.revoke_voucher(code.lower())
    assert store.revoke_voucher(code)
    sub = store.lookup(code)
    assert sub is not None and not sub.enabled
    assert store.claim_voucher(code, MAC, T0).enabled is False
    assert not store.revoke_voucher("ABCD-EFGH-JK")


@pytest.mark.parametrize("count", [0, -1, 10_001])
def test_voucher_count_out_of_range_is_refused(store: Store, count: int) -> None:
    with pytest.raises(StoreError, match="voucher count"):
        store.create_vouchers("gratis", count)
    assert store.list_vouchers() == []


# --- MAC allow-list and click-through ---------------------------------------------------------


def test_mac_allow_list_takes_any_spelling(store: Store) -> None:
    store.add_mac("AA-BB-CC-00-00-01", "pegawai", note="kiosk")
    device = store.mac_pseudonym(MAC)
    assert device is not None and device.startswith("mac~")
    for spelling in ("aa:bb:cc:00:00:01", "AABBCC000001", "aabb.cc00.0001"):
        sub = store.lookup(spelling)
        assert sub is not None and sub.username == device and sub.kind == "mac", spelling
    with pytest.raises(StoreError, match="already exists"):
        store.add_mac(MAC, "pegawai")
    assert [m.username for m in store.list_macs()] == [device]
    assert store.delete_mac("AABBCC000001")
    assert not store.delete_mac(MAC)
    assert store.lookup(MAC) is None


def test_an_invalid_mac_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="not a MAC address"):
        store.add_mac("aa:bb:cc", "pegawai")


def test_clickthrough_is_one_allowance_per_device_per_day(store: Store) -> None:
    day = date(2026, 11, 22)
    first = store.create_clickthrough("AA:BB:CC:00:00:01", "lab-park", "gratis", day)
    assert store.create_clickthrough(MAC, "lab-park", "gratis", day) == first
    other_day = store.create_clickthrough(MAC, "lab-park", "gratis", day + timedelta(days=1))
    other_device = store.create_clickthrough(OTHER_MAC, "lab-park", "gratis", day)
    assert len({first[0], other_day[0], other_device[0]}) == 3
    sub = store.lookup(first[0])
    assert sub is not None
    assert (sub.kind, sub.hotspot, sub.bound_mac) == (
        "clickthrough",
        "lab-park",
        store.mac_pseudonym(MAC),
    )
    assert sub.clear_password == first[1] and store.check_password(sub, first[1])
    assert sub.valid_until == datetime(2026, 11, 23, tzinfo=UTC)


def test_rotating_a_clickthrough_changes_only_its_password(store: Store) -> None:
    day = date(2026, 11, 22)
    username, old = store.create_clickthrough(MAC, "lab-park", "gratis", day)
    other = store.create_clickthrough(OTHER_MAC, "lab-park", "gratis", day)
    again, new = store.create_clickthrough(MAC, "lab-park", "gratis", day, rotate=True)
    assert again == username and new != old
    sub = store.lookup(username)
    assert sub is not None and sub.valid_until == datetime(2026, 11, 23, tzinfo=UTC)
    assert store.check_password(sub, new) and not store.check_password(sub, old)
    assert store.create_clickthrough(MAC, "lab-park", "gratis", day) == (username, new)
    assert store.create_clickthrough(OTHER_MAC, "lab-park", "gratis", day) == other
    fresh = store.create_clickthrough(
        MAC, "lab-park", "gratis", day + timedelta(days=1), rotate=True
    )
    assert fresh[0] != username and store.counts()["clickthrough"] == 3


# --- accounting -------------------------------------------------------------------------------


def test_start_creates_a_session_and_a_retransmission_changes_nothing(store: Store) -> None:
    first = store.account(record("start"))
    again = store.account(record("start"))
    assert again == first
    assert first.active and first.started_at == T0 and first.username == "alice"
    assert (first.mac, first.ip, first.hotspot) == (
        store.mac_pseudonym(MAC),
        "10.254.200.10",
        "lab-park",
    )
    assert len(store.sessions()) == 1


def test_interim_updates_counters_and_never_lowers_them(store: Store) -> None:
    store.account(record("start"))
    later = store.account(
        record("interim", at=T0 + timedelta(minutes=10), session_time=600, octets_in=5000)
    )
    assert (later.session_time, later.input_octets) == (600, 5000)
    late_older = store.account(
        record("interim", at=T0 + timedelta(minutes=5), session_time=300, octets_in=2500)
    )
    assert (late_older.session_time, late_older.input_octets) == (600, 5000)
    assert late_older.updated_at == T0 + timedelta(minutes=10)


def test_stop_closes_and_a_late_interim_does_not_reopen(store: Store) -> None:
    store.account(record("start"))
    stopped = store.account(
        record(
            "stop",
            at=T0 + timedelta(minutes=20),
            session_time=1200,
            octets_out=9000,
            cause="User-Request",
        )
    )
    assert not stopped.active and stopped.stopped_at == T0 + timedelta(minutes=20)
    assert stopped.terminate_cause == "User-Request"
    late = store.account(record("interim", at=T0 + timedelta(minutes=15), session_time=900))
    assert late.stopped_at == stopped.stopped_at and late.session_time == 1200
    assert store.open_sessions("alice") == []


def test_gigaword_sized_counters_are_kept_exactly(store: Store) -> None:
    big_in, big_out = (3 << 32) | 17, (70 << 32) | 123_456
    s = store.account(record("interim", session_time=60, octets_in=big_in, octets_out=big_out))
    assert (s.input_octets, s.output_octets) == (big_in, big_out)
    assert store.usage("alice").octets == big_in + big_out


def test_interim_or_stop_without_start_creates_the_session(store: Store) -> None:
    s = store.account(record("interim", sid="lost", at=T0, session_time=120))
    assert s.active and s.started_at == T0 - timedelta(seconds=120)
    stop = store.account(record("stop", sid="lost-too", at=T0, session_time=60))
    assert not stop.active and stop.started_at == T0 - timedelta(seconds=60)


def test_sessions_are_keyed_by_nas_session_id_and_user(store: Store) -> None:
    store.account(record("start", nas="127.0.0.1"))
    store.account(record("start", nas="127.0.0.2"))
    store.account(record("start", username="bob"))
    assert len(store.sessions()) == 3
    assert store.session("S1", "127.0.0.2") is not None
    assert store.session("S1", "127.0.0.3") is None


def test_accounting_uses_the_stored_spelling_of_voucher_and_mac_names(store: Store) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    store.add_mac(MAC, "pegawai")
    store.account(record("start", username=code.lower(), sid="v"))
    store.account(record("start", username="AA-BB-CC-00-00-01", sid="m"))
    assert [s.acct_session_id for s in store.open_sessions(code)] == ["v"]
    assert [s.acct_session_id for s in store.open_sessions(MAC)] == ["m"]
    assert store.sessions(username=code.lower())[0].username == store.voucher_name(code)


def test_usage_adds_closed_and_open_sessions(store: Store) -> None:
    store.account(record("stop", sid="a", at=T0, session_time=600, octets_in=100, octets_out=900))
    store.account(
        record(
            "interim",
            sid="b",
            at=T0 + timedelta(hours=1),
            session_time=300,
            octets_in=10,
            octets_out=40,
        )
    )
    store.account(record("start", sid="c", username="bob"))
    assert store.usage("alice") == store.usage("alice", None)
    usage = store.usage("alice")
    assert (usage.seconds, usage.octets, usage.sessions) == (900, 1050, 2)
    assert store.usage("nobody").sessions == 0


def test_usage_since_counts_only_time_inside_the_window(store: Store) -> None:
    # 07:50-08:00 closed before the window; 07:30-08:30 crosses it; 09:00-09:10 inside.
    store.account(record("stop", sid="before", at=T0, session_time=600, octets_in=1))
    store.account(
        record("stop", sid="cross", at=T0 + timedelta(minutes=30), session_time=3600, octets_in=20)
    )
    store.account(
        record(
            "stop",
            sid="inside",
            at=T0 + timedelta(hours=1, minutes=10),
            session_time=600,
            octets_in=300,
        )
    )
    usage = store.usage("alice", since=T0 + timedelta(seconds=1))
    assert usage.sessions == 2
    assert usage.seconds == (30 * 60 - 1) + 600
    assert usage.octets == 320


def test_auth_view_reads_what_lookup_usage_and_open_sessions_read(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    since = T0 + timedelta(seconds=1)
    store.account(record("stop", sid="before", at=T0, session_time=600, octets_in=1))
    store.account(
        record("stop", sid="cross", at=T0 + timedelta(minutes=30), session_time=3600, octets_in=20)
    )
    store.account(record("start", sid="open-2", at=T0 + timedelta(hours=2), mac=OTHER_MAC))
    store.account(record("interim", sid="open-1", at=T0 + timedelta(hours=1), session_time=60))
    store.account(record("start", sid="bob-1", username="bob", at=T0 + timedelta(hours=1)))
    view = store.auth_view("alice", since)
    assert view is not None
    assert view.subscriber == store.lookup("alice")
    assert view.today == store.usage("alice", since)
    assert view.today.sessions == 3
    assert list(view.open_sessions) == store.open_sessions("alice")
    assert [s.acct_session_id for s in view.open_sessions] == ["open-1", "open-2"]

    store.add_user("carol", "pw", "gratis")  # no sessions at all
    quiet = store.auth_view("carol", since)
    assert quiet is not None and quiet.today.sessions == 0 and quiet.open_sessions == ()

    store.add_mac("AA-BB-CC-00-00-09", "pegawai")
    (code,) = store.create_vouchers("voucher-harian", 1)
    for typed in ("AABBCC000009", "aabb.cc00.0009", code.lower(), code.replace("-", " ")):
        found = store.auth_view(typed, since)
        assert found is not None and found.subscriber == store.lookup(typed), typed
    for unknown in ("nobody", "", "a\x00b", "x" * 300):
        assert store.auth_view(unknown, since) is None, unknown


def test_auth_view_never_answers_from_an_old_read(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    first = store.auth_view("alice", T0)
    assert first is not None and first.subscriber.enabled
    assert store.set_enabled("alice", False)
    second = store.auth_view("alice", T0)
    assert second is not None and not second.subscriber.enabled
    store.set_password("alice", "new")
    third = store.auth_view("alice", T0)
    assert third is not None and third.subscriber.clear_password == "new"


def test_accounting_on_off_closes_only_that_nas(store: Store) -> None:
    store.account(record("start", sid="a", nas="127.0.0.1"))
    store.account(record("start", sid="b", nas="127.0.0.1", username="bob"))
    store.account(record("start", sid="c", nas="127.0.0.2"))
    at = T0 + timedelta(minutes=7)
    assert store.close_nas_sessions("127.0.0.1", at, "NAS-Reboot") == 2
    assert store.close_nas_sessions("127.0.0.1", at, "NAS-Reboot") == 0
    closed = store.sessions(active=False)
    assert {s.acct_session_id for s in closed} == {"a", "b"}
    assert all(s.stopped_at == at and s.terminate_cause == "NAS-Reboot" for s in closed)
    assert all(s.session_time == 7 * 60 for s in closed)
    assert [s.acct_session_id for s in store.sessions(active=True)] == ["c"]


def test_accounting_on_counts_the_time_since_the_last_interim(store: Store) -> None:
    store.account(record("start", sid="cut"))
    store.account(record("interim", sid="cut", at=T0 + timedelta(seconds=60), session_time=60))
    at = T0 + timedelta(seconds=69)
    assert store.close_nas_sessions("127.0.0.1", at, "NAS-Reboot") == 1
    (closed,) = store.sessions(active=False)
    assert (closed.stopped_at, closed.session_time) == (at, 69)
    assert store.usage("alice", T0).seconds == 69


def test_accounting_on_after_a_long_silence_counts_only_to_the_stale_limit(store: Store) -> None:
    store.account(record("start", sid="off", interval=300))
    store.account(record("interim", sid="off", at=T0 + timedelta(seconds=60), session_time=60))
    store.close_nas_sessions("127.0.0.1", T0 + timedelta(days=1), "NAS-Reboot")
    (closed,) = store.sessions(active=False)
    assert closed.stopped_at == T0 + timedelta(seconds=60 + 3 * 300)
    assert closed.session_time == 60 + 3 * 300


def test_closing_never_lowers_the_time_the_nas_reported(store: Store) -> None:
    store.account(record("start", sid="fast"))
    store.account(record("interim", sid="fast", at=T0 + timedelta(seconds=60), session_time=500))
    store.close_nas_sessions("127.0.0.1", T0 + timedelta(seconds=61), "NAS-Reboot")
    (closed,) = store.sessions(active=False)
    assert closed.session_time == 500


def test_an_interim_never_moves_the_start_back(store: Store) -> None:
    store.account(record("start", sid="s"))
    after = store.account(
        record("interim", sid="s", at=T0 + timedelta(seconds=10), session_time=3600)
    )
    assert after.started_at == T0 and after.session_time == 3600
    # a session whose Start was lost keeps the start its first interim implied
    first = store.account(
        record("interim", sid="lost", at=T0 + timedelta(seconds=600), session_time=600)
    )
    again = store.account(
        record("interim", sid="lost", at=T0 + timedelta(seconds=900), session_time=1200)
    )
    assert first.started_at == again.started_at == T0


def test_sessions_silent_for_three_intervals_are_closed_as_stale(store: Store) -> None:
    minute = timedelta(minutes=1)
    store.account(record("start", sid="quiet", interval=60))
    store.account(record("interim", sid="quiet", at=T0 + minute, session_time=60, interval=60))
    store.account(record("start", sid="chatty", interval=60))
    store.account(
        record("interim", sid="chatty", at=T0 + 3 * minute, session_time=180, interval=60)
    )
    assert store.close_stale(T0 + timedelta(minutes=3, seconds=59)) == []
    closed = store.close_stale(T0 + timedelta(minutes=4, seconds=1))
    assert [s.acct_session_id for s in closed] == ["quiet"]
    # it ends when it went stale (last update + 3 intervals), its time counted up to then
    assert closed[0].stopped_at == T0 + timedelta(minutes=4)
    assert closed[0].session_time == 4 * 60
    assert closed[0].terminate_cause == "Stale-Session"
    assert store.session("quiet") == closed[0]
    assert [s.acct_session_id for s in store.open_sessions("alice")] == ["chatty"]


def test_sessions_filter_by_state_user_hotspot_time_and_limit(store: Store) -> None:
    store.account(record("stop", sid="old", at=T0 - timedelta(days=1), session_time=60))
    store.account(record("start", sid="park", at=T0))
    store.account(
        record("start", sid="market", at=T0 + timedelta(minutes=1), hotspot="pasar", username="bob")
    )
    assert [s.acct_session_id for s in store.sessions()] == ["market", "park", "old"]
    assert [s.acct_session_id for s in store.sessions(active=True)] == ["market", "park"]
    assert [s.acct_session_id for s in store.sessions(active=False)] == ["old"]
    assert [s.acct_session_id for s in store.sessions(username="alice")] == ["park", "old"]
    assert [s.acct_session_id for s in store.sessions(hotspot="pasar")] == ["market"]
    assert [s.acct_session_id for s in store.sessions(since=T0 - timedelta(hours=1))] == [
        "market",
        "park",
    ]
    assert len(store.sessions(limit=1)) == 1
    assert [s.acct_session_id for s in store.sessions(ip="10.254.200.10", active=True)] == [
        "market",
        "park",
    ]
    assert store.sessions(ip="10.254.200.99") == []
    assert len(store.sessions(mac="AA-BB-CC-00-00-01")) == 3
    found = store.session("park")
    assert found is not None and found.hotspot == "lab-park"
    assert store.session("nope") is None


def test_times_must_be_timezone_aware(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.account(replace(record("start"), event_time=datetime(2026, 11, 22, 8, 0)))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.usage("alice", since=datetime(2026, 11, 22))


def test_counters_beyond_their_range_are_clamped_not_crashing(store: Store) -> None:
    s = store.account(
        record("interim", octets_in=2**70, octets_out=-5, session_time=2**64, interval=2**40)
    )
    assert s.input_octets == 2**48 - 1 and s.output_octets == 0
    assert s.session_time == 2**32 - 1


def test_accounting_on_off_records_are_not_sessions(store: Store) -> None:
    with pytest.raises(ValueError, match="start/interim/stop"):
        store.account(record("on"))


# --- Simultaneous-Use admissions --------------------------------------------------------------


def test_admission_holds_a_slot_until_start_or_timeout(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    assert store.admit("alice", 1, mac=MAC, now=T0)
    assert not store.admit("alice", 1, mac=OTHER_MAC, now=T0 + timedelta(seconds=5))
    assert store.admit("alice", 1, mac=MAC, now=T0 + timedelta(seconds=6)), "same device"
    assert store.admit("alice", 1, mac=OTHER_MAC, now=T0 + timedelta(seconds=67)), "expired"


def test_open_sessions_count_against_admission(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    assert store.admit("alice", 2, mac=MAC, now=T0)
    store.account(record("start", mac=MAC))
    assert store.admit("alice", 2, mac=OTHER_MAC, now=T0)
    assert not store.admit("alice", 2, mac="aa:bb:cc:00:00:03", now=T0)
    store.account(record("stop", mac=MAC, at=T0 + timedelta(minutes=1), session_time=60))
    assert store.admit("alice", 2, mac="aa:bb:cc:00:00:03", now=T0 + timedelta(minutes=1))


def test_unknown_user_is_not_admitted(store: Store) -> None:
    assert not store.admit("ghost", 5, mac=MAC, now=T0)


# --- lifecycle --------------------------------------------------------------------------------


def test_reopening_keeps_data_and_does_not_migrate_again(store_url: str) -> None:
    with Store.open(store_url, keys=store_keys()) as first:
        first.add_user("alice", "pw", "gratis")
    with Store.open(store_url, keys=store_keys()) as second:
        sub = second.lookup("alice")
        assert sub is not None and sub.clear_password == "pw"
    (version,) = raw_rows(store_url, "SELECT version_num FROM alembic_version")
    assert version == (head_revision(),)


def test_many_threads_read_and_write_at_once(store: Store) -> None:
    import threading

    store.add_user("alice", "pw", "gratis")
    errors: list[BaseException] = []
    seen: list[int] = []

    def reader() -> None:
        try:
            for _ in range(100):
                sub = store.lookup("alice")
                assert sub is not None and sub.clear_password == "pw"
                seen.append(store.usage("alice").octets)
                store.open_sessions("alice")
        except BaseException as exc:  # collected for the main thread
            errors.append(exc)

    def writer() -> None:
        try:
            for step in range(1, 101):
                store.account(
                    record("interim", at=T0 + timedelta(seconds=step), octets_in=step * 10)
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    threads.append(threading.Thread(target=writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(seen) == 600 and all(0 <= octets <= 1000 for octets in seen)
    assert store.usage("alice").octets == 1000


def test_without_a_mac_the_nas_stands_in_for_the_device(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    assert store.admit("alice", 1, mac=None, now=T0, nas_ip="127.0.0.1")
    assert store.admit("alice", 1, mac=None, now=T0, nas_ip="127.0.0.1"), "same NAS again"
    assert not store.admit("alice", 1, mac=None, now=T0, nas_ip="127.0.0.2")
    store.account(record("start", mac=None, nas="127.0.0.1"))
    store.account(record("stop", mac=None, nas="127.0.0.1", at=T0 + timedelta(seconds=10)))
    assert store.admit("alice", 1, mac=None, now=T0 + timedelta(seconds=11), nas_ip="127.0.0.2")


# --- housekeeping -----------------------------------------------------------------------------


def test_purge_deletes_old_records_but_never_open_sessions_or_users(store: Store) -> None:
    day = timedelta(days=1)
    store.add_user("alice", "pw", "gratis")
    store.add_mac(MAC, "pegawai")
    store.account(record("stop", sid="old", at=T0 - 100 * day, session_time=60))
    store.account(record("stop", sid="recent", at=T0 - day, session_time=60))
    store.account(record("start", sid="open-long", at=T0 - 200 * day))
    store.create_clickthrough(OTHER_MAC, "lab-park", "gratis", (T0 - 100 * day).date())
    fresh_ct = store.create_clickthrough(OTHER_MAC, "lab-park", "gratis", T0.date())
    (unused,) = store.create_vouchers("gratis", 1)
    done = store.purge(T0 - 30 * day)
    assert (done.sessions, done.subscribers) == (1, 1)
    assert {s.acct_session_id for s in store.sessions()} == {"recent", "open-long"}
    for name in ("alice", MAC, fresh_ct[0], unused):
        assert store.lookup(name) is not None, name


def test_purged_sessions_still_count_towards_total_usage(store: Store) -> None:
    day = timedelta(days=1)
    store.add_user("alice", "pw", "kuota")
    store.account(record("stop", sid="old", at=T0 - 100 * day, session_time=60, octets_in=700))
    store.account(record("stop", sid="older", at=T0 - 90 * day, session_time=40, octets_in=300))
    store.account(record("stop", sid="recent", at=T0 - day, session_time=5, octets_out=20))
    # a name that is no subscriber (any more) leaves no total behind
    store.account(record("stop", sid="gone", username="ghost", at=T0 - 99 * day, octets_in=9))
    before = store.usage("alice")
    assert (before.seconds, before.octets, before.sessions) == (105, 1020, 3)
    assert store.purge(T0 - 30 * day).sessions == 3
    assert store.usage("alice") == before
    assert [s.acct_session_id for s in store.sessions(username="alice")] == ["recent"]
    # a second purge adds to the totals, never replaces them
    assert store.purge(T0).sessions == 1
    assert store.usage("alice") == before
    assert store.usage("ghost").octets == 0
    # the usage of today is the sessions themselves, untouched by totals
    assert store.usage("alice", T0 - 200 * day).octets == 0


def test_rekey_moves_passwords_to_the_new_key(
    store_url: str, monkeypatch: pytest.MonkeyPatch, store_key: str
) -> None:
    from netops.store.credentials import generate_key, parse_key

    with Store.open(store_url, keys=store_keys()) as first:
        first.add_user("alice", "rahasia", "gratis")
        first.add_user("bob", "pap", "gratis", chap=False)
        first.create_clickthrough(MAC, "lab-park", "gratis", T0.date())
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    with Store.open(store_url, keys=store_keys()) as second:
        assert second.rekey(parse_key(store_key, "old")) == 2
        assert second.rekey(parse_key(store_key, "old")) == 0, "already done"
        sub = second.lookup("alice")
        assert sub is not None and sub.clear_password == "rahasia"
        bob = second.lookup("bob")
        assert bob is not None and second.check_password(bob, "pap")


def test_rekey_with_the_wrong_old_key_changes_nothing(
    store_url: str, monkeypatch: pytest.MonkeyPatch, store_key: str
) -> None:
    from netops.store.credentials import generate_key, parse_key

    with Store.open(store_url, keys=store_keys()) as first:
        first.add_user("alice", "rahasia", "gratis")
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    with (
        Store.open(store_url, keys=store_keys()) as second,
        pytest.raises(StoreError, match="store key"),
    ):
        second.rekey(parse_key(generate_key(), "wrong"))
    monkeypatch.setenv("NETOPS_STORE_KEY", store_key)
    with Store.open(store_url, keys=store_keys()) as third:
        sub = third.lookup("alice")
        assert sub is not None and sub.clear_password == "rahasia"


def test_counts_summarise_the_store(store: Store) -> None:
    store.add_user("alice", "pw", "gratis")
    store.create_vouchers("gratis", 3)
    store.add_mac(MAC, "pegawai")
    store.account(record("start", sid="a"))
    store.account(record("stop", sid="b", session_time=5))
    assert store.counts() == {
        "user": 1,
        "voucher": 3,
        "mac": 1,
        "clickthrough": 0,
        "open_sessions": 1,
        "sessions": 2,
    }


# --- whatever a NAS sends ---------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.support.records import acct_record  # noqa: E402

nas_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), min_size=0, max_size=400
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    username=nas_text.filter(bool),
    sid=nas_text,
    nas_id=st.none() | nas_text,
    ip=st.none() | nas_text,
    mac=st.none() | nas_text,
    cause=st.none() | nas_text,
    status=st.sampled_from(["start", "interim", "stop"]),
    counters=st.integers(min_value=-(2**65), max_value=2**66),
)
def test_any_text_a_nas_sends_is_stored_or_refused_cleanly(
    store: Store,
    username: str,
    sid: str,
    nas_id: str | None,
    ip: str | None,
    mac: str | None,
    cause: str | None,
    status: str,
    counters: int,
) -> None:
    rec = acct_record(
        status=status,
        nas_ip="127.0.0.1",
        nas_identifier=nas_id,
        username=username,
        acct_session_id=sid,
        hotspot=nas_id,
        mac=mac,
        ip=ip,
        session_time=counters,
        input_octets=counters,
        output_octets=counters,
        input_packets=counters,
        output_packets=counters,
        terminate_cause=cause,
        interim_interval=counters,
        event_time=T0,
    )
    session = store.account(rec)
    assert store.account(rec) == session, "a retransmission changes nothing"
    assert session.input_octets >= 0 and "\x00" not in session.username
    assert store.lookup(username) is None
    usage = store.usage(username)
    assert usage.sessions >= 1
    assert store.open_sessions(username) is not None
    assert store.admit(username, 1, mac=mac, now=T0, nas_ip=nas_id) is False


def _connections(store_url: str) -> int:
    """Open connections to this database: backends on PostgreSQL, file handles on SQLite."""
    import os

    if store_url.startswith("sqlite"):
        path = store_url.removeprefix("sqlite:///")
        fds = os.listdir("/proc/self/fd")
        return sum(1 for fd in fds if os.path.realpath(f"/proc/self/fd/{fd}") == path)
    (row,) = raw_rows(
        store_url,
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE application_name = 'netops-store' AND datname = current_database()",
    )
    return int(str(row[0]))


def test_connections_of_finished_threads_are_released(store: Store, store_url: str) -> None:
    import gc
    import threading

    store.add_user("alice", "pw", "gratis")
    before = _connections(store_url)
    for _ in range(12):
        worker = threading.Thread(target=lambda: store.lookup("alice"))
        worker.start()
        worker.join()
    gc.collect()
    assert _connections(store_url) <= before + 1


def test_a_forked_child_uses_its_own_connections(store: Store) -> None:
    import multiprocessing

    store.add_user("alice", "pw", "gratis")
    assert store.lookup("alice") is not None
    store.account(record("start", sid="parent"))

    def child() -> None:
        assert store.lookup("alice") is not None
        store.account(record("start", sid="child"))
        assert len(store.list_users()) == 1
        store.close()

    proc = multiprocessing.get_context("fork").Process(target=child)
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0
    sub = store.lookup("alice")
    assert sub is not None and sub.clear_password == "pw"
    assert {s.acct_session_id for s in store.sessions()} == {"parent", "child"}
    store.account(record("interim", sid="parent", session_time=5))


def test_bulk_registration_is_all_or_nothing(store: Store) -> None:
    from netops.store import NewUser

    store.add_user("taken", "pw", "gratis")
    batch = [NewUser(f"staff{i}", f"pw{i}", "pegawai", chap=i % 2 == 0) for i in range(20)]
    with pytest.raises(StoreError, match="user 'taken' already exists; nothing was added"):
        store.add_users([*batch, NewUser("taken", "x", "gratis")])
    assert [u.username for u in store.list_users()] == ["taken"]
    with pytest.raises(StoreError, match="listed twice"):
        store.add_users([batch[0], batch[0]])
    with pytest.raises(StoreError, match="password"):
        store.add_users([NewUser("empty", "", "gratis")])
    assert store.add_users(batch) == 20
    one, two = store.lookup("staff0"), store.lookup("staff1")
    assert one is not None and one.clear_password == "pw0"
    assert two is not None and not two.chap_capable and store.check_password(two, "pw1")
    assert store.add_users([]) == 0


def test_a_new_sqlite_database_is_private_to_the_service(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "netops.db"
    with Store.open(f"sqlite:///{path}", keys=store_keys()) as store:
        store.add_user("alice", "pw", "gratis")
        for name in ("netops.db", "netops.db-wal", "netops.db-shm"):
            mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
            assert mode == 0o600, (name, oct(mode))


def test_a_device_that_holds_a_slot_is_readmitted_without_taking_the_lock(
    store: Store, store_url: str
) -> None:
    import threading

    from sqlalchemy import create_engine

    store.add_user("alice", "pw", "gratis")
    assert store.admit("alice", 1, mac=MAC, now=T0)
    store.add_user("bob", "pw", "gratis")
    store.account(record("start", username="bob", mac=OTHER_MAC))
    # Another server holds the write lock (SQLite) / alice's and bob's rows (PostgreSQL).
    engine = create_engine(store_url)
    conn = engine.connect()
    if store_url.startswith("sqlite"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("SELECT id FROM subscribers FOR UPDATE")
    answers: list[bool] = []
    try:
        worker = threading.Thread(
            target=lambda: answers.extend(
                [
                    store.admit("alice", 1, mac=MAC, now=T0 + timedelta(seconds=10)),
                    store.admit("bob", 1, mac=OTHER_MAC, now=T0 + timedelta(seconds=10)),
                ]
            )
        )
        worker.start()
        worker.join(5)
        assert answers == [True, True], "re-admission waited for the lock"
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()
        worker.join(30)


def test_a_user_name_of_only_nul_bytes_is_stored_empty(store: Store) -> None:
    session = store.account(record("start", username="\x00\x00"))
    assert session.username == "" and store.lookup("\x00\x00") is None
    assert store.usage("\x00").sessions == 1
