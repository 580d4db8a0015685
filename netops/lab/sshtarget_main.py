"""The lab's FakeNOS process: one SSH server playing one lab device.

Started by the lab supervisor (``netops lab up``) as
``python -m netops.lab.sshtarget_main --inventory DIR --device HOSTNAME``; listens on the
device's management address and ``ssh_port`` and runs until SIGTERM. The login password is
read from the inventory's credentials profile here, never from the command line.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path

from netops.errors import NetopsError
from netops.inventory import load_inventory
from netops.lab.sshtargets import fakenos_inventory, plan_ssh_targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netops-lab-sshtarget", description=__doc__)
    parser.add_argument("--inventory", required=True, type=Path)
    parser.add_argument("--device", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    # paramiko logs every handshake a client abandons as a traceback; the thread's own
    # report below says it in one line.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    try:
        inventory = load_inventory(args.inventory)
        targets, _ = plan_ssh_targets(inventory)
        target = next((t for t in targets if t.device == args.device), None)
        if target is None:
            raise NetopsError(f"{args.device}: not a FakeNOS SSH target of {args.inventory}")
        device = inventory.device(target.device)
        creds = inventory.credentials.get(device.credentials or "")
        if creds is None:
            raise NetopsError(f"{device.hostname}: no credentials profile for its SSH target")
        doc = fakenos_inventory(
            [target], {device.hostname: device}, creds.username, creds.password.reveal()
        )
    except NetopsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2

    from fakenos import FakeNOS  # type: ignore[import-untyped]

    threading.excepthook = _one_line_for_dropped_handshakes
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    net = FakeNOS(inventory=doc)
    net.start()
    print(f"{target.device}: FakeNOS {target.nos} SSH on {target.endpoint}", flush=True)
    try:
        stop.wait()
    finally:
        net.stop()
    return 0


def _one_line_for_dropped_handshakes(args: threading.ExceptHookArgs) -> None:
    """A client that hangs up during the SSH handshake (``lab up``'s readiness probe, a port
    scan) ends FakeNOS's connection thread with EOFError or SSHException: log one line for
    it instead of a traceback; anything else keeps Python's default report."""
    from paramiko.ssh_exception import SSHException  # type: ignore[import-untyped]

    if args.exc_type is not None and issubclass(args.exc_type, EOFError | SSHException):
        print(f"connection dropped during the SSH handshake ({args.exc_value!r})", flush=True)
        return
    threading.__excepthook__(args)


if __name__ == "__main__":
    sys.exit(main())
