"""The operators' side, what the console and the API share: who is asking and what they may
do, and the actions both offer (make vouchers, today's usage, disconnect a session).

The routes are elsewhere: the console's pages in :mod:`netops.portal.console`, the JSON API
(OpenAPI at ``/api/openapi.json``) in :mod:`netops.portal.admin_api`.

Every request comes from a named operator (:class:`Principal`): the console's signed cookie
names the account and a sign-in the server keeps (:mod:`netops.portal.console_sessions`), the
API's ``Authorization: Bearer`` carries a per-operator API token (kept hashed in the store).
Each route's least role is in :data:`ROUTE_ROLES` (a route missing there is refused to
everyone); an account limited to sites sees only their hotspots' sessions and usage. Failed
sign-ins and wrong tokens are counted per source address, per account and in total
(:class:`~netops.portal.security.FailureGuard`); past the limit every attempt, the right one
too, gets 429. Every action goes to the store's audit trail. ``$NETOPS_ADMIN_TOKEN`` still
works for this release as a deprecated break-glass ``admin``; it never appears in a URL, a
page or a log line.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from weakref import WeakKeyDictionary

from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from netops.errors import NetopsError
from netops.portal.allowance import day_start
from netops.portal.console_sessions import ConsoleSessions, MemoryConsoleSessions, for_store
from netops.portal.pages import client_of
from netops.portal.security import (
    FailureGuard,
    Limiter,
    RateLimiter,
    admin_token_problem,
    token_matches,
    totp_valid,
)
from netops.portal.state import ADMIN_COOKIE, ADMIN_TOKEN_ENV, Portal
from netops.store.operators import ROLES, TOKEN_PREFIX, Operator, Role
from netops.store.types import Session, Subscriber

log = logging.getLogger("netops.portal.admin")

ADMIN_MAX_AGE = 12 * 3600
MAX_BATCH = 1000
_BATCH = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
bearer = HTTPBearer(
    auto_error=False,
    description="An operator's API token (`netops operator token create`); the deprecated "
    "$NETOPS_ADMIN_TOKEN still works as a break-glass admin for this release.",
)


# --- API models --------------------------------------------------------------------------------


class PlanOut(BaseModel):
    name: str
    description: str | None
    session_timeout_s: int | None
    daily_time_s: int | None
    daily_data_bytes: int | None
    data_quota_bytes: int | None
    voucher_validity_s: int | None


class HotspotOut(BaseModel):
    id: str
    name: str | None
    ssid: str
    plan: str
    gateway: str


class VoucherBatchIn(BaseModel):
    plan: str = Field(description="Plan name from the inventory.", min_length=1, max_length=64)
    count: int = Field(default=1, ge=1, le=MAX_BATCH, description="How many codes to make.")
    shared: bool = Field(default=False, description="One code for many devices (events).")
    validity_s: int | None = Field(
        default=None,
        ge=60,
        le=366 * 86400,
        description="Validity from first use, seconds (default: the plan's voucher_validity).",
    )
    batch: str | None = Field(
        default=None, pattern=_BATCH, description="Batch name (default: date, time and plan)."
    )


class VoucherBatchOut(BaseModel):
    batch: str
    plan: str
    codes: list[str]


class VoucherOut(BaseModel):
    name: str
    plan: str
    enabled: bool
    shared: bool
    batch: str | None
    bound_mac: str | None
    first_used_at: datetime | None
    valid_until: datetime | None
    created_at: datetime


class RevokeOut(BaseModel):
    name: str
    revoked: bool


class SessionOut(BaseModel):
    id: int
    username: str
    hotspot: str | None
    nas_ip: str
    acct_session_id: str
    mac: str | None
    mac_private: bool | None = Field(
        None,
        description="True when the device used a private (random, locally administered) "
        "MAC address when the portal saw it: the same phone may come back under another one",
    )
    ip: str | None
    started_at: datetime
    updated_at: datetime
    stopped_at: datetime | None
    session_time_s: int
    input_octets: int
    output_octets: int
    terminate_cause: str | None


class DisconnectIn(BaseModel):
    acct_session_id: str = Field(min_length=1, max_length=253)
    nas_ip: str = Field(min_length=2, max_length=45)


class DisconnectOut(BaseModel):
    acct_session_id: str
    nas: str
    result: Literal["ack", "nak", "timeout"]
    error_cause: str | None = None


class HotspotUsageOut(BaseModel):
    hotspot: str
    name: str | None
    sessions: int
    active_sessions: int
    users: int
    seconds: int
    input_octets: int
    output_octets: int


# --- shared logic ------------------------------------------------------------------------------


def voucher_out(sub: Subscriber) -> VoucherOut:
    return VoucherOut(
        name=sub.username,
        plan=sub.plan,
        enabled=sub.enabled,
        shared=sub.shared,
        batch=sub.batch,
        bound_mac=sub.bound_mac,
        first_used_at=sub.first_used_at,
        valid_until=sub.valid_until,
        created_at=sub.created_at,
    )


def session_out(s: Session, private: Collection[str] = ()) -> SessionOut:
    """A session as the API and the console show it; ``private``: the MAC pseudonyms that
    were private addresses (:func:`netops.portal.devices.private_devices`)."""
    return SessionOut(
        id=s.id,
        username=s.username,
        hotspot=s.hotspot,
        nas_ip=s.nas_ip,
        acct_session_id=s.acct_session_id,
        mac=s.mac,
        mac_private=(s.mac in private) if s.mac else None,
        ip=s.ip,
        started_at=s.started_at,
        updated_at=s.updated_at,
        stopped_at=s.stopped_at,
        session_time_s=s.session_time,
        input_octets=s.input_octets,
        output_octets=s.output_octets,
        terminate_cause=s.terminate_cause,
    )


def create_batch(portal: Portal, req: VoucherBatchIn) -> VoucherBatchOut:
    """Make a batch of vouchers; unknown plans are refused with a clear message."""
    plan = portal.plan(req.plan)
    if plan is None:
        known = ", ".join(p.name for p in portal.inventory.plans)
        raise HTTPException(422, f"plan {req.plan!r} is not in the inventory (known: {known})")
    batch = req.batch or f"{portal.now().astimezone(portal.zone):%Y%m%d-%H%M%S}-{plan.name}"
    validity = req.validity_s if req.validity_s is not None else plan.voucher_validity
    codes = portal.store.create_vouchers(
        plan.name, req.count, shared=req.shared, validity_s=validity, batch=batch
    )
    portal.vouchers_created.inc(len(codes))
    log.info("created %d vouchers for plan %s in batch %s", len(codes), plan.name, batch)
    return VoucherBatchOut(batch=batch, plan=plan.name, codes=codes)


def usage_today(portal: Portal) -> list[HotspotUsageOut]:
    """Sessions, users, time and octets per hotspot since the city's midnight."""
    since = day_start(portal.now(), portal.zone)
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sessions": 0, "active": 0, "users": set(), "s": 0, "in": 0, "out": 0}
    )
    for hotspot in portal.inventory.hotspots:
        rows[hotspot.id]
    for s in portal.store.sessions(since=since):
        row = rows[s.hotspot or "-"]
        row["sessions"] += 1
        row["active"] += int(s.active)
        row["users"].add(s.username)
        row["s"] += s.session_time
        row["in"] += s.input_octets
        row["out"] += s.output_octets
    names = {h.id: h.name for h in portal.inventory.hotspots}
    return [
        HotspotUsageOut(
            hotspot=key,
            name=names.get(key),
            sessions=r["sessions"],
            active_sessions=r["active"],
            users=len(r["users"]),
            seconds=r["s"],
            input_octets=r["in"],
            output_octets=r["out"],
        )
        for key, r in rows.items()
    ]


