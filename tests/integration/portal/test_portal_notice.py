"""The privacy notice through the real portal: /privasi renders the lab inventory's register
in both languages, the login page links it, an accepted click-through records the notice's
version (with the device's pseudonym, never its MAC), and privacy actions done by another
process (the CLI) show on the portal's /metrics."""

from __future__ import annotations

import html
import json
import re
import subprocess

import httpx
from prometheus_client.parser import text_string_to_metric_families

from netops.inventory import load_inventory
from netops.privacy.notice import notice_version
from tests.support.portal_peers import (
    LAB,
    NETOPS,
    Stack,
    hidden_fields,
    mikrotik_params,
)

PHONE_MAC = "02:5a:00:00:be:42"


def _privacy():  # type: ignore[no-untyped-def]
    privacy = load_inventory(LAB).privacy
    assert privacy is not None
    return privacy


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_notice_renders_the_register_in_bahasa_indonesia(stack: Stack) -> None:
    privacy = _privacy()
    answer = httpx.get(f"{stack.portal_url}privasi", params={"lang": "id"}, timeout=10)
    assert answer.status_code == 200
    words = _text(answer.text)
    assert "Pemberitahuan privasi" in words
    assert privacy.controller in words
    assert privacy.dpo.name in words and privacy.dpo.email in words
    # The lab's periods, in words: clickthroughs 2d, vouchers and connections 7d,
    # sessions and accounts 30d, request records 90d.
    kept = re.findall(r'<dd class="kept">([^<]+)</dd>', answer.text)
    assert kept == ["2 hari", "7 hari", "30 hari", "30 hari", "7 hari", "90 hari"]
    assert "3×24 jam" in words
    assert f"Versi pemberitahuan: {notice_version(privacy)}" in words
    assert 'lang="id"' in answer.text


def test_notice_in_english_through_the_language_switch(stack: Stack) -> None:
    privacy = _privacy()
    with httpx.Client(base_url=stack.portal_url, timeout=10) as http:
        page = http.get("/privasi", params={"lang": "id"})
        switch = re.search(r'<a class="lang" href="([^"]+)"', page.text)
        assert switch is not None
        answer = http.get(html.unescape(switch.group(1)))
    assert answer.status_code == 200
    words = _text(answer.text)
    assert "Privacy notice" in words and "Data protection officer" in words
    kept = re.findall(r'<dd class="kept">([^<]+)</dd>', answer.text)
    assert kept == ["2 days", "7 days", "30 days", "30 days", "7 days", "90 days"]
    assert "3×24 hours" in words
    assert privacy.dpo.email in words
    assert f"Notice version: {notice_version(privacy)}" in words


def test_login_page_links_the_notice(stack: Stack) -> None:
    with httpx.Client(base_url=stack.portal_url, timeout=10) as http:
        login = http.get("/login", params={"lang": "en", "hotspot": "lab-park"})
        link = re.search(r'<a id="privacy-link" href="([^"]+)"', login.text)
        assert link is not None, "the login page does not link the privacy notice"
        url = html.unescape(link.group(1))
        assert "/privasi?" in url and "lang=en" in url
        notice = http.get(url)
    assert notice.status_code == 200
    assert "Privacy notice" in notice.text


def test_accepted_clickthrough_records_the_notice_version(stack: Stack) -> None:
    params = mikrotik_params("/c/78", PHONE_MAC.upper(), "10.254.200.78")
    assert stack.store.acceptances(mac=PHONE_MAC) == []
    with httpx.Client(base_url=stack.portal_url, follow_redirects=False, timeout=10) as http:
        page = http.get("/login", params=params)
        data = hidden_fields(page.text)
        data.update(params, method="free", accept="yes", lang="id")
        answer = http.post("/login", data=data)
    assert answer.status_code == 200
    rows = stack.store.acceptances(mac=PHONE_MAC)
    assert len(rows) == 1
    row = rows[0]
    assert row["version"] == notice_version(_privacy())
    assert row["device"] == stack.store.mac_pseudonym(PHONE_MAC)
    assert row["hotspot"] == "lab-park" and row["lang"] == "id"
    assert PHONE_MAC.replace(":", "") not in json.dumps(rows, default=str).replace(":", "")


def _samples(text: str) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.startswith("netops_privacy_actions"):
                out[(sample.name, sample.labels.get("action", ""))] = sample.value
    return out


def test_cli_export_and_failed_sign_ins_show_on_the_portal_metrics(stack: Stack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = _samples(httpx.get(f"{stack.portal_url}metrics", timeout=10).text)
    assert before[("netops_privacy_actions_total", "export")] == 0
    assert before[("netops_privacy_actions_last_hour", "sign_in_failed")] == 0
    # Another process (the CLI) answers an access request about the phone above.
    out = tmp_path / "req.json"
    done = subprocess.run(
        [
            str(NETOPS),
            "-i",
            str(LAB),
            "--db",
            stack.db,
            "privacy",
            "export",
            "--mac",
            PHONE_MAC,
            "--out",
            str(out),
        ],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert "notice_acceptances" in json.dumps(exported)
    for _ in range(3):
        stack.store.audit("ani", "127.0.0.1", "console.sign_in_failed")
    after = _samples(httpx.get(f"{stack.portal_url}metrics", timeout=10).text)
    assert after[("netops_privacy_actions_total", "export")] == 1
    assert after[("netops_privacy_actions_last_hour", "export")] == 1
    assert after[("netops_privacy_actions_total", "sign_in_failed")] == 3
    assert after[("netops_privacy_actions_last_hour", "sign_in_failed")] == 3
    assert after[("netops_privacy_actions_total", "erase")] == 0
