"""The lab's RouterOS process: one RouterOS lab device playing one inventory device.

Started by the lab supervisor (``netops lab up``) as
``python -m netops.lab.routeros_target --inventory DIR --device HOSTNAME --state-dir DIR``;
serves the RouterOS API (plain, or API-SSL when the inventory's ``api.tls`` says so) and
``/export`` over SSH at the device's management address, and runs until SIGTERM. The login
comes from the inventory's credentials profile, resolved here in memory: never from the
command line, never written to a file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory import load_inventory
from netops.lab.plan import plan_routeros
from netops.lab.routeros.device import DeviceOptions, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netops-lab-routeros", description=__doc__)
    parser.add_argument("--inventory", required=True, type=Path)
    parser.add_argument("--device", required=True)
    parser.add_argument("--state-dir", required=True, type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    try:
        inventory = load_inventory(args.inventory)
        targets, _ = plan_routeros(inventory)
        target = next((t for t in targets if t.device == args.device), None)
        if target is None:
            raise NetopsError(f"{args.device}: not a RouterOS lab device of {args.inventory}")
        device = inventory.device(target.device)
        creds = inventory.credentials.get(device.credentials or "")
        if creds is None:
            raise NetopsError(f"{device.hostname}: no credentials profile for its lab device")
        api = (target.address, target.api_port)
        options = DeviceOptions(
            state_dir=args.state_dir,
            identity=device.hostname,
            version=target.version,
            user=creds.username,
            password=creds.password.reveal(),
            api=None if target.tls else api,
            api_ssl=api if target.tls else None,
            ssh=(target.address, target.ssh_port),
            ports=tuple(
                dict.fromkeys(
                    [f"ether{n}" for n in range(1, 6)]
                    + [i.name for i in device.interfaces if i.name.startswith("ether")]
                )
            ),
            time_zone=inventory.meta.timezone,
        )
    except NetopsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2

    def ready(_: object) -> None:
        for service, (host, port) in options.bound.items():
            print(f"{target.device}: RouterOS {target.version} {service} on {host}:{port}")
        sys.stdout.flush()

    async def run() -> None:
        task = asyncio.ensure_future(serve(options, ready))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(run())
    except NetopsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