def disconnect(portal: Portal, req: DisconnectIn, who: Principal) -> DisconnectOut:
    """Send a Disconnect-Request (RFC 5176) for a stored session to the NAS that reported it;
    a session at a hotspot outside the operator's sites is "not found"."""
    session = portal.store.session(req.acct_session_id, req.nas_ip)
    if session is None or not who.sees(portal, session.hotspot):
        raise HTTPException(404, f"no session {req.acct_session_id!r} from NAS {req.nas_ip}")
    send = portal.settings.disconnect
    if send is None:
        from netops.radius.coa import disconnect_session_sync

        send = disconnect_session_sync
    kwargs: dict[str, Any] = {
        "nas_ip": session.nas_ip,
        "username": session.username,
        "acct_session_id": session.acct_session_id,
        "mac": session.mac,
        "ip": session.ip,
    }
    if portal.settings.coa_port is not None:
        kwargs["port"] = portal.settings.coa_port
    try:
        result = send(portal.inventory, **kwargs)
    except NetopsError as exc:
        portal.disconnects.labels("error").inc()
        raise HTTPException(502, str(exc)) from None
    portal.disconnects.labels(result.result).inc()
    log.info(
        "disconnect of session %s at NAS %s: %s",
        session.acct_session_id,
        session.nas_ip,
        result.result,
    )
    return DisconnectOut(
        acct_session_id=session.acct_session_id,
        nas=result.nas,
        result=result.result,
        error_cause=result.error_cause,
    )


