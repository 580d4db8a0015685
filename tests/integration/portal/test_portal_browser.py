"""The captive portal end to end in headless Chromium: a phone joins the lab hotspot.

Real peers: ``netops radius serve`` and ``netops portal serve`` (subprocesses), the simulated
MikroTik gateway (real HTTP + RADIUS CHAP/PAP + accounting + RFC 5176), Chromium.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from tests.support.portal_peers import (
    ADMIN_TOKEN,
    CHROMIUM_ARGS,
    GATEWAY_HOST,
    LAB,
    NETOPS,
    PHONE,
    REPO,
    Stack,
    quota_of,
    require_chromium,
    serving_portal,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _join_hotspot(page: Any, stack: Stack, path: str = "/berita") -> None:
    """Open any site through the gateway: it redirects to the portal's login page."""
    page.goto(f"{stack.gateway.base_url}{path}")
    assert page.url.startswith(stack.portal_url + "login?")


def _mac_of(stack: Stack, username: str) -> str:
    return next(a.mac for a in reversed(stack.gateway.attempts) if a.username == username)


def test_voucher_from_the_cli_logs_in_with_chap_and_status_shows_the_quota(
    stack: Stack, phone: Any, artifacts: Path
) -> None:
    made = subprocess.run(
        [
            str(NETOPS),
            "-i",
            str(LAB),
            "--db",
            stack.db,
            "voucher",
            "create",
            "--plan",
            "gratis",
            "--count",
            "1",
            "--format",
            "csv",
        ],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    code = re.findall(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}", made.stdout)[0]

    _join_hotspot(phone, stack)
    assert phone.locator("html").get_attribute("lang") == "id"
    assert phone.title() == "Masuk ke WiFi Gratis Lab"
    phone.screenshot(path=str(artifacts / "login-id.png"), full_page=True)

    phone.get_by_label("Kode voucher", exact=True).fill(code.lower())
    phone.get_by_role("button", name="Masuk dengan voucher").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))

    attempt = stack.gateway.attempts[-1]
    username = stack.store.voucher_name(code)
    assert (attempt.username, attempt.method, attempt.accepted) == (username, "chap", True)
    wait_for(lambda: stack.store.open_sessions(username), "Accounting-Start in the store")
    assert phone.get_by_role("status").inner_text() == "Anda terhubung ke internet."
    quota = quota_of(phone)
    assert quota["Akun"] == "Voucher"
    assert quota["Sisa waktu hari ini"] == "2 jam 0 menit"
    assert quota["Sisa kuota data"] == "1,0 GB"

    # The phone browses: the gateway reports 50 MB up, 150 MB down and 10 minutes.
    stack.gateway.traffic(
        _mac_of(stack, username), input_octets=50_000_000, output_octets=150_000_000, seconds=600
    )
    wait_for(lambda: stack.store.usage(username).octets == 200_000_000, "the Interim-Update stored")
    phone.get_by_role("link", name="Perbarui").click()
    quota = quota_of(phone)
    assert quota["Sisa kuota data"] == "800 MB"
    assert quota["Sisa waktu hari ini"] == "1 jam 50 menit"
    assert quota["Terpakai hari ini"] == "10 menit · 200 MB"
    phone.screenshot(path=str(artifacts / "status-id.png"), full_page=True)


def test_wrong_voucher_shows_the_error_in_bahasa_indonesia(
    stack: Stack, phone: Any, artifacts: Path
) -> None:
    _join_hotspot(phone, stack)
    before = len(stack.gateway.attempts)
    phone.get_by_label("Kode voucher", exact=True).fill("ABCD-EFGH-JK")
    phone.get_by_role("button", name="Masuk dengan voucher").click()
    alert = phone.get_by_role("alert")
    assert alert.inner_text() == "Kode voucher tidak dikenal. Periksa kembali kode Anda."
    assert phone.get_by_label("Kode voucher", exact=True).input_value() == "ABCD-EFGH-JK"
    assert len(stack.gateway.attempts) == before  # a wrong code never reaches the gateway
    phone.screenshot(path=str(artifacts / "wrong-voucher-id.png"), full_page=True)


def test_clickthrough_reaches_access_accept(stack: Stack, phone: Any) -> None:
    _join_hotspot(phone, stack)
    phone.get_by_label("Saya setuju dengan syarat dan ketentuan", exact=True).check()
    phone.get_by_role("button", name="Mulai internet gratis").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    attempt = stack.gateway.attempts[-1]
    assert attempt.accepted and attempt.method == "chap"
    assert attempt.username.startswith("ct-")
    sub = stack.store.lookup(attempt.username)
    assert sub is not None and sub.kind == "clickthrough" and sub.hotspot == "lab-park"
    assert quota_of(phone)["Akun"] == "Internet gratis harian"


