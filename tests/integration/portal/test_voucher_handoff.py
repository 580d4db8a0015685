"""A voucher login through the lab gateway never carries the code past the portal.

A phone behind the simulated MikroTik gateway is sent to the portal, types its voucher code,
and the page hands the login back to the gateway, which asks ``netops radius serve`` (CHAP)
and sends accounting. The code must not be in the hand-off form, the gateway's session, the
store's accounting rows, the status cookie or page, or either server's log; the login works.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.support.portal_peers import Stack

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _hidden(text: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text)
    return {k: html.unescape(v) for k, v in pairs}


def _spellings(code: str) -> list[str]:
    bare = code.replace("-", "")
    return [code, bare, code.lower(), bare.lower()]


def _decoded(cookie: str) -> str:
    """A signed cookie's text and whatever its base64 parts decode to."""
    out = [cookie]
    for part in re.split(r"[.:|]", cookie):
        padded = part + "=" * (-len(part) % 4)
        try:
            out.append(base64.urlsafe_b64decode(padded).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return "\n".join(out)


def test_a_voucher_login_through_the_gateway_never_sends_or_stores_the_code(
    stack: Stack,
) -> None:
    (code,) = stack.store.create_vouchers("gratis", 1, batch="handoff")
    with httpx.Client(timeout=10) as gateway, httpx.Client(timeout=10) as browser:
        # The phone opens any page: the gateway sends it to the portal.
        sent = gateway.get(f"{stack.gateway.base_url}/", follow_redirects=False)
        assert sent.status_code == 302
        login_url = sent.headers["location"]
        params = dict(parse_qsl(urlsplit(login_url).query))
        page = browser.get(login_url)
        assert page.status_code == 200
        form = {**_hidden(page.text), **params, "method": "voucher", "code": code}
        handoff = browser.post(f"{stack.portal_url.rstrip('/')}/login", data=form)
        assert handoff.status_code == 200, handoff.text[:500]
        action = re.search(r'<form id="handoff" method="post" action="([^"]+)"', handoff.text)
        assert action and html.unescape(action.group(1)) == params["link-login-only"]
        fields = _hidden(handoff.text)
        for spelling in _spellings(code):
            assert spelling not in handoff.text, "the hand-off page carries the code"
        name = stack.store.voucher_name(code)
        assert name is not None and fields["username"] == name
        # The page's script submits the form to the gateway: do what it does.
        done = gateway.post(action.group(1), data=fields, follow_redirects=False)
        assert done.status_code == 302, done.text[:300]
        cookie = browser.cookies.get("netops_portal") or ""
        status = browser.get(fields["dst"])
        assert status.status_code == 200
    mac = params["mac"].lower()
    session = stack.gateway.sessions.get(mac)
    assert session is not None and session.username == name, stack.gateway.attempts[-1:]
    assert cookie, "the portal keeps a status cookie"
    decoded = _decoded(cookie)
    for spelling in _spellings(code):
        assert spelling not in decoded, "the status cookie carries the code"
        assert spelling not in status.text, "the status page shows the code"
    rows = stack.store.sessions(username=name)
    assert [r.username for r in rows] == [name]
    for spelling in _spellings(code):
        assert all(spelling not in repr(r) for r in stack.store.sessions())
        for log in (stack.portal.log, stack.radius.log):
            assert spelling not in Path(log).read_text(), f"{log} names the code"
    sub = stack.store.lookup(code)
    assert sub is not None and sub.username == name and sub.first_used_at is not None
