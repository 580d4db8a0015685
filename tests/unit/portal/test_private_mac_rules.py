"""The portal's rules for phones whose MAC changed (docs/portal.md, "Private MAC addresses"),
through the app over HTTP with a real SQLite store: when a voucher's binding moves, when it
does not, how often, what the log says, and which free allowance a returning phone gets."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from netops.inventory import Inventory
from netops.portal.app import PortalSettings, create_app
from netops.store import Store
from tests.support.records import acct_record
from tests.unit.portal.test_phone_signup import MIKROTIK, Clock

DEVICE_COOKIE = "netops_device"  # netops.portal.devices.DEVICE_COOKIE
UNIVERSAL_A, UNIVERSAL_B = "00:1A:2B:00:00:0A", "00:1A:2B:00:00:0B"
PRIVATE = ["DA:A1:19:00:00:01", "3E:00:00:00:00:02", "16:00:00:00:00:03", "FA:00:00:00:00:04"]
BOUND = "Voucher ini sudah dipakai di perangkat lain."
TOO_OFTEN = "Akses ini sudah dipindah ke perangkat baru 3 kali dalam 24 jam."


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(lab: Inventory, store: Store, clock: Clock) -> Iterator[TestClient]:
    settings = PortalSettings(inventory=lab, store=store, clock=clock)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _phone(app: TestClient) -> TestClient:
    """A new phone: the same app, no cookies."""
    client = TestClient(app.app, follow_redirects=False)
    client.__enter__()
    return client


def _hidden(text: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: unescape(v) for k, v in pairs}


def _alert(text: str) -> str:
    found = re.search(r'role="alert" id="error">([^<]*)<', text)
    return unescape(found.group(1)) if found else ""


def _login(client: TestClient, mac: str, **form: str) -> Response:
    page = client.get("/login", params={**MIKROTIK, "mac": mac})
    data = _hidden(page.text)
    data.update(form)
    return client.post("/login", data=data)


def _voucher(client: TestClient, code: str, mac: str) -> Response:
    return _login(client, mac, method="voucher", code=code)


def _free(client: TestClient, mac: str) -> Response:
    return _login(client, mac, method="free", accept="yes")


def _handed(reply: Response) -> dict[str, str]:
    assert reply.status_code == 200, _alert(reply.text)
    fields = _hidden(reply.text)
    assert "username" in fields, reply.text[:500]
    return fields


def _start(store: Store, username: str, mac: str) -> None:
    """The gateway's Accounting-Start for ``username`` at ``mac``: a session open there."""
    store.account(
        acct_record(
            status="start",
            nas_ip="127.0.0.1",
            nas_identifier="lab-hs-01",
            username=username,
            acct_session_id=f"s-{mac}",
            hotspot="lab-park",
            mac=mac,
            ip="10.254.200.9",
            event_time=datetime.now(UTC),
        )
    )


def _used_on(store: Store, code: str, mac: str, clock: Clock) -> str:
    """The RADIUS server's first Access-Accept: the voucher is bound to ``mac``."""
    return store.claim_voucher(code, mac, clock.now).username


def test_the_locally_administered_bit_is_what_makes_a_mac_private() -> None:
    from netops.store.codes import is_locally_administered

    assert all(is_locally_administered(m) for m in PRIVATE)
    assert not is_locally_administered(UNIVERSAL_A)
    assert not is_locally_administered("03:00:00:00:00:01")  # multicast, not a phone
    assert not is_locally_administered("not a mac")


