"""The portal app over HTTP (in-process ASGI client) with a real SQLite store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from netops.inventory import Inventory
from netops.portal.app import PortalSettings, create_app
from netops.portal.branding import load_branding
from netops.portal.chap import chap_verify, escape_mikrotik
from netops.store import Store
from tests.support.records import acct_record

TOKEN = "operator-token-for-tests-0123456789"
GATEWAY = "http://10.254.200.1"
MIKROTIK = {
    "link-login-only": f"{GATEWAY}/login",
    "link-orig": "http://example.net/",
    "link-logout": f"{GATEWAY}/logout",
    "mac": "AA:BB:CC:DD:EE:01",
    "ip": "10.254.200.23",
    "chap-id": escape_mikrotik(b"\x07"),
    "chap-challenge": escape_mikrotik(bytes(range(16))),
    "dst": "http://example.net/",
    "server-name": "lab-park",
}
PAGE_BUDGET = 30 * 1024


@pytest.fixture
def settings(lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch) -> PortalSettings:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    return PortalSettings(inventory=lab, store=store)


@pytest.fixture
def client(settings: PortalSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.inputs: list[dict[str, str | None]] = []
        self.labels: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action", "srcset", "poster", "data"):
            if found.get(name):
                self.refs.append((tag, name, found[name] or ""))
        if tag == "input" and found.get("type") not in ("hidden", "checkbox"):
            self.inputs.append(found)
        if tag == "label" and found.get("for"):
            self.labels.add(found["for"] or "")


def _hidden(html: str) -> dict[str, str]:
    import html as h

    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {k: h.unescape(v) for k, v in pairs}


def _form(client: TestClient, method: str, **fields: str) -> dict[str, str]:
    page = client.get("/login", params=MIKROTIK)
    data = _hidden(page.text)
    data.update(method=method, **fields)
    return data


def _error(html: str) -> str:
    match = re.search(r'<p class="error" role="alert"[^>]*>([^<]+)</p>', html)
    assert match, "the page shows no error"
    return match.group(1)


# --- citizens' pages ---------------------------------------------------------------------------


def test_login_page_is_indonesian_by_default_with_the_hotspot_and_city(client: TestClient) -> None:
    page = client.get("/login", params=MIKROTIK)
    assert page.status_code == 200
    assert '<html lang="id">' in page.text
    assert "Masuk ke WiFi Gratis Lab" in page.text
    assert "Lokasi: Lab Park" in page.text
    assert "Kode voucher" in page.text and "Mulai internet gratis" in page.text


def test_login_page_with_its_assets_fits_30_kb_and_references_nothing_external(
    client: TestClient,
) -> None:
    page = client.get("/login", params=MIKROTIK)
    parser = _Refs()
    parser.feed(page.text)
    total = len(page.content)
    base = "http://testserver/login"
    for tag, attr, ref in parser.refs:
        url = urljoin(base, ref)
        assert urlsplit(url).netloc == "testserver", f"<{tag} {attr}> points outside: {ref}"
        if tag in ("link", "img", "script"):
            asset = client.get(urlsplit(url).path)
            assert asset.status_code == 200
            total += len(asset.content)
    css = client.get("/static/portal.css").text
    assert not re.search(r"url\(|@import|https?://", css)
    # One inline script, allowed by the response's nonce (a QR code's voucher); every form
    # works without it.
    nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
    assert nonce and re.findall(r"<script[^>]*>", page.text) == [f'<script nonce="{nonce[1]}">']
    assert total <= PAGE_BUDGET, f"login page and assets weigh {total} bytes"


def test_every_login_field_has_a_label(client: TestClient) -> None:
    parser = _Refs()
    parser.feed(client.get("/login", params=MIKROTIK).text)
    assert parser.inputs
    for field in parser.inputs:
        assert field.get("id") in parser.labels, f"input {field.get('name')} has no label"


def test_english_switch_keeps_the_gateway_parameters(client: TestClient) -> None:
    page = client.get("/login", params=MIKROTIK)
    switch = re.search(r'class="lang" href="([^"]+)"', page.text)
    assert switch
    english = client.get(switch.group(1).replace("&amp;", "&"))
    assert '<html lang="en">' in english.text
    assert "Sign in to WiFi Gratis Lab" in english.text
    assert _hidden(english.text)["link-login-only"] == MIKROTIK["link-login-only"]


def test_wrong_voucher_shows_the_error_in_indonesian(client: TestClient) -> None:
    reply = client.post("/login", data=_form(client, "voucher", code="ABCD-EFGH-JK"))
    assert reply.status_code == 400
    assert _error(reply.text) == "Kode voucher tidak dikenal. Periksa kembali kode Anda."
    assert 'value="ABCD-EFGH-JK"' in reply.text  # what was typed is kept


def test_wrong_voucher_in_english_after_the_switch(client: TestClient) -> None:
    data = _form(client, "voucher", code="ABCD-EFGH-JK")
    data["lang"] = "en"
    assert _error(client.post("/login", data=data).text) == (
        "Unknown voucher code. Please check your code."
    )


def test_voucher_in_the_wrong_shape_gets_a_format_hint(client: TestClient) -> None:
    reply = client.post("/login", data=_form(client, "voucher", code="12"))
    assert reply.status_code == 422
    assert "10 huruf dan angka" in _error(reply.text)


def test_form_without_a_valid_csrf_token_is_refused(client: TestClient) -> None:
    data = _form(client, "voucher", code="ABCD-EFGH-JK")
    data["csrf"] = "forged"
    reply = client.post("/login", data=data)
    assert reply.status_code == 403
    assert "kedaluwarsa" in _error(reply.text)
    other = TestClient(client.app)
    assert other.post("/login", data=_form(client, "voucher", code="X")).status_code == 403


def test_voucher_guessing_is_rate_limited_per_mac(client: TestClient, store: Store) -> None:
    good = store.create_vouchers("gratis", 1)[0]
    for _ in range(5):
        wrong = client.post("/login", data=_form(client, "voucher", code="ABCD-EFGH-JK"))
        assert wrong.status_code == 400
    blocked = client.post("/login", data=_form(client, "voucher", code=good))
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Terlalu banyak percobaan" in _error(blocked.text)


def test_guessing_with_many_macs_from_an_address_that_is_no_gateway_hits_its_ceiling(
    settings: PortalSettings, store: Store
) -> None:
    settings.source_limit = 3
    client = TestClient(create_app(settings), follow_redirects=False)
    for n in range(3):
        data = _form(client, "voucher", code="ABCD-EFGH-JK")
        data["mac"] = f"AA:BB:CC:DD:EE:1{n}"
        assert client.post("/login", data=data).status_code == 400
    data = _form(client, "voucher", code=store.create_vouchers("gratis", 1)[0])
    data["mac"] = "AA:BB:CC:DD:EE:20"
    assert client.post("/login", data=data).status_code == 429


def test_good_voucher_hands_off_to_the_gateway_with_chap(client: TestClient, store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    reply = client.post("/login", data=_form(client, "voucher", code=code))
    assert reply.status_code == 200
    form = re.search(r'<form id="handoff" method="post" action="([^"]+)"', reply.text)
    assert form and form.group(1) == MIKROTIK["link-login-only"]
    fields = _hidden(reply.text)
    # The gateway gets the voucher's derived name and hand-off password, never the code.
    name = store.voucher_name(code)
    assert name and fields["username"] == name
    assert code.replace("-", "") not in reply.text and code not in reply.text
    handoff = store.voucher_handoff(name)
    assert chap_verify(7, handoff, bytes(range(16)), bytes.fromhex(fields["password"]))
    assert fields["dst"].startswith("http://testserver/status?")
    csp = reply.headers["content-security-policy"]
    nonce = re.search(r'<script nonce="([^"]+)">', reply.text)
    assert nonce and f"'nonce-{nonce.group(1)}'" in csp
    assert f"form-action 'self' {GATEWAY}" in csp
    cookie = reply.headers["set-cookie"]
    assert "netops_portal=" in cookie and "HttpOnly" in cookie


def test_status_page_shows_time_and_data_left_after_login(client: TestClient, store: Store) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    client.post("/login", data=_form(client, "voucher", code=code))
    status = client.get("/status", params={"lang": "id"})
    rows = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", status.text))
    assert rows["Akun"] == "Voucher"
    assert code not in status.text and code.replace("-", "") not in status.text
    assert rows["Sisa waktu hari ini"] == "2 jam 0 menit"
    assert rows["Sisa kuota data"] == "1,0 GB"


def test_status_page_without_a_login_says_so(client: TestClient) -> None:
    status = client.get("/status")
    assert "Tidak ada sesi aktif" in status.text


def test_clickthrough_needs_the_terms_ticked(client: TestClient) -> None:
    reply = client.post("/login", data=_form(client, "free"))
    assert reply.status_code == 422
    assert "Centang persetujuan" in _error(reply.text)


def test_clickthrough_creates_the_allowance_and_hands_off(client: TestClient, store: Store) -> None:
    reply = client.post("/login", data=_form(client, "free", accept="yes"))
    assert reply.status_code == 200
    username = _hidden(reply.text)["username"]
    sub = store.lookup(username)
    assert sub is not None and sub.kind == "clickthrough" and sub.hotspot == "lab-park"


def test_login_without_gateway_parameters_explains_how_to_connect(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'role="alert"' not in page.text
    notice = re.search(r'<p class="note" role="status" id="notice">([^<]+)</p>', page.text)
    assert notice and "Halaman ini harus dibuka dari jaringan WiFi Gratis Lab" in notice.group(1)
    data = _hidden(page.text)
    data.update(method="voucher", code="ABCD-EFGH-JK")
    refused = client.post("/login", data=data)
    assert refused.status_code == 400
    assert "Halaman ini harus dibuka dari jaringan WiFi Gratis Lab" in _error(refused.text)


def test_malformed_gateway_parameters_get_a_clear_400(client: TestClient) -> None:
    page = client.get("/login", params={**MIKROTIK, "mac": "zz"})
    assert page.status_code == 400
    assert _error(page.text) == (
        "Titik WiFi mengirim alamat perangkat (MAC) yang tidak valid. Sambungkan ulang ke WiFi, "
        "lalu buka situs web apa saja."
    )


def test_gateway_reject_message_is_shown(client: TestClient) -> None:
    page = client.get(
        "/login", params={**MIKROTIK, "error": "Akun ini sedang dipakai di perangkat lain."}
    )
    assert _error(page.text) == (
        "Titik WiFi menolak login: Akun ini sedang dipakai di perangkat lain."
    )
    assert "error" not in _hidden(page.text)


def test_coova_redirect_logs_on_through_uam(client: TestClient, store: Store) -> None:
    coova = {
        "res": "notyet",
        "uamip": "10.254.200.1",  # lab-hs-01's hotspot address
        "uamport": "3990",
        "challenge": bytes(range(16)).hex(),
        "mac": "AA-BB-CC-DD-EE-09",
        "userurl": "http://example.net/",
    }
    page = client.get("/login", params=coova)
    assert "form-action 'self' http://10.254.200.1:3990" in page.headers["content-security-policy"]
    data = _hidden(page.text)
    data.update(method="voucher", code=store.create_vouchers("gratis", 1)[0])
    reply = client.post("/login", data=data)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("http://10.254.200.1:3990/logon?username=")
    success = client.get("/login", params={**coova, "res": "success"})
    assert success.status_code == 303 and "/status" in success.headers["location"]


def test_every_page_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/login", "/status", "/terms", "/privasi", "/admin/login", "/api/captive"):
        headers = client.get(path).headers
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "no-referrer", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert "default-src 'none'" in headers["content-security-policy"], path


def test_captive_api_reports_captive_for_an_unknown_device(client: TestClient) -> None:
    reply = client.get("/api/captive")
    assert reply.headers["content-type"] == "application/captive+json"
    body = reply.json()
    assert body["captive"] is True
    assert body["user-portal-url"] == "http://127.0.0.1:8080/"


def test_terms_page_shows_the_city_terms_in_the_chosen_language(client: TestClient) -> None:
    assert "Gunakan dengan wajar" in client.get("/terms").text
    assert "Use it fairly" in client.get("/terms", params={"lang": "en"}).text


def test_a_lost_database_gives_a_clear_page_and_the_portal_recovers(
    settings: PortalSettings, tmp_path: Path
) -> None:
    client = TestClient(create_app(settings), follow_redirects=False)
    data = _form(client, "voucher", code="ABCD-EFGH-JK")
    settings.store.close()
    db = tmp_path / "netops.db"
    db.rename(tmp_path / "moved.db")
    db.mkdir()  # the database path is now a folder: SQLite cannot open it
    reply = client.post("/login", data=data)
    assert reply.status_code == 503
    assert _error(reply.text) == "Layanan sedang gangguan. Silakan coba beberapa saat lagi."
    api = client.get("/api/admin/vouchers", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 503
    db.rmdir()
    (tmp_path / "moved.db").rename(db)
    assert client.post("/login", data=data).status_code == 400


# --- operators ---------------------------------------------------------------------------------


def _bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def test_admin_api_refuses_missing_or_wrong_tokens(client: TestClient) -> None:
    assert client.get("/api/admin/plans").status_code == 401
    wrong = client.get("/api/admin/plans", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert client.get("/api/admin/plans", headers=_bearer()).status_code == 200


def test_admin_api_refuses_everyone_when_no_token_is_configured(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_ADMIN_TOKEN")
    assert client.get("/api/admin/plans", headers=_bearer()).status_code == 401


def test_voucher_batch_via_api_then_list_and_revoke(client: TestClient, store: Store) -> None:
    batch = {"plan": "gratis", "count": 3, "batch": "pasar"}
    made = client.post("/api/admin/vouchers", json=batch, headers=_bearer())
    assert made.status_code == 201
    codes = made.json()["codes"]
    shape = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}")
    assert len(codes) == 3 and all(shape.fullmatch(c) for c in codes)
    listed = client.get("/api/admin/vouchers", params={"batch": "pasar"}, headers=_bearer())
    names = sorted(store.voucher_name(c) or "" for c in codes)
    assert sorted(v["name"] for v in listed.json()) == names
    assert not any(c.replace("-", "") in listed.text or c in listed.text for c in codes)
    gone = client.delete(f"/api/admin/vouchers/{codes[0].lower()}", headers=_bearer())
    assert gone.json() == {"name": store.voucher_name(codes[0]), "revoked": True}
    assert store.lookup(codes[0]).enabled is False  # type: ignore[union-attr]
    assert client.delete("/api/admin/vouchers/ABCD-EFGH-JK", headers=_bearer()).status_code == 404


def test_voucher_batch_for_an_unknown_plan_is_a_clear_422(client: TestClient) -> None:
    reply = client.post("/api/admin/vouchers", json={"plan": "emas"}, headers=_bearer())
    assert reply.status_code == 422
    assert "plan 'emas' is not in the inventory" in reply.json()["detail"]


def _console(client: TestClient) -> None:
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    reply = client.post("/admin/login", data={"csrf": csrf.group(1), "token": TOKEN})
    assert reply.status_code == 303


def test_console_pages_need_a_sign_in(client: TestClient) -> None:
    for path in ("/admin/vouchers", "/admin/sessions", "/admin/usage"):
        reply = client.get(path)
        assert (reply.status_code, reply.headers["location"]) == (303, "/admin/login")


def test_console_sign_in_sets_an_httponly_cookie_that_does_not_hold_the_token(
    client: TestClient,
) -> None:
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    bad = client.post("/admin/login", data={"csrf": csrf, "token": "guess"})
    assert bad.status_code == 401 and "Token tersebut tidak valid." in bad.text
    good = client.post("/admin/login", data={"csrf": csrf, "token": TOKEN})
    cookie = good.headers["set-cookie"]
    assert "netops_admin=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert TOKEN not in cookie
    page = client.get("/admin/vouchers")
    assert page.status_code == 200 and TOKEN not in page.text


def test_console_sign_in_is_rate_limited(client: TestClient) -> None:
    form = client.get("/admin/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    for _ in range(5):
        client.post("/admin/login", data={"csrf": csrf, "token": "guess"})
    assert client.post("/admin/login", data={"csrf": csrf, "token": TOKEN}).status_code == 429


def test_console_creates_a_batch_and_prints_cards_with_qr_codes(
    client: TestClient, store: Store
) -> None:
    _console(client)
    page = client.get("/admin/vouchers")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    made = client.post(
        "/admin/vouchers",
        data={"csrf": csrf, "plan": "voucher-harian", "count": "4", "batch": "festival"},
    )
    assert made.status_code == 303
    sheet = client.get(made.headers["location"])
    assert sheet.status_code == 200
    assert sheet.text.count('class="card"') == 4
    assert sheet.text.count("<svg") >= 4 and 'class="segno"' in sheet.text
    codes = {group for group in re.findall(r'<p class="c">([^<]+)</p>', sheet.text)}
    stored = store.list_vouchers(batch="festival")
    # Cards carry the codes, which the store keeps only encrypted under the derived names.
    assert codes == {store.voucher_code(v) for v in stored}
    assert all(store.voucher_name(c) in {v.username for v in stored} for c in codes)
    assert "1 hari sejak dipakai" in sheet.text


def test_console_rejects_a_bad_batch_with_the_reason(client: TestClient) -> None:
    _console(client)
    page = client.get("/admin/vouchers")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = client.post("/admin/vouchers", data={"csrf": csrf, "plan": "gratis", "count": "0"})
    assert bad.status_code == 422 and "count" in bad.text
    forged = client.post("/admin/vouchers", data={"csrf": "x", "plan": "gratis", "count": "1"})
    assert forged.status_code == 403


def test_console_revokes_a_voucher(client: TestClient, store: Store) -> None:
    code = store.create_vouchers("gratis", 1, batch="b")[0]
    _console(client)
    page = client.get("/admin/vouchers", params={"batch": "b"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = client.post("/admin/vouchers/revoke", data={"csrf": csrf, "code": code})
    assert done.status_code == 303 and "dicabut" in done.headers["location"]
    assert store.lookup(code).enabled is False  # type: ignore[union-attr]


def test_console_usage_page_lists_every_hotspot(client: TestClient) -> None:
    _console(client)
    page = client.get("/admin/usage")
    assert page.status_code == 200 and "Lab Park" in page.text


def test_the_stylesheet_carries_the_city_colour(settings: PortalSettings) -> None:
    client = TestClient(create_app(settings))
    assert "--c:#0b5d7a" in client.get("/static/portal.css").text
    settings.branding = replace(load_branding(settings.inventory), colour="#0a6b3d")
    themed = TestClient(create_app(settings))
    assert "--c:#0a6b3d" in themed.get("/static/portal.css").text


def test_new_clickthrough_allowances_are_rate_limited_per_source(settings: PortalSettings) -> None:
    settings.clickthrough_limit = 2
    client = TestClient(create_app(settings), follow_redirects=False)
    for n in range(2):
        data = _form(client, "free", accept="yes")
        data["mac"] = f"AA:BB:CC:DD:EF:0{n}"
        assert client.post("/login", data=data).status_code == 200
        # Another phone each time: the device cookie would carry one phone's allowance.
        client.cookies.delete("netops_device")
    data = _form(client, "free", accept="yes")
    data["mac"] = "AA:BB:CC:DD:EF:09"
    blocked = client.post("/login", data=data)
    assert blocked.status_code == 429
    assert "Terlalu banyak percobaan" in _error(blocked.text)
    today = datetime.now(ZoneInfo(settings.inventory.meta.timezone)).date()
    assert (
        settings.store.lookup(settings.store.clickthrough_name("aa:bb:cc:dd:ef:09", today) or "")
        is None
    )
    assert (
        settings.store.lookup(settings.store.clickthrough_name("aa:bb:cc:dd:ef:01", today) or "")
        is not None
    )


def test_chap_in_browser_mode_posts_straight_to_the_gateway_with_a_nonced_script(
    settings: PortalSettings,
) -> None:
    settings.chap_in_browser = True
    client = TestClient(create_app(settings))
    page = client.get("/login", params=MIKROTIK)
    actions = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert actions.count(MIKROTIK["link-login-only"]) == 2  # voucher and account
    # click-through and the phone sign-up still go through the portal
    assert actions.count("/login") == 2
    assert 'data-chap-id="07"' in page.text
    assert f'data-chap-challenge="{bytes(range(16)).hex()}"' in page.text
    nonce = re.search(r'<script nonce="([^"]+)">', page.text)
    csp = page.headers["content-security-policy"]
    assert nonce and f"script-src 'nonce-{nonce.group(1)}'" in csp
    assert f"form-action 'self' {GATEWAY}" in csp
    assert "hexMD5" in page.text and "<noscript>" in page.text
    assert len(page.content) + len(client.get("/static/portal.css").content) <= PAGE_BUDGET
    pap = {k: v for k, v in MIKROTIK.items() if not k.startswith("chap-")}
    assert "hexMD5" not in client.get("/login", params=pap).text  # PAP: the checked path


def test_console_speaks_indonesian_by_default_and_switches_to_english(client: TestClient) -> None:
    _console(client)
    page = client.get("/admin/vouchers")
    assert '<html lang="id">' in page.text and "Buat dan cetak" in page.text
    english = client.get("/admin/vouchers", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Create and print" in english.text
    assert "Create and print" in client.get("/admin/vouchers").text  # remembered


def test_captive_api_reports_an_online_device_with_what_is_left(
    settings: PortalSettings, store: Store
) -> None:

    code = store.create_vouchers("gratis", 1)[0].replace("-", "")
    record = acct_record(
        status="start",
        nas_ip="127.0.0.1",
        nas_identifier="lab-hs-01",
        username=code,
        acct_session_id="s-1",
        hotspot="lab-park",
        mac="aa:bb:cc:dd:ee:01",
        ip="10.254.200.10",
        event_time=datetime.now(ZoneInfo("UTC")),
    )
    store.account(record)
    store.account(replace(record, status="interim", session_time=600, output_octets=100_000_000))
    phone = TestClient(create_app(settings), client=("10.254.200.10", 50000))
    body = phone.get("/api/captive").json()
    assert body["captive"] is False
    assert body["seconds-remaining"] == 7200 - 600
    assert body["bytes-remaining"] == 900_000_000
    other = TestClient(create_app(settings), client=("10.254.200.11", 50000))
    assert other.get("/api/captive").json()["captive"] is True


ATTACKER = "http://attacker.example/steal"
AUTO = re.compile(r"<form [^>]*data-auto")


def test_a_forged_login_endpoint_gets_an_indonesian_error_and_never_the_code(
    client: TestClient, store: Store
) -> None:
    code = store.create_vouchers("gratis", 1)[0]
    forged = {**MIKROTIK, "link-login-only": ATTACKER}
    page = client.get("/login", params=forged)
    assert page.status_code == 400
    assert "tidak terdaftar di jaringan" in _error(page.text)
    assert "attacker.example" not in page.headers["content-security-policy"]
    assert "<form" not in page.text
    # The same parameters posted with a real voucher (a page saved before the fix).
    data = _form(client, "voucher", code=code)
    data["link-login-only"] = ATTACKER
    reply = client.post("/login", data=data)
    assert reply.status_code == 400 and "tidak terdaftar" in _error(reply.text)
    assert code.replace("-", "") not in reply.text and "attacker.example" not in reply.text
    assert "attacker.example" not in reply.headers["content-security-policy"]


def test_a_forged_coova_uamip_or_logout_link_gets_the_error_page(client: TestClient) -> None:
    coova = {"res": "notyet", "uamip": "127.0.0.66", "uamport": "3990", "mac": "AA-BB-CC-00-00-01"}
    coova["challenge"] = "00" * 16
    assert client.get("/login", params=coova).status_code == 400
    logout = client.get("/login", params={**MIKROTIK, "link-logout": "http://attacker.example/"})
    assert logout.status_code == 400


def test_clickthrough_with_another_phones_mac_never_shows_its_password(
    client: TestClient, store: Store
) -> None:
    pap = {k: v for k, v in MIKROTIK.items() if not k.startswith("chap-")}

    def free(browser: TestClient) -> str:
        page = browser.get("/login", params=pap)
        data = _hidden(page.text)
        data.update(method="free", accept="yes")
        reply = browser.post("/login", data=data)
        assert reply.status_code == 200
        return _hidden(reply.text)["password"]

    victim = free(client)
    attacker = TestClient(client.app, follow_redirects=False)
    stolen = free(attacker)
    assert stolen != victim and stolen.startswith("ct-") is False
    username = store.clickthrough_name(pap["mac"], datetime.now(ZoneInfo("Asia/Makassar")).date())
    sub = store.lookup(username or "")
    assert sub is not None and not store.check_password(sub, victim)


def test_wrong_codes_posted_with_a_victims_mac_do_not_lock_the_victim_out(
    client: TestClient, store: Store
) -> None:
    attacker = TestClient(client.app, follow_redirects=False)
    for _ in range(8):
        wrong = attacker.post("/login", data=_form(attacker, "voucher", code="ABCD-EFGH-JK"))
    assert wrong.status_code == 429  # the attacker's own browser is stopped
    good = store.create_vouchers("gratis", 1)[0]
    reply = client.post("/login", data=_form(client, "voucher", code=good))
    assert reply.status_code == 200 and "Lanjutkan" in reply.text


def _behind_the_gateway(settings: PortalSettings) -> TestClient:
    """A browser whose requests come from lab-hs-01's address (its NAT), like every phone of
    the lab hotspot."""
    return TestClient(create_app(settings), follow_redirects=False, client=("127.0.0.1", 40000))


def test_new_allowances_are_capped_per_hotspot_per_hour(settings: PortalSettings) -> None:
    settings.clickthrough_hourly = 3
    app = _behind_the_gateway(settings).app
    for n in range(4):
        phone = TestClient(app, follow_redirects=False, client=("127.0.0.1", 40000 + n))
        data = _form(phone, "free", accept="yes")
        data["mac"] = f"AA:BB:CC:DD:EF:1{n}"
        reply = phone.post("/login", data=data)
        assert reply.status_code == (200 if n < 3 else 429), n
    # A phone that already has today's allowance is not a new one: it still gets in.
    data = _form(phone, "free", accept="yes")
    data["mac"] = "AA:BB:CC:DD:EF:10"
    assert phone.post("/login", data=data).status_code == 200


def test_the_card_qr_code_carries_the_voucher_in_the_fragment(
    client: TestClient, store: Store
) -> None:
    import segno

    code = store.create_vouchers("gratis", 1, batch="qr")[0]
    _console(client)
    sheet = client.get("/admin/vouchers/print", params={"batch": "qr"}).text
    url = f"http://127.0.0.1:8080/#voucher={code}"
    expected = segno.make(url, error="m").svg_inline(scale=3, border=2, title=f"Voucher {code}")
    assert expected in sheet


def test_opened_past_the_gateway_the_page_sends_the_phone_through_it(
    settings: PortalSettings,
) -> None:
    phone = _behind_the_gateway(settings)
    page = phone.get("/")
    assert 'data-bounce="http://login.lab.netops.test/login"' in page.text
    assert not AUTO.search(page.text)
    # From anywhere else (not a hotspot of the city) there is no gateway to go through.
    elsewhere = TestClient(phone.app, client=("198.51.100.7", 40000)).get("/")
    assert "data-bounce=" not in elsewhere.text
    # Through the gateway, the page logs a #voucher in by itself; never after a failure.
    assert AUTO.search(phone.get("/login", params=MIKROTIK).text)
    wrong = phone.post("/login", data=_form(phone, "voucher", code="ABCD-EFGH-JK"))
    assert not AUTO.search(wrong.text)


def test_privacy_notice_without_a_privacy_section_says_so(
    lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    settings = PortalSettings(inventory=lab.model_copy(update={"privacy": None}), store=store)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        reply = c.get("/privasi", params={"lang": "en"})
    assert reply.status_code == 404
    assert "The privacy notice has not been published yet" in reply.text


def test_privacy_notice_carries_the_gateway_context_back_to_login(client: TestClient) -> None:
    reply = client.get("/privasi", params={"hotspot": "lab-park", "lang": "id"})
    assert reply.status_code == 200
    assert "Pejabat Pelindungan Data Pribadi" in reply.text
    back = re.search(r'<a class="btn" href="([^"]+)"', reply.text)
    assert back is not None and back.group(1).endswith("login?hotspot=lab-park&amp;lang=id")
