"""Authentication against FreeRADIUS's radclient: PAP, CHAP, platforms, hardening, drops."""

from __future__ import annotations

import concurrent.futures
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from radius_peers import STRICT_SECRET, RadiusProcess, ServerFactory, chap, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def server(
    module_inventory: Path,
    module_sqlite_url: str,
    open_store: Callable[[str], Store],
    module_server_factory: ServerFactory,
) -> RadiusProcess:
    """One server for the module; each test uses its own subscribers."""
    return module_server_factory(module_inventory, module_sqlite_url, "--reject-delay", "0.5")


@pytest.fixture
def store(server: RadiusProcess, open_store: Callable[[str], Store]) -> Store:
    return open_store(server.db)


@pytest.fixture
def alice(store: Store) -> str:
    """A fresh CHAP-capable user on the ``gratis`` plan (password s3cret)."""
    name = f"alice-{uuid.uuid4().hex[:8]}"
    store.add_user(name, "s3cret", "gratis")
    return name


@pytest.fixture
def budi(store: Store) -> str:
    """A fresh PAP-only user on the unlimited ``pegawai`` plan (password rahasia)."""
    name = f"budi-{uuid.uuid4().hex[:8]}"
    store.add_user(name, "rahasia", "pegawai", chap=False)
    return name


def test_pap_accept_carries_session_timeout_rate_limit_and_message_authenticator_first(
    server: RadiusProcess, alice: str
) -> None:
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"))
    assert reply.code == "Access-Accept", reply.output
    assert reply.order[0] == "Message-Authenticator"
    assert reply.attributes["Session-Timeout"] == ["7200"]
    assert reply.attributes["Idle-Timeout"] == ["600"]
    assert reply.attributes["Acct-Interim-Interval"] == ["300"]
    assert reply.attributes["Mikrotik-Rate-Limit"] == ["2M/5M"]
    assert reply.attributes["Mikrotik-Total-Limit"] == ["1000000000"]


def test_chap_accept_with_the_request_authenticator_as_challenge(
    server: RadiusProcess, alice: str
) -> None:
    reply = radclient(server.auth_port, "auth", chap(alice, "s3cret"))
    assert reply.code == "Access-Accept", reply.output
    assert reply.attributes["Session-Timeout"] == ["7200"]


def test_chap_accept_with_a_chap_challenge(server: RadiusProcess, alice: str) -> None:
    attrs = [*chap(alice, "s3cret"), ("CHAP-Challenge", "0x" + "ab" * 16)]
    reply = radclient(server.auth_port, "auth", attrs)
    assert reply.code == "Access-Accept", reply.output


def test_chap_reject_for_a_wrong_password(server: RadiusProcess, alice: str) -> None:
    reply = radclient(server.auth_port, "auth", chap(alice, "wrong"))
    assert reply.code == "Access-Reject", reply.output


def test_chap_reject_for_a_pap_only_account(server: RadiusProcess, budi: str) -> None:
    assert radclient(server.auth_port, "auth", pap(budi, "rahasia")).code == "Access-Accept"
    assert radclient(server.auth_port, "auth", chap(budi, "rahasia")).code == "Access-Reject"


def test_pap_reject_says_why_in_bahasa_indonesia(server: RadiusProcess, alice: str) -> None:
    reply = radclient(server.auth_port, "auth", pap(alice, "wrong"))
    assert reply.code == "Access-Reject", reply.output
    assert reply.order[0] == "Message-Authenticator"
    assert reply.attributes["Reply-Message"] == ["Nama pengguna atau kata sandi salah."]


def test_unknown_user_gets_the_same_reject_as_a_wrong_password(server: RadiusProcess) -> None:
    reply = radclient(server.auth_port, "auth", pap("nobody", "x"))
    assert reply.attributes["Reply-Message"] == ["Nama pengguna atau kata sandi salah."]


def test_reject_message_is_english_on_an_english_nas(server: RadiusProcess, alice: str) -> None:
    reply = radclient(
        server.auth_port, "auth", pap(alice, "wrong"), secret=STRICT_SECRET, source="127.0.0.3"
    )
    assert reply.attributes["Reply-Message"] == ["Wrong username or password."]


def test_coovachilli_nas_gets_chillispot_and_wispr_attributes(
    server: RadiusProcess, alice: str
) -> None:
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"), source="127.0.0.2")
    assert reply.code == "Access-Accept", reply.output
    assert reply.attributes["ChilliSpot-Bandwidth-Max-Up"] == ["2000"]
    assert reply.attributes["ChilliSpot-Bandwidth-Max-Down"] == ["5000"]
    assert reply.attributes["ChilliSpot-Max-Total-Octets"] == ["1000000000"]
    assert reply.attributes["WISPr-Bandwidth-Max-Up"] == ["2000000"]
    assert reply.attributes["WISPr-Bandwidth-Max-Down"] == ["5000000"]
    assert "Mikrotik-Rate-Limit" not in reply.attributes


