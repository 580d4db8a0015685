"""The captive portal as an ASGI app: citizens' pages, the captive-portal API, the console.

:func:`create_app` builds a FastAPI app from :class:`PortalSettings`; ``netops portal serve``
runs it under uvicorn. The store calls are synchronous, so the routes are plain ``def``
functions (FastAPI runs them in its thread pool).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from netops.errors import NetopsError, StoreError
from netops.inventory.models import Hotspot, Inventory, Plan
from netops.portal import i18n
from netops.portal.allowance import allowance, day_start, plan_summary
from netops.portal.branding import Branding, load_branding
from netops.portal.chap import unescape_mikrotik
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
    device_addresses,
    resolve_hotspot,
)
from netops.portal.security import (
    RateLimiter,
    Signer,
    content_security_policy,
    csrf_token,
    csrf_valid,
    new_browser_id,
    secure_headers,
)
from netops.store import Store
from netops.store.codes import group_code

log = logging.getLogger("netops.portal")

HERE = Path(__file__).resolve().parent
ADMIN_TOKEN_ENV = "NETOPS_ADMIN_TOKEN"
SECRET_ENV = "NETOPS_PORTAL_SECRET"
CSRF_COOKIE = "netops_csrf"
STATUS_COOKIE = "netops_portal"
LANG_COOKIE = "netops_lang"
ADMIN_COOKIE = "netops_admin"
STATUS_MAX_AGE = 24 * 3600
CAPTIVE_JSON = "application/captive+json"


def _env_token() -> str | None:
    return os.environ.get(ADMIN_TOKEN_ENV) or None


@dataclass
class PortalSettings:
    """Everything the app needs; the CLI fills it from the inventory and the environment."""

    inventory: Inventory
    store: Store
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    admin_token: Callable[[], str | None] = _env_token
    branding: Branding | None = None
    # Failed logins (wrong code or password) per window, see docs/portal.md "Rate limits".
    phone_limit: int = 5  # per phone: hotspot, MAC and IP from the gateway, browser cookie
    hotspot_limit: int = 300  # per hotspot gateway (all its phones share its NAT address)
    source_limit: int = 60  # per source address that is no hotspot gateway of the inventory
    # New click-through allowances (each is a store row).
    clickthrough_limit: int = 30  # per window, per source address that is no hotspot gateway
    clickthrough_hourly: int = 1000  # per hotspot gateway per hour
    clickthrough_daily: int = 5000  # per hotspot gateway per day
    limit_window_s: float = 600.0
    secure_cookies: bool | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    disconnect: Callable[..., Any] | None = None
    coa_port: int | None = None
    chap_in_browser: bool = False

    @classmethod
    def from_env(cls, inventory: Inventory, store: Store, **kwargs: Any) -> PortalSettings:
        """Settings with the signing key from ``$NETOPS_PORTAL_SECRET`` when set (several
        portal processes must share it), else a random key per process."""
        key = os.environ.get(SECRET_ENV)
        if key:
            kwargs.setdefault("secret_key", key.encode())
        return cls(inventory=inventory, store=store, **kwargs)


class Portal:
    """The state shared by the routes: settings, templates, limiters, metrics."""

    def __init__(self, settings: PortalSettings) -> None:
        self.settings = settings
        self.inventory = settings.inventory
        self.store = settings.store
        self.zone = ZoneInfo(settings.inventory.meta.timezone)
        self.brand = settings.branding or load_branding(settings.inventory)
        self.logo = Markup(self.brand.logo_svg)
        self.chap_script = Markup((HERE / "static" / "chap.js").read_text(encoding="utf-8"))
        self.voucher_script = Markup((HERE / "static" / "voucher.js").read_text(encoding="utf-8"))
        self.signer = Signer(settings.secret_key)
        self.default_lang: i18n.Lang = settings.inventory.meta.language
        window = settings.limit_window_s
        self.limiters = {
            "phone": RateLimiter(settings.phone_limit, window),
            "hotspot": RateLimiter(settings.hotspot_limit, window),
            "src": RateLimiter(settings.source_limit, window),
        }
        self.new_allowances = {
            "src": RateLimiter(settings.clickthrough_limit, window),
            "hour": RateLimiter(settings.clickthrough_hourly, 3600.0),
            "day": RateLimiter(settings.clickthrough_daily, 86400.0),
        }
        # A hotspot gateway's addresses → the gateway: a request from one of them is one of
        # its phones behind its NAT (the rendered config masquerades the client prefix).
        self.gateway_at: dict[str, str] = {}
        for spot in settings.inventory.hotspots:
            if (device := settings.inventory.find_device(spot.gateway)) is not None:
                for address in device_addresses(device):
                    self.gateway_at.setdefault(address, device.hostname)
        url = settings.inventory.services.portal.url
        self.secure = (
            settings.secure_cookies
            if settings.secure_cookies is not None
            else url.startswith("https://")
        )
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(("html",)),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.registry = CollectorRegistry()
        self.logins = Counter(
            "netops_portal_logins_total",
            "Login attempts checked by the portal, by method and result.",
            ["method", "result"],
            registry=self.registry,
        )
        self.limited = Counter(
            "netops_portal_rate_limited_total",
            "Login attempts refused by a rate limit, by key kind (phone, hotspot, src, "
            "clickthrough).",
            ["key"],
            registry=self.registry,
        )
        self.requests = Histogram(
            "netops_portal_request_duration_seconds",
            "Time to answer an HTTP request, by route kind.",
            ["kind"],
            registry=self.registry,
        )
        self.vouchers_created = Counter(
            "netops_portal_vouchers_created_total",
            "Vouchers created from the operator console or API.",
            registry=self.registry,
        )
        self.disconnects = Counter(
            "netops_portal_disconnects_total",
            "Disconnect requests sent from the console, by result (ack, nak, timeout, error).",
            ["result"],
            registry=self.registry,
        )

    def now(self) -> datetime:
        return self.settings.clock()

    def plan(self, name: str) -> Plan | None:
        try:
            return self.inventory.plan(name)
        except KeyError:
            return None

    def hotspot(self, hotspot_id: str | None) -> Hotspot | None:
        if not hotspot_id:
            return None
        try:
            return self.inventory.hotspot(hotspot_id)
        except KeyError:
            return None

    def origin(self, source: str) -> str:
        """The rate limits' ceiling key of a request's source address: ``gw:<gateway>`` when
        it is a hotspot gateway's (every phone of that hotspot), else ``src:<address>``."""
        gateway = self.gateway_at.get(source)
        return f"gw:{gateway}" if gateway else f"src:{source}"

    def uam_secret(self) -> str | None:
        secret = self.inventory.services.portal.uam_secret
        return secret.reveal() if secret is not None else None

    def render(self, name: str, values: dict[str, Any], *, status: int = 200) -> HTMLResponse:
        template = self.env.get_template(name)
        return HTMLResponse(template.render(**values), status_code=status)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _phone_key(origin: str, ctx: GatewayContext, browser: str) -> str:
    """The per-phone rate-limit key: the hotspot, the MAC and IP its gateway passed, and the
    browser's own cookie (so failures posted with someone else's MAC from another browser
    never count against that phone). Hashed: no MAC is kept in memory in the clear."""
    mac = (ctx.mac or "-").lower().replace("-", ":")
    raw = f"{origin}|{mac}|{ctx.ip or '-'}|{browser}"
    return "phone:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _root(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(portal: Portal, request: Request, explicit: str | None = None) -> i18n.Lang:
    chosen = explicit or request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.pick_language(chosen, request.headers.get("accept-language"), portal.default_lang)


