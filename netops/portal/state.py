"""The portal's shared state: settings, the :class:`Portal` every route reaches, cookie names.

Both the citizens' side (:mod:`netops.portal.citizen`) and the console
(:mod:`netops.portal.admin`) import this module; :mod:`netops.portal.app` builds the app
from it. Routes reach the one :class:`Portal` of their app through :func:`get_portal`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from prometheus_client import CollectorRegistry, Counter, Histogram

from netops import defaults, environment
from netops.inventory.models import Hotspot, Inventory, PhoneLimitsSettings, Plan
from netops.portal import i18n
from netops.portal.branding import Branding, load_branding
from netops.portal.login import device_addresses
from netops.portal.privacy_metrics import PrivacyCollector
from netops.portal.security import FailureGuard, Limiter, LimitTable, Signer, limiter_for
from netops.sms import SmsGateway, gateway_for
from netops.store import Store
from netops.store.phones import PhoneLimits

HERE = Path(__file__).resolve().parent
ADMIN_TOKEN_ENV = defaults.ADMIN_TOKEN_ENV
SECRET_ENV = defaults.PORTAL_SECRET_ENV
CSRF_COOKIE = "netops_csrf"
STATUS_COOKIE = "netops_portal"
LANG_COOKIE = "netops_lang"
ADMIN_COOKIE = "netops_admin"
STATUS_MAX_AGE = 24 * 3600
CAPTIVE_JSON = "application/captive+json"


# The marker default of PortalSettings.phone_limits: "take them from the inventory".
INVENTORY_PHONE_LIMITS = PhoneLimits()


def _env_token() -> str | None:
    """The default for settings built without a token (tests, embedding): the environment's,
    read at each sign-in by the edge (:func:`netops.environment.admin_token`).
    ``netops portal serve`` passes the token it read at start."""
    return environment.admin_token()


@dataclass
class PortalSettings:
    """Everything the app needs; the CLI fills it from the inventory and the environment."""

    inventory: Inventory
    store: Store
    # Signs cookies and CSRF tokens; None: $NETOPS_PORTAL_SECRET's role is played by a key
    # derived from the store key, the same in every portal process on the store.
    secret_key: bytes | None = field(default=None, repr=False)
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
    # Sign-up by phone: SMS sends per number / device / hotspot, code lifetime and tries.
    # Default: the inventory's services.portal.phone_limits (see __post_init__).
    phone_limits: PhoneLimits = INVENTORY_PHONE_LIMITS
    sms_gateway: SmsGateway | None = None  # default: the inventory's services.sms

    def __post_init__(self) -> None:
        if self.phone_limits is INVENTORY_PHONE_LIMITS:
            self.phone_limits = phone_limits(self.inventory.services.portal.phone_limits)


def phone_limits(settings: PhoneLimitsSettings) -> PhoneLimits:
    """The limits the inventory's ``services.portal.phone_limits`` sets (the store knows no
    inventory)."""
    return PhoneLimits(
        per_number_hour=settings.per_number_hour,
        per_number_day=settings.per_number_day,
        per_device_hour=settings.per_device_hour,
        per_hotspot_hour=settings.per_hotspot_hour,
        code_ttl_s=settings.code_ttl,
        tries=settings.tries,
    )


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
        static = HERE / "static"
        self.sheets = {name: (static / name).read_bytes() for name in ("portal.css", "admin.css")}
        # The city's colour (checked for contrast when the branding is loaded).
        self.sheets["portal.css"] = self.sheets["portal.css"].replace(
            b"--c:#0b5d7a", f"--c:{self.brand.colour}".encode()
        )
        self.signer = Signer(signing_key(settings))
        self.default_lang: i18n.Lang = settings.inventory.meta.language
        # Kept in the store, so every portal process on it counts the same attempts.
        window = settings.limit_window_s
        store = settings.store
        self.limiters: dict[str, Limiter] = {
            "phone": limiter_for(store, "phone", settings.phone_limit, window),
            "hotspot": limiter_for(store, "hotspot", settings.hotspot_limit, window),
            "src": limiter_for(store, "src", settings.source_limit, window),
        }
        self.new_allowances: dict[str, Limiter] = {
            "src": limiter_for(store, "new-src", settings.clickthrough_limit, window),
            "hour": limiter_for(store, "new-hour", settings.clickthrough_hourly, 3600.0),
            "day": limiter_for(store, "new-day", settings.clickthrough_daily, 86400.0),
        }
        # The console's wrong passwords and tokens: per source and overall, per account.
        self.console_failures = (
            FailureGuard.shared(store) if isinstance(store, LimitTable) else FailureGuard()
        )
        self.console_accounts = limiter_for(store, "console-account", 5, 600.0)
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
        self.sms = Counter(
            "netops_portal_sms_total",
            "Sign-up codes by SMS, by result (sent, gateway_error, blocked, limited).",
            ["result"],
            registry=self.registry,
        )
        self.disconnects = Counter(
            "netops_portal_disconnects_total",
            "Disconnect requests sent from the console, by result (ack, nak, timeout, error).",
            ["result"],
            registry=self.registry,
        )
        self.registry.register(PrivacyCollector(self.store, self.now))

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

    def sms_gateway(self) -> SmsGateway | None:
        """The SMS gateway (its secret read now), None when the inventory names none."""
        if self.settings.sms_gateway is not None:
            return self.settings.sms_gateway
        service = self.inventory.services.sms
        return gateway_for(service) if service is not None else None

    @property
    def phone_plan(self) -> Plan | None:
        """The plan of verified numbers; None when the portal offers no phone sign-up."""
        name = self.inventory.services.portal.phone_plan
        if name is None or (self.inventory.services.sms is None and not self.settings.sms_gateway):
            return None
        return self.plan(name)

    def uam_secret(self) -> str | None:
        secret = self.inventory.services.portal.uam_secret
        return secret.reveal() if secret is not None else None

    def render(self, name: str, values: dict[str, Any], *, status: int = 200) -> HTMLResponse:
        template = self.env.get_template(name)
        return HTMLResponse(template.render(**values), status_code=status)


def signing_key(settings: PortalSettings) -> bytes:
    """The key cookies and CSRF tokens are signed with: the settings' (the CLI passes
    $NETOPS_PORTAL_SECRET), else the store's portal key (derived from the store key, so
    every portal process on one store accepts the others' forms and cookies), else a
    random key for this process."""
    if settings.secret_key is not None:
        return settings.secret_key
    derive = getattr(settings.store, "portal_signing_key", None)
    if callable(derive):
        key = derive()
        assert isinstance(key, bytes)
        return key
    return secrets.token_bytes(32)


def get_portal(request: Request) -> Portal:
    """The app's :class:`Portal` (a FastAPI dependency)."""
    portal: Portal = request.app.state.portal
    return portal


PortalDep = Annotated[Portal, Depends(get_portal)]
