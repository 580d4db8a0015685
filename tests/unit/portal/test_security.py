"""Signed tokens, CSRF, login rate limits and the security headers."""

from __future__ import annotations

import pytest

from netops.portal.security import (
    RateLimiter,
    Signer,
    content_security_policy,
    csrf_token,
    csrf_valid,
    secure_headers,
    token_matches,
)

KEY = b"k" * 32


def test_signed_payload_round_trips_within_its_age() -> None:
    signer = Signer(KEY)
    token = signer.sign("status", {"u": "alice"}, 1000.0)
    assert signer.verify("status", token, 1100.0, 3600)["u"] == "alice"  # type: ignore[index]


def test_signed_token_is_refused_when_tampered_reused_for_another_purpose_or_old() -> None:
    signer = Signer(KEY)
    token = signer.sign("status", {"u": "alice"}, 1000.0)
    data, mac = token.split(".")
    assert signer.verify("admin", token, 1000.0, 3600) is None
    assert signer.verify("status", token, 1000.0 + 3601, 3600) is None
    assert signer.verify("status", data[:-2] + "xx." + mac, 1000.0, 3600) is None
    assert signer.verify("status", "garbage", 1000.0, 3600) is None
    assert Signer(b"j" * 32).verify("status", token, 1000.0, 3600) is None


def test_short_signing_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        Signer(b"short")


def test_csrf_token_is_bound_to_the_browser_cookie() -> None:
    signer = Signer(KEY)
    token = csrf_token(signer, "browser-a", 10.0)
    assert csrf_valid(signer, token, "browser-a", 20.0)
    assert not csrf_valid(signer, token, "browser-b", 20.0)
    assert not csrf_valid(signer, None, "browser-a", 20.0)
    assert not csrf_valid(signer, token, None, 20.0)


def test_rate_limiter_blocks_after_the_limit_and_frees_after_the_window() -> None:
    limiter = RateLimiter(limit=3, window=60.0)
    for t in (0.0, 1.0, 2.0):
        assert limiter.retry_after("mac:a", t) == 0
        limiter.fail("mac:a", t)
    assert limiter.retry_after("mac:a", 3.0) == pytest.approx(57.0)
    assert limiter.retry_after("mac:b", 3.0) == 0
    assert limiter.retry_after("mac:a", 60.5) == 0


def test_rate_limiter_reset_forgets_a_key() -> None:
    limiter = RateLimiter(limit=1, window=60.0)
    limiter.fail("ip:x", 0.0)
    limiter.reset("ip:x")
    assert limiter.retry_after("ip:x", 1.0) == 0


def test_rate_limiter_memory_stays_bounded() -> None:
    limiter = RateLimiter(limit=2, window=10.0, max_keys=100)
    for i in range(1000):
        limiter.fail(f"ip:{i}", float(i))
    assert len(limiter._keys) <= 100


def test_csp_allows_inline_script_only_with_the_nonce_and_nothing_external() -> None:
    csp = content_security_policy("abc123", ("http://10.254.200.1",))
    assert "script-src 'nonce-abc123'" in csp
    assert "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert "form-action 'self' http://10.254.200.1" in csp
    assert "frame-ancestors 'none'" in csp


def test_secure_headers_include_framing_referrer_and_hsts_on_https() -> None:
    headers = secure_headers("x", https=True)
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" in headers
    assert "Strict-Transport-Security" not in secure_headers("x", https=False)


def test_token_comparison_needs_both_sides() -> None:
    assert token_matches("t0ken", "t0ken")
    assert not token_matches("t0ken", "other")
    assert not token_matches("", "")
    assert not token_matches("x", None)
