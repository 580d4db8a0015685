"""``netops lab gateway``: a simulated hotspot gateway in front of the portal.

Kept apart from :mod:`netops.cli.lab` so that ``netops portal gateway-sim``, its old name,
can offer the same options without loading the whole lab.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from netops.cli.common import InventoryOpt, absolute_path, console, get_inventory
from netops.errors import NetopsError
from netops.inventory.models import Device, Hotspot, Inventory, RadiusProfile

if TYPE_CHECKING:
    from netops.lab.gateway import GatewaySim
    from netops.lab.internet import InternetSim


def gateway(
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
    internet: Annotated[
        bool,
        typer.Option(
            "--internet/--no-internet",
            help="Behind the gateway, a stand-in internet on loopback that answers phones' "
            "connectivity probes as Google, Apple, Microsoft and Mozilla do.",
        ),
    ] = True,
) -> None:
    """Run a simulated MikroTik (or CoovaChilli) hotspot gateway in front of the portal.

    Open its URL in a browser: it redirects to the portal like a real hotspot, logs you in
    over real RADIUS (CHAP) and sends accounting. Phones' probes (a request whose Host is
    captive.apple.com, connectivitycheck.gstatic.com, www.msftconnecttest.com,
    detectportal.firefox.com …) are redirected to the portal before the login and reach
    the stand-in internet after it.
    """
    from netops.lab.gateway import GatewaySim
    from netops.lab.internet import InternetSim
    from netops.portal.service import parse_listen

    _log_to_stderr()
    inv = get_inventory(inventory)
    spot, gateway, profile = _pick_hotspot(inv, hotspot)
    radius_host, auth_port = _radius_server(inv, radius)
    http_host, http_port = parse_listen(listen)
    world = InternetSim() if internet else None
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
    _start(sim, world)
    beyond = f", internet {world.base_url}" if world is not None else ""
    console.print(
        f"netops lab gateway ({sim.flavour}): hotspot {spot.id} at {sim.base_url}/ "
        f"(CoA udp {coa_host}:{sim.coa_port}), RADIUS {radius_host}:{auth_port}, "
        f"portal {sim.portal_url}{beyond}"
    )
    sys.stdout.flush()
    _serve_until_stopped(sim, world)


def _log_to_stderr() -> None:
    """The gateway's log lines (logins, accounting, CoA) on stderr, with times."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _pick_hotspot(inv: Inventory, hotspot: str | None) -> tuple[Hotspot, Device, RadiusProfile]:
    """The hotspot to simulate (``--hotspot`` or the inventory's first), its gateway device
    and that gateway's RADIUS profile."""
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
    return spot, gateway, profile


def _radius_server(inv: Inventory, radius: str | None) -> tuple[str, int]:
    """``--radius`` ADDR:AUTHPORT, or the inventory's first RADIUS server and auth port."""
    from netops.portal.service import parse_listen

    if radius is not None:
        return parse_listen(radius)
    servers = inv.services.radius.servers
    return (str(servers[0]) if servers else "127.0.0.1"), inv.services.radius.auth_port


def _start(sim: GatewaySim, world: InternetSim | None) -> None:
    """Start the stand-in internet, then the gateway in front of it (the internet is
    stopped again if the gateway cannot start)."""
    if world is not None:
        world.start()
        sim.internet_url = world.base_url
    try:
        sim.start()
    except NetopsError:
        if world is not None:
            world.stop()
        raise


def _serve_until_stopped(sim: GatewaySim, world: InternetSim | None) -> None:
    """Keep the gateway (and its stand-in internet) up until SIGTERM or Ctrl-C."""
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if world is not None:
            world.stop()


def tls(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for lab-ca.pem, portal.pem, portal-key.pem.",
            callback=absolute_path,
        ),
    ] = Path("var/lab-tls"),
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            help="DNS name or address the certificate is for (repeatable; default: "
            "localhost, 127.0.0.1, ::1).",
            show_default=False,
        ),
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=825, help="Validity.")] = 30,
) -> None:
    """Create the lab's own CA and a portal certificate signed by it.

    Serve the portal with `netops portal serve --tls-cert OUT/portal.pem --tls-key
    OUT/portal-key.pem` and trust OUT/lab-ca.pem in the client (curl --cacert …).
    """
    from netops.lab.tls import make_lab_tls

    made = make_lab_tls(out, tuple(names) if names else ("localhost", "127.0.0.1", "::1"), days)
    console.print(
        f"netops lab tls: CA {made.ca_cert}, certificate {made.cert}, key {made.key} "
        f"(valid {days} days)"
    )
