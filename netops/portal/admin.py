"""The operators' side: a JSON API (OpenAPI at ``/api/openapi.json``) and a few
server-rendered pages — vouchers, active sessions per hotspot, today's usage.

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

import html
import json
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from importlib import resources
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

import segno
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from markupsafe import Markup
from pydantic import BaseModel, Field, ValidationError

from netops.errors import NetopsError, StoreError
from netops.portal import i18n
from netops.portal.allowance import day_start
from netops.portal.console_sessions import ConsoleSessions, MemoryConsoleSessions, for_store
from netops.portal.security import (
    FailureGuard,
    Limiter,
    RateLimiter,
    admin_token_problem,
    csrf_token,
    csrf_valid,
    new_browser_id,
    token_matches,
    totp_valid,
)
from netops.portal.state import ADMIN_COOKIE, ADMIN_TOKEN_ENV, CSRF_COOKIE, LANG_COOKIE, Portal
from netops.store.codes import VOUCHER_BITS, group_code, looks_like_voucher, normalise_code
from netops.store.operators import OPERATOR_NAME, ROLES, TOKEN_PREFIX, AuditEntry, Operator, Role
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
    code: str
    plan: str
    enabled: bool
    shared: bool
    batch: str | None
    bound_mac: str | None
    first_used_at: datetime | None
    valid_until: datetime | None
    created_at: datetime


class RevokeOut(BaseModel):
    code: str
    revoked: bool


class SessionOut(BaseModel):
    id: int
    username: str
    hotspot: str | None
    nas_ip: str
    acct_session_id: str
    mac: str | None
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


def _voucher_out(sub: Subscriber) -> VoucherOut:
    return VoucherOut(
        code=group_code(sub.username),
        plan=sub.plan,
        enabled=sub.enabled,
        shared=sub.shared,
        batch=sub.batch,
        bound_mac=sub.bound_mac,
        first_used_at=sub.first_used_at,
        valid_until=sub.valid_until,
        created_at=sub.created_at,
    )


def _session_out(s: Session) -> SessionOut:
    return SessionOut(
        id=s.id,
        username=s.username,
        hotspot=s.hotspot,
        nas_ip=s.nas_ip,
        acct_session_id=s.acct_session_id,
        mac=s.mac,
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


def _source(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def record(
    portal: Portal,
    who: Principal,
    request: Request,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append an operator's action to the audit trail."""
    portal.store.audit(who.name, _source(request), action, target, detail)


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
    wait = console_state(portal).failures.retry_after(_source(request), time.time())
    if wait > 0:
        portal.limited.labels("admin").inc()
    return wait


def _failed(portal: Portal, request: Request, what: str) -> None:
    console_state(portal).failures.fail(_source(request), time.time())
    log.warning("%s from %s", what, _source(request))


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
    console_state(portal).failures.succeed(_source(request))
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
    state.failures.succeed(_source(request))
    state.accounts.reset(name)
    return who


def authenticate(
    portal: Portal, request: Request, creds: HTTPAuthorizationCredentials | None
) -> Principal | None:
    """A right bearer token, or the cookie of a live console sign-in of an enabled account
    (raises :class:`TokenLocked` for a bearer token while its source is locked)."""
    if creds is not None and creds.scheme.lower() == "bearer":
        return check_bearer(portal, request, creds.credentials)
    body = _console_cookie(portal, request)
    if body is None or not console_state(portal).sessions.live(str(body["s"]), time.time()):
        return None
    name = str(body.get("o", ""))
    if name == BREAK_GLASS:
        # The cookie holds a fingerprint of the token it was issued for: changing the
        # token signs every break-glass console out.
        expected = configured_token(portal)
        if expected is None or body.get("f") != _fingerprint(portal, expected):
            return None
        return Principal(name=BREAK_GLASS, role="admin", via="break-glass")
    op = portal.store.operator(name)
    if op is None or not op.enabled:
        return None
    return _principal(op, "console")