def test_english_switch_translates_the_page_and_the_errors(stack: Stack, phone: Any) -> None:
    _join_hotspot(phone, stack)
    phone.get_by_role("link", name=re.compile("English")).click()
    assert phone.locator("html").get_attribute("lang") == "en"
    phone.get_by_label("Voucher code", exact=True).fill("ABCD-EFGH-JK")
    phone.get_by_role("button", name="Sign in with voucher").click()
    assert phone.get_by_role("alert").inner_text() == (
        "Unknown voucher code. Please check your code."
    )


def test_radius_reject_comes_back_from_the_gateway_in_bahasa_indonesia(
    stack: Stack, browser: Any
) -> None:
    stack.store.add_user("budi", "rahasia-budi-1", "gratis")
    first, second = browser.new_context(**PHONE), browser.new_context(**PHONE)
    try:
        for context in (first, second):
            page = context.new_page()
            _join_hotspot(page, stack)
            page.get_by_label("Nama pengguna", exact=True).fill("budi")
            page.get_by_label("Kata sandi", exact=True).fill("rahasia-budi-1")
            page.get_by_role("button", name="Masuk", exact=True).click()
            page.wait_for_load_state()
        wait_for(lambda: len(stack.store.open_sessions("budi")) == 1, "budi's first session")
        # The second phone passed the portal's check but the RADIUS server refused it:
        # the plan allows one device at a time.
        assert stack.gateway.attempts[-1].accepted is False
        assert page.get_by_role("alert").inner_text() == (
            "Titik WiFi menolak login: Akun ini sedang dipakai di perangkat lain."
        )
    finally:
        first.close()
        second.close()


def test_pap_gateway_logs_in_without_javascript(stack: Stack, browser: Any) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    pap = stack.gateway_sim(chap=False)
    context = browser.new_context(java_script_enabled=False, **PHONE)
    try:
        pap.start()
        page = context.new_page()
        page.goto(f"{pap.base_url}/")
        assert "chap-id" not in page.url
        page.get_by_label("Kode voucher", exact=True).fill(code)
        page.get_by_role("button", name="Masuk dengan voucher").click()
        # Without JavaScript the hand-off page waits for a tap on its button.
        page.get_by_role("button", name="Lanjutkan").click()
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        attempt = pap.attempts[-1]
        assert (attempt.method, attempt.accepted) == ("pap", True)
        assert quota_of(page)["Akun"] == "Voucher"
    finally:
        context.close()
        pap.stop()


def test_logout_ends_the_session_with_accounting_stop(stack: Stack, phone: Any) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    _join_hotspot(phone, stack)
    phone.get_by_label("Kode voucher", exact=True).fill(code)
    phone.get_by_role("button", name="Masuk dengan voucher").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    username = stack.store.voucher_name(code)
    wait_for(lambda: stack.store.open_sessions(username), "the session to start")
    phone.get_by_role("button", name="Keluar").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"logged-out"))
    assert phone.get_by_role("heading", name="Anda sudah keluar").is_visible()
    wait_for(lambda: not stack.store.open_sessions(username), "Accounting-Stop in the store")
    stopped = stack.store.sessions(username=username)[0]
    assert stopped.terminate_cause is not None and "User" in stopped.terminate_cause


def test_login_page_and_assets_stay_under_30_kb_and_load_nothing_external(
    stack: Stack, phone: Any
) -> None:
    requests: list[str] = []
    sizes: list[int] = []
    phone.on("request", lambda r: requests.append(r.url))
    phone.on("response", lambda r: sizes.append(len(r.body())) if r.status < 300 else None)
    phone.goto(f"{stack.gateway.base_url}/")
    phone.wait_for_load_state("networkidle")
    portal_requests = [u for u in requests if not u.startswith(stack.gateway.base_url)]
    assert portal_requests, "the login page was not loaded"
    assert all(u.startswith(stack.portal_url) for u in portal_requests), portal_requests
    assert sum(sizes) <= 30 * 1024, f"login page with assets: {sum(sizes)} bytes"


