"""The operators' console: server-rendered pages at ``/admin/…`` for the NOC and the front
desk — vouchers (make, revoke, print), sessions per hotspot, today's usage, the audit trail.

Who is asking and what they may do is in :mod:`netops.portal.admin`.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

import segno
from fastapi import APIRouter, HTTPException, Query, Request, Response
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
    _console_cookie,
    _fingerprint,
    _session_out,
    _source,
    _voucher_out,
    authenticate,
    check_password,
    configured_token,
    console_state,
    create_batch,
    disconnect,
    log,
    permitted,
    record,
    usage_today,
)
from netops.portal.allowance import day_start
from netops.portal.security import csrf_token, csrf_valid, new_browser_id
from netops.portal.state import ADMIN_COOKIE, CSRF_COOKIE, LANG_COOKIE, Portal
from netops.store.codes import VOUCHER_BITS, group_code, looks_like_voucher, normalise_code
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
