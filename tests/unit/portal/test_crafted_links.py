"""Links an attacker crafts to put their words or their site on the real portal's pages.

``error=`` (MikroTik's ``$(error)``), ``reply=`` (CoovaChilli) and ``next=`` come from the
address bar: anyone can send a citizen a link to the real portal with any of them. The page
shows only the portal's own sentences, and offers to continue only to the page the citizen's
own gateway passed in this browser's own login.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from netops.inventory import Inventory
from netops.portal.app import PortalSettings, create_app
from netops.portal.chap import escape_mikrotik
from netops.store import Store

GATEWAY = "http://10.254.200.1"
WANTED = "http://example.net/berita?hari=minggu"
MIKROTIK = {
    "link-login-only": f"{GATEWAY}/login",
    "link-orig": WANTED,
    "link-logout": f"{GATEWAY}/logout",
    "mac": "AA:BB:CC:DD:EE:41",
    "ip": "10.254.200.41",
    "chap-id": escape_mikrotik(b"\x07"),
    "chap-challenge": escape_mikrotik(bytes(range(16))),
    "server-name": "lab-park",
}
COOVA = {
    "res": "notyet",
    "uamip": "10.254.200.1",
    "uamport": "3990",
    "challenge": bytes(range(16)).hex(),
    "mac": "AA-BB-CC-DD-EE-42",
    "userurl": WANTED,
}
EVIL = "https://evil.example/"
LIES = (
    "Akun Anda diblokir. Hubungi 0812-0000-0000 di evil.example",
    "invalid password. Enter your bank PIN at evil.example",
    "RADIUS server is not responding <a href=https://evil.example/>help</a>",
)


def _client(settings: PortalSettings) -> TestClient:
    return TestClient(create_app(settings), follow_redirects=False)


@pytest.fixture
def settings(lab: Inventory, store: Store) -> PortalSettings:
    return PortalSettings(inventory=lab, store=store)


@pytest.fixture
def client(settings: PortalSettings) -> Iterator[TestClient]:
    with _client(settings) as c:
        yield c


def _hidden(text: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: unescape(v) for k, v in pairs}


def _continue_links(text: str) -> list[str]:
    """The hrefs of the status page's "Lanjut ke …" / "Continue to …" buttons."""
    return [
        unescape(href)
        for href, label in re.findall(r'<a class="btn" href="([^"]+)"[^>]*>([^<]+)</a>', text)
        if label.startswith(("Lanjut ke", "Continue to"))
    ]


def _voucher_login(client: TestClient, store: Store, params: dict[str, str]) -> str:
    """Log in with a fresh voucher; the hand-off's ``dst`` (MikroTik) or location (Coova)."""
    page = client.get("/login", params=params)
    data = _hidden(page.text)
    data.update(method="voucher", code=store.create_vouchers("gratis", 1)[0])
    reply = client.post("/login", data=data)
    if reply.status_code == 303:
        return reply.headers["location"]
    assert reply.status_code == 200, reply.text
    return _hidden(reply.text)["dst"]


@pytest.mark.parametrize("lie", LIES)
def test_a_crafted_mikrotik_error_never_appears_on_the_page(client: TestClient, lie: str) -> None:
    page = client.get("/login", params={**MIKROTIK, "error": lie})
    assert page.status_code == 200
    assert "evil" not in page.text.lower() and "0812" not in page.text
    assert 'role="alert"' in page.text  # a known sentence says the login failed


@pytest.mark.parametrize("lie", LIES)
def test_a_crafted_coova_reply_never_appears_on_the_page(client: TestClient, lie: str) -> None:
    page = client.get("/login", params={**COOVA, "res": "failed", "reply": lie})
    assert page.status_code == 200
    assert "evil" not in page.text.lower() and "0812" not in page.text


def test_a_crafted_next_gives_no_link_to_it(client: TestClient) -> None:
    for lang in ("id", "en"):
        page = client.get("/status", params={"next": EVIL, "lang": lang})
        assert page.status_code == 200
        assert "evil.example" not in page.text


def test_a_crafted_next_gives_no_link_even_to_a_signed_in_citizen(
    client: TestClient, store: Store
) -> None:
    _voucher_login(client, store, MIKROTIK)
    page = client.get("/status", params={"next": EVIL})
    assert "evil.example" not in page.text
    assert _continue_links(page.text) == []


def test_after_a_mikrotik_login_the_status_page_continues_to_the_wanted_page(
    client: TestClient, store: Store
) -> None:
    dst = _voucher_login(client, store, MIKROTIK)
    page = client.get(dst)  # where the gateway sends the phone after the login
    assert _continue_links(page.text) == [WANTED]
    # The language switch and "refresh" keep the button.
    switched = re.search(r'<a class="lang" href="([^"]+)"', page.text)
    assert switched
    english = client.get(unescape(switched.group(1)))
    assert _continue_links(english.text) == [WANTED]


def test_a_signed_destination_works_only_in_the_browser_that_logged_in(
    settings: PortalSettings, store: Store
) -> None:
    with _client(settings) as citizen, _client(settings) as victim:
        evil_login = {**MIKROTIK, "link-orig": EVIL}
        dst = _voucher_login(citizen, store, evil_login)  # an attacker's own free login
        assert _continue_links(citizen.get(dst).text) == [EVIL]
        # The same signed link, sent to someone else, gives them no button.
        victim.get("/login", params=MIKROTIK)
        page = victim.get(dst)
        assert "evil.example" not in page.text


def test_a_tampered_signed_destination_gives_no_link(client: TestClient, store: Store) -> None:
    dst = _voucher_login(client, store, MIKROTIK)
    parts = urlsplit(dst)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["next"] = EVIL
    page = client.get("/status", params=query)
    assert "evil.example" not in page.text


def test_after_a_coova_login_the_status_page_continues_to_the_wanted_page(
    client: TestClient, store: Store
) -> None:
    _voucher_login(client, store, COOVA)
    # CoovaChilli sends the phone back with res=success and the userurl it was given.
    back = client.get("/login", params={**COOVA, "res": "success"})
    assert back.status_code == 303
    page = client.get(back.headers["location"])
    assert _continue_links(page.text) == [WANTED]


def test_a_crafted_coova_success_gives_no_link_to_another_page(
    client: TestClient, store: Store
) -> None:
    _voucher_login(client, store, COOVA)
    back = client.get("/login", params={**COOVA, "res": "success", "userurl": EVIL})
    page = client.get(back.headers["location"])
    assert "evil.example" not in page.text


def test_in_chap_in_browser_mode_the_gateway_dst_continues_to_the_wanted_page(
    lab: Inventory, store: Store
) -> None:
    settings = PortalSettings(inventory=lab, store=store, chap_in_browser=True)
    with _client(settings) as client:
        page = client.get("/login", params=MIKROTIK)
        dst = _hidden(page.text)["dst"]
        assert _continue_links(client.get(dst).text) == [WANTED]