def test_operator_creates_prints_and_disconnects_a_session(
    stack: Stack, browser: Any, artifacts: Path
) -> None:
    console = browser.new_context(viewport={"width": 1200, "height": 900})
    citizen = browser.new_context(**PHONE)
    try:
        if stack.store.operator("rina.noc") is None:
            stack.store.add_operator("rina.noc", "operator", password="kata-sandi-noc-rina")
        admin = console.new_page()
        admin.goto(f"{stack.portal_url}admin/")
        admin.get_by_label("Nama operator", exact=True).fill("rina.noc")
        admin.get_by_label("Kata sandi", exact=True).fill("kata-sandi-noc-rina")
        admin.get_by_role("button", name="Masuk").click()
        admin.get_by_label("Jumlah", exact=True).fill("3")
        admin.get_by_label("Nama batch", exact=True).fill("pasar-malam")
        admin.get_by_role("button", name="Buat dan cetak").click()
        admin.wait_for_url(re.compile(r"/admin/vouchers/print\?batch=pasar-malam"))
        codes = admin.locator(".card .c").all_inner_texts()
        assert len(codes) == 3 and admin.locator(".card svg.segno").count() == 3
        admin.screenshot(path=str(artifacts / "console-print.png"), full_page=True)
        assert ADMIN_TOKEN not in admin.content() and ADMIN_TOKEN not in admin.url

        phone = citizen.new_page()
        _join_hotspot(phone, stack)
        phone.get_by_label("Kode voucher", exact=True).fill(codes[0])
        phone.get_by_role("button", name="Masuk dengan voucher").click()
        phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        username = stack.store.voucher_name(codes[0])
        wait_for(lambda: stack.store.open_sessions(username), "the session to start")

        admin.goto(f"{stack.portal_url}admin/sessions")
        admin.get_by_role("button", name=f"Putuskan {username}").click()
        assert re.search(r": ack$", admin.locator("#done").inner_text())
        assert stack.gateway.coa_log[-1] == ("disconnect", "ack")
        wait_for(lambda: not stack.store.open_sessions(username), "the session to close")
        stopped = stack.store.sessions(username=username)[0]
        assert stopped.terminate_cause is not None and "Admin" in stopped.terminate_cause
        admin.screenshot(path=str(artifacts / "console-sessions.png"), full_page=True)

        admin.goto(f"{stack.portal_url}admin/usage")
        assert admin.locator("#usage").get_by_text("Lab Park").is_visible()
        done = [(e.action, e.target) for e in stack.store.audit_entries(operator="rina.noc")]
        assert ("voucher.create", "pasar-malam") in done
        assert any(action == "session.disconnect" for action, _ in done)
        assert stack.store.verify_audit().broken_id is None
    finally:
        console.close()
        citizen.close()


def test_coovachilli_uam_logs_on_with_the_uam_secret_and_logs_off(
    stack: Stack, browser: Any
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    # services.portal.uam_secret of the lab inventory
    chilli = stack.gateway_sim(flavour="coova", uam_secret="uamsecret")
    context = browser.new_context(**PHONE)
    try:
        chilli.start()
        page = context.new_page()
        page.goto(f"{chilli.base_url}/pasar")
        assert "res=notyet" in page.url and "uamport=" in page.url
        page.get_by_label("Kode voucher", exact=True).fill(code)
        page.get_by_role("button", name="Masuk dengan voucher").click()
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        attempt = chilli.attempts[-1]
        assert (attempt.username, attempt.method, attempt.accepted) == (username, "chap", True)
        assert quota_of(page)["Akun"] == "Voucher"
        wait_for(lambda: stack.store.open_sessions(username), "Accounting-Start in the store")
        page.get_by_role("button", name="Keluar").click()
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"logged-out"))
        wait_for(lambda: not stack.store.open_sessions(username), "Accounting-Stop")
    finally:
        context.close()
        chilli.stop()


def test_login_page_touch_targets_are_large_and_every_control_has_a_name(
    stack: Stack, phone: Any
) -> None:
    _join_hotspot(phone, stack)
    controls = phone.locator("main button, main input:not([type=hidden]), main a, header a")
    assert controls.count() >= 8
    for i in range(controls.count()):
        control = controls.nth(i)
        box = control.bounding_box()
        assert box is not None
        label = control.get_attribute("aria-label") or control.inner_text() or ""
        if control.get_attribute("type") == "checkbox":
            # The whole label row is the target of a checkbox.
            box = phone.locator("label.check").bounding_box()
            assert box is not None
        elif control.evaluate("e => e.closest('p.hint') !== null"):
            continue  # a link inside a sentence (the terms) follows the text size
        assert box["height"] >= 44, f"{label or control}: {box['height']} px high"
        name = control.evaluate(
            "e => e.labels && e.labels.length ? e.labels[0].innerText : "
            "(e.getAttribute('aria-label') || e.innerText)"
        )
        assert name.strip(), f"control {i} has no accessible name"


