"""The citizens' side of the portal: login, status, logout, terms, RFC 8908, static files.

Every route is a plain function on :data:`router`; the app's :class:`~netops.portal.state.Portal`
comes in through the :data:`~netops.portal.state.PortalDep` dependency. The store calls are
synchronous, so the routes are plain ``def`` functions (FastAPI runs them in its thread pool).

The login page and a posted login's steps (throttle, check, hand off) are in
:mod:`netops.portal.signin`; the page helpers in :mod:`netops.portal.pages`.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from netops.inventory.models import Hotspot, Plan
from netops.logsafe import printable
from netops.portal import i18n
from netops.portal.allowance import allowance, day_start
from netops.portal.gateway import GatewayParamError, parse_context
from netops.portal.login import resolve_hotspot
from netops.portal.pages import (
    CitizenPage,
    bad_request,
    client_of,
    message_page,
    origin_of,
    request_lang,
    root_of,
)
from netops.portal.security import csrf_valid, next_digest, next_token_valid
from netops.portal.signin import gateway_hotspot, login_checked, login_page, voucher_from
from netops.portal.state import (
    CAPTIVE_JSON,
    CSRF_COOKIE,
    STATUS_COOKIE,
    STATUS_MAX_AGE,
    Portal,
    PortalDep,
)
from netops.privacy.notice import build_notice
from netops.store.types import Subscriber

log = logging.getLogger("netops.portal")

router = APIRouter()


# --- static files, health, metrics ---------------------------------------------------------


@router.get("/static/{name}", include_in_schema=False)
def stylesheet(name: str, portal: PortalDep) -> Response:
    if name not in portal.sheets:
        return PlainTextResponse("not found\n", status_code=404)
    return Response(portal.sheets[name], media_type="text/css")


@router.get("/healthz", include_in_schema=False)
def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")


@router.get("/metrics", include_in_schema=False)
def metrics(portal: PortalDep) -> Response:
    return Response(generate_latest(portal.registry), media_type=CONTENT_TYPE_LATEST)


def gateway_refusal(lang: i18n.Lang, message: str, hotspot: Hotspot | None) -> str:
    """The sentence a citizen reads for the gateway's reason (``error``, ``reply``): a known
    one in ``lang``, else the generic one. The link's text is never shown: anyone can send a
    citizen a link to the real portal with any ``error=``. A text the portal does not know
    is logged, escaped, for the operator."""
    known = i18n.gateway_error_known(message)
    if not known and message.strip():
        log.info(
            "gateway reason not known to the portal at %s, shown as the generic sentence: %s",
            hotspot.id if hotspot else "-",
            printable(message, 120),
        )
    return i18n.gateway_error(lang, message)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_get(request: Request, portal: PortalDep) -> Response:
    try:
        ctx = parse_context(request.query_params)
        hotspot = gateway_hotspot(portal, request, ctx)
    except GatewayParamError as exc:
        return bad_request(portal, request, exc)
    lang = request_lang(portal, request)
    if ctx.kind == "coova":
        res = ctx.get("res")
        if res in ("success", "already"):
            query: dict[str, str] = {"lang": lang}
            if ctx.get("userurl"):
                query["next"] = ctx.params["userurl"]
            return RedirectResponse(f"{root_of(request)}status?{urlencode(query)}", 303)
        if res == "logoff":
            return RedirectResponse(f"{root_of(request)}logged-out?lang={lang}", 303)
    error = None
    message = ctx.gateway_error
    if message is not None:
        error = gateway_refusal(lang, message, hotspot)
        ctx = ctx.without_error()
    return login_page(
        portal,
        request,
        ctx,
        lang,
        error=error,
        voucher=voucher_from(ctx, request),
        hotspot=hotspot,
    )


@router.post("/login", include_in_schema=False)
async def login_post(request: Request, portal: PortalDep) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    # The store is synchronous: keep it off the event loop.
    return await run_in_threadpool(login_checked, portal, request, fields)


# --- status, logout, terms -----------------------------------------------------------------


def status_of(portal: Portal, request: Request) -> dict[str, Any] | None:
    """The signed status cookie's content (user, hotspot, logout URL), None without one."""
    token = request.cookies.get(STATUS_COOKIE)
    if not token:
        return None
    return portal.signer.verify("status", token, time.time(), STATUS_MAX_AGE)


