"""A citizen's sign-in: the login page, then a posted login step by step.

:func:`login_page` builds the form the gateway's redirect opens. A posted login
(:func:`login_checked`) goes through named steps: read the form and the gateway's parameters,
refuse what can never succeed (:func:`impossible`: CSRF, method, no gateway), apply the rate
limits (:func:`throttle`), check the code, password or click-through (:func:`check`), then
either refuse (:func:`refuse`) or hand the login to the gateway (:func:`hand_off`).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from netops.errors import NetopsError
from netops.inventory.models import Hotspot, Plan
from netops.logsafe import printable
from netops.portal import i18n
from netops.portal.allowance import plan_summary
from netops.portal.chap import unescape_mikrotik
from netops.portal.devices import (
    carry_clickthrough,
    rebind_voucher,
    remember_device,
)
from netops.portal.gateway import (
    GatewayContext,
    GatewayParamError,
    Handoff,
    UntrustedGateway,
    parse_context,
)
from netops.portal.login import (
    LoginCheck,
    check_clickthrough,
    check_user,
    check_voucher,
    checked_hotspot,
    clickthrough_is_new,
    resolve_hotspot,
)
from netops.portal.pages import CitizenPage, bad_request, client_of, origin_of
from netops.portal.security import csrf_valid, next_digest, next_token
from netops.portal.state import CSRF_COOKIE, STATUS_COOKIE, STATUS_MAX_AGE, Portal
from netops.privacy.notice import record_acceptance
from netops.sms.numbers import MAX_TYPED, normalise_mobile, spaced

log = logging.getLogger("netops.portal")


def gateway_hotspot(portal: Portal, request: Request, ctx: GatewayContext) -> Hotspot | None:
    """The hotspot of a gateway redirect whose endpoints the inventory vouches for; raises
    :class:`UntrustedGateway` otherwise, or when the request came through another hotspot's
    gateway than the one the parameters name."""
    hotspot = checked_hotspot(portal.inventory, ctx)
    via = portal.gateway_at.get(client_of(request))
    if ctx.kind != "none" and hotspot is not None and via and via != hotspot.gateway:
        raise UntrustedGateway("server-name", f"names a hotspot not behind {via}")
    return hotspot


def bounce_url(portal: Portal, request: Request) -> str | None:
    """Where to send a phone that opened the portal directly (a voucher card's QR code,
    through the walled garden) so that its gateway redirects it back with its parameters:
    the login page of the gateway whose NAT address the request came from."""
    via = portal.gateway_at.get(client_of(request))
    spots = portal.inventory.hotspots_at(via) if via else ()
    if not spots:
        return None
    spot = spots[0]
    if spot.dns_name:
        return f"http://{spot.dns_name}/login"
    if spot.client_prefix is not None:
        return f"http://{spot.client_prefix.network_address + 1}/login"
    return None


def status_url(
    portal: Portal, request: Request, lang: i18n.Lang, ctx: GatewayContext, browser: str
) -> str:
    """The absolute status-page URL the gateway sends the phone to after a login: with the
    page the citizen wanted (``next``) and its signature for this browser (``sig``), the
    only way the status page offers to continue there."""
    query: dict[str, str] = {"lang": lang}
    if ctx.original_url:
        query["next"] = ctx.original_url
        query["sig"] = next_token(portal.signer, browser, ctx.original_url, time.time())
    return f"{str(request.base_url).rstrip('/')}/status?{urlencode(query)}"


def free_allowance(portal: Portal, lang: i18n.Lang, plan: Plan) -> str:
    """What the hotspot's free plan gives, in words (``2 jam / 1 GB``)."""
    seconds, octets = plan_summary(plan)
    parts = []
    if seconds:
        parts.append(i18n.format_duration(lang, seconds))
    if octets:
        parts.append(i18n.format_bytes(lang, octets))
    return " / ".join(parts) or i18n.text(lang, "status.unlimited")


