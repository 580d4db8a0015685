"""Run one lab RouterOS until SIGTERM or Ctrl-C.

    python -m netops.lab.routeros --state-dir DIR --api 127.0.0.1:8728 \\
        [--api-ssl 127.0.0.1:8729] [--ssh 127.0.0.1:2222] --identity NAME \\
        --version 7.16 --user admin --password-env VAR

The password is read from the environment variable named by ``--password-env`` (or the
file named by ``--password-file``), never from the command line. Prints one line per
service when it listens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from netops.errors import NetopsError
from netops.lab.routeros.device import DeviceOptions, serve
from netops.lab.routeros.state import DeviceState

VERSIONS = ("7.16", "6.49")


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host.strip("[]"), int(port)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m netops.lab.routeros", description=__doc__)
    p.add_argument("--state-dir", required=True, type=Path, help="folder for state.json")
    p.add_argument("--api", type=_address, help="HOST:PORT for the plain API (8728-style)")
    p.add_argument("--api-ssl", type=_address, help="HOST:PORT for API-SSL (8729-style)")
    p.add_argument("--ssh", type=_address, help="HOST:PORT for the SSH console")
    p.add_argument("--identity", default="MikroTik", help="/system identity name")
    p.add_argument("--version", default="7.16", choices=VERSIONS, help="RouterOS version")
    p.add_argument("--user", default="admin", help="login user, created when missing")
    secret = p.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-env", help="environment variable holding the password")
    secret.add_argument("--password-file", type=Path, help="file holding the password")
    p.add_argument(
        "--ports",
        default="ether1,ether2,ether3,ether4,ether5",
        help="comma-separated ethernet interfaces",
    )
    p.add_argument(
        "--wireless",
        default=None,
        help="comma-separated radios, '' for none (default wlan1 on 6.x, wifi1,wifi2 on 7.x)",
    )
    p.add_argument("--time-zone", default="UTC", help="device clock time zone (IANA name)")
    p.add_argument("--certificate", type=Path, help="PEM certificate for API-SSL")
    p.add_argument("--key", type=Path, help="PEM key for --certificate")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    try:
        password = _password(args)
        if not (args.api or args.api_ssl):
            raise NetopsError("give --api or --api-ssl (or both)")
        if bool(args.certificate) != bool(args.key):
            raise NetopsError("--certificate and --key go together")
        options = DeviceOptions(
            state_dir=args.state_dir.resolve(),
            identity=args.identity,
            version=args.version,
            user=args.user,
            password=password,
            api=args.api,
            api_ssl=args.api_ssl,
            ssh=args.ssh,
            ports=tuple(p for p in args.ports.split(",") if p),
            wireless=(
                tuple(w for w in args.wireless.split(",") if w)
                if args.wireless is not None
                else None
            ),
            time_zone=args.time_zone,
            certificate=(args.certificate, args.key) if args.certificate else None,
        )
        asyncio.run(_run(options))
    except NetopsError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_env is not None:
        value = os.environ.get(str(args.password_env), "")
        if not value:
            raise NetopsError(f"--password-env: variable {args.password_env} is unset or empty")
        return value
    path = Path(args.password_file)
    try:
        password = path.read_text().rstrip("\r\n")
    except OSError as exc:
        raise NetopsError(
            f"--password-file: cannot read {args.password_file} ({exc.strerror})"
        ) from None
    if not password:
        raise NetopsError(f"--password-file: {args.password_file} is empty")
    return password


async def _run(options: DeviceOptions) -> None:
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        if task is not None:
            loop.add_signal_handler(sig, task.cancel)

    def ready(state: DeviceState) -> None:
        for service, (host, port) in options.bound.items():
            print(
                f"{state.identity}: RouterOS {state.version} {service} on {host}:{port}", flush=True
            )

    with contextlib.suppress(asyncio.CancelledError):
        await serve(options, ready)


if __name__ == "__main__":
    sys.exit(main())