def _console_cookie(portal: Portal, request: Request) -> dict[str, Any] | None:
    cookie = request.cookies.get(ADMIN_COOKIE)
    if not cookie:
        return None
    body = portal.signer.verify("admin", cookie, time.time(), ADMIN_MAX_AGE)
    if body is None or not isinstance(body.get("s"), str):
        return None
    return body


def _fingerprint(portal: Portal, token: str) -> str:
    return portal.signer.sign("token", {"t": token}, 0).rsplit(".", 1)[1][:16]


# --- the API -----------------------------------------------------------------------------------


class AuditOut(BaseModel):
    id: int
    at: datetime
    operator: str
    source: str
    action: str
    target: str | None
    detail: str | None
    hash: str


class OperatorOut(BaseModel):
    name: str
    role: str
    sites: list[str]
    enabled: bool
    totp: bool


class WhoAmIOut(BaseModel):
    name: str
    role: str
    sites: list[str]


def api_router(portal: Portal) -> APIRouter:
    """``/api/admin/…``: JSON for scripts and other tools."""

    def require(
        request: Request,
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        try:
            who = authenticate(portal, request, creds)
        except TokenLocked as exc:
            raise HTTPException(
                429,
                f"too many wrong operator tokens; try again in {int(exc.retry_after) + 1} s",
                exc.header(),
            ) from None
        if who is None:
            raise HTTPException(
                401, "a valid operator token is required", {"WWW-Authenticate": "Bearer"}
            )
        if not permitted(request, who):
            raise HTTPException(403, f"the role {who.role!r} may not do this")
        return who

    router = APIRouter(
        prefix="/api/admin",
        tags=["admin"],
        dependencies=[Depends(require)],
        responses={
            401: {"description": "No operator token, or a wrong one"},
            403: {"description": "The operator's role (or sites) does not allow this"},
            429: {
                "description": "Too many wrong tokens from this address (or from all): "
                "every token is refused for Retry-After seconds"
            },
        },
    )

    @router.get("/whoami", summary="The operator this token belongs to")
    def whoami(who: Principal = Depends(require)) -> WhoAmIOut:
        return WhoAmIOut(name=who.name, role=who.role, sites=sorted(who.sites))

    @router.get("/plans", summary="Plans from the inventory")
    def plans() -> list[PlanOut]:
        return [
            PlanOut(
                name=p.name,
                description=p.description,
                session_timeout_s=p.session_timeout,
                daily_time_s=p.daily_time,
                daily_data_bytes=p.daily_data,
                data_quota_bytes=p.data_quota,
                voucher_validity_s=p.voucher_validity,
            )
            for p in portal.inventory.plans
        ]

    @router.get("/hotspots", summary="Hotspots from the inventory (the operator's sites)")
    def hotspots(who: Principal = Depends(require)) -> list[HotspotOut]:
        return [
            HotspotOut(id=h.id, name=h.name, ssid=h.ssid, plan=h.plan, gateway=h.gateway)
            for h in portal.inventory.hotspots
            if who.sees(portal, h.id)
        ]

    @router.post(
        "/vouchers",
        status_code=201,
        summary="Create a batch of vouchers",
        description="One voucher needs the role helpdesk; more than one, or a named batch, "
        "the role operator.",
        responses={422: {"description": "Unknown plan or invalid values"}},
    )
    def create(
        req: VoucherBatchIn, request: Request, who: Principal = Depends(require)
    ) -> VoucherBatchOut:
        if (req.count > 1 or req.batch) and not who.may(BATCH_ROLE):
            raise HTTPException(403, f"batches need the role {BATCH_ROLE!r}")
        made = create_batch(portal, req)
        record(portal, who, request, "voucher.create", made.batch, f"{len(made.codes)} {made.plan}")
        return made

    @router.get("/vouchers", summary="List vouchers (of one batch)")
    def vouchers(
        request: Request,
        who: Principal = Depends(require),
        batch: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    ) -> list[VoucherOut]:
        found = [_voucher_out(v) for v in portal.store.list_vouchers(batch=batch)[:limit]]
        record(portal, who, request, "voucher.list", batch, f"{len(found)} rows")
        return found

    @router.delete(
        "/vouchers/{code}",
        summary="Revoke a voucher",
        responses={404: {"description": "No such voucher"}},
    )
    def revoke(code: str, request: Request, who: Principal = Depends(require)) -> RevokeOut:
        if not looks_like_voucher(code) or not portal.store.revoke_voucher(code):
            raise HTTPException(404, f"voucher {code!r} does not exist")
        grouped = group_code(normalise_code(code))
        log.info("revoked voucher %s…", grouped[:4])
        record(portal, who, request, "voucher.revoke", grouped)
        return RevokeOut(code=grouped, revoked=True)

    @router.get("/sessions", summary="Sessions (active by default), newest first")
    def sessions(
        request: Request,
        who: Principal = Depends(require),
        hotspot: Annotated[str | None, Query(max_length=64)] = None,
        active: bool = True,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        mac: Annotated[
            str | None,
            Query(max_length=64, description="A device's MAC, any spelling (by its pseudonym)."),
        ] = None,
    ) -> list[SessionOut]:
        if hotspot is not None and not who.sees(portal, hotspot):
            return []
        found = portal.store.sessions(active=active, hotspot=hotspot, limit=limit, mac=mac)
        out = [_session_out(s) for s in found if who.sees(portal, s.hotspot)]
        record(portal, who, request, "session.list", hotspot, f"{len(out)} rows")
        return out

    @router.post(
        "/sessions/disconnect",
        summary="Disconnect a session (RFC 5176 Disconnect-Request to its NAS)",
        responses={
            404: {"description": "No such session"},
            502: {"description": "The NAS could not be asked"},
        },
    )
    def disconnect_api(
        req: DisconnectIn, request: Request, who: Principal = Depends(require)
    ) -> DisconnectOut:
        out = disconnect(portal, req, who)
        record(portal, who, request, "session.disconnect", out.acct_session_id, out.result)
        return out

    @router.get("/usage/today", summary="Today's usage per hotspot (since local midnight)")
    def usage(who: Principal = Depends(require)) -> list[HotspotUsageOut]:
        return [r for r in usage_today(portal) if who.sees(portal, r.hotspot)]

    @router.get("/audit", summary="The audit trail, newest last")
    def audit(
        who: Principal = Depends(require),
        since: datetime | None = None,
        operator: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    ) -> list[AuditOut]:
        if since is not None and since.tzinfo is None:
            raise HTTPException(422, "since needs a time zone offset")
        rows = portal.store.audit_entries(since=since, operator=operator, limit=limit)
        return [_audit_out(e) for e in rows]

    @router.get("/operators", summary="Operator accounts")
    def operators(who: Principal = Depends(require)) -> list[OperatorOut]:
        return [
            OperatorOut(
                name=o.name, role=o.role, sites=sorted(o.sites), enabled=o.enabled, totp=o.has_totp
            )
            for o in portal.store.operators()
        ]

    return router


def _audit_out(e: AuditEntry) -> AuditOut:
    return AuditOut(
        id=e.id,
        at=e.at,
        operator=e.operator,
        source=e.source,
        action=e.action,
        target=e.target,
        detail=e.detail,
        hash=e.hash,
    )


# --- the API's documentation page ------------------------------------------------------------

#: Swagger UI's files as the ``swagger-ui-py`` package ships them (Swagger UI 5, which reads
#: the OpenAPI 3.1 document FastAPI writes). Served from here: the page loads nothing from
#: any other host, and the portal's CSP stays at 'self' plus a per-response nonce.
DOCS_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


def _docs_page(title: str, base: str, openapi_url: str, nonce: str) -> str:
    options = {
        "url": openapi_url,
        "dom_id": "#swagger-ui",
        "layout": "BaseLayout",
        "deepLinking": True,
        "showExtensions": True,
        "showCommonExtensions": True,
        # No badge from the public validator: the page talks to this server only.
        "validatorUrl": None,
    }
    config = json.dumps(options).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="{base}/swagger-ui.css">
<link rel="icon" type="image/png" href="{base}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{base}/swagger-ui-bundle.js" nonce="{nonce}"></script>
<script nonce="{nonce}">
const options = {config};
options.presets = [SwaggerUIBundle.presets.apis];
window.ui = SwaggerUIBundle(options);
</script>
</body>
</html>
"""


def docs_router(title: str, openapi_url: str) -> APIRouter:
    """``/api/docs``: Swagger UI for the operators' API, every file served by the portal."""
    router = APIRouter(prefix="/api/docs", include_in_schema=False)
    static = resources.files("swagger_ui") / "static"

    @router.get("", response_class=HTMLResponse)
    @router.get("/", response_class=HTMLResponse)
    def page(request: Request) -> Response:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        nonce = request.state.nonce = secrets.token_urlsafe(16)
        body = _docs_page(title, f"{root}/api/docs", f"{root}{openapi_url}", nonce)
        return HTMLResponse(body)

    @router.get("/{name}")
    def asset(name: str) -> Response:
        media = DOCS_ASSETS.get(name)
        if media is None:
            raise HTTPException(404, "not found")
        data = (static / name).read_bytes()
        return Response(data, media_type=media, headers={"Cache-Control": "public, max-age=86400"})

    return router


# --- the console pages -------------------------------------------------------------------------


def _fmt_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def _fmt_local(when: datetime, zone: tzinfo, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """A moment as an operator reads it: the inventory's time zone, named (``… WITA``)."""
    return when.astimezone(zone).strftime(f"{fmt} %Z")


def _fmt_secs(n: int) -> str:
    h, rest = divmod(max(0, n), 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}"


def admin_router(portal: Portal) -> APIRouter:
    """``/admin/…``: server-rendered console pages for the NOC and the front desk."""
    router = APIRouter(prefix="/admin", include_in_schema=False)
    env = portal.env
    env.filters["bytes"] = _fmt_bytes
    env.filters["secs"] = _fmt_secs
    env.filters["local"] = lambda when, fmt="%d-%m-%Y %H:%M": _fmt_local(when, portal.zone, fmt)

    class Page:
        def __init__(self, request: Request) -> None:
            self.request = request
            self.browser_id = request.cookies.get(CSRF_COOKIE) or new_browser_id()
            self.new = CSRF_COOKIE not in request.cookies
            self.nonce = request.state.nonce = ""
            chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
            self.lang = i18n.pick_language(chosen, None, portal.default_lang)
            self.t = i18n.translator(self.lang)

        def render(self, name: str, status: int = 200, **values: Any) -> Response:
            root = str(self.request.scope.get("root_path", "")).rstrip("/") + "/"
            csrf = csrf_token(portal.signer, self.browser_id, time.time())
            other = "en" if self.lang == "id" else "id"
            html = env.get_template(name).render(
                root=root,
                csrf=csrf,
                lang=self.lang,
                other_lang=other,
                switch_url=str(self.request.url.include_query_params(lang=other)),
                t=self.t,
                brand=portal.brand,
                zone=portal.zone,
                now=portal.now().astimezone(portal.zone),
                who=getattr(self.request.state, "who", None),
                **values,
            )
            response = HTMLResponse(html, status_code=status)
            if self.request.query_params.get("lang") in i18n.LANGUAGES:
                response.set_cookie(
                    LANG_COOKIE, self.lang, samesite="lax", secure=portal.secure, max_age=31536000
                )
            if self.new:
                response.set_cookie(
                    CSRF_COOKIE,
                    self.browser_id,
                    httponly=True,
                    samesite="lax",
                    secure=portal.secure,
                    path="/",
                )
            return response

    def signed_in(request: Request) -> Principal | Response:
        """The signed-in operator when the route allows their role; else the way to the
        sign-in page, a 403 page, or a 429 for a bearer token from a locked source."""
        creds = None
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())
        try:
            who = authenticate(portal, request, creds)
        except TokenLocked as exc:
            return locked(Page(request), exc.retry_after)
        if who is None:
            return RedirectResponse("/admin/login", 303)
        if not permitted(request, who):
            page = Page(request)
            return page.render(
                "admin_message.html", 403, section=None, message=page.t("admin.forbidden")
            )
        request.state.who = who
        return who

    def locked(page: Page, wait: float) -> Response:
        response = page.render(
            "admin_login.html",
            429,
            configured=True,
            error=page.t("admin.too_many", minutes=int(wait // 60) + 1),
        )
        response.headers.update(TokenLocked(wait).header())
        return response

    async def checked_form(request: Request) -> dict[str, str] | None:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        browser = request.cookies.get(CSRF_COOKIE)
        ok = csrf_valid(portal.signer, fields.get("csrf"), browser, time.time())
        return fields if ok else None

    @router.get("", response_class=HTMLResponse)
    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        who = signed_in(request)
        if not isinstance(who, Principal):
            return RedirectResponse("/admin/login", 303)
        start = "/admin/vouchers" if who.may("helpdesk") else "/admin/sessions"
        return RedirectResponse(start, 303)

    def console_open(portal: Portal) -> bool:
        return configured_token(portal) is not None or bool(portal.store.operators())

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        configured = console_open(portal)
        return Page(request).render("admin_login.html", configured=configured, error=None)

    @router.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        fields = await checked_form(request)
        page = Page(request)
        if fields is None:
            return page.render(
                "admin_login.html", 403, configured=True, error=page.t("admin.expired")
            )
        name = fields.get("name", "").strip().lower()
        # "token": the break-glass form of earlier releases (no name, the shared token).
        password = fields.get("password") or fields.get("token") or ""
        try:
            who = await run_in_threadpool(
                check_password, portal, request, name, password, fields.get("otp", "")
            )
        except TokenLocked as exc:
            return locked(page, exc.retry_after)
        if who is None:
            if name:
                known = OPERATOR_NAME.fullmatch(name) is not None
                shown = name if known else "?"
                portal.store.audit(shown, _source(request), "console.sign_in_failed")
            return page.render(
                "admin_login.html",
                401,
                configured=console_open(portal),
                error=page.t("admin.token_invalid"),
            )
        now = time.time()
        session_id = console_state(portal).sessions.open(now, ADMIN_MAX_AGE)
        payload: dict[str, Any] = {"o": who.name, "s": session_id}
        if who.name == BREAK_GLASS:
            expected = configured_token(portal)
            assert expected is not None
            payload["f"] = _fingerprint(portal, expected)
        cookie = portal.signer.sign("admin", payload, now)
        record(portal, who, request, "console.sign_in", detail=who.via)
        start = "/admin/vouchers" if who.may("helpdesk") else "/admin/sessions"
        response = RedirectResponse(start, 303)
        response.set_cookie(
            ADMIN_COOKIE,
            cookie,
            max_age=ADMIN_MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=portal.secure,
            path="/",
        )
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        # Signing out ends the sign-in on the server even when the form is stale (its CSRF
        # token lasts 2 h, a sign-in 12 h): an operator who presses "Keluar" must be out.
        # Forcing a sign-out is all a forged form could do, and the cookie is SameSite=Strict.
        body = _console_cookie(portal, request)
        if body is not None and console_state(portal).sessions.revoke(str(body["s"])):
            log.info("console sign-out from %s", _source(request))
            portal.store.audit(str(body.get("o", "?")), _source(request), "console.sign_out")
        response = RedirectResponse("/admin/login", 303)
        response.delete_cookie(
            ADMIN_COOKIE, path="/", secure=portal.secure, httponly=True, samesite="strict"
        )
        return response

    @router.get("/vouchers", response_class=HTMLResponse)
    def vouchers(
        request: Request, batch: Annotated[str | None, Query(max_length=64)] = None
    ) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        subs = portal.store.list_vouchers(batch=batch)
        batches: dict[str, int] = defaultdict(int)
        for sub in portal.store.list_vouchers() if batch else subs:
            batches[sub.batch or "-"] += 1
        return Page(request).render(
            "admin_vouchers.html",
            section="vouchers",
            plans=portal.inventory.plans,
            vouchers=[_voucher_out(v) for v in subs[:500]],
            total=len(subs),
            batch=batch,
            batches=sorted(batches.items(), reverse=True)[:50],
            message=request.query_params.get("done"),
            error=None,
            bits=int(VOUCHER_BITS),
        )

    @router.post("/vouchers", response_class=HTMLResponse)
    async def vouchers_create(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        fields = await checked_form(request)
        page = Page(request)

        def failed(message: str, status: int = 422) -> Response:
            return page.render(
                "admin_vouchers.html",
                status,
                section="vouchers",
                plans=portal.inventory.plans,
                vouchers=[],
                total=0,
                batch=None,
                batches=[],
                message=None,
                error=message,
                bits=int(VOUCHER_BITS),
            )

        if fields is None:
            return failed(page.t("admin.expired"), 403)
        try:
            hours = fields.get("validity_h", "").strip()
            req = VoucherBatchIn(
                plan=fields.get("plan", ""),
                count=int(fields.get("count", "1") or "1"),
                shared=fields.get("shared") == "yes",
                validity_s=int(float(hours) * 3600) if hours else None,
                batch=fields.get("batch", "").strip() or None,
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "input"
            return failed(f"{where}: {first.get('msg', 'invalid')}")
        except ValueError:
            return failed(page.t("admin.numbers"))
        if (req.count > 1 or req.batch) and not who.may(BATCH_ROLE):
            return failed(page.t("admin.forbidden"), 403)
        try:
            made = await run_in_threadpool(create_batch, portal, req)
            record(
                portal, who, request, "voucher.create", made.batch, f"{len(made.codes)} {made.plan}"
            )
        except HTTPException as exc:
            return failed(str(exc.detail))
        except StoreError as exc:
            return failed(str(exc))
        return RedirectResponse(f"/admin/vouchers/print?{urlencode({'batch': made.batch})}", 303)

    @router.post("/vouchers/revoke")
    async def vouchers_revoke(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        fields = await checked_form(request)
        if fields is None:
            return Page(request).render(
                "admin_message.html",
                403,
                section="vouchers",
                message=Page(request).t("admin.expired"),
            )
        code = fields.get("code", "")
        ok = looks_like_voucher(code) and await run_in_threadpool(portal.store.revoke_voucher, code)
        if ok:
            grouped = group_code(normalise_code(code))
            log.info("revoked voucher %s… from the console", grouped[:4])
            record(portal, who, request, "voucher.revoke", grouped)
        t = Page(request).t
        done = (
            t("admin.revoked_code", code=group_code(normalise_code(code)))
            if ok
            else t("admin.no_voucher")
        )
        back = {"done": done}
        if fields.get("batch"):
            back["batch"] = fields["batch"]
        return RedirectResponse(f"/admin/vouchers?{urlencode(back)}", 303)

    @router.get("/vouchers/print", response_class=HTMLResponse)
    def vouchers_print(
        request: Request, batch: Annotated[str, Query(min_length=1, max_length=64)]
    ) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        subs = [s for s in portal.store.list_vouchers(batch=batch) if s.enabled]
        base = portal.inventory.services.portal.url
        cards = []
        for sub in subs:
            code = group_code(sub.username)
            plan = portal.plan(sub.plan)
            # The code rides in the #fragment: read by the login page, never sent to a server.
            qr = segno.make(f"{base}#{urlencode({'voucher': code})}", error="m")
            svg = qr.svg_inline(scale=3, border=2, title=f"Voucher {code}")
            cards.append(
                {
                    "code": code,
                    "plan": plan.description if plan and plan.description else sub.plan,
                    "validity": _validity(
                        sub, plan.voucher_validity if plan else None, portal.zone
                    ),
                    "qr": Markup(svg),
                }
            )
        ssids = sorted({h.ssid for h in portal.inventory.hotspots}) or [portal.brand.title]
        return Page(request).render(
            "admin_print.html",
            batch=batch,
            cards=cards,
            ssid=" / ".join(ssids),
            url=base,
            logo=portal.logo,
        )

    @router.get("/sessions", response_class=HTMLResponse)
    def sessions(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        groups: dict[str, list[SessionOut]] = defaultdict(list)
        # A MAC a citizen reads out is found by its pseudonym (the store keeps no MAC):
        # then the device's recent sessions, open or closed.
        device = (request.query_params.get("mac") or "").strip()[:64]
        if device and portal.store.mac_pseudonym(device) is None:
            return Page(request).render(
                "admin_message.html",
                400,
                section="sessions",
                message=Page(request).t("admin.not_a_mac"),
            )
        found = (
            portal.store.sessions(mac=device, limit=200)
            if device
            else portal.store.sessions(active=True, limit=5000)
        )
        for s in found:
            if who.sees(portal, s.hotspot):
                groups[s.hotspot or "-"].append(_session_out(s))
        names = {h.id: h.name or h.id for h in portal.inventory.hotspots if who.sees(portal, h.id)}
        record(portal, who, request, "session.list", None, f"{sum(map(len, groups.values()))} rows")
        ordered = [(k, names.get(k, k), groups.get(k, [])) for k in [*names, *sorted(groups)]]
        seen: set[str] = set()
        unique = [g for g in ordered if not (g[0] in seen or seen.add(g[0]))]  # type: ignore[func-returns-value]
        return Page(request).render(
            "admin_sessions.html",
            section="sessions",
            groups=unique,
            message=request.query_params.get("done"),
            total=sum(len(v) for v in groups.values()),
            device=device,
        )

    @router.post("/sessions/disconnect")
    async def sessions_disconnect(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        fields = await checked_form(request)
        if fields is None:
            return Page(request).render(
                "admin_message.html",
                403,
                section="sessions",
                message=Page(request).t("admin.expired"),
            )
        try:
            req = DisconnectIn(
                acct_session_id=fields.get("acct_session_id", ""), nas_ip=fields.get("nas_ip", "")
            )
            out = await run_in_threadpool(disconnect, portal, req, who)
            record(portal, who, request, "session.disconnect", out.acct_session_id, out.result)
            done = Page(request).t(
                "admin.disconnected", session=out.acct_session_id, nas=out.nas, result=out.result
            )
            if out.error_cause:
                done += f" ({out.error_cause})"
        except ValueError:
            done = Page(request).t("admin.invalid_session")
        except HTTPException as exc:
            done = str(exc.detail)
        return RedirectResponse(f"/admin/sessions?{urlencode({'done': done})}", 303)

    @router.get("/usage", response_class=HTMLResponse)
    def usage(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        rows = [r for r in usage_today(portal) if who.sees(portal, r.hotspot)]
        return Page(request).render(
            "admin_usage.html",
            section="usage",
            rows=rows,
            totals=_totals(rows),
            since=day_start(portal.now(), portal.zone).astimezone(portal.zone),
        )

    @router.get("/audit", response_class=HTMLResponse)
    def audit(request: Request) -> Response:
        if not isinstance(who := signed_in(request), Principal):
            return who
        return Page(request).render(
            "admin_audit.html",
            section="audit",
            entries=list(reversed(portal.store.audit_entries(limit=500))),
            check=portal.store.verify_audit(),
        )

    return router


def _validity(sub: Subscriber, plan_validity: int | None, zone: tzinfo) -> str | None:
    """The card's "Berlaku …" line: until a moment in the city's time zone, or for how long."""
    if sub.valid_until is not None:
        return f"sampai {_fmt_local(sub.valid_until, zone)}"
    if plan_validity:
        hours = plan_validity // 3600
        return f"{hours // 24} hari sejak dipakai" if hours >= 24 else f"{hours} jam sejak dipakai"
    return None


def _totals(rows: Iterable[HotspotUsageOut]) -> dict[str, int]:
    out = {"sessions": 0, "active": 0, "users": 0, "seconds": 0, "in": 0, "out": 0}
    for r in rows:
        out["sessions"] += r.sessions
        out["active"] += r.active_sessions
        out["users"] += r.users
        out["seconds"] += r.seconds
        out["in"] += r.input_octets
        out["out"] += r.output_octets
    return out