def direct_login(
    portal: Portal, request: Request, page: CitizenPage, ctx: GatewayContext
) -> dict[str, Any] | None:
    """The forms' target in CHAP-in-browser mode (RouterOS's own way: the forms post straight
    to the gateway and the page computes the CHAP answer), None otherwise. The portal cannot
    pre-check or rate-limit these logins."""
    if not (portal.settings.chap_in_browser and ctx.kind == "mikrotik" and ctx.chap):
        return None
    direct = {
        "action": ctx.params["link-login-only"],
        "dst": status_url(portal, request, page.lang, ctx, page.browser_id),
        "chap_id": unescape_mikrotik(ctx.params["chap-id"]).hex(),
        "chap_challenge": unescape_mikrotik(ctx.params["chap-challenge"]).hex(),
        "script": portal.chap_script,
    }
    if origin := origin_of(direct["action"]):
        page.form_targets.append(origin)
    return direct


def login_page(
    portal: Portal,
    request: Request,
    ctx: GatewayContext,
    lang: i18n.Lang,
    *,
    error: str | None = None,
    status: int = 200,
    voucher: str = "",
    hotspot: Hotspot | None = None,
    phone: str = "",
) -> Response:
    page = CitizenPage(portal, request, lang)
    if hotspot is None:
        hotspot = resolve_hotspot(portal.inventory, ctx)
    ssid = hotspot.ssid if hotspot else portal.brand.title
    notice = None
    bounce = None
    if ctx.kind == "none" and error is None:
        # Opened directly (a bookmark, a voucher card's QR code): say how to get here from
        # the hotspot; the page's script sends a QR code's voucher through the gateway.
        notice = page.t("error.no_gateway", ssid=ssid)
        bounce = bounce_url(portal, request)
    free = None
    if hotspot is not None and (plan := portal.plan(hotspot.plan)) is not None:
        free = free_allowance(portal, lang, plan)
    phone_free = None
    if (phone_plan := portal.phone_plan) is not None:
        phone_free = free_allowance(portal, lang, phone_plan)
    if ctx.kind == "coova":
        page.form_targets.append(ctx.uam_base)
    direct = direct_login(portal, request, page, ctx)
    query = dict(ctx.carried())
    if hotspot is not None:
        query.setdefault("hotspot", hotspot.id)
    query["lang"] = lang
    values = page.values(
        hotspot=hotspot,
        ctx=ctx,
        switch_path="login",
        ssid=ssid,
        error=error,
        notice=notice,
        free=free,
        voucher=voucher,
        phone_free=phone_free,
        phone=phone,
        terms_url=f"{page.root}terms?{urlencode(query)}",
        direct=direct,
        bounce=bounce,
        voucher_script=portal.voucher_script,
        # A voucher in the URL's #fragment logs in at once, but only with a gateway to
        # hand the login to, and never again on a page that answers a failed login.
        autologin=ctx.kind != "none" and error is None,
    )
    return page.show("login.html", values, status=status)


def voucher_from(ctx: GatewayContext, request: Request) -> str:
    """A voucher code the link carried (``?voucher=``, or inside the page the phone wanted)."""
    code = request.query_params.get("voucher", "")
    if not code and ctx.original_url:
        parts = urlsplit(ctx.original_url)
        for key, _, value in (p.partition("=") for p in parts.query.split("&")):
            if key == "voucher":
                code = value
    return code[:32]


# --- a posted login: read, throttle, check, hand off ---------------------------------------


def phone_key(origin: str, ctx: GatewayContext, browser: str) -> str:
    """The per-phone rate-limit key: the hotspot, the MAC and IP its gateway passed, and the
    browser's own cookie (so failures posted with someone else's MAC from another browser
    never count against that phone). Hashed: no MAC is kept in memory in the clear."""
    mac = (ctx.mac or "-").lower().replace("-", ":")
    raw = f"{origin}|{mac}|{ctx.ip or '-'}|{browser}"
    return "phone:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass
class Attempt:
    """One posted login: the form, the gateway's parameters and where it came from."""

    portal: Portal
    request: Request
    fields: Mapping[str, str]
    lang: i18n.Lang
    ctx: GatewayContext
    hotspot: Hotspot | None
    method: str
    code: str
    browser: str | None

    def t(self, key: str, **values: object) -> str:
        return i18n.text(self.lang, key, **values)

    @property
    def ssid(self) -> str:
        return self.hotspot.ssid if self.hotspot else self.portal.brand.title

    @property
    def where(self) -> str:
        return self.hotspot.id if self.hotspot else "-"

    @property
    def origin(self) -> str:
        """The rate limits' ceiling key: the hotspot gateway's, or the source address's."""
        return self.portal.origin(client_of(self.request))

    @property
    def ceiling(self) -> str:
        return "hotspot" if self.origin.startswith("gw:") else "src"

    def limit_keys(self) -> list[tuple[str, str]]:
        """(limiter, key) pairs a failure counts against: where the request came from (a
        hotspot gateway's NAT address, a ceiling far above an honest hotspot's rate, or any
        other address) and the phone as its gateway and its own browser name it."""
        origin = self.origin
        return [(self.ceiling, origin), ("phone", phone_key(origin, self.ctx, self.browser or ""))]

    def again(self, error: str, status: int) -> Response:
        """The login page again, with ``error``."""
        return login_page(
            self.portal,
            self.request,
            self.ctx,
            self.lang,
            error=error,
            status=status,
            voucher=self.code,
            hotspot=self.hotspot,
        )

    def too_many(self, wait: float) -> Response:
        minutes = max(1, int(wait + 59) // 60)
        response = self.again(self.t("error.rate_limited", minutes=minutes), 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response


def login_checked(portal: Portal, request: Request, fields: dict[str, str]) -> Response:
    """A posted login, step by step: read, refuse the impossible, throttle, check, hand off."""
    lang = i18n.pick_language(fields.get("lang"), None, portal.default_lang)
    try:
        ctx = parse_context(fields)
        hotspot = gateway_hotspot(portal, request, ctx)
    except GatewayParamError as exc:
        return bad_request(portal, request, exc, lang)
    attempt = Attempt(
        portal=portal,
        request=request,
        fields=fields,
        lang=lang,
        ctx=ctx,
        hotspot=hotspot,
        method=fields.get("method", ""),
        # A phone's SMS code is read by its own step, never shown again as a voucher.
        code="" if fields.get("method") == "phone" else fields.get("code", "")[:32],
        browser=request.cookies.get(CSRF_COOKIE),
    )
    answer = impossible(attempt) or throttle(attempt)
    if answer is not None:
        return answer
    if attempt.method == "phone":
        return phone_step(attempt)
    checked = check(attempt)
    if isinstance(checked, Response):
        return checked
    if not checked.ok:
        return refuse(attempt, checked)
    if attempt.method == "free":  # the terms were accepted: keep which notice was in force
        record_acceptance(
            portal.store,
            portal.inventory.privacy,
            mac=ctx.mac,
            hotspot=hotspot.id if hotspot else None,
            lang=lang,
            at=portal.now(),
        )
    return hand_off(attempt, checked)


def impossible(attempt: Attempt) -> Response | None:
    """The answer to a login that can never succeed (bad CSRF token, unknown method, no
    gateway to hand it to), None for one worth checking."""
    portal = attempt.portal
    if not csrf_valid(portal.signer, attempt.fields.get("csrf"), attempt.browser, time.time()):
        portal.logins.labels(attempt.method or "unknown", "csrf").inc()
        return attempt.again(attempt.t("error.csrf"), 403)
    if attempt.method not in ("voucher", "user", "free", "phone"):
        return attempt.again(attempt.t("error.bad_method"), 400)
    if attempt.ctx.kind == "none":
        return attempt.again(attempt.t("error.no_gateway", ssid=attempt.ssid), 400)
    return None


def throttle(attempt: Attempt) -> Response | None:
    """A 429 when this phone or where it came from failed too often, else None. Only codes
    and passwords are throttled here; new click-through allowances in :func:`check`."""
    if attempt.method not in ("voucher", "user") and not (
        attempt.method == "phone" and attempt.fields.get("step") == "verify"
    ):
        return None
    limiters = attempt.portal.limiters
    now_s = time.time()
    waits = [(kind, limiters[kind].retry_after(key, now_s)) for kind, key in attempt.limit_keys()]
    if not any(wait > 0 for _, wait in waits):
        return None
    for kind, wait in waits:
        if wait > 0:
            attempt.portal.limited.labels(kind).inc()
    return attempt.too_many(max(wait for _, wait in waits))


def check(attempt: Attempt) -> LoginCheck | Response:
    """The portal's own check of the voucher, the user's password or the click-through."""
    portal, ctx = attempt.portal, attempt.ctx
    now = portal.now()
    if attempt.method == "voucher":
        voucher = check_voucher(portal.store, attempt.code, ctx.mac, now)
        if voucher.error == "error.voucher_bound":  # the same phone with a new private MAC?
            return rebind_voucher(portal, attempt.request, attempt.code, ctx.mac, now) or voucher
        return voucher
    if attempt.method == "user":
        fields = attempt.fields
        return check_user(portal.store, fields.get("username", ""), fields.get("password", ""))
    accepted = attempt.fields.get("accept") == "yes"
    carried = accepted and carry_clickthrough(
        portal, attempt.request, ctx.mac, attempt.hotspot, now
    )
    if carried:  # the phone's allowance of today, which it had under another MAC
        return carried
    if (
        accepted
        and attempt.hotspot is not None
        and clickthrough_is_new(portal.store, ctx.mac, now, portal.zone)
    ):
        # Each new MAC makes a store row: bound how fast a hotspot (or any other address)
        # adds them, far above an honest hotspot's rate.
        windows = ("hour", "day") if attempt.ceiling == "hotspot" else ("src",)
        now_s = time.time()
        origin = attempt.origin
        wait = max(portal.new_allowances[w].retry_after(origin, now_s) for w in windows)
        if wait > 0:
            portal.limited.labels("clickthrough").inc()
            return attempt.too_many(wait)
        for w in windows:
            portal.new_allowances[w].fail(origin, now_s)
    return check_clickthrough(
        portal.store,
        accepted=accepted,
        mac=ctx.mac,
        hotspot=attempt.hotspot,
        now=now,
        zone=portal.zone,
    )


def refuse(attempt: Attempt, check: LoginCheck) -> Response:
    """The login page with the reason; a wrong code or password counts against the limits."""
    assert check.error is not None
    portal = attempt.portal
    portal.logins.labels(attempt.method, "refused").inc()
    log.info("login refused: %s at %s: %s", attempt.method, attempt.where, check.error)
    if check.counts:
        now_s = time.time()
        for kind, key in attempt.limit_keys():
            portal.limiters[kind].fail(key, now_s)
    return attempt.again(attempt.t(check.error, ssid=attempt.ssid), 400 if check.counts else 422)


def hand_off(attempt: Attempt, check: LoginCheck) -> Response:
    """Send the checked login to the gateway and keep a signed status cookie for the
    status page."""
    assert check.username is not None and check.password is not None
    portal, ctx, request = attempt.portal, attempt.ctx, attempt.request
    portal.logins.labels(attempt.method, "handed_off").inc()
    log.info("login handed to the gateway: %s at %s", attempt.method, attempt.where)
    portal.limiters["phone"].reset(attempt.limit_keys()[1][1])
    assert attempt.browser is not None  # the CSRF check needed it
    dst = status_url(portal, request, attempt.lang, ctx, attempt.browser)
    try:
        handoff = ctx.handoff(check.username, check.password, dst, portal.uam_secret())
    except (ValueError, NetopsError) as exc:
        log.warning("cannot hand a login to the gateway: %s", printable(exc, 200))
        return attempt.again(attempt.t("error.gateway_generic"), 502)
    hotspot = attempt.hotspot
    status = {"u": check.username, "h": hotspot.id if hotspot else None, "l": ctx.logout_url}
    if ctx.original_url:
        # CoovaChilli hands the wanted page back unsigned (``userurl``): the status page
        # continues there only when it is the one this login started with.
        status["n"] = next_digest(ctx.original_url)
    cookie = portal.signer.sign("status", status, time.time())
    response = handoff_response(portal, request, attempt.lang, hotspot, handoff)
    remember_device(portal, response, check, ctx.mac)
    response.set_cookie(
        STATUS_COOKIE,
        cookie,
        max_age=STATUS_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=portal.secure,
        path="/",
    )
    return response


def handoff_response(
    portal: Portal,
    request: Request,
    lang: i18n.Lang,
    hotspot: Hotspot | None,
    handoff: Handoff,
) -> Response:
    """A redirect (GET hand-off) or the self-posting page (POST hand-off) to the gateway."""
    if handoff.method == "get":
        if origin := origin_of(handoff.url):
            request.state.form_targets = [origin]
        return RedirectResponse(handoff.url, 303)
    page = CitizenPage(portal, request, lang)
    if origin := origin_of(handoff.url):
        page.form_targets.append(origin)
    values = page.values(hotspot=hotspot, ctx=None, handoff=handoff)
    values["switch_url"] = None
    return page.show("handoff.html", values)


# --- sign-up and sign-in with a phone number ------------------------------------------------

CODE_SHAPE = re.compile(r"[0-9]{6}")


def device_key(ctx: GatewayContext) -> str:
    """The SMS send limit's key of a phone: the MAC and IP its gateway passed (no cookie: a
    new browser must not buy a new allowance of SMS). Hashed, never kept in the clear."""
    mac = (ctx.mac or "-").lower().replace("-", ":")
    raw = f"{mac}|{ctx.ip or '-'}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def phone_again(attempt: Attempt, error: str, status: int, phone: str = "") -> Response:
    """The login page again, with ``error`` and the number as typed."""
    return login_page(
        attempt.portal,
        attempt.request,
        attempt.ctx,
        attempt.lang,
        error=error,
        status=status,
        hotspot=attempt.hotspot,
        phone=phone,
    )


def code_page(
    attempt: Attempt, number: str, *, error: str | None = None, status: int = 200
) -> Response:
    """The page that asks for the code the SMS carried (and offers a new one)."""
    page = CitizenPage(attempt.portal, attempt.request, attempt.lang)
    ttl = attempt.portal.settings.phone_limits.code_ttl_s
    back = {**dict(attempt.ctx.carried()), "lang": page.lang}
    values = page.values(
        hotspot=attempt.hotspot,
        ctx=attempt.ctx,
        switch_path="login",
        ssid=attempt.ssid,
        error=error,
        number=number,
        # No line break inside the number.
        sent=page.t(
            "phone.sent", number=spaced(number).replace(" ", "\u00a0"), minutes=max(1, ttl // 60)
        ),
        other_url=f"{page.root}login?{urlencode(back)}",
    )
    return page.show("phone_code.html", values, status=status)


def phone_step(attempt: Attempt) -> Response:
    """A posted phone form: ``step=send`` texts a code to the number, ``step=verify``
    checks the code typed and hands the number's account to the gateway."""
    portal = attempt.portal
    plan = portal.phone_plan
    if plan is None or attempt.hotspot is None:
        return phone_again(attempt, attempt.t("error.phone_unavailable"), 400)
    typed = attempt.fields.get("phone", "")[:MAX_TYPED]
    if not typed.strip():
        return phone_again(attempt, attempt.t("error.phone_empty"), 422)
    number = normalise_mobile(typed)
    if number is None:
        portal.logins.labels("phone", "bad_number").inc()
        return phone_again(attempt, attempt.t("error.phone_format"), 422, typed)
    if attempt.fields.get("step") == "verify":
        return phone_verify(attempt, number, plan)
    return phone_send(attempt, number)


def phone_send(attempt: Attempt, number: str) -> Response:
    """Text a fresh code to ``number`` unless it is blocked or a send limit is reached."""
    portal, hotspot = attempt.portal, attempt.hotspot
    assert hotspot is not None
    limits = portal.settings.phone_limits
    issue = portal.store.issue_phone_code(
        number,
        device=device_key(attempt.ctx),
        hotspot=hotspot.id,
        now=portal.now(),
        limits=limits,
    )
    if issue.refused == "blocked":
        portal.sms.labels("blocked").inc()
        log.info("sign-up code refused at %s: the number is blocked", attempt.where)
        return phone_again(attempt, attempt.t("error.phone_blocked"), 403)
    if issue.refused is not None:
        portal.sms.labels("limited").inc()
        portal.limited.labels(f"sms_{issue.refused}").inc()
        log.info("sign-up code refused at %s: %s send limit", attempt.where, issue.refused)
        minutes = max(1, (issue.retry_after_s + 59) // 60)
        response = phone_again(
            attempt, attempt.t("error.phone_limit", minutes=minutes), 429, spaced(number)
        )
        response.headers["Retry-After"] = str(issue.retry_after_s)
        return response
    assert issue.code is not None and issue.send_id is not None
    text = attempt.t(
        "phone.sms", city=portal.brand.city, code=issue.code, minutes=limits.code_ttl_s // 60
    )
    try:
        gateway = portal.sms_gateway()
        if gateway is None:
            raise NetopsError("no SMS gateway in the inventory (services.sms)")
        gateway.send(number, text)
    except NetopsError as exc:
        portal.store.forget_phone_send(issue.send_id, number)
        portal.sms.labels("gateway_error").inc()
        log.warning("sign-up code not sent at %s: %s", attempt.where, printable(exc, 200))
        return phone_again(attempt, attempt.t("error.sms_down"), 503, spaced(number))
    portal.sms.labels("sent").inc()
    log.info("sign-up code sent by SMS at %s", attempt.where)
    return code_page(attempt, number)


def phone_verify(attempt: Attempt, number: str, plan: Plan) -> Response:
    """Check the typed code; a right one signs the number's account in (created on first
    use, a fresh password per hand-off). Wrong codes count against the login limits."""
    portal = attempt.portal
    code = re.sub(r"[\s-]", "", attempt.fields.get("code", ""))[:16]
    if not CODE_SHAPE.fullmatch(code):
        return code_page(attempt, number, error=attempt.t("error.code_format"), status=422)
    result = portal.store.check_phone_code(number, code, portal.now())
    if result == "blocked":
        portal.logins.labels("phone", "blocked").inc()
        return phone_again(attempt, attempt.t("error.phone_blocked"), 403)
    if result != "ok":
        portal.logins.labels("phone", "refused").inc()
        log.info("phone code refused at %s: %s", attempt.where, result)
        now_s = time.time()
        for kind, key in attempt.limit_keys():
            portal.limiters[kind].fail(key, now_s)
        error = attempt.t(f"error.code_{result}")
        return code_page(attempt, number, error=error, status=400)
    sub = portal.store.lookup(number, reveal=False)
    if sub is not None and (sub.kind != "user" or not sub.enabled):
        portal.logins.labels("phone", "refused").inc()
        return phone_again(attempt, attempt.t("error.account_disabled"), 403)
    username, password = portal.store.phone_account(number, plan.name)
    checked = LoginCheck(username=username, password=password, kind="phone")
    return hand_off(attempt, checked)