def test_in_page_md5_matches_hashlib_in_chromium(browser: Any) -> None:
    import hashlib
    import random

    script = (REPO / "netops" / "portal" / "static" / "chap.js").read_text()
    page = browser.new_page()
    try:
        page.set_content("<!doctype html><title>md5</title>")
        page.add_script_tag(content=script)
        rng = random.Random(8908)
        # Every length around the 64-byte block and padding boundaries, and some long ones.
        for length in [*range(0, 140), 1000, 4096]:
            data = bytes(rng.randrange(256) for _ in range(length))
            assert page.evaluate("b => hexMD5(b)", list(data)) == hashlib.md5(data).hexdigest()
    finally:
        page.close()


@pytest.fixture(scope="module")
def direct_portal(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second portal on the same store that lets the page compute MikroTik CHAP."""
    work = tmp_path_factory.mktemp("portal-direct")
    with serving_portal(
        stack.db, "--chap-in-browser", log_dir=work, env=stack.env, name="portal-direct"
    ) as url:
        yield url


def test_chap_in_the_page_logs_in_straight_at_the_gateway(
    stack: Stack, direct_portal: str, browser: Any
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    gateway = stack.gateway_sim(direct_portal)
    context = browser.new_context(**PHONE)
    try:
        gateway.start()
        page = context.new_page()
        page.goto(f"{gateway.base_url}/")
        # A wrong code goes to the gateway too; the RADIUS server's reject comes back.
        page.get_by_label("Kode voucher", exact=True).fill("ABCD-EFGH-JK")
        page.get_by_role("button", name="Masuk dengan voucher").click()
        page.wait_for_url(re.compile(r".*error="))
        assert page.get_by_role("alert").inner_text() == (
            "Titik WiFi menolak login: Nama pengguna atau kata sandi salah."
        )
        assert gateway.attempts[-1].method == "chap"
        page.get_by_label("Kode voucher", exact=True).fill(code.lower())
        page.get_by_role("button", name="Masuk dengan voucher").click()
        page.wait_for_url(re.compile(re.escape(direct_portal) + r"status\?"))
        attempt = gateway.attempts[-1]
        username = code.replace("-", "")
        assert (attempt.username, attempt.method, attempt.accepted) == (username, "chap", True)
    finally:
        context.close()
        gateway.stop()


def _inside_hotspot(browser: Any, name: str, port: int) -> Any:
    """Chromium as a phone inside a hotspot: the hotspot's dns_name resolves to its gateway
    (RouterOS adds that static DNS entry for its clients), here a simulator or a stand-in."""
    rule = f"MAP {name} {GATEWAY_HOST}:{port}"
    return browser.browser_type.launch(
        executable_path=require_chromium(), args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rule}"]
    )


def test_scanning_a_voucher_cards_qr_code_ends_logged_in_through_the_gateway(
    stack: Stack, browser: Any, artifacts: Path
) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    username = stack.store.voucher_name(code)
    # lab-park's gateway with its dns_name: its links name login.lab.netops.test.
    gateway = stack.gateway_sim(dns_name="login.lab.netops.test")
    gateway.start()
    phone = _inside_hotspot(browser, "login.lab.netops.test", gateway.listen_port)
    sent: list[str] = []
    try:
        page = phone.new_context(**PHONE).new_page()
        page.on("request", lambda r: sent.append(r.url))
        # The card's QR code is services.portal.url + "#voucher=CODE" (the unit tests compare
        # the printed SVG); here the portal runs on a port the kernel picked. The portal is in
        # the walled garden, so the phone reaches it without the gateway's parameters.
        page.goto(f"{stack.portal_url}#voucher={code}")
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        attempt = gateway.attempts[-1]
        assert (attempt.username, attempt.method, attempt.accepted) == (username, "chap", True)
        wait_for(lambda: stack.store.open_sessions(username), "Accounting-Start in the store")
        assert quota_of(page)["Akun"] == "Voucher"
        page.screenshot(path=str(artifacts / "qr-logged-in.png"), full_page=True)
        # It went through the gateway, which sent it back with its parameters, and the login
        # was handed to the gateway under its DNS name.
        assert any(u.startswith("http://login.lab.netops.test/login") for u in sent), sent
        assert any(
            u.startswith("http://login.lab.netops.test:") and u.endswith("/login") for u in sent
        ), sent
        # The code travelled in #fragments only: no request line carried it.
        assert not [u for u in sent if code in u or username in u or code.lower() in u]
    finally:
        phone.close()
        gateway.stop()
    assert code not in Path(stack.portal.log).read_text()


def test_coova_continue_opens_the_page_the_citizen_wanted(stack: Stack, browser: Any) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    chilli = stack.gateway_sim(flavour="coova", uam_secret="uamsecret")
    context = browser.new_context(**PHONE)
    try:
        chilli.start()
        wanted = f"{chilli.base_url}/pasar?hari=minggu"
        page = context.new_page()
        page.goto(wanted)
        page.get_by_label("Kode voucher", exact=True).fill(code)
        page.get_by_role("button", name="Masuk dengan voucher").click()
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        assert chilli.attempts[-1].accepted
        onward = page.get_by_role("link", name=re.compile(r"^Lanjut ke "))
        assert onward.get_attribute("href") == wanted
        onward.click()
        page.wait_for_url(wanted)
        assert page.get_by_role("heading", name="Online").is_visible()
    finally:
        context.close()
        chilli.stop()


def test_mikrotik_continue_opens_the_page_the_citizen_wanted(stack: Stack, phone: Any) -> None:
    code = stack.store.create_vouchers("gratis", 1)[0]
    wanted = f"{stack.gateway.base_url}/pasar?hari=minggu"
    phone.goto(wanted)
    phone.get_by_label("Kode voucher", exact=True).fill(code)
    phone.get_by_role("button", name="Masuk dengan voucher").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    assert stack.gateway.attempts[-1].accepted
    onward = phone.get_by_role("link", name=re.compile(r"^Lanjut ke "))
    assert onward.get_attribute("href") == wanted
    # The same status link, its next= changed to another site, offers no way there.
    crafted = phone.url.replace("pasar", "evil")
    assert crafted != phone.url
    phone.goto(crafted)
    assert phone.get_by_role("link", name=re.compile(r"^Lanjut ke ")).count() == 0
    phone.go_back()
    phone.get_by_role("link", name=re.compile(r"^Lanjut ke ")).click()
    phone.wait_for_url(wanted)
    assert phone.get_by_role("heading", name="Online").is_visible()


def _rendered_login_page() -> str:
    """lab-hs-01's login.html as `netops config render` writes it, unquoted as RouterOS
    stores the file."""
    from netops.inventory import load_inventory
    from netops.provision.render import render_device

    inventory = load_inventory(LAB)
    text = render_device(inventory, inventory.device("lab-hs-01")).text
    found = re.search(r'add name=hotspot-netops/login.html contents="((?:[^"\\]|\\.)*)"', text)
    assert found, "the rendered config has no login.html"
    return re.sub(r"\\(.)", r"\1", found.group(1))


def test_the_rendered_routeros_login_page_carries_a_qr_code_through_to_a_login(
    stack: Stack, browser: Any
) -> None:
    """The seam between the rendered config and the portal: RouterOS serves login.html with
    its $(…) variables filled in (here from the simulated gateway's own redirect for a new
    phone), and the page must bring the phone, its parameters and the #fragment's voucher
    to the portal, which hands the login back to the gateway."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qsl, urlsplit

    import httpx

    template = _rendered_login_page()
    # The page points at services.portal.url; this portal runs on a port the kernel picked.
    action = 'action="http://127.0.0.1:8080/"'
    assert action in template
    template = template.replace(action, f'action="{stack.portal_url}"')
    code = stack.store.create_vouchers("gratis", 1)[0]
    redirect = httpx.get(f"{stack.gateway.base_url}/berita", follow_redirects=False)
    params = dict(parse_qsl(urlsplit(redirect.headers["location"]).query))
    filled = re.sub(r"\$\(([a-z-]+)\)", lambda m: html_escape(params.get(m.group(1), "")), template)

    class Servlet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = filled.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    servlet = ThreadingHTTPServer((GATEWAY_HOST, 0), Servlet)
    threading.Thread(target=servlet.serve_forever, daemon=True).start()
    phone = _inside_hotspot(browser, "login.lab.netops.test", servlet.server_address[1])
    try:
        page = phone.new_context(**PHONE).new_page()
        page.goto(f"http://login.lab.netops.test/login#voucher={code}")
        page.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
        attempt = stack.gateway.attempts[-1]
        assert (attempt.username, attempt.method, attempt.accepted) == (
            stack.store.voucher_name(code),
            "chap",
            True,
        )
        assert attempt.mac == params["mac"].lower()
        assert quota_of(page)["Akun"] == "Voucher"
    finally:
        phone.close()
        servlet.shutdown()
        servlet.server_close()
