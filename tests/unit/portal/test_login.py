"""The portal's own login checks, against a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from netops.inventory import Inventory, load_inventory
from netops.portal.gateway import UntrustedGateway, parse_context
from netops.portal.login import (
    check_clickthrough,
    check_user,
    check_voucher,
    checked_hotspot,
    gateway_hosts,
    hotspots_behind,
    resolve_hotspot,
)
from netops.store import Store

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
WITA = ZoneInfo("Asia/Makassar")
MAC = "AA:BB:CC:DD:EE:01"


@pytest.fixture(scope="module")
def city() -> Inventory:
    from tests.unit.portal.conftest import REPO

    return load_inventory(REPO / "inventory" / "banjarmasin")


def test_a_fresh_voucher_typed_in_lower_case_with_spaces_passes(store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    check = check_voucher(store, " " + code.lower().replace("-", " ") + " ", None, NOW)
    assert check.ok
    # The gateway gets the derived name and the hand-off password, neither is the code.
    assert check.username == store.voucher_name(code)
    assert check.password == store.voucher_handoff(check.username)
    assert code.replace("-", "") not in (check.password, check.username)


def test_voucher_typos_do_not_count_towards_the_rate_limit(store: Store) -> None:
    assert check_voucher(store, "", None, NOW).error == "error.voucher_empty"
    shape = check_voucher(store, "ABC", None, NOW)
    assert (shape.error, shape.counts) == ("error.voucher_format", False)


def test_unknown_and_revoked_vouchers_count_as_guesses(store: Store) -> None:
    unknown = check_voucher(store, "ABCD-EFGH-JK", None, NOW)
    assert (unknown.error, unknown.counts) == ("error.voucher_unknown", True)
    code = store.create_vouchers("gratis", 1)[0]
    store.revoke_voucher(code)
    revoked = check_voucher(store, code, None, NOW)
    assert (revoked.error, revoked.counts) == ("error.voucher_revoked", True)


def test_a_user_name_is_not_accepted_as_a_voucher(store: Store) -> None:
    store.add_user("ABCDEFGHJK", "pw-123456", "pegawai")
    assert check_voucher(store, "ABCD-EFGH-JK", None, NOW).error == "error.voucher_unknown"


def test_expired_voucher_is_refused(store: Store) -> None:
    code = store.create_vouchers("voucher-harian", 1, validity_s=3600)[0]
    store.claim_voucher(code, "aa:bb:cc:dd:ee:01", NOW - timedelta(hours=2))
    assert check_voucher(store, code, None, NOW).error == "error.voucher_expired"


def test_voucher_bound_to_another_device_is_refused_but_works_on_its_own(store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    store.claim_voucher(code, "aa:bb:cc:dd:ee:01", NOW)
    assert check_voucher(store, code, "AA-BB-CC-DD-EE-02", NOW).error == "error.voucher_bound"
    assert check_voucher(store, code, "AA:BB:CC:DD:EE:01", NOW).ok


def test_shared_voucher_serves_several_devices(store: Store) -> None:
    code = store.create_vouchers("voucher-harian", 1, shared=True)[0]
    store.claim_voucher(code, "aa:bb:cc:dd:ee:01", NOW)
    assert check_voucher(store, code, "aa:bb:cc:dd:ee:02", NOW).ok


def test_registered_user_needs_the_right_password_and_an_enabled_account(store: Store) -> None:
    store.add_user("siti", "rahasia-123", "pegawai")
    assert check_user(store, "siti", "rahasia-123").ok
    wrong = check_user(store, "siti", "salah")
    assert (wrong.error, wrong.counts) == ("error.credentials", True)
    assert check_user(store, "nobody", "x").error == "error.credentials"
    assert check_user(store, "", "").error == "error.credentials_empty"
    store.set_enabled("siti", False)
    assert check_user(store, "siti", "rahasia-123").error == "error.account_disabled"


def test_clickthrough_needs_consent_and_a_device(store: Store, lab: Inventory) -> None:
    park = lab.hotspot("lab-park")
    no = check_clickthrough(
        store, accepted=False, mac="aa:bb:cc:00:00:01", hotspot=park, now=NOW, zone=WITA
    )
    assert no.error == "error.terms"
    no_mac = check_clickthrough(store, accepted=True, mac=None, hotspot=park, now=NOW, zone=WITA)
    assert no_mac.error == "error.no_mac"


def test_clickthrough_creates_one_allowance_per_device_and_day(
    store: Store, lab: Inventory
) -> None:
    park = lab.hotspot("lab-park")
    first = check_clickthrough(
        store, accepted=True, mac="AA-BB-CC-00-00-01", hotspot=park, now=NOW, zone=WITA
    )
    again = check_clickthrough(
        store, accepted=True, mac="aa:bb:cc:00:00:01", hotspot=park, now=NOW, zone=WITA
    )
    # One allowance per device and day, with a fresh password each time: naming a MAC
    # never reveals the password handed out before.
    assert first.ok and again.ok and first.username == again.username
    assert first.password != again.password
    sub = store.lookup(first.username or "")
    assert sub is not None and store.check_password(sub, again.password or "")
    assert not store.check_password(sub, first.password or "")
    assert sub is not None and sub.kind == "clickthrough" and sub.plan == "gratis"
    # The allowance ends at the city's midnight (16:00 UTC for WITA), not UTC midnight.
    assert sub.valid_until == datetime(2026, 11, 22, 16, 0, tzinfo=UTC)


def test_hotspot_is_found_by_name_gateway_or_client_address(lab: Inventory) -> None:
    base = {"link-login-only": "http://10.254.200.1/login"}
    by_name = parse_context({**base, "server-name": "lab-park"})
    assert resolve_hotspot(lab, by_name).id == "lab-park"  # type: ignore[union-attr]
    by_gw = parse_context({**base, "identity": "lab-hs-01"})
    assert resolve_hotspot(lab, by_gw).id == "lab-park"  # type: ignore[union-attr]
    by_ip = parse_context({**base, "ip": "10.254.200.77"})
    assert resolve_hotspot(lab, by_ip).id == "lab-park"  # type: ignore[union-attr]


def test_gateway_endpoints_must_belong_to_the_hotspots_gateway(lab: Inventory) -> None:
    park = lab.hotspot("lab-park")
    assert {"10.254.200.1", "127.0.0.1", "login.lab.netops.test"} <= gateway_hosts(lab, park)
    for host in ("10.254.200.1", "127.0.0.1", "login.lab.netops.test"):
        ctx = parse_context({"link-login-only": f"http://{host}:8081/login", "mac": MAC})
        assert checked_hotspot(lab, ctx) == park
    forged = parse_context({"link-login-only": "http://attacker.example/steal", "mac": MAC})
    with pytest.raises(UntrustedGateway):
        checked_hotspot(lab, forged)
    coova = {"res": "notyet", "uamport": "3990", "challenge": "00" * 16, "mac": MAC}
    assert checked_hotspot(lab, parse_context({**coova, "uamip": "10.254.200.1"})) == park
    with pytest.raises(UntrustedGateway):
        checked_hotspot(lab, parse_context({**coova, "uamip": "127.0.0.66"}))


def test_a_hotspot_named_with_another_gateways_address_is_refused(city: Inventory) -> None:
    tendean = city.hotspot("siring-tendean")
    other = next(iter(sorted(gateway_hosts(city, tendean) - {"login.wifi.banjarmasinkota.go.id"})))
    ctx = parse_context(
        {"link-login-only": f"http://{other}/login", "server-name": "siring-menara-pandang"}
    )
    with pytest.raises(UntrustedGateway):
        checked_hotspot(city, ctx)
    # Unnamed, the gateway's address says which hotspot; the city-wide DNS name does not.
    assert checked_hotspot(city, parse_context({"link-login-only": f"http://{other}/"})) == tendean
    shared = parse_context({"link-login-only": "http://login.wifi.banjarmasinkota.go.id/login"})
    assert checked_hotspot(city, shared) is None
    assert hotspots_behind(city, "10.20.0.94") == (tendean,)  # its uplink: the NAT address
