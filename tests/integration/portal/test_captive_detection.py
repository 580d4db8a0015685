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
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from netops.lab.gateway import CLIENT_COOKIE, GatewaySim
from netops.lab.internet import APPLE_SUCCESS, PROBES, InternetSim, Probe
from tests.support.portal_peers import GATEWAY_HOST, LAB, Stack, serving_portal

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
    return stack.gateway_sim(
        flavour=flavour,
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
    headers = {"Host": parts.netloc}
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


# --- RFC 8908 over HTTPS ---------------------------------------------------------------------

#: RFC 8908 section 5 (and the IANA "Captive Portal API Keys" registry): key → JSON type.
RFC8908_KEYS: dict[str, type] = {
    "captive": bool,
    "user-portal-url": str,
    "venue-info-url": str,
    "can-extend-session": bool,
    "seconds-remaining": int,
    "bytes-remaining": int,
}


@pytest.fixture(scope="module")
def tls_portal(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``netops portal serve`` over HTTPS with a certificate from the lab's own CA."""
    from netops.lab.tls import make_lab_tls

    work = tmp_path_factory.mktemp("portal-tls")
    tls = make_lab_tls(work / "tls")
    with serving_portal(
        stack.db,
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(tls.key),
        log_dir=work,
        env=stack.env,
        name="portal-tls",
    ) as url:
        yield url, tls


def _api(url: str, ca: Any) -> Any:
    import ssl

    import httpx

    trust = ssl.create_default_context(cafile=str(ca))
    reply = httpx.get(f"{url}api/captive", verify=trust, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/captive+json"
    assert "private" in reply.headers["cache-control"]
    body = reply.json()
    assert set(body) <= set(RFC8908_KEYS), set(body) - set(RFC8908_KEYS)
    for key, value in body.items():
        kind = RFC8908_KEYS[key]
        assert isinstance(value, kind) and (kind is bool or not isinstance(value, bool)), key
    assert body["user-portal-url"].startswith("https://")
    return body


def test_the_captive_api_answers_rfc_8908_json_over_https(
    stack: Stack, tls_portal: tuple[str, Any]
) -> None:
    import httpx

    url, tls = tls_portal
    assert url.startswith("https://127.0.0.1:")
    # A phone that does not trust the certificate's issuer gets no answer at all.
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{url}api/captive", timeout=10)

    before = _api(url, tls.ca_cert)
    assert before["captive"] is True
    assert before["user-portal-url"] == url
    assert before["venue-info-url"] == f"{url}terms"

    # A phone at 127.0.0.1 (the address the portal sees) logs in at a gateway.
    username = stack.store.create_vouchers("gratis", 1)[0].replace("-", "")
    mac = "02:00:00:00:81:08"
    with stack.gateway_sim(url, chap=False, client_mac=mac, client_ip="127.0.0.1") as gateway:
        conn = http.client.HTTPConnection(gateway.listen_host, gateway.listen_port, timeout=10)
        conn.request(
            "POST",
            "/login",
            body=urlencode({"username": username, "password": username, "dst": "http://x/"}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        conn.getresponse().read()
        conn.close()
        assert gateway.attempts[-1].accepted
        try:
            after = _api(url, tls.ca_cert)
            assert after["captive"] is False
            assert 0 < after["seconds-remaining"] <= 2 * 3600
            assert after["bytes-remaining"] == 1_000_000_000
            assert after["can-extend-session"] is False
        finally:
            gateway.logout(mac)
    assert _api(url, tls.ca_cert)["captive"] is True


def _serve(capsys: pytest.CaptureFixture[str], tmp_path: Path, *args: str) -> tuple[int, str]:
    from netops.cli.main import main

    code = main(["-i", str(LAB), "--db", f"sqlite:///{tmp_path}/db", "portal", "serve", *args])
    return code, capsys.readouterr().err


def test_tls_options_that_cannot_work_are_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from netops.lab.tls import make_lab_tls

    tls = make_lab_tls(tmp_path / "tls")
    code, err = _serve(capsys, tmp_path, "--listen", "127.0.0.1:0", "--tls-cert", str(tls.cert))
    assert code == 1 and "--tls-cert and --tls-key go together" in err
    code, err = _serve(
        capsys,
        tmp_path,
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        str(tmp_path / "missing.pem"),
        "--tls-key",
        str(tls.key),
    )
    assert code == 1 and "missing.pem is not a readable file" in err
    other = make_lab_tls(tmp_path / "other")
    code, err = _serve(
        capsys,
        tmp_path,
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        str(tls.cert),
        "--tls-key",
        str(other.key),
    )
    assert code == 1 and "do not make a usable pair" in err
    assert "Traceback" not in err
