"""Phones with private (random) MAC addresses, end to end in Chromium through the lab
gateway (real RADIUS server and portal as subprocesses).

The lab gateway gives every new phone a random locally administered MAC, as Android 10+,
iOS 14+ and Windows do; "the same phone with a new private MAC" is a browser context that
keeps its portal cookies but loses the gateway's (the gateway then sees a new MAC), or a
fresh context when the phone's login window kept no cookie.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from netops.inventory import load_inventory
from netops.lab.gateway import CLIENT_COOKIE
from tests.support.portal_peers import LAB, Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    made = browser.new_context(**PHONE)
    try:
        yield made
    finally:
        made.close()


def _wait_for(predicate: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _join(page: Any, stack: Stack) -> None:
    page.goto(f"{stack.gateway.base_url}/berita")
    assert page.url.startswith(stack.portal_url + "login?")


def _voucher(page: Any, stack: Stack, code: str) -> None:
    _join(page, stack)
    page.get_by_label("Kode voucher", exact=True).fill(code)
    page.get_by_role("button", name="Masuk dengan voucher").click()


def _free(page: Any, stack: Stack) -> None:
    _join(page, stack)
    page.get_by_label("Saya setuju dengan syarat dan ketentuan", exact=True).check()
    page.get_by_role("button", name="Mulai internet gratis").click()


def _online(page: Any, stack: Stack) -> Any:
    page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    attempt = stack.gateway.attempts[-1]
    assert attempt.accepted, attempt
    assert int(attempt.mac[:2], 16) & 0x03 == 0x02  # a private (locally administered) MAC
    return attempt


def _new_mac(context: Any) -> None:
    """The phone joins again with a new private address: the gateway forgets it."""
    context.clear_cookies(name=CLIENT_COOKIE)


def _leave(stack: Stack, mac: str, username: str) -> None:
    stack.gateway.logout(mac)
    _wait_for(lambda: not stack.store.open_sessions(username), "the Accounting-Stop")


def test_a_voucher_follows_its_phone_to_a_new_private_mac_when_the_code_is_typed_again(
    stack: Stack, browser: Any
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    first = browser.new_context(**PHONE)
    second = browser.new_context(**PHONE)  # the phone's login window kept no cookie
    try:
        page = first.new_page()
        _voucher(page, stack, code)
        old = _online(page, stack)
        _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
        _leave(stack, old.mac, username)

        page = second.new_page()
        _voucher(page, stack, code)
        new = _online(page, stack)  # before: "Voucher ini sudah dipakai di perangkat lain."
        assert new.mac != old.mac and new.username == username
        sub = stack.store.lookup(username)
        assert sub is not None and sub.bound_mac == stack.store.mac_pseudonym(new.mac)
        assert stack.store.rebinds(username, since=datetime(2000, 1, 1, tzinfo=UTC)) == 1  # logged
    finally:
        first.close()
        second.close()


def test_simultaneous_use_still_holds_while_the_old_address_is_online(
    stack: Stack, browser: Any
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    first = browser.new_context(**PHONE)
    second = browser.new_context(**PHONE)
    try:
        page = first.new_page()
        _voucher(page, stack, code)
        old = _online(page, stack)
        _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
        before = len(stack.gateway.attempts)

        other = second.new_page()
        _voucher(other, stack, code)
        alert = other.get_by_role("alert")
        assert alert.inner_text() == "Akun ini sedang dipakai di perangkat lain."
        assert len(stack.gateway.attempts) == before
        sub = stack.store.lookup(username)
        assert sub is not None and sub.bound_mac == stack.store.mac_pseudonym(old.mac)
    finally:
        first.close()
        second.close()


def test_a_shared_code_moves_three_times_a_day_and_no_more(stack: Stack, browser: Any) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    macs: list[str] = []
    for n in range(5):
        context = browser.new_context(**PHONE)
        try:
            page = context.new_page()
            _voucher(page, stack, code)
            if n < 4:
                attempt = _online(page, stack)
                macs.append(attempt.mac)
                _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
                _leave(stack, attempt.mac, username)
            else:
                assert (
                    page.get_by_role("alert")
                    .inner_text()
                    .startswith("Akses ini sudah dipindah ke perangkat baru 3 kali dalam 24 jam.")
                )
        finally:
            context.close()
    assert len(set(macs)) == 4  # the first phone, then three moves
    sub = stack.store.lookup(username)
    assert sub is not None and sub.bound_mac == stack.store.mac_pseudonym(macs[-1])


def test_a_rotating_mac_phone_keeps_its_one_free_allowance_of_the_day(
    stack: Stack, context: Any
) -> None:
    page = context.new_page()
    _free(page, stack)
    first = _online(page, stack)
    username = first.username
    _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
    stack.gateway.traffic(first.mac, input_octets=1_000, output_octets=1_000, seconds=1800)
    _wait_for(lambda: stack.store.usage(username).seconds >= 1800, "the Interim-Update")
    _leave(stack, first.mac, username)

    for _ in range(2):  # the phone comes back twice, each time with a new private MAC
        _new_mac(context)
        page = context.new_page()
        _free(page, stack)
        again = _online(page, stack)
        assert again.mac != first.mac
        assert again.username == username  # the same allowance, not a fresh one
        terms = page.locator("#quota dt").all_inner_texts()
        values = page.locator("#quota dd").all_inner_texts()
        assert dict(zip(terms, values, strict=True))["Sisa waktu hari ini"] == "1 jam 30 menit"
        _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
        _leave(stack, again.mac, username)
        today = datetime.now(ZoneInfo(load_inventory(LAB).meta.timezone)).date()
        own = stack.store.clickthrough_name(again.mac, today)
        assert own is not None and stack.store.lookup(own) is None  # no second allowance


def test_the_console_marks_a_private_mac_beside_the_session(
    stack: Stack, browser: Any, context: Any
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    page = context.new_page()
    _voucher(page, stack, code)
    attempt = _online(page, stack)
    _wait_for(lambda: stack.store.open_sessions(username), "the Accounting-Start")
    if stack.store.operator("sari.helpdesk") is None:
        stack.store.add_operator("sari.helpdesk", "helpdesk", password="kata-sandi-sari-hd")
    console = browser.new_context()
    try:
        admin = console.new_page()
        admin.goto(f"{stack.portal_url}admin/")
        admin.get_by_label("Nama operator", exact=True).fill("sari.helpdesk")
        admin.get_by_label("Kata sandi", exact=True).fill("kata-sandi-sari-hd")
        admin.get_by_role("button", name="Masuk").click()
        admin.goto(f"{stack.portal_url}admin/sessions")
        row = admin.locator("tr", has_text=username)
        device = stack.store.mac_pseudonym(attempt.mac)
        assert device is not None and device in row.inner_text()
        mark = row.locator("abbr.private-mac")
        assert mark.inner_text() == "privat"
        assert "Alamat MAC privat" in (mark.get_attribute("title") or "")
        assert attempt.mac not in admin.content()  # still no clear MAC in the console
    finally:
        console.close()
        _leave(stack, attempt.mac, username)
