"""The operators' JSON API (``/api/admin/…``, OpenAPI at ``/api/openapi.json``) and its
documentation page (``/api/docs``, Swagger UI served by the portal itself).

Who is asking and what they may do is in :mod:`netops.portal.admin`.
"""

from __future__ import annotations

import html
import json
import logging
import secrets
from datetime import datetime
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from netops.portal.admin import (
    BATCH_ROLE,
    DisconnectIn,
    DisconnectOut,
    HotspotOut,
    HotspotUsageOut,
    PlanOut,
    Principal,
    RevokeOut,
    SessionOut,
    TokenLocked,
    VoucherBatchIn,
    VoucherBatchOut,
    VoucherOut,
    authenticate,
    bearer,
    create_batch,
    disconnect,
    permitted,
    record,
    session_out,
    usage_today,
    voucher_out,
)
from netops.portal.devices import private_devices
from netops.portal.state import PortalDep
from netops.store.operators import AuditEntry

log = logging.getLogger("netops.portal.admin")


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


def require(
    request: Request,
    portal: PortalDep,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The operator behind the request's token (or console cookie), allowed this route:
    else 401, 403, or 429 while the source is locked out."""
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


OperatorDep = Annotated[Principal, Depends(require)]

#: ``/api/admin/…``: JSON for scripts and other tools.
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
def whoami(who: OperatorDep) -> WhoAmIOut:
    return WhoAmIOut(name=who.name, role=who.role, sites=sorted(who.sites))


@router.get("/plans", summary="Plans from the inventory")
def plans(portal: PortalDep) -> list[PlanOut]:
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
def hotspots(portal: PortalDep, who: OperatorDep) -> list[HotspotOut]:
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
    req: VoucherBatchIn, request: Request, portal: PortalDep, who: OperatorDep
) -> VoucherBatchOut:
    if (req.count > 1 or req.batch) and not who.may(BATCH_ROLE):
        raise HTTPException(403, f"batches need the role {BATCH_ROLE!r}")
    made = create_batch(portal, req)
    record(portal, who, request, "voucher.create", made.batch, f"{len(made.codes)} {made.plan}")
    return made


@router.get("/vouchers", summary="List vouchers (of one batch)")
def vouchers(
    request: Request,
    portal: PortalDep,
    who: OperatorDep,
    batch: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[VoucherOut]:
    found = [voucher_out(v) for v in portal.store.list_vouchers(batch=batch)[:limit]]
    record(portal, who, request, "voucher.list", batch, f"{len(found)} rows")
    return found


@router.delete(
    "/vouchers/{code}",
    summary="Revoke a voucher",
    responses={404: {"description": "No such voucher"}},
)
def revoke(code: str, request: Request, portal: PortalDep, who: OperatorDep) -> RevokeOut:
    name = portal.store.voucher_name(code)
    if name is None or not portal.store.revoke_voucher(name):
        raise HTTPException(404, "no such voucher")
    log.info("revoked voucher %s", name)
    record(portal, who, request, "voucher.revoke", name)
    return RevokeOut(name=name, revoked=True)


@router.get("/sessions", summary="Sessions (active by default), newest first")
def sessions(
    request: Request,
    portal: PortalDep,
    who: OperatorDep,
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
    seen = [s for s in found if who.sees(portal, s.hotspot)]
    private = private_devices(portal, seen)
    out = [session_out(s, private) for s in seen]
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
    req: DisconnectIn, request: Request, portal: PortalDep, who: OperatorDep
) -> DisconnectOut:
    out = disconnect(portal, req, who)
    record(portal, who, request, "session.disconnect", out.acct_session_id, out.result)
    return out


@router.get("/usage/today", summary="Today's usage per hotspot (since local midnight)")
def usage(portal: PortalDep, who: OperatorDep) -> list[HotspotUsageOut]:
    return [r for r in usage_today(portal) if who.sees(portal, r.hotspot)]


@router.get("/audit", summary="The audit trail, newest last")
def audit(
    portal: PortalDep,
    since: datetime | None = None,
    operator: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[AuditOut]:
    if since is not None and since.tzinfo is None:
        raise HTTPException(422, "since needs a time zone offset")
    rows = portal.store.audit_entries(since=since, operator=operator, limit=limit)
    return [_audit_out(e) for e in rows]


@router.get("/operators", summary="Operator accounts")
def operators(portal: PortalDep) -> list[OperatorOut]:
    return [
        OperatorOut(
            name=o.name, role=o.role, sites=sorted(o.sites), enabled=o.enabled, totp=o.has_totp
        )
        for o in portal.store.operators()
    ]


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


#: ``/api/docs``: Swagger UI for the operators' API, every file served by the portal.
docs_router = APIRouter(prefix="/api/docs", include_in_schema=False)


@docs_router.get("", response_class=HTMLResponse)
@docs_router.get("/", response_class=HTMLResponse)
def docs_page(request: Request) -> Response:
    root = str(request.scope.get("root_path", "")).rstrip("/")
    nonce = request.state.nonce = secrets.token_urlsafe(16)
    app = request.app
    body = _docs_page(app.title, f"{root}/api/docs", f"{root}{app.openapi_url}", nonce)
    return HTMLResponse(body)


@docs_router.get("/{name}")
def docs_asset(name: str) -> Response:
    media = DOCS_ASSETS.get(name)
    if media is None:
        raise HTTPException(404, "not found")
    data = (resources.files("swagger_ui") / "static" / name).read_bytes()
    return Response(data, media_type=media, headers={"Cache-Control": "public, max-age=86400"})
