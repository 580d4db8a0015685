"""The captive portal as an ASGI app: citizens' pages, the captive-portal API, the console.

:func:`create_app` builds a FastAPI app from :class:`PortalSettings`; ``netops portal serve``
runs it under uvicorn. The routes live in :mod:`netops.portal.citizen` (citizens' pages and
RFC 8908), :mod:`netops.portal.console` (the operators' console) and
:mod:`netops.portal.admin_api` (the operators' API); this module adds the headers every
response carries and the page shown while the store is down.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from netops.errors import StoreError
from netops.logsafe import escape_logger, printable
from netops.portal import console
from netops.portal.admin_api import docs_router
from netops.portal.admin_api import router as api_router
from netops.portal.citizen import router as citizen_router
from netops.portal.pages import store_unavailable_page
from netops.portal.security import content_security_policy, secure_headers
from netops.portal.state import ADMIN_TOKEN_ENV, SECRET_ENV, Portal, PortalSettings

__all__ = ["ADMIN_TOKEN_ENV", "SECRET_ENV", "Portal", "PortalSettings", "create_app"]

log = logging.getLogger("netops.portal")

# Loggers whose lines carry what requests send (an address from X-Forwarded-For, a path, a
# gateway's text): every line of theirs has its control characters escaped.
ESCAPED_LOGGERS = ("netops.portal", "netops.portal.admin", "uvicorn.access", "uvicorn.error")


def create_app(settings: PortalSettings) -> FastAPI:
    """The portal app: citizens' pages at ``/``, the console at ``/admin``, the operators' API
    at ``/api/admin`` (OpenAPI at ``/api/openapi.json``), RFC 8908 at ``/api/captive``."""
    portal = Portal(settings)
    for name in ESCAPED_LOGGERS:
        escape_logger(name)
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
        log.error(
            "store error while answering %s: %s", printable(request.url.path), printable(exc, 300)
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "the database is unavailable"}, status_code=503)
        return store_unavailable_page(portal, request)

    console.register_filters(portal)
    app.add_exception_handler(console.Refused, console.refused)
    app.include_router(citizen_router)
    app.include_router(api_router)
    app.include_router(console.router)
    app.include_router(docs_router)
    return app
