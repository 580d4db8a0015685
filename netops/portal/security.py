"""Guards for the portal: signed tokens (CSRF, cookies), login rate limits, headers.

Pure apart from the clock, which every function takes as an argument, so the unit tests
drive time by hand, and :class:`SharedRateLimiter`, which counts in a :class:`LimitTable`
(the store every portal process shares).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable


class Signer:
    """HMAC-SHA256 signatures with a purpose, so a token for one use is refused for another."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the signing key must be at least 16 bytes")
        self._key = key

    def sign(self, purpose: str, payload: dict[str, Any], now: float) -> str:
        """``payload`` plus an issue time, base64url JSON + ``.`` + signature."""
        body = dict(payload, iat=int(now))
        raw = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode())
        data = raw.decode().rstrip("=")
        return f"{data}.{self._mac(purpose, data)}"

    def verify(self, purpose: str, token: str, now: float, max_age: float) -> dict[str, Any] | None:
        """The payload, or None when the token is forged, for another purpose, or too old."""
        data, sep, mac = token.partition(".")
        if not sep or not hmac.compare_digest(mac, self._mac(purpose, data)):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(body, dict) or not isinstance(body.get("iat"), int):
            return None
        if not 0 <= now - body["iat"] <= max_age:
            return None
        return body

    def tag(self, purpose: str, *parts: str) -> str:
        """A signature of ``parts`` (strings without NUL) for ``purpose``, base64url."""
        return self._mac(purpose, "\0".join(parts))

    def _mac(self, purpose: str, data: str) -> str:
        digest = hmac.new(self._key, f"{purpose}\0{data}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")


CSRF_MAX_AGE = 2 * 3600


def new_browser_id() -> str:
    """A random id for the CSRF cookie the forms' tokens are bound to."""
    return secrets.token_urlsafe(18)


def csrf_token(signer: Signer, browser_id: str, now: float) -> str:
    """A form token bound to the browser's CSRF cookie (synchroniser token, signed)."""
    return signer.sign("csrf", {"b": browser_id}, now)


def csrf_valid(signer: Signer, token: str | None, browser_id: str | None, now: float) -> bool:
    """Whether a submitted form token belongs to this browser and is fresh."""
    if not token or not browser_id:
        return False
    body = signer.verify("csrf", token, now, CSRF_MAX_AGE)
    return body is not None and hmac.compare_digest(str(body.get("b", "")), browser_id)


NEXT_MAX_AGE = 24 * 3600


def next_token(signer: Signer, browser_id: str, url: str, now: float) -> str:
    """A signature of ``url`` (where the citizen was going, as the gateway passed it) bound
    to this browser's CSRF cookie: the status page offers to continue there only with it,
    so a link with another ``next=`` never puts a button to another site on the portal."""
    issued = str(int(now))
    return f"{issued}.{signer.tag('next', browser_id, url, issued)}"


def next_digest(url: str) -> str:
    """A short digest of ``url`` for the signed status cookie."""
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def next_token_valid(
    signer: Signer, token: str | None, browser_id: str | None, url: str, now: float
) -> bool:
    """Whether ``token`` signs ``url`` for this browser and is fresh."""
    if not token or not browser_id:
        return False
    issued, sep, mac = token.partition(".")
    if not sep or not issued.isdigit() or not 0 <= now - int(issued) <= NEXT_MAX_AGE:
        return False
    return hmac.compare_digest(mac, signer.tag("next", browser_id, url, issued))


def token_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of an operator's token with the configured one."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


class Limiter(Protocol):
    """At most ``limit`` failed attempts per key in a sliding ``window`` (seconds)."""

    limit: int
    window: float

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        ...

    def fail(self, key: str, now: float) -> None:
        """Count one failed attempt for ``key``."""
        ...

    def reset(self, key: str) -> None:
        """Forget ``key`` (after a successful login)."""
        ...


@dataclass
class _Window:
    hits: deque[float] = field(default_factory=deque)


class RateLimiter:
    """:class:`Limiter` in this process's memory.

    Keys are namespaced strings (``mac:aa:bb…``, ``ip:10.0.0.5``). Thread-safe; memory is
    bounded by pruning empty windows. Per process: a second portal process behind the same
    name counts on its own; the portal itself uses :class:`SharedRateLimiter`.
    """

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._keys: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, now: float) -> float:
        """Seconds until ``key`` may try again (0 when it may try now)."""
        with self._lock:
            win = self._keys.get(key)
            if win is None:
                return 0.0
            self._prune(win, now)
            if len(win.hits) < self.limit:
                return 0.0
            return max(0.0, win.hits[0] + self.window - now)

    def fail(self, key: str, now: float) -> None:
        """Count one failed attempt for ``key``."""
        with self._lock:
            if key not in self._keys and len(self._keys) >= self.max_keys:
                self._sweep(now)
            win = self._keys.setdefault(key, _Window())
            self._prune(win, now)
            win.hits.append(now)

    def reset(self, key: str) -> None:
        """Forget ``key`` (after a successful login)."""
        with self._lock:
            self._keys.pop(key, None)

    def _prune(self, win: _Window, now: float) -> None:
        while win.hits and win.hits[0] <= now - self.window:
            win.hits.popleft()

    def _sweep(self, now: float) -> None:
        for key in list(self._keys):
            self._prune(self._keys[key], now)
            if not self._keys[key].hits:
                del self._keys[key]
        while len(self._keys) >= self.max_keys:
            self._keys.pop(next(iter(self._keys)))