@dataclass
class ConsoleState:
    """What the console and the API share in one portal: the wrong-token counts and the
    live sign-ins. :func:`console_state` takes both from the portal's store, so several
    portal processes on one store serve one console."""

    failures: FailureGuard = field(default_factory=FailureGuard)
    accounts: Limiter = field(default_factory=lambda: RateLimiter(5, 600.0))
    sessions: ConsoleSessions = field(default_factory=MemoryConsoleSessions)
    weak_token_logged: bool = False
    deprecation_logged: bool = False


_STATES: WeakKeyDictionary[Portal, ConsoleState] = WeakKeyDictionary()


def console_state(portal: Portal) -> ConsoleState:
    """The :class:`ConsoleState` of ``portal`` (made on first use)."""
    state = _STATES.get(portal)
    if state is None:
        state = _STATES[portal] = ConsoleState(
            failures=portal.console_failures,
            accounts=portal.console_accounts,
            sessions=for_store(portal.store),
        )
    return state


class TokenLocked(Exception):
    """Too many wrong tokens: no token is checked for ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"locked for {retry_after:.0f} s")
        self.retry_after = retry_after

    def header(self) -> dict[str, str]:
        return {"Retry-After": str(int(self.retry_after) + 1)}


# --- who is asking, and what they may do ------------------------------------------------------

RANK: dict[Role, int] = {role: n for n, role in enumerate(ROLES)}
BREAK_GLASS = "break-glass"

#: The least role each console page and API endpoint needs, by (method, route path); None:
#: no sign-in needed. A route missing here is refused to everyone (tests enumerate the app's
#: routes against this table, so a new route cannot slip through unguarded).
ROUTE_ROLES: dict[tuple[str, str], Role | None] = {
    ("GET", "/admin/login"): None,
    ("POST", "/admin/login"): None,
    ("POST", "/admin/logout"): None,
    ("GET", "/admin"): "viewer",
    ("GET", "/admin/"): "viewer",
    ("GET", "/admin/vouchers"): "helpdesk",
    ("POST", "/admin/vouchers"): "helpdesk",
    ("POST", "/admin/vouchers/revoke"): "helpdesk",
    ("GET", "/admin/vouchers/print"): "helpdesk",
    ("GET", "/admin/sessions"): "viewer",
    ("POST", "/admin/sessions/disconnect"): "helpdesk",
    ("GET", "/admin/usage"): "viewer",
    ("GET", "/admin/audit"): "admin",
    ("GET", "/api/admin/plans"): "viewer",
    ("GET", "/api/admin/hotspots"): "viewer",
    ("POST", "/api/admin/vouchers"): "helpdesk",
    ("GET", "/api/admin/vouchers"): "helpdesk",
    ("DELETE", "/api/admin/vouchers/{code}"): "helpdesk",
    ("GET", "/api/admin/sessions"): "viewer",
    ("POST", "/api/admin/sessions/disconnect"): "helpdesk",
    ("GET", "/api/admin/usage/today"): "viewer",
    ("GET", "/api/admin/audit"): "admin",
    ("GET", "/api/admin/operators"): "admin",
    ("GET", "/api/admin/whoami"): "viewer",
}
#: Making more than one voucher at once (a batch) needs this role.
BATCH_ROLE: Role = "operator"


@dataclass(frozen=True)
class Principal:
    """A signed-in operator (or the break-glass token): name, role, sites (empty: all)."""

    name: str
    role: Role
    sites: frozenset[str] = frozenset()
    via: str = "console"

    def may(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]

    def hotspots(self, portal: Portal) -> set[str] | None:
        """The hotspots this account may see; None: every one."""
        if not self.sites:
            return None
        return {h.id for h in portal.inventory.hotspots if h.site in self.sites}

    def sees(self, portal: Portal, hotspot: str | None) -> bool:
        allowed = self.hotspots(portal)
        return allowed is None or (hotspot is not None and hotspot in allowed)


def _principal(op: Operator, via: str) -> Principal:
    return Principal(name=op.name, role=op.role, sites=op.sites, via=via)


def route_role(request: Request) -> Role | Literal["closed"] | None:
    """The least role the matched route needs; ``"closed"`` when the route is not listed."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return ROUTE_ROLES.get((request.method.upper(), str(path)), "closed")


def permitted(request: Request, who: Principal) -> bool:
    need = route_role(request)
    return need is None or (need != "closed" and who.may(need))