def allowance_rows(
    portal: Portal, lang: i18n.Lang, sub: Subscriber, plan: Plan
) -> tuple[list[tuple[str, str]], bool]:
    """The status page's (label, value) rows for ``sub`` and whether a session is open."""
    t = i18n.translator(lang)
    now = portal.now()
    today = portal.store.usage(sub.username, day_start(now, portal.zone))
    total = portal.store.usage(sub.username) if plan.data_quota is not None else today
    open_sessions = portal.store.open_sessions(sub.username)
    running = max((s.session_time for s in open_sessions), default=None)
    left = allowance(
        plan,
        now=now,
        today_seconds=today.seconds,
        today_octets=today.octets,
        total_octets=total.octets,
        valid_until=sub.valid_until,
        session_seconds=running,
    )
    unlimited = t("status.unlimited")
    account = {"clickthrough": t("free.heading"), "voucher": t("status.voucher")}.get(
        sub.kind, sub.username
    )
    rows = [(t("status.account"), account), (t("status.plan"), plan.description or plan.name)]
    time_left = left.time_left_s
    rows.append(
        (
            t("status.time_left"),
            i18n.format_duration(lang, time_left) if time_left is not None else unlimited,
        )
    )
    if left.session_left_s is not None:
        rows.append((t("status.session_left"), i18n.format_duration(lang, left.session_left_s)))
    data_left = left.data_left
    rows.append(
        (
            t("status.data_left"),
            i18n.format_bytes(lang, data_left) if data_left is not None else unlimited,
        )
    )
    rows.append(
        (
            t("status.used_today"),
            f"{i18n.format_duration(lang, left.used_today_s)} · "
            f"{i18n.format_bytes(lang, left.used_today_octets)}",
        )
    )
    if left.valid_until is not None:
        local = left.valid_until.astimezone(portal.zone)
        rows.append((t("status.valid_until"), local.strftime("%d-%m-%Y %H:%M %Z")))
    return rows, bool(open_sessions)


def wanted_page(
    portal: Portal, request: Request, page: CitizenPage, info: dict[str, Any] | None
) -> str | None:
    """The page the citizen wanted before the portal (``next``), or None unless it is the
    one the gateway passed in this browser's own login: signed for this browser (``sig``,
    made when the portal handed the login to the gateway) or named by the signed status
    cookie. A link with another ``next`` gets no button to it, and no word of it."""
    url = request.query_params.get("next")
    if not url or origin_of(url) is None:
        return None
    browser = None if page.new_browser else page.browser_id
    sig = request.query_params.get("sig")
    if next_token_valid(portal.signer, sig, browser, url, time.time()):
        return url
    if info is not None and info.get("n") == next_digest(url):
        return url
    return None


@router.get("/status", response_class=HTMLResponse, include_in_schema=False)
def status(request: Request, portal: PortalDep) -> Response:
    page = CitizenPage(portal, request)
    info = status_of(portal, request)
    rows: list[tuple[str, str]] = []
    active = False
    hotspot = portal.hotspot(info.get("h")) if info else None
    sub = portal.store.lookup(str(info["u"])) if info else None
    if sub is not None and (plan := portal.plan(sub.plan)) is not None:
        rows, active = allowance_rows(portal, page.lang, sub, plan)
    next_url = wanted_page(portal, request, page, info)
    if info and (logout_origin := origin_of(info.get("l"))):
        page.form_targets.append(logout_origin)
    query = {"next": next_url, "sig": request.query_params.get("sig", "")} if next_url else {}
    query = {k: v for k, v in query.items() if v}
    values = page.values(
        hotspot=hotspot,
        ctx=None,
        switch_path="status",
        rows=rows,
        active=active,
        next_url=next_url,
        next_host=urlsplit(next_url).hostname if next_url else None,
        refresh_url=f"{page.root}status?{urlencode({**query, 'lang': page.lang})}",
        login_url=f"{page.root}login?lang={page.lang}",
    )
    if next_url:
        values["switch_url"] += "&" + urlencode(query)
    return page.show("status.html", values)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, portal: PortalDep) -> Response:
    form = await request.form()
    lang = i18n.pick_language(str(form.get("lang", "")), None, portal.default_lang)
    if not csrf_valid(
        portal.signer, str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE), time.time()
    ):
        back = (f"{root_of(request)}status?lang={lang}", i18n.text(lang, "status.refresh"))
        return message_page(
            portal, request, error=i18n.text(lang, "error.csrf"), status=403, lang=lang, back=back
        )
    info = status_of(portal, request)
    target = str(info.get("l") or "") if info else ""
    if not origin_of(target):
        target = f"{root_of(request)}logged-out?lang={lang}"
    else:
        request.state.form_targets = [origin_of(target)]
    response = RedirectResponse(target, 303)
    response.delete_cookie(STATUS_COOKIE, path="/")
    return response


