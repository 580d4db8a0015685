"""Phones' captive-portal detection, per operating system, through the simulated gateway.

Each walk is what a phone does: its OS probes a plain-HTTP URL (sent here to the gateway
with the probe's ``Host`` header, as the phone's packets would reach it: no DNS), sees the
redirect, opens its login window (Chromium, phone-sized) on the portal, the citizen logs in
with a voucher (portal → gateway → real RADIUS), and the OS probes again: the answer must be
the one its real server gives, or the window would stay open (or never close).
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import GATEWAY_HOST, Stack

from netops.lab.gateway import CLIENT_COOKIE, GatewaySim
from netops.lab.internet import APPLE_SUCCESS, PROBES, InternetSim, Probe

pytestmark = pytest.mark.integration

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True}


def closes_window(probe: Probe, status: int, body: bytes) -> bool:
    """What the OS checks before it calls the network open (and closes its login window)."""
    if probe.os == "android":
        return status == 204  # NetworkMonitor: 204 means validated
    if probe.os == "apple":
        return status == 200 and b"Success" in body
    return status == 200 and body == probe.body.encode()  # NCSI and Firefox: exact text


@pytest.fixture(scope="module")
def internet() -> Iterator[InternetSim]:
    with InternetSim(GATEWAY_HOST) as world:
        yield world


def _gateway(stack: Stack, internet: InternetSim, flavour: str = "mikrotik") -> GatewaySim:
    return GatewaySim(
        portal_url=stack.portal_url,
        auth_port=stack.auth_port,
        acct_port=stack.acct_port,
        secret="testing123",
        listen_host=GATEWAY_HOST,
        flavour=flavour,  # type: ignore[arg-type]
        uam_secret="uamsecret",
        internet_url=internet.base_url,
    )


@pytest.fixture(scope="module")
def hotspot(stack: Stack, internet: InternetSim) -> Iterator[GatewaySim]:
    with _gateway(stack, internet) as gateway:
        yield gateway


def probe(gateway: GatewaySim, url: str, mac: str | None = None) -> tuple[int, Any, bytes]:
    """GET ``url`` as the phone's OS does, through the gateway (no cookie but the phone's
    identity at the gateway, which a real gateway takes from its MAC address)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(gateway.listen_host, gateway.listen_port, timeout=10)
    headers = {"Host": parts.netloc, "User-Agent": "CaptiveNetworkSupport/1.0 wispr"}
    if mac:
        headers["Cookie"] = f"{CLIENT_COOKIE}={mac}"
    try:
        conn.request("GET", parts.path, headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.headers, reply.read()
    finally:
        conn.close()


def _mac_from(headers: Any) -> str:
    cookie = headers.get("set-cookie", "")
    found = re.search(CLIENT_COOKIE + r"=([0-9a-f:]+)", cookie)
    assert found, cookie
    return found.group(1)


def test_the_stand_in_internet_answers_each_probe_as_its_real_server(
    internet: InternetSim,
) -> None:
    for each in PROBES:
        conn = http.client.HTTPConnection(internet.host, internet.port, timeout=10)
        conn.request("GET", each.path, headers={"Host": each.host})
        reply = conn.getresponse()
        body = reply.read()
        conn.close()
        assert closes_window(each, reply.status, body), each.url
        assert body == each.body.encode(), each.url
    apple = next(p for p in PROBES if p.os == "apple")
    assert apple.body == APPLE_SUCCESS


@pytest.mark.parametrize("os_name", ["android", "apple", "windows", "firefox"])
def test_each_os_sees_the_portal_then_the_internet_after_a_voucher_login(
    stack: Stack, hotspot: GatewaySim, browser: Any, os_name: str
) -> None:
    first, *others = [p for p in PROBES if p.os == os_name]

    # 1. The OS probes: the gateway redirects to the portal, and no cache may keep that.
    status, headers, body = probe(hotspot, first.url)
    assert status == 302
    assert not closes_window(first, status, body)
    assert "no-store" in headers.get("cache-control", "")
    login_url = headers["location"]
    assert login_url.startswith(stack.portal_url + "login?")
    assert parse_qs(urlsplit(login_url).query)["dst"] == [first.url]
    mac = _mac_from(headers)
    for other in others:  # every probe of this OS is captive until the login
        status, headers, body = probe(hotspot, other.url, mac)
        assert status == 302 and "no-store" in headers.get("cache-control", "")
        assert not closes_window(other, status, body)

    # 2. The login window opens on the redirect's target; the citizen logs in.
    code = stack.store.create_vouchers("gratis", 1)[0]
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        documents: list[tuple[str, str]] = []
        page.on(
            "request",
            lambda r: documents.append((r.method, r.url)) if r.is_navigation_request() else None,
        )
        page.goto(login_url)
        page.get_by_label("Kode voucher", exact=True).fill(code)
        page.get_by_role("button", name="Masuk dengan voucher").click()
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        assert hotspot.attempts[-1].accepted and hotspot.attempts[-1].mac == mac
        # Apple's assistant re-checks on a page load: the login reached the gateway as a
        # full navigation (a form POST), and the window ended on a new page.
        gateway_login = f"{hotspot.base_url}/c/{mac.replace(':', '-')}/login"
        assert ("POST", gateway_login) in documents
        assert page.get_by_role("status").inner_text() == "Anda terhubung ke internet."
        done = page.get_by_text("Selesai")
        assert done.count() == 1 and done.is_visible()
    finally:
        context.close()

    # 3. The OS probes again, at once: it now reaches the internet and closes the window.
    for each in (first, *others):
        status, headers, body = probe(hotspot, each.url, mac)
        assert closes_window(each, status, body), (each.url, status, body)
        assert body == each.body.encode()


def test_coovachilli_redirects_probes_uncached_and_passes_them_after_the_login(
    stack: Stack, internet: InternetSim
) -> None:
    android = PROBES[0]
    with _gateway(stack, internet, "coova") as chilli:
        status, headers, _ = probe(chilli, android.url)
        assert status == 302 and "no-store" in headers.get("cache-control", "")
        query = parse_qs(urlsplit(headers["location"]).query)
        assert query["res"] == ["notyet"] and query["userurl"] == [android.url]
        mac = _mac_from(headers)
        username = stack.store.create_vouchers("gratis", 1)[0].replace("-", "")
        conn = http.client.HTTPConnection(chilli.listen_host, chilli.listen_port, timeout=10)
        logon = urlencode({"username": username, "password": username, "userurl": android.url})
        conn.request("GET", f"/logon?{logon}", headers={"Cookie": f"{CLIENT_COOKIE}={mac}"})
        reply = conn.getresponse()
        reply.read()
        conn.close()
        assert "res=success" in reply.headers["location"]
        assert chilli.attempts[-1].accepted
        status, _, body = probe(chilli, android.url, mac)
        assert (status, body) == (204, b"")