def record(
    portal: Portal,
    who: Principal,
    request: Request,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append an operator's action to the audit trail."""
    portal.store.audit(who.name, client_of(request), action, target, detail)


def configured_token(portal: Portal) -> str | None:
    """The break-glass token, or None when it is unset or unfit (too short, a placeholder)."""
    token = portal.settings.admin_token()
    if not token:
        return None
    problem = admin_token_problem(token)
    if problem is None:
        return token
    state = console_state(portal)
    if not state.weak_token_logged:
        state.weak_token_logged = True
        log.error("%s %s: the break-glass token is refused", ADMIN_TOKEN_ENV, problem)
    return None


def _break_glass(portal: Portal, request: Request) -> Principal:
    state = console_state(portal)
    if not state.deprecation_logged:
        state.deprecation_logged = True
        log.warning(
            "%s is deprecated and will be removed in the next release: create named "
            "operators with `netops operator add` and per-operator API tokens",
            ADMIN_TOKEN_ENV,
        )
    return Principal(name=BREAK_GLASS, role="admin", via="break-glass")


def _guarded(portal: Portal, request: Request) -> float:
    """Seconds the source (or everyone) is locked out; counts as a refused attempt."""
    wait = console_state(portal).failures.retry_after(client_of(request), time.time())
    if wait > 0:
        portal.limited.labels("admin").inc()
    return wait


def _failed(portal: Portal, request: Request, what: str) -> None:
    console_state(portal).failures.fail(client_of(request), time.time())
    log.warning("%s from %s", what, client_of(request))


def check_bearer(portal: Portal, request: Request, given: str) -> Principal | None:
    """The operator a bearer token belongs to (an operator's API token, or the break-glass
    token), None for a wrong one (counted against its source).

    Raises :class:`TokenLocked` (without looking at ``given``) while the source, or every
    source, has too many recent failures."""
    wait = _guarded(portal, request)
    if wait > 0:
        raise TokenLocked(wait)
    who: Principal | None = None
    if given.startswith(TOKEN_PREFIX):
        op = portal.store.operator_for_token(given)
        who = _principal(op, "token") if op is not None else None
    else:
        expected = configured_token(portal)
        if expected is not None and token_matches(given, expected):
            who = _break_glass(portal, request)
    if who is None:
        _failed(portal, request, "wrong operator token")
        return None
    console_state(portal).failures.succeed(client_of(request))
    return who


def check_password(
    portal: Portal, request: Request, name: str, password: str, otp: str
) -> Principal | None:
    """The operator signing in with the form, or None (counted against the source and the
    account). An empty name with the break-glass token as password signs in as ``admin``.

    Raises :class:`TokenLocked` while the source, everyone, or the account is locked."""
    state = console_state(portal)
    now = time.time()
    wait = max(_guarded(portal, request), state.accounts.retry_after(name, now) if name else 0)
    if wait > 0:
        raise TokenLocked(wait)
    who: Principal | None = None
    if not name:
        expected = configured_token(portal)
        if expected is not None and token_matches(password, expected):
            who = _break_glass(portal, request)
    else:
        op = portal.store.check_operator_password(name, password)
        if op is not None and op.has_totp:
            secret = portal.store.operator_totp_secret(name)
            if secret is None or not totp_valid(secret, otp, now):
                op = None
        who = _principal(op, "console") if op is not None else None
    if who is None:
        if name:
            state.accounts.fail(name, now)
        _failed(portal, request, "failed console sign-in")
        return None
    state.failures.succeed(client_of(request))
    state.accounts.reset(name)
    return who


def authenticate(
    portal: Portal, request: Request, creds: HTTPAuthorizationCredentials | None
) -> Principal | None:
    """A right bearer token, or the cookie of a live console sign-in of an enabled account
    (raises :class:`TokenLocked` for a bearer token while its source is locked)."""
    if creds is not None and creds.scheme.lower() == "bearer":
        return check_bearer(portal, request, creds.credentials)
    body = console_cookie(portal, request)
    if body is None or not console_state(portal).sessions.live(str(body["s"]), time.time()):
        return None
    name = str(body.get("o", ""))
    if name == BREAK_GLASS:
        # The cookie holds a fingerprint of the token it was issued for: changing the
        # token signs every break-glass console out.
        expected = configured_token(portal)
        if expected is None or body.get("f") != token_fingerprint(portal, expected):
            return None
        return Principal(name=BREAK_GLASS, role="admin", via="break-glass")
    op = portal.store.operator(name)
    if op is None or not op.enabled:
        return None
    return _principal(op, "console")


def console_cookie(portal: Portal, request: Request) -> dict[str, Any] | None:
    cookie = request.cookies.get(ADMIN_COOKIE)
    if not cookie:
        return None
    body = portal.signer.verify("admin", cookie, time.time(), ADMIN_MAX_AGE)
    if body is None or not isinstance(body.get("s"), str):
        return None
    return body


def token_fingerprint(portal: Portal, token: str) -> str:
    return portal.signer.sign("token", {"t": token}, 0).rsplit(".", 1)[1][:16]
