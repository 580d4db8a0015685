"""Sign-up with a phone number end to end: Chromium on a phone-sized screen, the portal,
Kannel (``bearerbox`` + ``smsbox``, HTTP ``sendsms``) with its test SMSC ``fakesmsc``, the
simulated MikroTik gateway and the RADIUS server.

The code the citizen types is the one that arrived at fakesmsc; every SMS Kannel delivered
is counted there, so a flood of requests is seen to cost no more than the limits allow.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from netops.lab.gateway import GatewaySim
from netops.lab.kannel import FAKESMSC
from netops.lab.kannel import config as kannel_config
from netops.store import Store
from tests.support.portal_peers import LAB, PHONE, Service, portal_stack, quota_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
SMS_USER, SMS_PASSWORD = "netops", "sms-secret-e2e"
GOT = re.compile(r"Got message \d+: <(\S+) (\S+) text (.*)>")


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _wait_port(port: int, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not open port {port}")


@dataclass
class Kannel:
    """bearerbox + smsbox + fakesmsc on loopback ports; ``messages`` what reached the SMSC."""

    work: Path
    sendsms_port: int
    procs: dict[str, subprocess.Popen[bytes]]

    def messages(self) -> list[tuple[str, str, str]]:
        text = (self.work / "fakesmsc.log").read_text(errors="replace")
        return [(m.group(1), m.group(2), m.group(3)) for m in GOT.finditer(text)]

    def stop(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def start_kannel(work: Path) -> Kannel:
    for tool in ("bearerbox", "smsbox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is missing: install the Debian package kannel")
    if not FAKESMSC.exists():
        raise RuntimeError(f"{FAKESMSC} is missing: install the Debian package kannel-extras")
    admin, box, smsc, sendsms = _free_ports(4)
    (work / "spool").mkdir()
    conf = work / "kannel.conf"
    ports = {"admin": admin, "box": box, "smsc": smsc, "sendsms": sendsms}
    conf.write_text(kannel_config(work, ports, SMS_USER, SMS_PASSWORD))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    kannel = Kannel(work, sendsms, procs)
    try:
        procs["bearerbox"] = subprocess.Popen(
            ["bearerbox", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(work / "bearerbox.err").open("wb"),
        )
        _wait_port(smsc, "bearerbox")
        procs["fakesmsc"] = subprocess.Popen(
            [str(FAKESMSC), "-H", "127.0.0.1", "-r", str(smsc), "-m", "0", "0 0 text -"],
            stdout=subprocess.DEVNULL,
            stderr=(work / "fakesmsc.log").open("wb"),
        )
        procs["smsbox"] = subprocess.Popen(
            ["smsbox", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(work / "smsbox.err").open("wb"),
        )
        _wait_port(sendsms, "smsbox")
    except BaseException:
        for name in reversed(list(procs)):
            kannel.stop(name)
        raise
    return kannel


@dataclass
class PhoneStack:
    kannel: Kannel
    store: Store
    gateway: GatewaySim
    portal: Service
    portal_url: str


@pytest.fixture(scope="module")
def phone_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoneStack]:
    work = tmp_path_factory.mktemp("phone-e2e")
    kannel = start_kannel(work)
    try:
        # The lab inventory, its SMS gateway pointed at this Kannel.
        inventory = work / "lab"
        shutil.copytree(LAB, inventory)
        meta = inventory / "meta.yml"
        text = meta.read_text()
        text = text.replace("http://127.0.0.1:13013/", f"http://127.0.0.1:{kannel.sendsms_port}/")
        text = text.replace("password: smssecret", "password: env:NETOPS_E2E_SMS_PASSWORD")
        meta.write_text(text)
        extra = {"NETOPS_E2E_SMS_PASSWORD": SMS_PASSWORD}
        with portal_stack(work, inventory=inventory, extra_env=extra, coa=False) as stack:
            yield PhoneStack(kannel, stack.store, stack.gateway, stack.portal, stack.portal_url)
    finally:
        for name in ("smsbox", "fakesmsc", "bearerbox"):
            if name in kannel.procs:
                kannel.stop(name)


def _join(page: Any, stack: PhoneStack) -> None:
    page.goto(f"{stack.gateway.base_url}/berita")
    assert page.url.startswith(stack.portal_url + "login?")


def _ask_code(page: Any, number: str) -> None:
    page.get_by_label("Nomor HP", exact=True).fill(number)
    page.get_by_role("button", name="Kirim kode SMS").click()
    page.wait_for_load_state()


def _code_for(stack: PhoneStack, e164: str, count: int) -> str:
    wait_for(lambda: len(stack.kannel.messages()) >= count, "the SMS at fakesmsc")
    _sender, to, text = stack.kannel.messages()[count - 1]
    assert to == e164
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_a_citizen_signs_up_with_the_code_that_arrived_by_sms(
    phone_stack: PhoneStack, phone: Any, browser: Any, artifacts: Path
) -> None:
    stack = phone_stack
    before = len(stack.kannel.messages())
    _join(phone, stack)
    phone.screenshot(path=str(artifacts / "phone-login-id.png"), full_page=True)
    _ask_code(phone, "0812-3456-7890")
    assert "0812\u00a03456\u00a07890" in phone.locator("#sent").inner_text()
    code = _code_for(stack, "+6281234567890", before + 1)
    sms = stack.kannel.messages()[before][2]
    assert sms.startswith("Kode WiFi Lab: ") and "5 menit" in sms
    phone.screenshot(path=str(artifacts / "phone-code-id.png"), full_page=True)
    controls = phone.locator("main button, main input:not([type=hidden]), main a")
    assert controls.count() == 4  # the code, "sign in", "send a new code", "another number"
    for i in range(controls.count() - 1):  # the link sits in a sentence: text size
        box = controls.nth(i).bounding_box()
        assert box is not None and box["height"] >= 44  # thumb-sized on a phone
    phone.get_by_label("Kode dari SMS", exact=True).fill(code)
    phone.get_by_role("button", name="Masuk dengan kode").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    attempt = stack.gateway.attempts[-1]
    assert (attempt.username, attempt.accepted) == ("+6281234567890", True)
    sub = stack.store.lookup("+6281234567890")
    assert sub is not None and sub.kind == "user" and sub.plan == "warga"
    assert quota_of(phone)["Sisa waktu hari ini"] == "4 jam 0 menit"
    phone.screenshot(path=str(artifacts / "phone-status-id.png"), full_page=True)
    # Another phone replays the used code: it signs nobody in.
    other = browser.new_context(**PHONE)
    try:
        back = other.new_page()
        _join(back, stack)
        _ask_code(back, "+62 812 3456 7890")
        fresh = _code_for(stack, "+6281234567890", before + 2)
        back.get_by_label("Kode dari SMS", exact=True).fill(code)
        back.get_by_role("button", name="Masuk dengan kode").click()
        if fresh != code:
            assert back.get_by_role("alert").inner_text() == (
                "Kode salah. Periksa SMS Anda lalu coba lagi."
            )
            assert stack.gateway.attempts[-1].username == "+6281234567890"
            attempts = len(stack.gateway.attempts)
            # The new code works: the number's account, a fresh password handed to the gateway,
            # which RADIUS checks (and refuses only because the plan allows one device and the
            # first phone is still online).
            old_password = stack.store.lookup("+6281234567890").clear_password  # type: ignore[union-attr]
            back.get_by_label("Kode dari SMS", exact=True).fill(fresh)
            back.get_by_role("button", name="Masuk dengan kode").click()
            wait_for(lambda: len(stack.gateway.attempts) == attempts + 1, "the second login")
            again = stack.store.lookup("+6281234567890")
            assert again is not None and again.clear_password != old_password
            assert back.get_by_role("alert").inner_text() == (
                "Titik WiFi menolak login: Akun ini sedang dipakai di perangkat lain."
            )
    finally:
        other.close()


def test_bad_numbers_wrong_codes_and_a_flood_cost_no_more_sms_than_the_limits(
    phone_stack: PhoneStack, browser: Any
) -> None:
    stack = phone_stack
    before = len(stack.kannel.messages())
    pages = []
    for _ in range(5):  # five phones (new MAC each) ask for codes to one number
        page = browser.new_context(**PHONE).new_page()
        pages.append(page)
        _join(page, stack)
        _ask_code(page, "0857 1111 2222")
    assert pages[-1].get_by_role("alert").inner_text() == (
        "Sudah terlalu banyak SMS dikirim. Coba lagi dalam 60 menit."
    )
    # Not a mobile number: one sentence, no SMS.
    _ask_code(pages[-1], "0511 3301234")
    assert pages[-1].get_by_role("alert").inner_text() == (
        "Itu bukan nomor seluler Indonesia. Tulis seperti 0857 1234 5678."
    )
    time.sleep(1.0)  # anything Kannel still had queued arrives at fakesmsc
    sent = stack.kannel.messages()[before:]
    assert len(sent) == 3 and {to for _, to, _ in sent} == {"+6285711112222"}
    # Wrong codes on the last phone that got one: three tries, then the code is spent.
    page = pages[2]
    right = re.search(r"\b(\d{6})\b", sent[-1][2])
    assert right
    wrong = f"{(int(right.group(1)) + 1) % 10**6:06d}"
    for _ in range(3):
        page.get_by_label("Kode dari SMS", exact=True).fill(wrong)
        page.get_by_role("button", name="Masuk dengan kode").click()
    assert page.get_by_role("alert").inner_text() == "Kode salah terlalu sering. Minta kode baru."
    page.get_by_label("Kode dari SMS", exact=True).fill(right.group(1))
    page.get_by_role("button", name="Masuk dengan kode").click()
    assert page.get_by_role("alert").inner_text() == "Kode salah terlalu sering. Minta kode baru."
    assert stack.store.lookup("+6285711112222") is None
    for p in pages:
        p.context.close()


def test_when_kannel_is_down_the_citizen_reads_one_sentence_and_it_is_a_metric(
    phone_stack: PhoneStack, phone: Any
) -> None:
    stack = phone_stack
    stack.kannel.stop("smsbox")
    _join(phone, stack)
    _ask_code(phone, "0821 9999 0000")
    assert phone.get_by_role("alert").inner_text() == (
        "SMS tidak dapat dikirim saat ini. Coba lagi nanti atau pilih cara masuk lain."
    )
    metrics = phone.context.request.get(stack.portal_url + "metrics").text()
    assert 'netops_portal_sms_total{result="gateway_error"} 1.0' in metrics
    log = stack.portal.log.read_text()
    assert "cannot be reached" in log
    assert "9999" not in log and "sms-secret-e2e" not in log