class PageContext:
    """Builds the values every citizen page template needs."""

    def __init__(self, portal: Portal, request: Request, lang: i18n.Lang) -> None:
        self.portal = portal
        self.request = request
        self.lang = lang
        self.t = i18n.translator(lang)
        self.nonce = secrets.token_urlsafe(16)
        self.browser_id = request.cookies.get(CSRF_COOKIE) or new_browser_id()
        self.new_browser = CSRF_COOKIE not in request.cookies
        self.form_targets: list[str] = []
        request.state.nonce = self.nonce
        request.state.form_targets = self.form_targets

    def csrf(self) -> str:
        return csrf_token(self.portal.signer, self.browser_id, time.time())

    def hidden(self, ctx: GatewayContext | None) -> Markup:
        fields = dict(ctx.carried()) if ctx else {}
        fields["lang"] = self.lang
        fields["csrf"] = self.csrf()
        return Markup("").join(
            Markup('<input type="hidden" name="{}" value="{}">\n').format(k, v)
            for k, v in fields.items()
        )

    def values(
        self,
        *,
        hotspot: Hotspot | None,
        ctx: GatewayContext | None,
        switch_path: str = "",
        **extra: Any,
    ) -> dict[str, Any]:
        root = _root(self.request)
        other: i18n.Lang = "en" if self.lang == "id" else "id"
        query = dict(ctx.carried()) if ctx else {}
        if hotspot is not None:
            query.setdefault("hotspot", hotspot.id)
        query["lang"] = other
        return {
            "lang": self.lang,
            "other_lang": other,
            "t": self.t,
            "brand": self.portal.brand,
            "logo": self.portal.logo,
            "root": root,
            "hotspot": hotspot,
            "nonce": self.nonce,
            "hidden": self.hidden(ctx),
            "switch_url": f"{root}{switch_path}?{urlencode(query)}",
            **extra,
        }

    def finish(self, response: Response) -> Response:
        """Set the cookies every page keeps: the CSRF browser id and the chosen language."""
        if self.new_browser:
            response.set_cookie(
                CSRF_COOKIE,
                self.browser_id,
                httponly=True,
                samesite="lax",
                secure=self.portal.secure,
                path="/",
            )
        if self.request.query_params.get("lang") in i18n.LANGUAGES:
            response.set_cookie(
                LANG_COOKIE, self.lang, samesite="lax", secure=self.portal.secure, max_age=31536000
            )
        return response


