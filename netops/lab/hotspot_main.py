"""The lab's hotspot process: a simulated gateway for one hotspot, with citizens browsing.

Started by the lab supervisor (``netops lab up``) as
``python -m netops.lab.hotspot_main --inventory DIR --hotspot ID --state FILE …``; writes
``FILE`` (JSON: the gateway's URL and CoA port) once it listens, and runs until SIGTERM.
Secrets (the NAS's RADIUS secret) are read from the inventory here, never from the
command line.

With ``--device-state DIR`` (the state folder of the lab RouterOS device that plays the
hotspot's gateway, as ``netops lab up`` passes it) the gateway takes RADIUS, secret, CoA
port, identity, login page and walled garden from what ``netops config push`` put on that
device (:mod:`netops.lab.hotspot_config`) and ignores ``--radius``, ``--acct-port``,
``--portal`` and ``--coa-listen``'s port; its citizens use it as their proxy, so they reach
the portal only through its walled garden.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory import load_inventory
from netops.lab.hotspot import GatewaySimAdapter, Hotspot
from netops.service.state import write_state


def _hostport(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not ADDR:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netops-lab-hotspot", description=__doc__)
    parser.add_argument("--inventory", required=True, type=Path)
    parser.add_argument("--hotspot", required=True)
    parser.add_argument("--state", required=True, type=Path)
    parser.add_argument("--listen", type=_hostport, default=("127.0.0.1", 0))
    parser.add_argument("--coa-listen", type=_hostport, default=None)
    parser.add_argument("--radius", type=_hostport, default=None, help="ADDR:AUTHPORT")
    parser.add_argument("--acct-port", type=int, default=None)
    parser.add_argument("--portal", default=None, help="portal URL")
    parser.add_argument("--internet", default=None, help="the stand-in internet's URL")
    parser.add_argument("--citizens", type=int, default=3)
    parser.add_argument("--interim", type=float, default=15.0)
    parser.add_argument(
        "--device-state",
        type=Path,
        default=None,
        help="state folder of the lab RouterOS device whose pushed config the gateway plays",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stdout
    )
    try:
        return _run(args)
    except NetopsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from netops.lab.gateway import GatewaySim

    inv = load_inventory(args.inventory)
    spot = inv.hotspot(args.hotspot)
    gateway = inv.device(spot.gateway)
    profile = inv.radius.get(gateway.radius or "")
    if profile is None:
        raise NetopsError(f"gateway {gateway.hostname} has no RADIUS profile in the inventory")
    radius = inv.services.radius
    host, auth_port = args.radius or (
        str(radius.servers[0]) if radius.servers else "127.0.0.1",
        radius.auth_port,
    )
    acct_port = args.acct_port or (auth_port + 1 if args.radius else radius.acct_port)
    coa_host, coa_port = args.coa_listen or (str(gateway.radius_source), profile.coa_port)
    sim = GatewaySim(
        portal_url=args.portal or inv.services.portal.url,
        radius_host=host,
        auth_port=auth_port,
        acct_port=acct_port,
        secret=profile.secret.reveal(),
        nas_identifier=gateway.hostname,
        hotspot=spot.id,
        client_prefix=str(spot.client_prefix or "10.254.200.0/24"),
        listen_host=args.listen[0],
        listen_port=args.listen[1],
        coa_host=coa_host,
        coa_port=coa_port,
        device_state=args.device_state.absolute() if args.device_state else None,
        internet_url=args.internet,
    )
    sim.start()
    hotspot = Hotspot(
        GatewaySimAdapter(sim),
        citizens=args.citizens,
        interim=args.interim,
        via_gateway=args.device_state is not None,
    )
    signal.signal(signal.SIGTERM, lambda *_: hotspot.stop.set())
    signal.signal(signal.SIGINT, lambda *_: hotspot.stop.set())
    write_state(
        args.state,
        {
            "hotspot": spot.id,
            "gateway": gateway.hostname,
            "url": sim.base_url,
            "coa": f"{coa_host}:{sim.coa_port}",
            "radius": f"{host}:{auth_port}/{acct_port}",
            "portal": sim.portal_url,
            # Phones use the gateway as their proxy: it plays the device's pushed config.
            "device_state": str(args.device_state.absolute()) if args.device_state else None,
        },
    )
    if args.device_state is not None:
        print(
            f"hotspot {spot.id}: gateway {sim.base_url}/ plays {gateway.hostname}'s pushed "
            f"hotspot config ({args.device_state})",
            flush=True,
        )
    else:
        print(f"hotspot {spot.id}: gateway {sim.base_url}/ RADIUS {host}:{auth_port}", flush=True)
    try:
        hotspot.run()
    finally:
        sim.stop()
        args.state.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
