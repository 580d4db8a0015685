"""What every server-rendered portal page shares: language, the CSRF cookie, rendering.

:class:`Page` is made once per request. It picks the page's language (``?lang=``, then the
language cookie, then the inventory's language), names the browser for CSRF tokens (the
``netops_csrf`` cookie, made on the first page), holds the CSP nonce and the origins a form
may post to (read by the app's header middleware), and sets the cookies on the response.
The citizens' pages (:mod:`netops.portal.citizen`) and the console (:mod:`netops.portal.console`)
both build on it.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request, Response
from markupsafe import Markup

from netops.inventory.models import Hotspot
from netops.logsafe import printable
from netops.portal import i18n
from netops.portal.gateway import GatewayContext, GatewayParamError, UntrustedGateway
from netops.portal.security import csrf_token, new_browser_id
from netops.portal.state import CSRF_COOKIE, LANG_COOKIE, Portal

log = logging.getLogger("netops.portal")

LANG_MAX_AGE = 365 * 24 * 3600


def root_of(request: Request) -> str:
    """The app's own path prefix (``/`` unless mounted below a proxy's path), ending in ``/``."""
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def client_of(request: Request) -> str:
    """The address the request came from."""
    return request.client.host if request.client else "unknown"


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, None for anything else."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def request_lang(portal: Portal, request: Request, explicit: str | None = None) -> i18n.Lang:
    """The language a page is shown in: ``explicit`` (a form's field), ``?lang=``, the
    language cookie, else the inventory's language."""
    chosen = explicit or request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return i18n.pick_language(chosen, request.headers.get("accept-language"), portal.default_lang)


class Page:
    """One page being answered: its language, translator, CSP nonce and CSRF browser id.

    ``scripts=False`` for pages without inline script: no nonce is handed to the CSP.
    """

    def __init__(
        self,
        portal: Portal,
        request: Request,
        lang: i18n.Lang | None = None,
        *,
        scripts: bool = True,
    ) -> None:
        self.portal = portal
        self.request = request
        self.lang: i18n.Lang = lang or request_lang(portal, request)
        self.other_lang: i18n.Lang = "en" if self.lang == "id" else "id"
        self.t = i18n.translator(self.lang)
        self.root = root_of(request)
        self.nonce = secrets.token_urlsafe(16) if scripts else ""
        self.browser_id = request.cookies.get(CSRF_COOKIE) or new_browser_id()
        self.new_browser = CSRF_COOKIE not in request.cookies
        self.form_targets: list[str] = []
        request.state.nonce = self.nonce
        request.state.form_targets = self.form_targets

    def csrf(self) -> str:
        """A fresh form token bound to this browser's CSRF cookie."""
        return csrf_token(self.portal.signer, self.browser_id, time.time())

    def common(self) -> dict[str, Any]:
        """The values every page template reads."""
        return {
            "lang": self.lang,
            "other_lang": self.other_lang,
            "t": self.t,
            "brand": self.portal.brand,
            "root": self.root,
            "nonce": self.nonce,
        }

    def render(self, name: str, values: dict[str, Any], *, status: int = 200) -> Response:
        """Template ``name`` with :meth:`common` and ``values``, cookies set."""
        response = self.portal.render(name, {**self.common(), **values}, status=status)
        return self.finish(response)

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
                LANG_COOKIE,
                self.lang,
                samesite="lax",
                secure=self.portal.secure,
                max_age=LANG_MAX_AGE,
            )
        return response


# --- the citizens' pages -------------------------------------------------------------------


class CitizenPage(Page):
    """A citizen's page: :class:`~netops.portal.pages.Page` plus the gateway's parameters
    carried as hidden fields and the language switch that keeps them."""

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
        query = dict(ctx.carried()) if ctx else {}
        if hotspot is not None:
            query.setdefault("hotspot", hotspot.id)
        query["lang"] = self.other_lang
        return {
            **self.common(),
            "logo": self.portal.logo,
            "hotspot": hotspot,
            "hidden": self.hidden(ctx),
            "switch_url": f"{self.root}{switch_path}?{urlencode(query)}",
            **extra,
        }

    def show(self, name: str, values: dict[str, Any], *, status: int = 200) -> Response:
        return self.finish(self.portal.render(name, values, status=status))


def message_page(
    portal: Portal,
    request: Request,
    *,
    error: str | None,
    status: int,
    lang: i18n.Lang | None = None,
    heading: str | None = None,
    lines: list[str] | None = None,
    back: tuple[str, str] | None = None,
    switch_path: str = "",
) -> Response:
    """The one-message page (errors, "logged out"); ``back`` is (URL, label) of its button."""
    page = CitizenPage(portal, request, lang)
    values = page.values(
        hotspot=None,
        ctx=None,
        switch_path=switch_path,
        heading=heading or page.t("title.error"),
        error=error,
        lines=lines or [],
        back_url=back[0] if back else None,
    )
    if back:
        values["back_label"] = back[1]
    return page.show("message.html", values, status=status)


def store_unavailable_page(portal: Portal, request: Request) -> Response:
    """The page a citizen sees while the database is unreachable (503)."""
    page = CitizenPage(portal, request)
    values = page.values(
        hotspot=None,
        ctx=None,
        heading=page.t("title.error"),
        error=page.t("error.unavailable"),
        lines=[],
        back_url=None,
    )
    return portal.render("message.html", values, status=503)


def bad_request(
    portal: Portal, request: Request, exc: GatewayParamError, lang: i18n.Lang | None = None
) -> Response:
    """A 400 page for malformed or untrusted gateway parameters."""
    lang = lang or request_lang(portal, request)
    if isinstance(exc, UntrustedGateway):
        # A redirect naming a host that is not this city's gateway: never hand it a login.
        portal.logins.labels("gateway", "untrusted").inc()
        log.warning(
            "refused a gateway endpoint that is not in the inventory: %s (from %s)",
            exc.field,
            printable(client_of(request)),
        )
        error = i18n.text(lang, "error.unknown_gateway", city=portal.brand.city)
    else:
        error = i18n.param_error(lang, exc.field)
    return message_page(portal, request, error=error, status=400, lang=lang)
