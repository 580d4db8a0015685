"""The operators' console: server-rendered pages at ``/admin/…`` for the NOC and the front
desk — vouchers (make, revoke, print), sessions per hotspot, today's usage, the audit trail.

Every route is a plain function on :data:`router`. A page is a :class:`ConsolePage` (the
shared :class:`~netops.portal.pages.Page`: language, CSRF cookie, rendering); the signed-in
operator comes from :data:`OperatorDep`, a posted form from :class:`CheckedForm` (signed in,
allowed, CSRF token valid), and a request either refuses is answered by :func:`refused` with
the sign-in page, a 403 page or a 429. Who is asking and what they may do is in
:mod:`netops.portal.admin`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials
from markupsafe import Markup
from pydantic import ValidationError

from netops.errors import StoreError
from netops.portal import i18n
from netops.portal.admin import (
    ADMIN_MAX_AGE,
    BATCH_ROLE,
    BREAK_GLASS,
    DisconnectIn,
    HotspotUsageOut,
    Principal,
    SessionOut,
    TokenLocked,
    VoucherBatchIn,
    authenticate,
    check_password,
    configured_token,
    console_cookie,
    console_state,
    create_batch,
    disconnect,
    log,
    permitted,
    record,
    session_out,
    token_fingerprint,
    usage_today,
    voucher_out,
)
from netops.portal.allowance import day_start
from netops.portal.devices import private_devices
from netops.portal.pages import Page, client_of
from netops.portal.security import csrf_valid
from netops.portal.state import ADMIN_COOKIE, CSRF_COOKIE, LANG_COOKIE, Portal, PortalDep
from netops.store.codes import VOUCHER_BITS
from netops.store.operators import OPERATOR_NAME
from netops.store.types import Subscriber

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


class ConsolePage(Page):
    """A console page: the operator's language (``?lang=``, the cookie, else the inventory's;
    not the browser's), no inline script, and the signed-in operator for the navigation."""

    def __init__(self, portal: Portal, request: Request) -> None:
        chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        lang = i18n.pick_language(chosen, None, portal.default_lang)
        super().__init__(portal, request, lang, scripts=False)

    def view(self, name: str, status: int = 200, **values: Any) -> Response:
        """Template ``name`` with what every console page reads and ``values``."""
        portal = self.portal
        common = {
            "csrf": self.csrf(),
            "switch_url": str(self.request.url.include_query_params(lang=self.other_lang)),
            "zone": portal.zone,
            "now": portal.now().astimezone(portal.zone),
            "who": getattr(self.request.state, "who", None),
        }
        return self.render(name, {**common, **values}, status=status)


def register_filters(portal: Portal) -> None:
    """The template filters the console's pages use (sizes, durations, local times)."""
    env = portal.env
    env.filters["bytes"] = _fmt_bytes
    env.filters["secs"] = _fmt_secs
    env.filters["local"] = lambda when, fmt="%d-%m-%Y %H:%M": _fmt_local(when, portal.zone, fmt)


class Refused(Exception):
    """A console request answered with another page than its route's (the way to the
    sign-in page, a 403 or 429 page, an expired form): :func:`refused` sends it."""

    def __init__(self, response: Response) -> None:
        super().__init__("refused")
        self.response = response


async def refused(request: Request, exc: Exception) -> Response:
    """The app's handler for :class:`Refused`."""
    assert isinstance(exc, Refused)
    return exc.response


def console_page(request: Request, portal: PortalDep) -> ConsolePage:
    """The request's :class:`ConsolePage` (one per request: FastAPI caches dependencies)."""
    return ConsolePage(portal, request)


PageDep = Annotated[ConsolePage, Depends(console_page)]


def signed_in(page: ConsolePage) -> Principal | Response:
    """The signed-in operator when the route allows their role; else the way to the
    sign-in page, a 403 page, or a 429 for a bearer token from a locked source."""
    request = page.request
    creds = None
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token.strip())
    try:
        who = authenticate(page.portal, request, creds)
    except TokenLocked as exc:
        return locked(page, exc.retry_after)
    if who is None:
        return RedirectResponse("/admin/login", 303)
    if not permitted(request, who):
        return page.view("admin_message.html", 403, section=None, message=page.t("admin.forbidden"))
    request.state.who = who
    return who


def operator(page: PageDep) -> Principal:
    """Dependency: the signed-in operator, allowed this route (else :class:`Refused`)."""
    who = signed_in(page)
    if not isinstance(who, Principal):
        raise Refused(who)
    return who