def test_a_voucher_typed_again_on_a_new_private_mac_moves_to_it(
    app: TestClient, store: Store, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    username = _used_on(store, code, PRIVATE[0], clock)
    caplog.set_level(logging.INFO, "netops")
    fields = _handed(_voucher(_phone(app), code, PRIVATE[1]))
    assert fields["username"] == username
    sub = store.lookup(username)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(PRIVATE[1])
    moved = [r.getMessage() for r in caplog.records if "moved to a new" in r.getMessage()]
    assert moved and "private MAC (code), move 1 of 3" in moved[0]
    text = caplog.text.lower()  # the keyed name (v-…) is a pseudonym; the code is not
    for secret in (code.lower(), PRIVATE[1].lower(), PRIVATE[0].lower()):
        assert secret not in text


def test_a_new_universal_mac_without_proof_is_another_device(
    app: TestClient, store: Store, clock: Clock
) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    username = _used_on(store, code, UNIVERSAL_A, clock)
    reply = _voucher(_phone(app), code, UNIVERSAL_B)
    assert (reply.status_code, _alert(reply.text)) == (400, BOUND)
    sub = store.lookup(username)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(UNIVERSAL_A)


def test_the_device_cookie_of_this_voucher_moves_it_even_to_a_universal_mac(
    app: TestClient, store: Store, clock: Clock
) -> None:
    code, other = store.create_vouchers("gratis", 2)
    phone = _phone(app)
    _handed(_voucher(phone, code, PRIVATE[0]))
    assert phone.cookies.get(DEVICE_COOKIE)
    username = _used_on(store, code, PRIVATE[0], clock)
    # The citizen turned "private address" off: the phone's factory MAC, same browser.
    assert _handed(_voucher(phone, code, UNIVERSAL_A))["username"] == username
    sub = store.lookup(username)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(UNIVERSAL_A)
    # A cookie from another voucher proves nothing about this one.
    _used_on(store, other, UNIVERSAL_B, clock)
    reply = _voucher(phone, other, UNIVERSAL_A)
    assert _alert(reply.text) == BOUND


def test_a_forged_device_cookie_proves_nothing(app: TestClient, store: Store, clock: Clock) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    username = _used_on(store, code, UNIVERSAL_A, clock)
    phone = _phone(app)
    phone.cookies.set(DEVICE_COOKIE, f'{{"u":"{username}"}}.forged')
    assert _alert(_voucher(phone, code, UNIVERSAL_B).text) == BOUND


def test_a_shared_code_moves_three_times_in_24_hours_then_again_a_day_later(
    app: TestClient, store: Store, clock: Clock
) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    username = _used_on(store, code, PRIVATE[0], clock)
    for mac in PRIVATE[1:]:
        _handed(_voucher(_phone(app), code, mac))
        clock.now += timedelta(minutes=5)
    reply = _voucher(_phone(app), code, "02:00:00:00:00:99")
    assert reply.status_code == 422 and _alert(reply.text).startswith(TOO_OFTEN)
    sub = store.lookup(username)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(PRIVATE[-1])
    assert store.rebinds(username, since=clock.now - timedelta(days=1)) == 3
    clock.now += timedelta(hours=24)
    _handed(_voucher(_phone(app), code, "02:00:00:00:00:99"))


def test_a_voucher_in_use_by_its_other_address_does_not_move(
    app: TestClient, store: Store, clock: Clock
) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    username = _used_on(store, code, PRIVATE[0], clock)
    _start(store, username, PRIVATE[0])
    reply = _voucher(_phone(app), code, PRIVATE[1])
    assert _alert(reply.text) == "Akun ini sedang dipakai di perangkat lain."
    sub = store.lookup(username)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(PRIVATE[0])


def test_a_returning_phone_with_its_cookie_gets_today_s_allowance_not_a_fresh_one(
    app: TestClient, store: Store, clock: Clock
) -> None:
    phone = _phone(app)
    first = _handed(_free(phone, PRIVATE[0]))["username"]
    again = _handed(_free(phone, PRIVATE[1]))
    assert again["username"] == first
    sub = store.lookup(first)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(PRIVATE[1])
    assert store.check_password(sub, again["password"])
    own = store.clickthrough_name(
        PRIVATE[1], clock.now.astimezone(app.app.state.portal.zone).date()
    )
    assert own is not None and store.lookup(own) is None


def test_yesterday_s_allowance_in_the_cookie_does_not_carry_over(
    app: TestClient, store: Store, clock: Clock
) -> None:
    phone = _phone(app)
    first = _handed(_free(phone, PRIVATE[0]))["username"]
    clock.now += timedelta(days=1)
    second = _handed(_free(phone, PRIVATE[1]))["username"]
    assert second != first  # a new day, a new allowance


def test_without_a_cookie_a_new_private_mac_is_a_new_device(app: TestClient, store: Store) -> None:
    first = _handed(_free(_phone(app), PRIVATE[0]))["username"]
    second = _handed(_free(_phone(app), PRIVATE[1]))["username"]
    assert first != second


def test_a_returning_phone_whose_old_address_is_still_online_reads_why(
    app: TestClient, store: Store
) -> None:
    phone = _phone(app)
    first = _handed(_free(phone, PRIVATE[0]))["username"]
    _start(store, first, PRIVATE[0])
    reply = _free(phone, PRIVATE[1])
    assert _alert(reply.text) == "Akun ini sedang dipakai di perangkat lain."
    sub = store.lookup(first)
    assert sub is not None and sub.bound_mac == store.mac_pseudonym(PRIVATE[0])
