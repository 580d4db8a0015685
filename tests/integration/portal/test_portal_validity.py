"""A voucher's validity is shown as a moment in the city's time, never as "time left today".

Real peers: ``netops radius serve`` and ``netops portal serve`` (subprocesses), the simulated
MikroTik gateway, Chromium. The lab inventory's time zone is Asia/Makassar (WITA, UTC+8).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support.portal_peers import Stack, console_get, quota_of, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
WITA = ZoneInfo("Asia/Makassar")


def test_status_shows_todays_time_and_the_vouchers_validity_apart(stack: Stack, phone: Any) -> None:
    # A 30-minute voucher on the 2-hours-a-day plan.
    code = stack.store.create_vouchers("gratis", 1, validity_s=1800, batch="validity-e2e")[0]
    username = code.replace("-", "")
    phone.goto(f"{stack.gateway.base_url}/berita")
    phone.get_by_label("Kode voucher", exact=True).fill(code)
    phone.get_by_role("button", name="Masuk dengan voucher").click()
    phone.wait_for_url(re.compile(re.escape(stack.portal_url) + r"status\?"))
    wait_for(lambda: stack.store.open_sessions(username), "Accounting-Start in the store")
    phone.get_by_role("link", name="Perbarui").click()

    sub = stack.store.lookup(username)
    assert sub is not None and sub.valid_until is not None
    until = sub.valid_until.astimezone(WITA)
    quota = quota_of(phone)
    # Today's allowance is the plan's two hours, not the voucher's half hour.
    assert quota["Sisa waktu hari ini"] == "2 jam 0 menit"
    assert quota["Berlaku sampai"] == f"{until:%d-%m-%Y %H:%M} WITA"
    # The running session ends when the voucher does.
    assert quota["Sisa waktu sesi ini"] in ("29 menit", "30 menit")

    # The console shows the same moment in the same zone, named; so are the session's start.
    vouchers = console_get(stack, "admin/vouchers?batch=validity-e2e")
    assert f"<td>{until:%d-%m-%Y %H:%M} WITA</td>" in vouchers
    first = sub.first_used_at
    assert first is not None
    assert f"<td>{first.astimezone(WITA):%d-%m %H:%M} WITA</td>" in vouchers
    session = stack.store.open_sessions(username)[0]
    sessions = console_get(stack, "admin/sessions")
    assert f"<td>{session.started_at.astimezone(WITA):%d-%m %H:%M} WITA</td>" in sessions
    assert "UTC" not in vouchers and "UTC" not in sessions


def test_the_print_card_gives_a_used_vouchers_end_in_the_citys_time(stack: Stack) -> None:
    unused, used = stack.store.create_vouchers(
        "voucher-harian", 2, validity_s=86400, batch="card-e2e"
    )
    # The first use starts the validity (as the portal records it at login).
    sub = stack.store.claim_voucher(used, "aa:bb:cc:00:00:42", datetime.now(UTC))
    assert sub.valid_until is not None
    card = console_get(stack, "admin/vouchers/print?batch=card-e2e")
    assert f"Berlaku sampai {sub.valid_until.astimezone(WITA):%d-%m-%Y %H:%M} WITA" in card
    assert "Berlaku 1 hari sejak dipakai" in card
    assert unused in card and "UTC" not in card
