"""``netops portal serve``: the captive portal (``gateway-sim``: the old name of
``netops lab gateway``, kept for one release)."""

from __future__ import annotations

import functools
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from netops import defaults, environment
from netops.cli.common import (
    DbOpt,
    InventoryOpt,
    absolute_path,
    console,
    db_url,
    get_inventory,
)
from netops.cli.lab_gateway import gateway
from netops.errors import NetopsError
from netops.inventory import Inventory

app = typer.Typer(
    help="Captive portal for the free Wi-Fi: citizens' login pages and the operator console.",
    no_args_is_help=True,
)


ADMIN_TOKEN_ENV = defaults.ADMIN_TOKEN_ENV


def check_admin_token() -> str | None:
    """The operator token (``$NETOPS_ADMIN_TOKEN``); refuse to start a portal whose token is
    too short or a placeholder.

    Unset is allowed (None): the console is then closed to everyone (the portal warns)."""
    from netops.portal.security import admin_token_problem

    token = os.environ.get(ADMIN_TOKEN_ENV)
    if not token:
        return None
    problem = admin_token_problem(token)
    if problem is not None:
        raise NetopsError(
            f"{ADMIN_TOKEN_ENV} {problem}, so the operator console could be guessed: "
            "set it to a random value such as the output of `openssl rand -base64 32`"
        )
    return token


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


ListenOpt = Annotated[
    str | None,
    typer.Option(
        "--listen",
        help="ADDR:PORT to serve on (default: 0.0.0.0 and the port of services.portal.url).",
        show_default=False,
    ),
]
CoaPortOpt = Annotated[
    int | None,
    typer.Option(
        "--coa-port",
        min=1,
        max=65535,
        help="Port for Disconnect-Requests from the console (default: the NAS profile's).",
    ),
]
ChapInBrowserOpt = Annotated[
    bool,
    typer.Option(
        "--chap-in-browser",
        help="MikroTik http-chap: post voucher and account logins straight to the gateway, "
        "the page computing the CHAP answer (RouterOS's way; no portal pre-check or "
        "rate limit).",
    ),
]
AccessLogOpt = Annotated[
    bool,
    typer.Option(
        "--access-log/--no-access-log",
        help="Log every HTTP request (URLs carry citizens' MAC and IP addresses).",
    ),
]
FailuresPerHotspotOpt = Annotated[
    int,
    typer.Option(
        "--failures-per-hotspot",
        min=1,
        help="Failed logins a hotspot's phones may make together in 10 minutes.",
    ),
]
ClickthroughPerHourOpt = Annotated[
    int,
    typer.Option(
        "--clickthrough-per-hour",
        min=1,
        help="New click-through allowances per hotspot per hour.",
    ),
]
ClickthroughPerDayOpt = Annotated[
    int,
    typer.Option(
        "--clickthrough-per-day",
        min=1,
        help="New click-through allowances per hotspot per day.",
    ),
]
TlsCertOpt = Annotated[
    Path | None,
    typer.Option(
        "--tls-cert",
        help="PEM certificate chain: serve HTTPS (default: services.portal.tls_cert).",
        show_default=False,
        callback=absolute_path,
    ),
]
TlsKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--tls-key",
        help="PEM private key of --tls-cert (default: services.portal.tls_key).",
        show_default=False,
        callback=absolute_path,
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")]


@app.command()
def serve(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    listen: ListenOpt = None,
    coa_port: CoaPortOpt = None,
    chap_in_browser: ChapInBrowserOpt = False,
    access_log: AccessLogOpt = False,
    failures_per_hotspot: FailuresPerHotspotOpt = 300,
    clickthrough_per_hour: ClickthroughPerHourOpt = 1000,
    clickthrough_per_day: ClickthroughPerDayOpt = 5000,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Serve the captive portal, the captive-portal API (RFC 8908) and the operator console.

    With --tls-cert/--tls-key (or services.portal.tls_cert/tls_key) it serves HTTPS: phones
    reach the RFC 8908 API that DHCP option 114 names only over TLS.

    The console and its API need $NETOPS_ADMIN_TOKEN, at least 32 random characters
    (`openssl rand -base64 32`); a shorter one or a placeholder is refused. Set
    $NETOPS_PORTAL_SECRET when several portal processes serve one city, so that their
    cookies agree.
    """
    from netops.portal.service import default_listen
    from netops.portal.service import serve as run

    admin_token = check_admin_token()
    secret = os.environ.get(defaults.PORTAL_SECRET_ENV) or None
    _logging(verbose)
    inv = get_inventory(inventory)
    assert inventory is not None
    where = listen or default_listen(inv.services.portal.url)
    tls = _tls(inv, inventory, tls_cert, tls_key)
    run(
        inventory,
        db_url(db),
        where,
        coa_port=coa_port,
        chap_in_browser=chap_in_browser,
        access_log=access_log,
        announce=functools.partial(_announce, inv),
        tls=tls,
        admin_token=admin_token,
        secret_key=secret.encode() if secret else None,
        keys=environment.store_keys(),
        branding_dir=environment.branding_dir(),
        radius_dictionary=environment.radius_dictionary(),
        limits={
            "hotspot_limit": failures_per_hotspot,
            "clickthrough_hourly": clickthrough_per_hour,
            "clickthrough_daily": clickthrough_per_day,
        },
    )


def _tls(
    inv: Inventory, inventory: Path, cert: Path | None, key: Path | None
) -> tuple[Path, Path] | None:
    """The certificate and key to serve HTTPS with: the options', else the inventory's
    ``services.portal.tls_cert``/``tls_key``; None serves plain HTTP."""
    from netops.portal.service import tls_files

    configured = inv.services.portal
    return tls_files(
        inventory,
        cert,
        key,
        (configured.tls_cert, configured.tls_key)
        if configured.tls_cert and configured.tls_key
        else None,
    )


def _announce(inv: Inventory, url: str) -> None:
    console.print(
        f"netops portal: serving {url} (console {url}admin/, API {url}api/docs) "
        f"for {inv.meta.name or inv.meta.city}, {len(inv.hotspots)} hotspot(s)"
    )
    sys.stdout.flush()


def gateway_sim(**options: Any) -> None:
    """Deprecated name of ``netops lab gateway`` (kept for one release)."""
    print(
        "warning: `netops portal gateway-sim` is deprecated and goes in the next release; "
        "use `netops lab gateway`",
        file=sys.stderr,
        flush=True,
    )
    gateway(**options)


app.command("gateway-sim", help="Deprecated: use `netops lab gateway` (same options).")(
    functools.wraps(gateway)(gateway_sim)
)