def create_app(settings: PortalSettings) -> FastAPI:
    """The portal app: citizens' pages at ``/``, the console at ``/admin``, the operators' API
    at ``/api/admin`` (OpenAPI at ``/api/openapi.json``), RFC 8908 at ``/api/captive``."""
    from netops.portal.admin import admin_router, api_router, docs_router

    portal = Portal(settings)
    app = FastAPI(
        title="netops portal",
        summary="Captive portal and operator console for the city's free Wi-Fi.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.portal = portal

    @app.middleware("http")
    async def _headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        path = request.url.path
        response = await call_next(request)
        nonce = getattr(request.state, "nonce", None) or secrets.token_urlsafe(16)
        targets = tuple(getattr(request.state, "form_targets", ()) or ())
        csp = content_security_policy(nonce, targets)
        for name, value in secure_headers(csp, https=portal.secure).items():
            if name == "Cache-Control" and path.startswith("/static/"):
                value = "public, max-age=86400"
            response.headers.setdefault(name, value)
        kind = "admin" if path.startswith(("/admin", "/api/admin")) else "citizen"
        portal.requests.labels(kind).observe(time.perf_counter() - started)
        return response

    @app.exception_handler(StoreError)
    async def _store_down(request: Request, exc: StoreError) -> Response:
        log.error("store error while answering %s: %s", request.url.path, exc)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "the database is unavailable"}, status_code=503)
        lang = _lang(portal, request)
        page = PageContext(portal, request, lang)
        values = page.values(
            hotspot=None,
            ctx=None,
            heading=page.t("title.error"),
            error=page.t("error.unavailable"),
            lines=[],
            back_url=None,
        )
        return portal.render("message.html", values, status=503)

    _citizen_routes(app, portal)
    app.include_router(api_router(portal))
    app.include_router(admin_router(portal))
    app.include_router(docs_router(app.title, "/api/openapi.json"))
    return app