OperatorDep = Annotated[Principal, Depends(operator)]


def locked(page: ConsolePage, wait: float) -> Response:
    """The sign-in page with a 429: too many failures, try again in ``wait`` seconds."""
    response = page.view(
        "admin_login.html",
        429,
        configured=True,
        error=page.t("admin.too_many", minutes=int(wait // 60) + 1),
    )
    response.headers.update(TokenLocked(wait).header())
    return response


async def form_fields(page: ConsolePage) -> dict[str, str] | None:
    """The posted form's text fields, or None when its CSRF token is not valid."""
    form = await page.request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    browser = page.request.cookies.get(CSRF_COOKIE)
    ok = csrf_valid(page.portal.signer, fields.get("csrf"), browser, time.time())
    return fields if ok else None


@dataclass(frozen=True)
class OperatorForm:
    """A form posted by a signed-in operator whose CSRF token was valid."""

    who: Principal
    fields: dict[str, str]


class CheckedForm:
    """Dependency: signed in, allowed this route, and the form's CSRF token valid; an
    expired (or forged) form is answered with ``expired(page)`` (a 403)."""

    def __init__(self, expired: Callable[[ConsolePage], Response]) -> None:
        self.expired = expired

    async def __call__(self, page: PageDep, who: OperatorDep) -> OperatorForm:
        fields = await form_fields(page)
        if fields is None:
            raise Refused(self.expired(page))
        return OperatorForm(who, fields)


def _expired_message(section: str) -> Callable[[ConsolePage], Response]:
    def expired(page: ConsolePage) -> Response:
        return page.view(
            "admin_message.html", 403, section=section, message=page.t("admin.expired")
        )

    return expired


def _start(who: Principal) -> RedirectResponse:
    """The operator's first page: vouchers for the front desk, else sessions."""
    return RedirectResponse("/admin/vouchers" if who.may("helpdesk") else "/admin/sessions", 303)


#: ``/admin/…``: the console's pages.
router = APIRouter(prefix="/admin", include_in_schema=False)


# --- signing in and out ------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home(page: PageDep) -> Response:
    who = signed_in(page)
    if not isinstance(who, Principal):
        return RedirectResponse("/admin/login", 303)
    return _start(who)


def console_open(portal: Portal) -> bool:
    """Whether anyone can sign in: an operator account, or the break-glass token."""
    return configured_token(portal) is not None or bool(portal.store.operators())


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PageDep) -> Response:
    return page.view("admin_login.html", configured=console_open(page.portal), error=None)


@router.post("/login", response_class=HTMLResponse)
async def login(page: PageDep) -> Response:
    portal, request = page.portal, page.request
    fields = await form_fields(page)
    if fields is None:
        return page.view("admin_login.html", 403, configured=True, error=page.t("admin.expired"))
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
            shown = name if OPERATOR_NAME.fullmatch(name) is not None else "?"
            portal.store.audit(shown, client_of(request), "console.sign_in_failed")
        return page.view(
            "admin_login.html",
            401,
            configured=console_open(portal),
            error=page.t("admin.token_invalid"),
        )
    record(portal, who, request, "console.sign_in", detail=who.via)
    response = _start(who)
    response.set_cookie(
        ADMIN_COOKIE,
        _sign_in_cookie(portal, who),
        max_age=ADMIN_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=portal.secure,
        path="/",
    )
    return response


def _sign_in_cookie(portal: Portal, who: Principal) -> str:
    """The console cookie of a new sign-in: the operator and the server's sign-in id (and,
    for the break-glass token, its fingerprint)."""
    now = time.time()
    session_id = console_state(portal).sessions.open(now, ADMIN_MAX_AGE)
    payload: dict[str, Any] = {"o": who.name, "s": session_id}
    if who.name == BREAK_GLASS:
        expected = configured_token(portal)
        assert expected is not None
        payload["f"] = token_fingerprint(portal, expected)
    return portal.signer.sign("admin", payload, now)


@router.post("/logout")
def logout(request: Request, portal: PortalDep) -> Response:
    # Signing out ends the sign-in on the server even when the form is stale (its CSRF
    # token lasts 2 h, a sign-in 12 h): an operator who presses "Keluar" must be out.
    # Forcing a sign-out is all a forged form could do, and the cookie is SameSite=Strict.
    body = console_cookie(portal, request)
    if body is not None and console_state(portal).sessions.revoke(str(body["s"])):
        log.info("console sign-out from %s", client_of(request))
        portal.store.audit(str(body.get("o", "?")), client_of(request), "console.sign_out")
    response = RedirectResponse("/admin/login", 303)
    response.delete_cookie(
        ADMIN_COOKIE, path="/", secure=portal.secure, httponly=True, samesite="strict"
    )
    return response


# --- vouchers ----------------------------------------------------------------------------------


@router.get("/vouchers", response_class=HTMLResponse)
def vouchers(
    page: PageDep, who: OperatorDep, batch: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    store = page.portal.store
    subs = store.list_vouchers(batch=batch)
    batches: dict[str, int] = defaultdict(int)
    for sub in store.list_vouchers() if batch else subs:
        batches[sub.batch or "-"] += 1
    return page.view(
        "admin_vouchers.html",
        section="vouchers",
        plans=page.portal.inventory.plans,
        vouchers=[voucher_out(v) for v in subs[:500]],
        total=len(subs),
        batch=batch,
        batches=sorted(batches.items(), reverse=True)[:50],
        message=page.request.query_params.get("done"),
        error=None,
        bits=int(VOUCHER_BITS),
    )


def _vouchers_refused(page: ConsolePage, message: str, status: int = 422) -> Response:
    """The vouchers page with ``message`` instead of the list (a refused batch)."""
    return page.view(
        "admin_vouchers.html",
        status,
        section="vouchers",
        plans=page.portal.inventory.plans,
        vouchers=[],
        total=0,
        batch=None,
        batches=[],
        message=None,
        error=message,
        bits=int(VOUCHER_BITS),
    )


def _batch_request(fields: dict[str, str]) -> VoucherBatchIn:
    """The console's voucher form as the API's request (raises ValueError on bad numbers,
    :class:`~pydantic.ValidationError` on values the API refuses)."""
    hours = fields.get("validity_h", "").strip()
    return VoucherBatchIn(
        plan=fields.get("plan", ""),
        count=int(fields.get("count", "1") or "1"),
        shared=fields.get("shared") == "yes",
        validity_s=int(float(hours) * 3600) if hours else None,
        batch=fields.get("batch", "").strip() or None,
    )


VoucherForm = Annotated[
    OperatorForm,
    Depends(CheckedForm(lambda page: _vouchers_refused(page, page.t("admin.expired"), 403))),
]


@router.post("/vouchers", response_class=HTMLResponse)
async def vouchers_create(page: PageDep, form: VoucherForm) -> Response:
    portal, who = page.portal, form.who
    try:
        req = _batch_request(form.fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "input"
        return _vouchers_refused(page, f"{where}: {first.get('msg', 'invalid')}")
    except ValueError:
        return _vouchers_refused(page, page.t("admin.numbers"))
    if (req.count > 1 or req.batch) and not who.may(BATCH_ROLE):
        return _vouchers_refused(page, page.t("admin.forbidden"), 403)
    try:
        made = await run_in_threadpool(create_batch, portal, req)
        detail = f"{len(made.codes)} {made.plan}"
        record(portal, who, page.request, "voucher.create", made.batch, detail)
    except HTTPException as exc:
        return _vouchers_refused(page, str(exc.detail))
    except StoreError as exc:
        return _vouchers_refused(page, str(exc))
    return RedirectResponse(f"/admin/vouchers/print?{urlencode({'batch': made.batch})}", 303)


@router.post("/vouchers/revoke")
async def vouchers_revoke(
    page: PageDep,
    form: Annotated[OperatorForm, Depends(CheckedForm(_expired_message("vouchers")))],
) -> Response:
    portal, fields = page.portal, form.fields
    name = portal.store.voucher_name(fields.get("code", "")) or ""
    ok = bool(name) and await run_in_threadpool(portal.store.revoke_voucher, name)
    if ok:
        log.info("revoked voucher %s from the console", name)
        record(portal, form.who, page.request, "voucher.revoke", name)
    done = page.t("admin.revoked_code", code=name) if ok else page.t("admin.no_voucher")
    back = {"done": done}
    if fields.get("batch"):
        back["batch"] = fields["batch"]
    return RedirectResponse(f"/admin/vouchers?{urlencode(back)}", 303)


@router.get("/vouchers/print", response_class=HTMLResponse)
def vouchers_print(
    page: PageDep, who: OperatorDep, batch: Annotated[str, Query(min_length=1, max_length=64)]
) -> Response:
    portal = page.portal
    subs = [s for s in portal.store.list_vouchers(batch=batch) if s.enabled]
    base = portal.inventory.services.portal.url
    ssids = sorted({h.ssid for h in portal.inventory.hotspots}) or [portal.brand.title]
    return page.view(
        "admin_print.html",
        batch=batch,
        cards=[_card(portal, sub, base) for sub in subs],
        ssid=" / ".join(ssids),
        url=base,
        logo=portal.logo,
    )


def _card(portal: Portal, sub: Subscriber, base: str) -> dict[str, Any]:
    """One printed voucher card: code, plan, validity and a QR code of the login link."""
    code = portal.store.voucher_code(sub) or ""
    plan = portal.plan(sub.plan)
    # The code rides in the #fragment: read by the login page, never sent to a server.
    qr = segno.make(f"{base}#{urlencode({'voucher': code})}", error="m")
    svg = qr.svg_inline(scale=3, border=2, title=f"Voucher {code}")
    return {
        "code": code,
        "plan": plan.description if plan and plan.description else sub.plan,
        "validity": _validity(sub, plan.voucher_validity if plan else None, portal.zone),
        "qr": Markup(svg),
    }


# --- sessions, usage, audit --------------------------------------------------------------------


@router.get("/sessions", response_class=HTMLResponse)
def sessions(page: PageDep, who: OperatorDep) -> Response:
    portal, request = page.portal, page.request
    groups: dict[str, list[SessionOut]] = defaultdict(list)
    # A MAC a citizen reads out is found by its pseudonym (the store keeps no MAC):
    # then the device's recent sessions, open or closed.
    device = (request.query_params.get("mac") or "").strip()[:64]
    if device and portal.store.mac_pseudonym(device) is None:
        return page.view(
            "admin_message.html", 400, section="sessions", message=page.t("admin.not_a_mac")
        )
    found = (
        portal.store.sessions(mac=device, limit=200)
        if device
        else portal.store.sessions(active=True, limit=5000)
    )
    for s in found:
        if who.sees(portal, s.hotspot):
            groups[s.hotspot or "-"].append(session_out(s))
    names = {h.id: h.name or h.id for h in portal.inventory.hotspots if who.sees(portal, h.id)}
    record(portal, who, request, "session.list", None, f"{sum(map(len, groups.values()))} rows")
    ordered = [(k, names.get(k, k), groups.get(k, [])) for k in [*names, *sorted(groups)]]
    seen: set[str] = set()
    unique = [g for g in ordered if not (g[0] in seen or seen.add(g[0]))]  # type: ignore[func-returns-value]
    return page.view(
        "admin_sessions.html",
        section="sessions",
        groups=unique,
        message=request.query_params.get("done"),
        total=sum(len(v) for v in groups.values()),
        device=device,
        private=private_devices(portal, found),
    )


@router.post("/sessions/disconnect")
async def sessions_disconnect(
    page: PageDep,
    form: Annotated[OperatorForm, Depends(CheckedForm(_expired_message("sessions")))],
) -> Response:
    portal, who, fields = page.portal, form.who, form.fields
    try:
        req = DisconnectIn(
            acct_session_id=fields.get("acct_session_id", ""), nas_ip=fields.get("nas_ip", "")
        )
        out = await run_in_threadpool(disconnect, portal, req, who)
        record(portal, who, page.request, "session.disconnect", out.acct_session_id, out.result)
        done = page.t(
            "admin.disconnected", session=out.acct_session_id, nas=out.nas, result=out.result
        )
        if out.error_cause:
            done += f" ({out.error_cause})"
    except ValueError:
        done = page.t("admin.invalid_session")
    except HTTPException as exc:
        done = str(exc.detail)
    return RedirectResponse(f"/admin/sessions?{urlencode({'done': done})}", 303)


@router.get("/usage", response_class=HTMLResponse)
def usage(page: PageDep, who: OperatorDep) -> Response:
    portal = page.portal
    rows = [r for r in usage_today(portal) if who.sees(portal, r.hotspot)]
    return page.view(
        "admin_usage.html",
        section="usage",
        rows=rows,
        totals=_totals(rows),
        since=day_start(portal.now(), portal.zone).astimezone(portal.zone),
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(page: PageDep, who: OperatorDep) -> Response:
    store = page.portal.store
    return page.view(
        "admin_audit.html",
        section="audit",
        entries=list(reversed(store.audit_entries(limit=500))),
        check=store.verify_audit(),
    )


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
