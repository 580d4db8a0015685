"""Sign-up with a phone number through the portal app: the code texted, typed and checked,
the limits that bound what SMS cost, and every bad input answered in one sentence.

The SMS gateway here records what it would send (Kannel itself answers in
tests/integration/portal/test_phone_signup.py); the store is a real SQLite store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from netops.inventory import Inventory
from netops.portal.app import PortalSettings, create_app
from netops.sms import SmsError
from netops.store import Store
from netops.store.phones import PhoneLimits

GATEWAY = "http://10.254.200.1"
MIKROTIK = {
    "link-login-only": f"{GATEWAY}/login",
    "link-orig": "http://example.net/",
    "link-logout": f"{GATEWAY}/logout",
    "mac": "AA:BB:CC:DD:EE:51",
    "ip": "10.254.200.51",
    "server-name": "lab-park",
}
NUMBER = "+6281234567890"


@dataclass
class Outbox:
    """An SMS gateway that keeps what it was asked to send (or fails when ``down``)."""

    sent: list[tuple[str, str]] = field(default_factory=list)
    down: bool = False

    def send(self, to: str, text: str) -> None:
        if self.down:
            raise SmsError("the SMS gateway at http://127.0.0.1:9 cannot be reached: refused")
        self.sent.append((to, text))

    def last_code(self) -> str:
        found = re.search(r"\b(\d{6})\b", self.sent[-1][1])
        assert found
        return found.group(1)


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 12, 5, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(lab: Inventory, store: Store, outbox: Outbox, clock: Clock) -> Iterator[TestClient]:
    settings = PortalSettings(inventory=lab, store=store, sms_gateway=outbox, clock=clock)
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


def _hidden(text: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: unescape(v) for k, v in pairs}


def _alert(text: str) -> str:
    found = re.search(r'role="alert" id="error">([^<]*)<', text)
    return unescape(found.group(1)) if found else ""


def _send(client: TestClient, phone: str, params: dict[str, str] | None = None) -> Response:
    page = client.get("/login", params=params or MIKROTIK)
    data = _hidden(page.text)
    data.update(method="phone", step="send", phone=phone)
    return client.post("/login", data=data)


def _verify(client: TestClient, code_page: str, code: str) -> Response:
    form = code_page.split('value="verify"')[0].rsplit("<form", 1)[1]
    data = _hidden(form + code_page.split('value="verify"')[1].split("</form>")[0])
    data.update(method="phone", step="verify", code=code)
    return client.post("/login", data=data)


def test_the_login_page_offers_the_phone_sign_up_with_the_plan_of_verified_numbers(
    client: TestClient,
) -> None:
    page = client.get("/login", params=MIKROTIK)
    assert 'inputmode="tel"' in page.text and "Masuk dengan nomor HP" in page.text
    assert "4 jam" in page.text  # the lab's phone plan: more than click-through's 2 hours


def test_a_texted_code_signs_the_number_in_as_a_user_on_the_phone_plan(
    client: TestClient, store: Store, outbox: Outbox
) -> None:
    sent = _send(client, "0812-3456-7890")
    assert sent.status_code == 200, _alert(sent.text)
    assert "0812\u00a03456\u00a07890" in sent.text
    ((to, text),) = outbox.sent
    assert to == NUMBER and "Kode WiFi Lab" in text
    code = outbox.last_code()
    handed = _verify(client, sent.text, code)
    assert handed.status_code == 200
    fields = _hidden(handed.text)
    assert fields["username"] == NUMBER
    sub = store.lookup(NUMBER)
    assert sub is not None and sub.kind == "user" and sub.plan == "warga"
    assert sub.clear_password == fields["password"]
    # A returning citizen: number and a new code again, and a fresh password.
    again = _send(client, "+62 812 3456 7890")
    second = _verify(client, again.text, outbox.last_code())
    assert _hidden(second.text)["password"] != fields["password"]
    sub = store.lookup(NUMBER)
    assert sub is not None and sub.clear_password == _hidden(second.text)["password"]


@pytest.mark.parametrize("typed", ["0212345678", "+44 7911 123456", "0812", "halo"])
def test_a_number_that_is_no_indonesian_mobile_gets_one_sentence_and_no_sms(
    client: TestClient, outbox: Outbox, typed: str
) -> None:
    reply = _send(client, typed)
    assert reply.status_code == 422
    assert _alert(reply.text).startswith("Itu bukan nomor seluler Indonesia")
    assert outbox.sent == []


def test_a_wrong_code_three_times_spends_the_code_even_for_the_right_one(
    client: TestClient, outbox: Outbox
) -> None:
    page = _send(client, "081234567890").text
    right = outbox.last_code()
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    first = _verify(client, page, wrong)
    assert (
        first.status_code == 400
        and _alert(first.text) == "Kode salah. Periksa SMS Anda lalu coba lagi."
    )
    _verify(client, page, wrong)
    third = _verify(client, page, wrong)
    assert _alert(third.text) == "Kode salah terlalu sering. Minta kode baru."
    late = _verify(client, page, right)
    assert late.status_code == 400 and "username" not in _hidden(late.text)


def test_an_expired_code_and_a_replayed_one_are_refused(
    client: TestClient, outbox: Outbox, clock: Clock
) -> None:
    page = _send(client, "081234567890").text
    clock.now += timedelta(minutes=5, seconds=1)
    expired = _verify(client, page, outbox.last_code())
    assert _alert(expired.text) == "Kode sudah kedaluwarsa. Minta kode baru."
    page = _send(client, "081234567890").text
    code = outbox.last_code()
    assert _verify(client, page, code).status_code == 200
    replay = _verify(client, page, code)
    assert replay.status_code == 400
    assert _alert(replay.text) == "Kode ini tidak berlaku lagi. Minta kode baru."


def test_a_flood_of_sends_to_one_number_costs_three_sms_an_hour_and_five_a_day(
    client: TestClient, outbox: Outbox, clock: Clock
) -> None:
    answers = []
    for i in range(10):
        # Different phones (MAC and IP) asking for the same number.
        params = {**MIKROTIK, "mac": f"AA:BB:CC:DD:EE:{i:02X}", "ip": f"10.254.200.{60 + i}"}
        answers.append(_send(client, "081234567890", params))
    assert len(outbox.sent) == 3
    limited = answers[-1]
    assert limited.status_code == 429
    assert _alert(limited.text) == "Sudah terlalu banyak SMS dikirim. Coba lagi dalam 60 menit."
    assert int(limited.headers["Retry-After"]) <= 3601
    for hour in range(1, 4):
        clock.now += timedelta(hours=1, seconds=1)
        for i in range(3):
            params = {**MIKROTIK, "mac": f"AA:BB:CC:DD:E{hour}:{i:02X}"}
            _send(client, "081234567890", params)
    assert len(outbox.sent) == 5  # the day's limit


def test_one_phone_cannot_text_many_numbers(client: TestClient, outbox: Outbox) -> None:
    for n in range(6):
        _send(client, f"08123456780{n}")
    assert len(outbox.sent) == 3  # per device (MAC + IP) an hour


def test_a_blocked_number_gets_no_sms_and_its_code_no_longer_works(
    client: TestClient, store: Store, outbox: Outbox
) -> None:
    page = _send(client, "081234567890").text
    code = outbox.last_code()
    store.block_phone(NUMBER, "+62812*****890", "abuse")
    assert _verify(client, page, code).status_code == 403
    refused = _send(client, "081234567890")
    assert refused.status_code == 403 and "tidak dapat dipakai" in _alert(refused.text)
    assert len(outbox.sent) == 1
    store.unblock_phone(NUMBER)
    assert _send(client, "081234567890").status_code == 200


def test_when_the_sms_gateway_is_down_the_citizen_reads_one_sentence_and_it_is_counted(
    client: TestClient, outbox: Outbox
) -> None:
    outbox.down = True
    reply = _send(client, "081234567890")
    assert reply.status_code == 503
    assert _alert(reply.text) == (
        "SMS tidak dapat dikirim saat ini. Coba lagi nanti atau pilih cara masuk lain."
    )
    metrics = client.get("/metrics").text
    assert 'netops_portal_sms_total{result="gateway_error"} 1.0' in metrics
    # A send the gateway never took is not counted against the number's limit.
    outbox.down = False
    for _ in range(3):
        assert _send(client, "081234567890").status_code == 200
    assert 'netops_portal_sms_total{result="sent"} 3.0' in client.get("/metrics").text


def test_guessing_codes_in_bulk_hits_the_login_limit(client: TestClient, outbox: Outbox) -> None:
    page = _send(client, "081234567890").text
    statuses = []
    for guess in range(12):
        statuses.append(_verify(client, page, f"{guess:06d}").status_code)
    assert 429 in statuses  # the phone's failed-login limit (5 per window)
    assert statuses.index(429) <= 5


def test_a_bad_code_shape_does_not_spend_a_try(client: TestClient, outbox: Outbox) -> None:
    page = _send(client, "081234567890").text
    for typo in ("12345", "abcdef", "1234567"):
        reply = _verify(client, page, typo)
        assert reply.status_code == 422
        assert _alert(reply.text) == "Masukkan 6 angka kode dari SMS."
    assert _verify(client, page, outbox.last_code()).status_code == 200


def test_codes_are_stored_hashed(store: Store, clock: Clock) -> None:
    issue = store.issue_phone_code(
        NUMBER, device="d", hotspot="lab-park", now=clock.now, limits=PhoneLimits()
    )
    assert issue.code is not None
    raw = store._engine.raw_connection()
    try:
        dump = "\n".join(raw.driver_connection.iterdump())
    finally:
        raw.close()
    assert issue.code not in dump.split("phone_codes", 1)[1]
    assert "81234567890" not in dump
