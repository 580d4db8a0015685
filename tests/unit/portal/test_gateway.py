"""Parsing the gateways' redirect parameters and building the login hand-off."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from netops.portal.chap import chap_verify, coova_challenge, escape_mikrotik
from netops.portal.gateway import (
    GatewayParamError,
    UntrustedGateway,
    check_endpoints,
    parse_context,
)

MIKROTIK = {
    "link-login-only": "http://10.254.200.1/login",
    "link-orig": "http://example.net/news",
    "link-logout": "http://10.254.200.1/logout",
    "mac": "AA:BB:CC:DD:EE:01",
    "ip": "10.254.200.23",
    "chap-id": escape_mikrotik(b"\x07"),
    "chap-challenge": escape_mikrotik(bytes(range(16))),
    "dst": "http://example.net/news",
    "server-name": "lab-park",
}
COOVA = {
    "res": "notyet",
    "uamip": "10.1.0.1",
    "uamport": "3990",
    "challenge": bytes(range(16)).hex(),
    "mac": "AA-BB-CC-DD-EE-02",
    "ip": "10.1.0.5",
    "userurl": "http://example.net/",
    "nasid": "lab-hs-01",
}


def test_mikrotik_redirect_is_recognised_with_chap() -> None:
    ctx = parse_context(MIKROTIK)
    assert ctx.kind == "mikrotik"
    assert ctx.chap
    assert ctx.original_url == "http://example.net/news"
    assert ctx.logout_url == "http://10.254.200.1/logout"


def test_mikrotik_handoff_posts_the_chap_answer_never_the_password() -> None:
    ctx = parse_context(MIKROTIK)
    handoff = ctx.handoff("K7QXM3PART", "K7QXM3PART", "http://portal/status")
    assert handoff.method == "post"
    assert handoff.url == "http://10.254.200.1/login"
    assert set(handoff.fields) == {"username", "password", "dst", "popup"}
    sent = handoff.fields["password"]
    assert sent != "K7QXM3PART"
    assert chap_verify(7, "K7QXM3PART", bytes(range(16)), bytes.fromhex(sent))


def test_mikrotik_without_chap_sends_the_password_for_http_pap() -> None:
    params = {k: v for k, v in MIKROTIK.items() if not k.startswith("chap-")}
    handoff = parse_context(params).handoff("user", "pw", "http://portal/status")
    assert handoff.fields["password"] == "pw"


def test_coova_handoff_is_a_logon_redirect_with_the_uam_chap_response() -> None:
    ctx = parse_context(COOVA)
    assert ctx.kind == "coova"
    handoff = ctx.handoff("user", "pw", "http://example.net/", "uamsecret")
    parts = urlsplit(handoff.url)
    assert (handoff.method, parts.netloc, parts.path) == ("get", "10.1.0.1:3990", "/logon")
    query = parse_qs(parts.query)
    assert query["username"] == ["user"]
    challenge = coova_challenge(COOVA["challenge"], "uamsecret")
    assert chap_verify(0, "pw", challenge, bytes.fromhex(query["response"][0]))
    assert ctx.logout_url == "http://10.1.0.1:3990/logoff"


def test_coova_failure_reply_becomes_the_gateway_error() -> None:
    ctx = parse_context({**COOVA, "res": "failed", "reply": "Akun ini sedang dipakai"})
    assert ctx.gateway_error == "Akun ini sedang dipakai"
    assert ctx.without_error().get("res") == "notyet"


def test_no_gateway_parameters_give_an_empty_context() -> None:
    ctx = parse_context({"lang": "en"})
    assert ctx.kind == "none"
    assert not ctx.chap


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("mac", "not-a-mac", "MAC"),
        ("ip", "10.0.0.999", "IP address"),
        ("link-login-only", "javascript:alert(1)", "http"),
        ("chap-id", "\\777", "byte"),
        ("server-name", "<script>", "letters"),
        ("link-orig", "x" * 3000, "longer"),
        ("dst", "a\nb", "control"),
    ],
)
def test_malformed_mikrotik_parameters_are_refused_naming_the_field(
    name: str, value: str, message: str
) -> None:
    with pytest.raises(GatewayParamError, match=message) as caught:
        parse_context({**MIKROTIK, name: value})
    assert caught.value.field == name


def test_chap_id_without_challenge_is_refused() -> None:
    params = {k: v for k, v in MIKROTIK.items() if k != "chap-challenge"}
    with pytest.raises(GatewayParamError, match="together"):
        parse_context(params)


@pytest.mark.parametrize(
    ("name", "value"), [("uamport", "99999"), ("challenge", "zz"), ("uamip", "gateway")]
)
def test_malformed_coova_parameters_are_refused(name: str, value: str) -> None:
    with pytest.raises(GatewayParamError) as caught:
        parse_context({**COOVA, name: value})
    assert caught.value.field == name


@pytest.mark.parametrize(
    ("value", "why"),
    [
        # A browser reads "\" as "/": the host would be attacker.example.
        ("http://attacker.example\\@10.254.200.1/login", "plain"),
        # The user name hides the host from a reader; the host is attacker.example.
        ("http://10.254.200.1@attacker.example/login", "plain"),
        ("http://10.254.200.1 /login", "plain"),
        ("http://10.254.200.1:99999/login", "port"),
        ("http:///login", "http"),
    ],
)
def test_endpoint_urls_a_browser_would_read_differently_are_refused(value: str, why: str) -> None:
    with pytest.raises(GatewayParamError, match=why) as caught:
        parse_context({**MIKROTIK, "link-login-only": value})
    assert caught.value.field == "link-login-only"


def test_endpoints_are_checked_against_the_trusted_hosts() -> None:
    trusted = {"10.254.200.1", "login.lab.netops.test"}
    check_endpoints(parse_context(MIKROTIK), trusted)
    named = {**MIKROTIK, "link-login-only": "http://LOGIN.lab.netops.test./login"}
    check_endpoints(parse_context(named), trusted)  # case and the root dot do not matter
    for name, value in [
        ("link-login-only", "http://attacker.example/steal"),
        ("link-login-only", "http://10.254.200.1.attacker.example/login"),
        ("link-login-only", "http://2130706433/login"),  # 127.0.0.1 to a browser
        ("link-login-only", "http://[::ffff:10.254.200.1]/login"),
        ("link-logout", "http://attacker.example/logout"),
        ("link-status", "https://attacker.example/status"),
    ]:
        with pytest.raises(UntrustedGateway) as caught:
            check_endpoints(parse_context({**MIKROTIK, name: value}), trusted)
        assert caught.value.field == name
    with pytest.raises(UntrustedGateway) as caught:
        check_endpoints(parse_context(COOVA), trusted)  # uamip 10.1.0.1
    assert caught.value.field == "uamip"
    check_endpoints(parse_context(COOVA), {"10.1.0.1"})


def test_coova_logon_carries_the_page_the_citizen_wanted_as_userurl() -> None:
    ctx = parse_context(COOVA)
    handoff = ctx.handoff("u", "p", "http://portal/status?next=x", "secret")
    query = parse_qs(urlsplit(handoff.url).query)
    assert query["userurl"] == ["http://example.net/"]
