"""``netops portal serve | gateway-sim``: the captive portal and a simulated gateway."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Annotated

import typer

from netops.cli.common import DbOpt, InventoryOpt, console, db_url, get_inventory
from netops.errors import NetopsError

app = typer.Typer(
    help="Captive portal for the free Wi-Fi: citizens' login pages and the operator console.",
    no_args_is_help=True,
)


#: ``netops.portal.app.ADMIN_TOKEN_ENV``, named here so the check does not load the app.
ADMIN_TOKEN_ENV = "NETOPS_ADMIN_TOKEN"


def check_admin_token() -> None:
    """Refuse to start a portal whose operator token is too short or a placeholder.

    Unset is allowed: the console is then closed to everyone (the portal warns)."""
    from netops.portal.security import admin_token_problem

    token = os.environ.get(ADMIN_TOKEN_ENV)
    if not token:
        return
    problem = admin_token_problem(token)
    if problem is not None:
        raise NetopsError(
            f"{ADMIN_TOKEN_ENV} {problem}, so the operator console could be guessed: "
            "set it to a random value such as the output of `openssl rand -base64 32`"
        )


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)


@app.command()
def serve(
    inventory: InventoryOpt = None,
    db: DbOpt = None,
    listen: Annotated[
        str | None,
        typer.Option(
            "--listen",
            help="ADDR:PORT to serve on (default: 0.0.0.0 and the port of services.portal.url).",
            show_default=False,
        ),
    ] = None,
    coa_port: Annotated[
        int | None,
        typer.Option(
            "--coa-port",
            min=1,
            max=65535,
            help="Port for Disconnect-Requests from the console (default: the NAS profile's).",
        ),
    ] = None,
    chap_in_browser: Annotated[
        bool,
        typer.Option(
            "--chap-in-browser",
            help="MikroTik http-chap: post voucher and account logins straight to the gateway, "
            "the page computing the CHAP answer (RouterOS's way; no portal pre-check or "
            "rate limit).",
        ),
    ] = False,
    access_log: Annotated[
        bool,
        typer.Option(
            "--access-log/--no-access-log",
            help="Log every HTTP request (URLs carry citizens' MAC and IP addresses).",
        ),
    ] = False,
    failures_per_hotspot: Annotated[
        int,
        typer.Option(
            "--failures-per-hotspot",
            min=1,
            help="Failed logins a hotspot's phones may make together in 10 minutes.",
        ),
    ] = 300,
    clickthrough_per_hour: Annotated[
        int,
        typer.Option(
            "--clickthrough-per-hour",
            min=1,
            help="New click-through allowances per hotspot per hour.",
        ),
    ] = 1000,
    clickthrough_per_day: Annotated[
        int,
        typer.Option(
            "--clickthrough-per-day",
            min=1,
            help="New click-through allowances per hotspot per day.",
        ),
    ] = 5000,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    """Serve the captive portal, the captive-portal API (RFC 8908) and the operator console.

    The console and its API need $NETOPS_ADMIN_TOKEN, at least 32 random characters
    (`openssl rand -base64 32`); a shorter one or a placeholder is refused. Set
    $NETOPS_PORTAL_SECRET when several portal processes serve one city, so that their
    cookies agree.
    """
    from netops.portal.service import default_listen
    from netops.portal.service import serve as run

    check_admin_token()
    _logging(verbose)
    inv = get_inventory(inventory)
    assert inventory is not None
    where = listen or default_listen(inv.services.portal.url)

    def announce(url: str) -> None:
        console.print(
            f"netops portal: serving {url} (console {url}admin/, API {url}api/docs) "
            f"for {inv.meta.name or inv.meta.city}, {len(inv.hotspots)} hotspot(s)"
        )
        sys.stdout.flush()

    run(
        inventory,
        db_url(db),
        where,
        coa_port=coa_port,
        chap_in_browser=chap_in_browser,
        access_log=access_log,
        announce=announce,
        limits={
            "hotspot_limit": failures_per_hotspot,
            "clickthrough_hourly": clickthrough_per_hour,
            "clickthrough_daily": clickthrough_per_day,
        },
    )


@app.command("gateway-sim")
def gateway_sim(
    inventory: InventoryOpt = None,
    hotspot: Annotated[
        str | None,
        typer.Option("--hotspot", help="Hotspot to simulate (default: the inventory's first)."),
    ] = None,
    listen: Annotated[
        str, typer.Option("--listen", help="ADDR:PORT for the gateway's web side (0: any port).")
    ] = "127.0.0.1:0",
    coa_listen: Annotated[
        str, typer.Option("--coa-listen", help="ADDR:PORT for Disconnect-Requests.")
    ] = "127.0.0.1:0",
    radius: Annotated[
        str | None,
        typer.Option(
            "--radius",
            help="RADIUS server ADDR:AUTHPORT (default: services.radius, first server).",
            show_default=False,
        ),
    ] = None,
    acct_port: Annotated[
        int | None,
        typer.Option("--acct-port", min=1, max=65535, help="Accounting port (default: auth+1)."),
    ] = None,
    portal: Annotated[
        str | None,
        typer.Option(
            "--portal", help="Portal URL (default: services.portal.url).", show_default=False
        ),
    ] = None,
    pap: Annotated[
        bool, typer.Option("--pap", help="Offer http-pap only (no CHAP challenge).")
    ] = False,
    coova: Annotated[
        bool,
        typer.Option(
            "--coova", help="Play a CoovaChilli UAM gateway (services.portal.uam_secret)."
        ),
    ] = False,
) -> None:
    """Run a simulated MikroTik (or CoovaChilli) hotspot gateway in front of the portal.

    Open its URL in a browser: it redirects to the portal like a real hotspot, logs you in
    over real RADIUS (CHAP) and sends accounting.
    """
    from netops.portal.gateway_sim import GatewaySim
    from netops.portal.service import parse_listen

    _logging(False)
    inv = get_inventory(inventory)
    spots = {h.id: h for h in inv.hotspots}
    if not spots:
        raise NetopsError("the inventory has no hotspots to simulate")
    if hotspot is not None and hotspot not in spots:
        raise NetopsError(f"hotspot {hotspot!r} is not in the inventory ({', '.join(spots)})")
    spot = spots[hotspot] if hotspot else inv.hotspots[0]
    gateway = inv.device(spot.gateway)
    profile = inv.radius.get(gateway.radius or "")
    if profile is None:
        raise NetopsError(f"gateway {gateway.hostname} has no RADIUS profile in the inventory")
    if radius is not None:
        radius_host, auth_port = parse_listen(radius)
    else:
        servers = inv.services.radius.servers
        radius_host = str(servers[0]) if servers else "127.0.0.1"
        auth_port = inv.services.radius.auth_port
    http_host, http_port = parse_listen(listen)
    coa_host, coa_port = parse_listen(coa_listen)
    sim = GatewaySim(
        portal_url=portal or inv.services.portal.url,
        radius_host=radius_host,
        auth_port=auth_port,
        acct_port=acct_port or (auth_port + 1 if radius else inv.services.radius.acct_port),
        secret=profile.secret.reveal(),
        nas_identifier=gateway.hostname,
        hotspot=spot.id,
        client_prefix=str(spot.client_prefix or "10.254.200.0/24"),
        listen_host=http_host,
        listen_port=http_port,
        coa_host=coa_host,
        coa_port=coa_port,
        chap=not pap,
        flavour="coova" if coova else "mikrotik",
        uam_secret=uam.reveal() if (uam := inv.services.portal.uam_secret) else None,
    )
    sim.start()
    console.print(
        f"netops gateway-sim ({sim.flavour}): hotspot {spot.id} at {sim.base_url}/ "
        f"(CoA udp {coa_host}:{sim.coa_port}), RADIUS {radius_host}:{auth_port}, "
        f"portal {sim.portal_url}"
    )
    sys.stdout.flush()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