def _citizen_routes(app: FastAPI, portal: Portal) -> None:
    static = HERE / "static"

    sheets = {name: (static / name).read_bytes() for name in ("portal.css", "admin.css")}
    # The city's colour (checked for contrast when the branding is loaded).
    sheets["portal.css"] = sheets["portal.css"].replace(
        b"--c:#0b5d7a", f"--c:{portal.brand.colour}".encode()
    )

    @app.get("/static/{name}", include_in_schema=False)
    def css(name: str) -> Response:
        if name not in sheets:
            return PlainTextResponse("not found\n", status_code=404)
        return Response(sheets[name], media_type="text/css")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok\n")

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(portal.registry), media_type=CONTENT_TYPE_LATEST)

    def bad_request(
        request: Request, exc: GatewayParamError, lang: i18n.Lang | None = None
    ) -> Response:
        page = PageContext(portal, request, lang or _lang(portal, request))
        if isinstance(exc, UntrustedGateway):
            # A redirect naming a host that is not this city's gateway: never hand it a login.
            portal.logins.labels("gateway", "untrusted").inc()
            log.warning(
                "refused a gateway endpoint that is not in the inventory: %s (from %s)",
                exc.field,
                _client(request),
            )
            error = page.t("error.unknown_gateway", city=portal.brand.city)
        else:
            error = i18n.param_error(page.lang, exc.field)
        values = page.values(
            hotspot=None,
            ctx=None,
            heading=page.t("title.error"),
            error=error,
            lines=[],
            back_url=None,
        )
        return page.finish(portal.render("message.html", values, status=400))

    def gateway_hotspot(request: Request, ctx: GatewayContext) -> Hotspot | None:
        """The hotspot of a gateway redirect whose endpoints the inventory vouches for; raises
        :class:`UntrustedGateway` otherwise, or when the request came through another
        hotspot's gateway than the one the parameters name."""
        hotspot = checked_hotspot(portal.inventory, ctx)
        via = portal.gateway_at.get(_client(request))
        if ctx.kind != "none" and hotspot is not None and via and via != hotspot.gateway:
            raise UntrustedGateway("server-name", f"names a hotspot not behind {via}")
        return hotspot

    def bounce_url(request: Request) -> str | None:
        """Where to send a phone that opened the portal directly (a voucher card's QR code,
        through the walled garden) so that its gateway redirects it back with its
        parameters: the login page of the gateway whose NAT address the request came from."""
        via = portal.gateway_at.get(_client(request))
        spots = portal.inventory.hotspots_at(via) if via else ()
        if not spots:
            return None
        spot = spots[0]
        if spot.dns_name:
            return f"http://{spot.dns_name}/login"
        if spot.client_prefix is not None:
            return f"http://{spot.client_prefix.network_address + 1}/login"
        return None

    def login_page(
        request: Request,
        ctx: GatewayContext,
        lang: i18n.Lang,
        *,
        error: str | None = None,
        status: int = 200,
        voucher: str = "",
        hotspot: Hotspot | None = None,
    ) -> Response:
        page = PageContext(portal, request, lang)
        if hotspot is None:
            hotspot = resolve_hotspot(portal.inventory, ctx)
        ssid = hotspot.ssid if hotspot else portal.brand.title
        notice = None
        bounce = None
        if ctx.kind == "none" and error is None:
            # Opened directly (a bookmark, a voucher card's QR code): say how to get here from
            # the hotspot; the page's script sends a QR code's voucher through the gateway.
            notice = page.t("error.no_gateway", ssid=ssid)
            bounce = bounce_url(request)
        free = None
        if hotspot is not None and (plan := portal.plan(hotspot.plan)) is not None:
            seconds, octets = plan_summary(plan)
            parts = []
            if seconds:
                parts.append(i18n.format_duration(lang, seconds))
            if octets:
                parts.append(i18n.format_bytes(lang, octets))
            free = " / ".join(parts) or page.t("status.unlimited")
        if ctx.kind == "coova":
            page.form_targets.append(ctx.uam_base)
        direct = None
        if portal.settings.chap_in_browser and ctx.kind == "mikrotik" and ctx.chap:
            # RouterOS's own way: the forms post straight to the gateway and the page computes
            # the CHAP answer. The portal cannot pre-check or rate-limit these logins.
            status_query: dict[str, str] = {"lang": lang}
            if ctx.original_url:
                status_query["next"] = ctx.original_url
            direct = {
                "action": ctx.params["link-login-only"],
                "dst": f"{str(request.base_url).rstrip('/')}/status?{urlencode(status_query)}",
                "chap_id": unescape_mikrotik(ctx.params["chap-id"]).hex(),
                "chap_challenge": unescape_mikrotik(ctx.params["chap-challenge"]).hex(),
                "script": portal.chap_script,
            }
            if origin := _origin(direct["action"]):
                page.form_targets.append(origin)
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
            terms_url=f"{_root(request)}terms?{urlencode(query)}",
            direct=direct,
            bounce=bounce,
            voucher_script=portal.voucher_script,
            # A voucher in the URL's #fragment logs in at once, but only with a gateway to
            # hand the login to, and never again on a page that answers a failed login.
            autologin=ctx.kind != "none" and error is None,
        )
        return page.finish(portal.render("login.html", values, status=status))

    def voucher_from(ctx: GatewayContext, request: Request) -> str:
        code = request.query_params.get("voucher", "")
        if not code and ctx.original_url:
            parts = urlsplit(ctx.original_url)
            for key, _, value in (p.partition("=") for p in parts.query.split("&")):
                if key == "voucher":
                    code = value
        return code[:32]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_get(request: Request) -> Response:
        try:
            ctx = parse_context(request.query_params)
            hotspot = gateway_hotspot(request, ctx)
        except GatewayParamError as exc:
            return bad_request(request, exc)
        lang = _lang(portal, request)
        if ctx.kind == "coova":
            res = ctx.get("res")
            if res in ("success", "already"):
                query: dict[str, str] = {"lang": lang}
                if ctx.get("userurl"):
                    query["next"] = ctx.params["userurl"]
                return RedirectResponse(f"{_root(request)}status?{urlencode(query)}", 303)
            if res == "logoff":
                return RedirectResponse(f"{_root(request)}logged-out?lang={lang}", 303)
        error = None
        message = ctx.gateway_error
        if message is not None:
            error = i18n.gateway_error(lang, message)
            ctx = ctx.without_error()
        return login_page(
            request, ctx, lang, error=error, voucher=voucher_from(ctx, request), hotspot=hotspot
        )

    @app.post("/login", include_in_schema=False)
    async def login_post(request: Request) -> Response:
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        # The store is synchronous: keep it off the event loop.
        return await run_in_threadpool(login_checked, request, fields)

    def too_many(
        again: Callable[[str, int], Response], t: Callable[..., str], wait: float
    ) -> Response:
        minutes = max(1, int(wait + 59) // 60)
        response = again(t("error.rate_limited", minutes=minutes), 429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response

    def login_checked(request: Request, fields: dict[str, str]) -> Response:
        lang = i18n.pick_language(fields.get("lang"), None, portal.default_lang)
        t = i18n.translator(lang)
        try:
            ctx = parse_context(fields)
            hotspot = gateway_hotspot(request, ctx)
        except GatewayParamError as exc:
            return bad_request(request, exc, lang)
        method = fields.get("method", "")
        code = fields.get("code", "")[:32]

        def again(error: str, status: int) -> Response:
            return login_page(
                request, ctx, lang, error=error, status=status, voucher=code, hotspot=hotspot
            )

        browser = request.cookies.get(CSRF_COOKIE)
        if not csrf_valid(portal.signer, fields.get("csrf"), browser, time.time()):
            portal.logins.labels(method or "unknown", "csrf").inc()
            return again(t("error.csrf"), 403)
        assert browser is not None
        if method not in ("voucher", "user", "free"):
            return again(t("error.bad_method"), 400)
        if ctx.kind == "none":
            ssid = hotspot.ssid if hotspot else portal.brand.title
            return again(t("error.no_gateway", ssid=ssid), 400)

        # Failures count against the phone (as its gateway and its own browser name it) and
        # against where the request came from: a hotspot gateway's NAT address (all of its
        # phones: a ceiling far above an honest hotspot's rate) or any other address.
        origin = portal.origin(_client(request))
        ceiling = "hotspot" if origin.startswith("gw:") else "src"
        keys = [(ceiling, origin), ("phone", _phone_key(origin, ctx, browser))]
        now_s = time.time()
        now = portal.now()
        if method in ("voucher", "user"):
            waits = [(kind, portal.limiters[kind].retry_after(key, now_s)) for kind, key in keys]
            if any(wait > 0 for _, wait in waits):
                for kind, wait in waits:
                    if wait > 0:
                        portal.limited.labels(kind).inc()
                return too_many(again, t, max(wait for _, wait in waits))

        check: LoginCheck
        if method == "voucher":
            check = check_voucher(portal.store, code, ctx.mac, now)
        elif method == "user":
            check = check_user(portal.store, fields.get("username", ""), fields.get("password", ""))
        else:
            accepted = fields.get("accept") == "yes"
            if (
                accepted
                and hotspot is not None
                and clickthrough_is_new(portal.store, ctx.mac, now, portal.zone)
            ):
                # Each new MAC makes a store row: bound how fast a hotspot (or any other
                # address) adds them, far above an honest hotspot's rate.
                windows = ("hour", "day") if ceiling == "hotspot" else ("src",)
                wait = max(portal.new_allowances[w].retry_after(origin, now_s) for w in windows)
                if wait > 0:
                    portal.limited.labels("clickthrough").inc()
                    return too_many(again, t, wait)
                for w in windows:
                    portal.new_allowances[w].fail(origin, now_s)
            check = check_clickthrough(
                portal.store,
                accepted=accepted,
                mac=ctx.mac,
                hotspot=hotspot,
                now=now,
                zone=portal.zone,
            )
        where = hotspot.id if hotspot else "-"
        if not check.ok:
            assert check.error is not None
            portal.logins.labels(method, "refused").inc()
            log.info("login refused: %s at %s: %s", method, where, check.error)
            if check.counts:
                for kind, key in keys:
                    portal.limiters[kind].fail(key, now_s)
            values = {"ssid": hotspot.ssid if hotspot else portal.brand.title}
            return again(t(check.error, **values), 400 if check.counts else 422)

        assert check.username is not None and check.password is not None
        portal.logins.labels(method, "handed_off").inc()
        log.info("login handed to the gateway: %s at %s", method, where)
        portal.limiters["phone"].reset(keys[1][1])
        status_query: dict[str, str] = {"lang": lang}
        if ctx.original_url:
            status_query["next"] = ctx.original_url
        dst = f"{str(request.base_url).rstrip('/')}/status?{urlencode(status_query)}"
        try:
            handoff = ctx.handoff(check.username, check.password, dst, portal.uam_secret())
        except (ValueError, NetopsError) as exc:
            log.warning("cannot hand a login to the gateway: %s", exc)
            return again(t("error.gateway_generic"), 502)
        cookie = portal.signer.sign(
            "status",
            {
                "u": check.username,
                "h": hotspot.id if hotspot else None,
                "l": ctx.logout_url,
            },
            time.time(),
        )
        response = handoff_response(request, lang, hotspot, handoff)
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
        request: Request, lang: i18n.Lang, hotspot: Hotspot | None, handoff: Handoff
    ) -> Response:
        if handoff.method == "get":
            if origin := _origin(handoff.url):
                request.state.form_targets = [origin]
            return RedirectResponse(handoff.url, 303)
        page = PageContext(portal, request, lang)
        if origin := _origin(handoff.url):
            page.form_targets.append(origin)
        values = page.values(hotspot=hotspot, ctx=None, handoff=handoff)
        values["switch_url"] = None
        return page.finish(portal.render("handoff.html", values))

    def status_of(request: Request) -> dict[str, Any] | None:
        token = request.cookies.get(STATUS_COOKIE)
        if not token:
            return None
        return portal.signer.verify("status", token, time.time(), STATUS_MAX_AGE)

    @app.get("/status", response_class=HTMLResponse, include_in_schema=False)
    def status(request: Request) -> Response:
        lang = _lang(portal, request)
        page = PageContext(portal, request, lang)
        t = page.t
        info = status_of(request)
        rows: list[tuple[str, str]] = []
        active = False
        hotspot = portal.hotspot(info.get("h")) if info else None
        sub = portal.store.lookup(str(info["u"])) if info else None
        if sub is not None and (plan := portal.plan(sub.plan)) is not None:
            now = portal.now()
            today = portal.store.usage(sub.username, day_start(now, portal.zone))
            total = portal.store.usage(sub.username) if plan.data_quota is not None else today
            open_sessions = portal.store.open_sessions(sub.username)
            active = bool(open_sessions)
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
            account = {"clickthrough": t("free.heading"), "voucher": group_code(sub.username)}.get(
                sub.kind, sub.username
            )
            rows.append((t("status.account"), account))
            rows.append((t("status.plan"), plan.description or plan.name))
            rows.append(
                (
                    t("status.time_left"),
                    i18n.format_duration(lang, left.time_left_s)
                    if left.time_left_s is not None
                    else unlimited,
                )
            )
            if left.session_left_s is not None:
                rows.append(
                    (t("status.session_left"), i18n.format_duration(lang, left.session_left_s))
                )
            rows.append(
                (
                    t("status.data_left"),
                    i18n.format_bytes(lang, left.data_left)
                    if left.data_left is not None
                    else unlimited,
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
        next_url = request.query_params.get("next")
        if next_url and _origin(next_url) is None:
            next_url = None
        if info and (logout_origin := _origin(info.get("l"))):
            page.form_targets.append(logout_origin)
        query = {k: v for k, v in request.query_params.items() if k in ("next",)}
        values = page.values(
            hotspot=hotspot,
            ctx=None,
            switch_path="status",
            rows=rows,
            active=active,
            next_url=next_url,
            next_host=urlsplit(next_url).hostname if next_url else None,
            refresh_url=f"{_root(request)}status?{urlencode({**query, 'lang': lang})}",
            login_url=f"{_root(request)}login?lang={lang}",
        )
        if next_url:
            values["switch_url"] += "&" + urlencode({"next": next_url})
        return page.finish(portal.render("status.html", values))

    @app.post("/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        form = await request.form()
        lang = i18n.pick_language(str(form.get("lang", "")), None, portal.default_lang)
        if not csrf_valid(
            portal.signer, str(form.get("csrf", "")), request.cookies.get(CSRF_COOKIE), time.time()
        ):
            page = PageContext(portal, request, lang)
            values = page.values(
                hotspot=None,
                ctx=None,
                heading=page.t("title.error"),
                error=page.t("error.csrf"),
                lines=[],
                back_url=f"{_root(request)}status?lang={lang}",
                back_label=page.t("status.refresh"),
            )
            return page.finish(portal.render("message.html", values, status=403))
        info = status_of(request)
        target = str(info.get("l") or "") if info else ""
        if not _origin(target):
            target = f"{_root(request)}logged-out?lang={lang}"
        else:
            request.state.form_targets = [_origin(target)]
        response = RedirectResponse(target, 303)
        response.delete_cookie(STATUS_COOKIE, path="/")
        return response

    @app.get("/logged-out", response_class=HTMLResponse, include_in_schema=False)
    def logged_out(request: Request) -> Response:
        lang = _lang(portal, request)
        page = PageContext(portal, request, lang)
        values = page.values(
            hotspot=None,
            ctx=None,
            switch_path="logged-out",
            heading=page.t("title.logged_out"),
            error=None,
            lines=[page.t("logged_out.text", city=portal.brand.city)],
            back_url=f"{_root(request)}login?lang={lang}",
            back_label=page.t("login.again"),
        )
        response = page.finish(portal.render("message.html", values))
        response.delete_cookie(STATUS_COOKIE, path="/")
        return response

    @app.get("/terms", response_class=HTMLResponse, include_in_schema=False)
    def terms(request: Request) -> Response:
        lang = _lang(portal, request)
        try:
            ctx = parse_context(request.query_params)
        except GatewayParamError as exc:
            return bad_request(request, exc)
        page = PageContext(portal, request, lang)
        query = dict(ctx.carried())
        query["lang"] = lang
        values = page.values(
            hotspot=resolve_hotspot(portal.inventory, ctx),
            ctx=ctx,
            switch_path="terms",
            back_url=f"{_root(request)}login?{urlencode(query)}",
        )
        return page.finish(portal.render("terms.html", values))

    @app.get(
        "/api/captive",
        summary="RFC 8908 captive-portal API",
        description="Whether the asking device is still captive, where to sign in, and what "
        "is left of its allowance (application/captive+json).",
        responses={200: {"content": {CAPTIVE_JSON: {}}}},
        tags=["captive"],
    )
    def captive(request: Request) -> Response:
        base = portal.inventory.services.portal.url
        client = _client(request)
        session = next(
            (s for s in portal.store.sessions(active=True, limit=5000) if s.ip == client), None
        )
        body: dict[str, Any] = {"captive": session is None, "user-portal-url": base}
        body["venue-info-url"] = f"{base.rstrip('/')}/terms"
        if session is not None:
            sub = portal.store.lookup(session.username)
            plan = portal.plan(sub.plan) if sub else None
            if sub is not None and plan is not None:
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
        return JSONResponse(body, media_type=CAPTIVE_JSON, headers={"Cache-Control": "private"})