@runtime_checkable
class LimitTable(Protocol):
    """What a store offers to keep rate limits for every portal process (see
    :mod:`netops.store.limits`): sliding windows counted in one shared table."""

    def limit_wait(self, scope: str, key: str, limit: int, window_s: float, now: datetime) -> float:
        """Seconds until ``key`` may try again under ``scope``'s limit."""
        ...

    def limit_hit(self, scope: str, key: str, limit: int, window_s: float, now: datetime) -> float:
        """Count one attempt atomically (none past the limit); the wait afterwards."""
        ...

    def limit_reset(self, scope: str, key: str) -> int:
        """Forget ``key``'s attempts under ``scope``."""
        ...


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class SharedRateLimiter:
    """:class:`Limiter` counted in a :class:`LimitTable` under ``scope``: every portal process
    on the same store sees the same counts, so two processes behind one name stop a guesser
    at the same attempt as one process does."""

    def __init__(self, table: LimitTable, scope: str, limit: int, window: float) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and a positive window")
        self.table = table
        self.scope = scope
        self.limit = limit
        self.window = window

    def retry_after(self, key: str, now: float) -> float:
        return self.table.limit_wait(self.scope, key, self.limit, self.window, _moment(now))

    def fail(self, key: str, now: float) -> None:
        self.table.limit_hit(self.scope, key, self.limit, self.window, _moment(now))

    def reset(self, key: str) -> None:
        self.table.limit_reset(self.scope, key)


def limiter_for(store: object, scope: str, limit: int, window: float) -> Limiter:
    """A :class:`SharedRateLimiter` when ``store`` keeps limits, else one in memory."""
    if isinstance(store, LimitTable):
        return SharedRateLimiter(store, scope, limit, window)
    return RateLimiter(limit, window)


#: Shortest operator token the portal accepts: 32 characters (``openssl rand -base64 32``
#: gives 44, ``secrets.token_urlsafe(32)`` 43).
MIN_ADMIN_TOKEN = 32
_PLACEHOLDERS = (
    "changeme",
    "replaceme",
    "placeholder",
    "yourtoken",
    "example",
    "password",
    "secret",
    "xxxxxx",
)


def admin_token_problem(token: str) -> str | None:
    """Why ``token`` is unfit to guard the console (too short, a placeholder), or None."""
    folded = "".join(c for c in token.lower() if c.isalnum())
    if any(word in folded for word in _PLACEHOLDERS) or len(set(token)) < 8:
        return "looks like a placeholder"
    if len(token) < MIN_ADMIN_TOKEN:
        return f"is {len(token)} characters long, shorter than {MIN_ADMIN_TOKEN}"
    return None


class FailureGuard:
    """Failed operator-token attempts, counted per source address and across all of them.

    A source with ``per_source`` failures inside the sliding ``window`` is locked until the
    oldest of them leaves it; ``overall`` failures from any mix of sources lock every source
    the same way (guessing spread over many addresses, or addresses the portal cannot tell
    apart). While locked, every token attempt is refused unchecked, the right token too, so
    a lock gives a guesser no signal. In this process's memory unless built by
    :meth:`shared` (counted in the store every portal process shares).
    """

    def __init__(
        self,
        per_source: int = 5,
        overall: int = 30,
        window: float = 600.0,
        max_sources: int = 10_000,
    ) -> None:
        self.per_source: Limiter = RateLimiter(per_source, window, max_keys=max_sources)
        self.overall: Limiter = RateLimiter(overall, window, max_keys=1)
        self.window = window

    @classmethod
    def shared(
        cls, table: LimitTable, per_source: int = 5, overall: int = 30, window: float = 600.0
    ) -> FailureGuard:
        """The same guard counted in ``table`` (scopes ``console-source``, ``console-all``)."""
        guard = cls(per_source, overall, window)
        guard.per_source = SharedRateLimiter(table, "console-source", per_source, window)
        guard.overall = SharedRateLimiter(table, "console-all", overall, window)
        return guard

    def retry_after(self, source: str, now: float) -> float:
        """Seconds until ``source`` may present a token again (0 when it may now)."""
        return max(self.per_source.retry_after(source, now), self.overall.retry_after("*", now))

    def fail(self, source: str, now: float) -> None:
        """Count one wrong token from ``source``."""
        self.per_source.fail(source, now)
        self.overall.fail("*", now)

    def succeed(self, source: str) -> None:
        """Forget ``source``'s failures after it presented the right token."""
        self.per_source.reset(source)


TOTP_STEP = 30


def totp_now(secret: str, now: float, offset: int = 0) -> str:
    """The RFC 6238 code (6 digits, SHA-1, 30 s steps, what authenticator apps use) of a
    base32 ``secret`` at ``now`` shifted by ``offset`` steps."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int(now // TOTP_STEP) + offset
    digest = hmac.new(key, counter.to_bytes(8, "big"), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    value = int.from_bytes(digest[start : start + 4], "big") & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def totp_valid(secret: str, code: str | None, now: float) -> bool:
    """Whether ``code`` is the TOTP code of this step or the one before or after (clock drift)."""
    code = (code or "").replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return False
    return any(hmac.compare_digest(code, totp_now(secret, now, d)) for d in (-1, 0, 1))


def new_totp_secret() -> str:
    """A random 160-bit TOTP secret, base32 without padding."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def content_security_policy(nonce: str, form_targets: tuple[str, ...] = ()) -> str:
    """CSP for every page: nothing external, inline script only with this response's nonce.

    ``form-action`` lists the gateway origins a login form may post to.
    """
    actions = " ".join(("'self'", *form_targets))
    return (
        "default-src 'none'; "
        f"script-src 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "connect-src 'self'; "
        f"form-action {actions}; "
        "frame-ancestors 'none'; "
        "base-uri 'none'"
    )


def secure_headers(csp: str, *, https: bool) -> dict[str, str]:
    """The headers every response carries."""
    headers = {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "no-store",
    }
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers
