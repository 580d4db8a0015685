"""Kannel for the lab and the demo: ``bearerbox`` + ``smsbox`` with the test SMSC
``fakesmsc`` (Debian ``kannel`` and ``kannel-extras``), as one supervised component.

``python -m netops.lab.kannel --dir DIR --sendsms URL --username U`` (the password in
``$NETOPS_LAB_KANNEL_PASSWORD``, never on the command line) writes
``DIR/kannel.conf``, starts the three in order on loopback (the ``sendsms`` port of URL, the
others chosen free), and keeps them until SIGTERM. Every SMS the portal sends ends at
fakesmsc, whose log ``DIR/sms.log`` is the one place the lab's sign-up codes can be read:
Kannel's own logs run at warning level, which names no message text.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

FAKESMSC = Path("/usr/lib/kannel/test/fakesmsc")
SMS_LOG = "sms.log"
PASSWORD_ENV = "NETOPS_LAB_KANNEL_PASSWORD"


def missing() -> str | None:
    """What is not installed for the lab's Kannel, in one sentence; None when all is."""
    tools = [t for t in ("bearerbox", "smsbox") if shutil.which(t) is None]
    if tools:
        verb = "is" if len(tools) == 1 else "are"
        return f"{' and '.join(tools)} {verb} missing; install the Debian package kannel"
    if not FAKESMSC.exists():
        return f"{FAKESMSC} is missing; install the Debian package kannel-extras"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, what: str, proc: subprocess.Popen[bytes], wait: float = 20.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: {what} exited with status {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"error: {what} did not listen on 127.0.0.1:{port} within {wait:g} s")


def config(work: Path, ports: dict[str, int], username: str, password: str) -> str:
    """kannel.conf: a core with one fake SMSC, an smsbox whose sendsms-user is the portal's."""
    return f"""group = core
admin-port = {ports["admin"]}
admin-password = {password}
admin-interface = 127.0.0.1
admin-allow-ip = 127.0.0.1
smsbox-port = {ports["box"]}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = {work}/bearerbox.log
log-level = 3
store-type = spool
store-location = {work}/spool

group = smsc
smsc = fake
smsc-id = fake
host = 127.0.0.1
port = {ports["smsc"]}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports["box"]}
sendsms-port = {ports["sendsms"]}
sendsms-interface = 127.0.0.1
global-sender = 1717
log-file = {work}/smsbox.log
log-level = 3

group = sendsms-user
username = {username}
password = {password}
user-allow-ip = 127.0.0.1

group = sms-service
keyword = default
text = "-"
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="netops-lab-kannel", description=__doc__)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--sendsms", required=True, help="the inventory's services.sms.url")
    parser.add_argument("--username", required=True)
    args = parser.parse_args(argv)
    password = os.environ.get(PASSWORD_ENV, "")
    if (why := missing()) is not None:
        print(f"error: {why}", file=sys.stderr)
        return 1
    work: Path = args.dir.resolve()
    (work / "spool").mkdir(parents=True, exist_ok=True)
    sendsms = urlsplit(args.sendsms).port or 13013
    ports = {"admin": _free_port(), "box": _free_port(), "smsc": _free_port(), "sendsms": sendsms}
    conf = work / "kannel.conf"
    conf.write_text(config(work, ports, args.username, password), encoding="utf-8")
    conf.chmod(0o600)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    procs: list[subprocess.Popen[bytes]] = []

    def start(cmd: list[str], err: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err.open("ab"))
        procs.append(proc)
        return proc

    try:
        box = start(["bearerbox", str(conf)], work / "bearerbox.err")
        _wait_port(ports["smsc"], "bearerbox", box)
        smsc = [str(FAKESMSC), "-H", "127.0.0.1", "-r", str(ports["smsc"]), "-m", "0", "0 0 text -"]
        start(smsc, work / SMS_LOG)
        smsbox = start(["smsbox", str(conf)], work / "smsbox.err")
        _wait_port(sendsms, "smsbox", smsbox)
        print(f"kannel: sendsms on 127.0.0.1:{sendsms}; SMS arrive in {work / SMS_LOG}", flush=True)
        while not stop.wait(0.5):
            if any(p.poll() is not None for p in procs):
                print("error: a Kannel process exited", file=sys.stderr)
                return 1
        return 0
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


if __name__ == "__main__":
    raise SystemExit(main())