def test_wrong_secret_is_ignored_and_counted(server: RadiusProcess, alice: str) -> None:
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"), secret="not-it", timeout=1)
    assert reply.code is None, reply.output
    assert server.counter("netops_radius_dropped_total", reason="bad_message_authenticator") >= 1


def test_unknown_nas_is_ignored_and_counted(server: RadiusProcess, alice: str) -> None:
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"), source="127.0.0.9", timeout=1)
    assert reply.code is None, reply.output
    assert server.counter("netops_radius_dropped_total", reason="unknown_nas") >= 1


def test_missing_message_authenticator_is_dropped_where_required(
    server: RadiusProcess, alice: str
) -> None:
    attrs = pap(alice, "s3cret", ma=False)
    reply = radclient(
        server.auth_port, "auth", attrs, secret=STRICT_SECRET, source="127.0.0.3", timeout=1
    )
    assert reply.code is None, reply.output
    assert (
        server.counter("netops_radius_dropped_total", reason="missing_message_authenticator") >= 1
    )
    with_ma = radclient(
        server.auth_port, "auth", pap(alice, "s3cret"), secret=STRICT_SECRET, source="127.0.0.3"
    )
    assert with_ma.code == "Access-Accept", with_ma.output


@pytest.fixture
def fresh_server(
    inventory_dir: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> RadiusProcess:
    """A server of its own: what ``auto`` hardening learnt must start from nothing."""
    open_store(sqlite_url).add_user("carla", "pw-carla", "pegawai")
    return server_factory(inventory_dir, sqlite_url)


def test_auto_requires_message_authenticator_after_the_nas_sent_one(
    fresh_server: RadiusProcess,
) -> None:
    port = fresh_server.auth_port
    first = radclient(port, "auth", pap("carla", "pw-carla"), source="127.0.0.2")
    assert first.code == "Access-Accept"
    later = radclient(
        port, "auth", pap("carla", "pw-carla", ma=False), source="127.0.0.2", timeout=1
    )
    assert later.code is None, later.output


def test_auto_accepts_a_nas_that_never_sends_message_authenticator(
    fresh_server: RadiusProcess,
) -> None:
    for _ in range(2):
        reply = radclient(
            fresh_server.auth_port, "auth", pap("carla", "pw-carla", ma=False), source="127.0.0.2"
        )
        assert reply.code == "Access-Accept", reply.output
        assert reply.order[0] == "Message-Authenticator"


def test_proxy_state_is_copied_into_the_reply(server: RadiusProcess, alice: str) -> None:
    attrs = [*pap(alice, "s3cret"), ("Proxy-State", "0x6e6574")]
    reply = radclient(server.auth_port, "auth", attrs)
    assert reply.code == "Access-Accept", reply.output
    assert reply.attributes["Proxy-State"] == ["0x6e6574"]


def test_reject_delay_does_not_hold_up_other_requests(
    server: RadiusProcess, alice: str, budi: str
) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        rejected = pool.submit(radclient, server.auth_port, "auth", pap(alice, "nope"))
        accepted = pool.submit(radclient, server.auth_port, "auth", pap(budi, "rahasia"))
        order = [f.result().code for f in concurrent.futures.as_completed([rejected, accepted])]
    assert order == ["Access-Accept", "Access-Reject"]


def test_status_server_is_answered(server: RadiusProcess) -> None:
    reply = radclient(server.auth_port, "status", [("Message-Authenticator", "0x00")])
    assert reply.code == "Access-Accept", reply.output


def test_simultaneous_use_rejects_a_second_device(server: RadiusProcess, alice: str) -> None:
    one = radclient(server.auth_port, "auth", pap(alice, "s3cret", mac='"AA-00-00-00-00-01"'))
    assert one.code == "Access-Accept"
    start = [
        ("User-Name", f'"{alice}"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", '"sim-1"'),
        ("Calling-Station-Id", '"AA-00-00-00-00-01"'),
    ]
    assert radclient(server.acct_port, "acct", start).code == "Accounting-Response"
    two = radclient(server.auth_port, "auth", pap(alice, "s3cret", mac='"AA-00-00-00-00-02"'))
    assert two.code == "Access-Reject"
    assert two.attributes["Reply-Message"] == ["Akun ini sedang dipakai di perangkat lain."]
    again = radclient(server.auth_port, "auth", pap(alice, "s3cret", mac='"AA-00-00-00-00-01"'))
    assert again.code == "Access-Accept", "the same device logging in again is let in"


def test_voucher_is_claimed_on_first_use_and_bound_to_that_device(
    server: RadiusProcess, store: Store
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    first = radclient(server.auth_port, "auth", pap(code, code, mac='"AA-00-00-00-00-0A"'))
    assert first.code == "Access-Accept", first.output
    assert int(first.attributes["Session-Timeout"][0]) == 4 * 3600
    claimed = store.lookup(code)
    assert claimed is not None and claimed.first_used_at is not None
    assert claimed.bound_mac == store.mac_pseudonym("aa:00:00:00:00:0a")
    other = radclient(server.auth_port, "auth", pap(code, code, mac='"AA-00-00-00-00-0B"'))
    assert other.code == "Access-Reject"
    assert other.attributes["Reply-Message"] == ["Voucher ini sudah dipakai di perangkat lain."]


def test_voucher_code_is_accepted_without_dashes_in_lower_case(
    server: RadiusProcess, store: Store
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1, shared=True)
    typed = code.replace("-", "").lower()
    assert radclient(server.auth_port, "auth", pap(typed, typed)).code == "Access-Accept"


def test_revoked_voucher_is_rejected(server: RadiusProcess, store: Store) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    store.revoke_voucher(code)
    reply = radclient(server.auth_port, "auth", pap(code, code))
    assert reply.code == "Access-Reject"


def test_mac_authentication_lets_an_allow_listed_device_in(
    server: RadiusProcess, store: Store
) -> None:
    store.add_mac("AA:BB:CC:00:00:01", "pegawai", "CCTV taman")
    attrs = pap("AA-BB-CC-00-00-01", "", mac='"AA-BB-CC-00-00-01"')
    assert radclient(server.auth_port, "auth", attrs).code == "Access-Accept"
    spoofed = pap("AA-BB-CC-00-00-01", "", mac='"AA-BB-CC-00-00-02"')
    assert radclient(server.auth_port, "auth", spoofed).code == "Access-Reject"


def test_clickthrough_allowance_logs_in_with_the_portal_credentials(
    server: RadiusProcess, store: Store
) -> None:
    user, password = store.create_clickthrough(
        "aa:bb:cc:00:00:07", "lab-park", "gratis", datetime.now(UTC).date()
    )
    reply = radclient(server.auth_port, "auth", chap(user, password, mac='"AA-BB-CC-00-00-07"'))
    assert reply.code == "Access-Accept", reply.output


def test_clickthrough_credentials_work_only_from_the_device_they_were_given_to(
    server: RadiusProcess, store: Store
) -> None:
    victim = "aa:bb:cc:00:00:08"
    user, password = store.create_clickthrough(
        victim, "lab-park", "gratis", datetime.now(UTC).date()
    )
    before = store.lookup(user, reveal=False)
    other = radclient(server.auth_port, "auth", pap(user, password, mac='"AA-BB-CC-00-00-09"'))
    assert other.code == "Access-Reject", other.output
    assert other.attributes["Reply-Message"] == [
        "Akses gratis ini terdaftar untuk perangkat lain. Buka halaman login di perangkat Anda."
    ]
    no_mac = [(k, v) for k, v in chap(user, password) if k != "Calling-Station-Id"]
    assert radclient(server.auth_port, "auth", no_mac).code == "Access-Reject"
    no_mac_pap = [(k, v) for k, v in pap(user, password) if k != "Calling-Station-Id"]
    assert radclient(server.auth_port, "auth", no_mac_pap).code == "Access-Reject"
    # the victim's allowance is untouched: same record, no time used, and it still logs in
    assert store.lookup(user, reveal=False) == before
    assert store.usage(user).seconds == 0 and not store.open_sessions(user)
    own = radclient(server.auth_port, "auth", pap(user, password, mac='"aa:bb:cc:00:00:08"'))
    assert own.code == "Access-Accept", own.output


def test_daily_time_used_up_rejects_until_tomorrow(
    server: RadiusProcess, store: Store, alice: str
) -> None:
    stop = [
        ("User-Name", f'"{alice}"'),
        ("Acct-Status-Type", "Stop"),
        ("Acct-Session-Id", '"long-1"'),
        ("Acct-Session-Time", "7200"),
    ]
    assert radclient(server.acct_port, "acct", stop).code == "Accounting-Response"
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == [
        "Waktu internet gratis Anda hari ini sudah habis. Silakan coba lagi besok."
    ]


def test_session_timeout_shrinks_to_the_time_left_today(server: RadiusProcess, alice: str) -> None:
    stop = [
        ("User-Name", f'"{alice}"'),
        ("Acct-Status-Type", "Stop"),
        ("Acct-Session-Id", '"part-1"'),
        ("Acct-Session-Time", "5400"),
    ]
    assert radclient(server.acct_port, "acct", stop).code == "Accounting-Response"
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"))
    assert reply.code == "Access-Accept"
    assert reply.attributes["Session-Timeout"] == ["1800"]


def test_reject_message_follows_the_plan_language(server: RadiusProcess, store: Store) -> None:
    name = f"tourist-{uuid.uuid4().hex[:6]}"
    store.add_user(name, "pw-tourist", "turis")
    assert radclient(server.auth_port, "auth", pap(name, "pw-tourist")).code == "Access-Accept"
    store.set_enabled(name, False)
    reply = radclient(server.auth_port, "auth", pap(name, "pw-tourist"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == ["This account or voucher is no longer active."]