@router.get("/logged-out", response_class=HTMLResponse, include_in_schema=False)
def logged_out(request: Request, portal: PortalDep) -> Response:
    lang = request_lang(portal, request)
    response = message_page(
        portal,
        request,
        error=None,
        status=200,
        lang=lang,
        heading=i18n.text(lang, "title.logged_out"),
        lines=[i18n.text(lang, "logged_out.text", city=portal.brand.city)],
        back=(f"{root_of(request)}login?lang={lang}", i18n.text(lang, "login.again")),
        switch_path="logged-out",
    )
    response.delete_cookie(STATUS_COOKIE, path="/")
    return response


@router.get("/terms", response_class=HTMLResponse, include_in_schema=False)
def terms(request: Request, portal: PortalDep) -> Response:
    lang = request_lang(portal, request)
    try:
        ctx = parse_context(request.query_params)
    except GatewayParamError as exc:
        return bad_request(portal, request, exc)
    page = CitizenPage(portal, request, lang)
    query = dict(ctx.carried())
    query["lang"] = lang
    values = page.values(
        hotspot=resolve_hotspot(portal.inventory, ctx),
        ctx=ctx,
        switch_path="terms",
        back_url=f"{page.root}login?{urlencode(query)}",
    )
    return page.show("terms.html", values)


@router.get("/privasi", response_class=HTMLResponse, include_in_schema=False)
def privacy_notice(request: Request, portal: PortalDep) -> Response:
    """The privacy notice (UU 27/2022 art. 21), from the register and the inventory."""
    lang = request_lang(portal, request)
    try:
        ctx = parse_context(request.query_params)
    except GatewayParamError as exc:
        return bad_request(portal, request, exc)
    privacy = portal.inventory.privacy
    if privacy is None:
        return message_page(
            portal,
            request,
            error=i18n.text(lang, "privacy.missing", city=portal.brand.city),
            status=404,
            lang=lang,
            switch_path="privasi",
        )
    page = CitizenPage(portal, request, lang)
    query = dict(ctx.carried())
    query["lang"] = lang
    values = page.values(
        hotspot=resolve_hotspot(portal.inventory, ctx),
        ctx=ctx,
        switch_path="privasi",
        back_url=f"{page.root}login?{urlencode(query)}",
        notice=build_notice(privacy, lang),
    )
    return page.show("privacy.html", values)


# --- RFC 8908 ------------------------------------------------------------------------------


def captive_body(portal: Portal, client: str, served_at: str | None = None) -> dict[str, Any]:
    """The RFC 8908 answer for the device at ``client``: captive or not, what is left.

    ``user-portal-url`` must be reached over TLS: when the inventory's portal URL is plain
    HTTP, the HTTPS address the API itself was asked on (``served_at``) stands in."""
    base = portal.inventory.services.portal.url
    if not base.lower().startswith("https://") and served_at:
        base = served_at
    session = next(
        (s for s in portal.store.sessions(active=True, limit=5000) if s.ip == client), None
    )
    body: dict[str, Any] = {"captive": session is None, "user-portal-url": base}
    body["venue-info-url"] = f"{base.rstrip('/')}/terms"
    if session is None:
        return body
    sub = portal.store.lookup(session.username)
    plan = portal.plan(sub.plan) if sub else None
    if sub is None or plan is None:
        return body
    now = portal.now()
    today = portal.store.usage(sub.username, day_start(now, portal.zone))
    total = portal.store.usage(sub.username) if plan.data_quota else today
    left = allowance(
        plan,
        now=now,
        today_seconds=today.seconds,
        today_octets=today.octets,
        total_octets=total.octets,
        valid_until=sub.valid_until,
        session_seconds=session.session_time,
    )
    seconds = left.session_left_s
    if seconds is None:
        seconds = left.time_left_s
    if seconds is not None:
        body["seconds-remaining"] = seconds
    if left.data_left is not None:
        body["bytes-remaining"] = left.data_left
    body["can-extend-session"] = False
    return body


@router.get(
    "/api/captive",
    summary="RFC 8908 captive-portal API",
    description="Whether the asking device is still captive, where to sign in, and what "
    "is left of its allowance (application/captive+json).",
    responses={200: {"content": {CAPTIVE_JSON: {}}}},
    tags=["captive"],
)
def captive(request: Request, portal: PortalDep) -> Response:
    served_at = str(request.base_url) if request.url.scheme == "https" else None
    body = captive_body(portal, client_of(request), served_at)
    return JSONResponse(body, media_type=CAPTIVE_JSON, headers={"Cache-Control": "private"})
