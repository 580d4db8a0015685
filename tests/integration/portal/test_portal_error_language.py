"""Every error a citizen reads is wholly in the page's language, through the real portal.

Real peer: ``netops portal serve`` (subprocess) over HTTP. The gateway's redirect parameters
and reasons are what a MikroTik sends; the page must not mix in the English of a validator
or of RouterOS's own ``$(error)`` texts.
"""

from __future__ import annotations

import html
import re
import time
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from netops.portal.chap import escape_mikrotik
from tests.support.portal_peers import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

GATEWAY = "http://127.0.0.1:8080"  # lab-hs-01, a gateway the inventory names
MIKROTIK = {
    "link-login-only": f"{GATEWAY}/login",
    "link-orig": "http://example.net/",
    "mac": "AA:BB:CC:DD:EE:01",
    "ip": "10.254.200.23",
    "chap-id": escape_mikrotik(b"\x07"),
    "chap-challenge": escape_mikrotik(bytes(range(16))),
    "dst": "http://example.net/",
    "server-name": "lab-park",
}
# Words that only an English sentence has; none may appear on an Indonesian page's alert.
ENGLISH = re.compile(r"\b(is|not|a|an|the|address|invalid|must|password|hotspot)\b", re.I)
INDONESIAN = re.compile(r"\b(tidak|yang|alamat|ke|lalu|apa|saja|sandi|salah)\b", re.I)


@pytest.fixture(scope="module", autouse=True)
def _portal_answers(stack: Stack) -> None:
    """The portal announces its address a moment before it accepts connections."""
    deadline = time.monotonic() + 15
    while True:
        try:
            with urlopen(f"{stack.portal_url}healthz", timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _alert(stack: Stack, **params: str) -> tuple[int, str]:
    url = f"{stack.portal_url}login?{urlencode({**MIKROTIK, **params})}"
    try:
        with urlopen(url, timeout=10) as reply:
            status, body = reply.status, reply.read().decode()
    except HTTPError as exc:
        status, body = exc.code, exc.read().decode()
    found = re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', body)
    assert found, f"no error on the page ({status})"
    return status, html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"mac": "zz:zz"}, "alamat perangkat (MAC)"),
        ({"ip": "10.254.200.999"}, "alamat IP"),
        ({"link-login-only": "ftp://gw/login"}, "alamat halaman login"),
        ({"chap-challenge": ""}, "kode keamanan login"),
        ({"server-name": "taman kota!"}, "nama titik WiFi"),
    ],
)
def test_a_malformed_gateway_parameter_is_explained_in_indonesian_only(
    stack: Stack, params: dict[str, str], words: str
) -> None:
    status, alert = _alert(stack, **params)
    assert status == 400
    assert alert == (
        f"Titik WiFi mengirim {words} yang tidak valid. Sambungkan ulang ke WiFi, lalu buka "
        "situs web apa saja."
    )
    assert not ENGLISH.search(alert), alert


def test_a_malformed_gateway_parameter_is_explained_in_english_on_an_english_page(
    stack: Stack,
) -> None:
    status, alert = _alert(stack, mac="zz:zz", lang="en")
    assert status == 400
    assert alert == (
        "The hotspot sent an invalid device address (MAC). Reconnect to the Wi-Fi, then open "
        "any website."
    )
    assert not INDONESIAN.search(alert), alert


@pytest.mark.parametrize(
    ("reason", "lang", "expected"),
    [
        # RouterOS's own English text on an Indonesian page.
        ("invalid username or password", "id", "Nama pengguna atau kata sandi salah."),
        ("RADIUS server is not responding", "id", "Server login tidak menjawab."),
        # The RADIUS server's Indonesian Reply-Message on an English page.
        ("Akun ini sedang dipakai di perangkat lain.", "en", "already in use on another device"),
        ("Masa berlaku voucher ini sudah habis.", "en", "This voucher has expired."),
    ],
)
def test_the_gateways_reason_is_given_in_the_pages_language(
    stack: Stack, reason: str, lang: str, expected: str
) -> None:
    status, alert = _alert(stack, error=reason, lang=lang)
    assert status == 200
    assert expected in alert
    other = ENGLISH if lang == "id" else INDONESIAN
    assert not other.search(alert), alert


def test_an_unknown_gateway_reason_gives_the_generic_sentence_not_foreign_words(
    stack: Stack,
) -> None:
    _, alert = _alert(stack, error="user blocked by walled garden rule 7")
    assert alert == "Login gagal. Silakan coba lagi."
