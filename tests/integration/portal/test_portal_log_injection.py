"""``netops portal serve``'s log cannot be forged by what a request carries.

A gateway parameter, a form field or a header is written by whoever sends the request. A
line break inside one (``\\n``, or NEL and U+2028, which log readers also split on) must never
start a log line of its own: the portal's lines and its access log escape it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from netops.store.credentials import generate_key
from tests.support.portal_peers import (
    ADMIN_TOKEN,
    GATEWAY_HOST,
    base_env,
    hidden_fields,
    start_portal,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

FORGED = "FORGED ERROR netops.portal: operator token accepted"
MIKROTIK = {
    "link-login-only": f"http://{GATEWAY_HOST}:8081/login",
    "link-logout": f"http://{GATEWAY_HOST}:8081/logout",
    "link-orig": "http://example.net/",
    "mac": "02:00:00:00:07:01",
    "ip": "10.254.200.71",
    "server-name": "lab-park",
}


def test_line_breaks_in_requests_never_forge_a_portal_log_line(tmp_path: Path) -> None:
    portal, url = start_portal(
        f"sqlite:///{tmp_path}/netops.db",
        "--access-log",
        log_dir=tmp_path,
        env=base_env(generate_key(), ADMIN_TOKEN),
    )
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            # A header: the portal trusts X-Forwarded-For from the proxy on 127.0.0.1, and
            # names the source of a refused gateway in its log (HTTP allows bytes 0x80-0xff
            # in a header; 0x85 is NEL, a line break to Unicode).
            forwarded = b"10.254.9.9\x85" + FORGED.encode()
            refused = http.get(
                "/login",
                params={**MIKROTIK, "link-login-only": "http://127.0.0.66/login"},
                headers={"X-Forwarded-For": forwarded},
            )
            assert refused.status_code == 400
            # A gateway parameter: the text of RouterOS's $(error), logged for the operator.
            for brk in ("\u2028", "\x85"):
                page = http.get("/login", params={**MIKROTIK, "error": f"no{brk}{FORGED}"})
                assert page.status_code == 200
            # A form field: the User-Name of a refused account login.
            data = hidden_fields(http.get("/login", params=MIKROTIK).text)
            data.update(method="user", username=f"budi\u2028{FORGED}", password="x")
            assert http.post("/login", data=data).status_code == 400
    finally:
        portal.stop()
    log = portal.log.read_text(encoding="utf-8")
    lines = log.splitlines()  # splits on \n, \r, NEL, U+2028 … as a log reader would
    assert not [line for line in lines if line.startswith(FORGED)], log
    assert "10.254.9.9\\x85FORGED" in log  # the header, escaped, in the portal's own line
    assert "no\\u2028FORGED" in log  # the gateway's error text, escaped
