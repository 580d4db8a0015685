"""Helpers for the RADIUS server tests: ``netops radius serve`` as a process, FreeRADIUS's
``radclient``, a throwaway PostgreSQL (tests/support/postgres.py).

The test inventory is the loopback lab plus two more NAS on other loopback addresses, so
one server answers three platforms / hardening settings:

- 127.0.0.1 ``lab-hs-01``: MikroTik, ``auto`` hardening, Bahasa Indonesia
- 127.0.0.2 ``lab-hs-02``: CoovaChilli, ``auto`` hardening
- 127.0.0.3 ``lab-hs-03``: MikroTik, ``require_message_authenticator: yes``, English

radclient sends from one of them with ``Packet-Src-IP-Address``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.radius_serve import SERVE_ON_PORT_ZERO

REPO = Path(__file__).resolve().parents[3]
SECRET = "testing123"
STRICT_SECRET = "strict-secret-1"
NETOPS = [sys.executable, "-m", "netops"]


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(
            f"{tool} is not installed: it is the real peer of these tests "
            "(Debian freeradius-utils; run make debs)"
        )
    return path


EXTRA_DEVICES = """
  - hostname: lab-hs-02
    site: lab-park
    role: hotspot-gateway
    platform: coovachilli
    radius: lab-nas
    mgmt_ip: 127.0.0.2
  - hostname: lab-hs-03
    site: lab-park
    role: hotspot-gateway
    platform: mikrotik_routeros
    radius: strict-nas
    mgmt_ip: 127.0.0.3
"""

EXTRA_PROFILES = """
  strict-nas:
    secret: {strict}
    require_message_authenticator: yes
    limit_proxy_state: yes
    language: en
    coa_port: {coa_port}
"""

EXTRA_PLANS = """  - name: turis
    description: Visitors, in English
    session_timeout: 1h
    language: en
"""

EXTRA_HOTSPOTS = """
  - id: lab-chilli
    site: lab-park
    gateway: lab-hs-02
    ssid: WiFi Gratis Chilli
    plan: gratis
  - id: lab-strict
    site: lab-park
    gateway: lab-hs-03
    ssid: WiFi Gratis Strict
    plan: gratis
"""


def make_inventory(target: Path, coa_port: int = 3799) -> Path:
    """The lab inventory plus two NAS; the lab NAS's CoA port set to ``coa_port``."""
    shutil.copytree(REPO / "inventory" / "lab", target)
    devices = target / "devices.yml"
    devices.write_text(devices.read_text() + EXTRA_DEVICES)
    profiles = target / "profiles.yml"
    text = profiles.read_text()
    text = text.replace(
        "    language: id\n",
        f"    language: id\n    coa_port: {coa_port}\n"
        + EXTRA_PROFILES.format(strict=STRICT_SECRET, coa_port=coa_port),
        1,
    )
    profiles.write_text(text)
    hotspots = target / "hotspots.yml"
    text = hotspots.read_text().replace("plans:\n", "plans:\n" + EXTRA_PLANS, 1)
    hotspots.write_text(text + EXTRA_HOTSPOTS)
    return target


_LISTENING = re.compile(r"auth (\d+) acct (\d+), metrics (\S+),")


@dataclass
class RadiusProcess:
    """A running ``netops radius serve``."""

    proc: subprocess.Popen[str]
    auth_port: int
    acct_port: int
    metrics_url: str
    log: Path
    db: str
    lines: list[str] = field(default_factory=list)

    def metrics(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            return str(response.read().decode())

    def counter(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` whose labels include ``labels``."""
        from prometheus_client.parser import text_string_to_metric_families

        total = 0.0
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    total += sample.value
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


ServerFactory = Callable[..., RadiusProcess]
"""What the ``server_factory`` fixtures give: start a server, stopped after the test."""


def start_server(
    inventory: Path,
    db: str,
    workdir: Path,
    *extra: str,
    name: str = "radius",
) -> RadiusProcess:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    env = dict(os.environ)
    env["NETOPS_INVENTORY"] = str(inventory)
    env["NETOPS_DB"] = db
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [
        *NETOPS,
        *SERVE_ON_PORT_ZERO,
        "--metrics-listen",
        "127.0.0.1:0",
        *extra,
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        match = _LISTENING.search(line)
        if match:
            return RadiusProcess(
                proc, int(match.group(1)), int(match.group(2)), match.group(3), log, db
            )
    proc.kill()
    proc.wait()
    pytest.fail(f"netops radius serve did not start: {line!r}\n{log.read_text()}")


@dataclass
class RadReply:
    """What radclient printed: the reply code name (None: no reply) and attributes."""

    code: str | None
    attributes: dict[str, list[str]]
    order: list[str]
    output: str


_RECEIVED = re.compile(r"^Received (\S+) Id \d+ from")


def radclient(
    port: int,
    command: str,
    attrs: list[tuple[str, str]],
    *,
    secret: str = SECRET,
    source: str | None = None,
    timeout: float = 3.0,
    retries: int = 1,
) -> RadReply:
    """Send one request with FreeRADIUS's radclient and parse what came back."""
    lines = [f"{name} = {value}" for name, value in attrs]
    if source:
        lines.append(f"Packet-Src-IP-Address = {source}")
    result = subprocess.run(
        [
            need("radclient"),
            "-x",
            "-r",
            str(retries),
            "-t",
            str(timeout),
            f"127.0.0.1:{port}",
            command,
            secret,
        ],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=timeout * (retries + 1) + 10,
    )
    output = result.stdout + result.stderr
    code = None
    attributes: dict[str, list[str]] = {}
    order: list[str] = []
    receiving = False
    for line in output.splitlines():
        match = _RECEIVED.match(line)
        if match:
            code = match.group(1)
            receiving = True
            continue
        if receiving and line.startswith("\t") and " = " in line:
            name, _, val = line.strip().partition(" = ")
            attributes.setdefault(name, []).append(val.strip('"'))
            order.append(name)
        elif receiving and not line.startswith("\t"):
            receiving = False
    return RadReply(code, attributes, order, output)


PHONE = '"02-00-00-00-00-01"'


def account(server: RadiusProcess, user: str, status: str, session: str, mac: str) -> None:
    """One Accounting-Request from phone ``mac`` (a Stop after 60 s and 1000 octets),
    answered by ``server``."""
    attrs = [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", status),
        ("Acct-Session-Id", f'"{session}"'),
        ("Calling-Station-Id", f'"{mac}"'),
        ("Framed-IP-Address", "10.5.50.23"),
    ]
    if status == "Stop":
        attrs += [("Acct-Session-Time", "60"), ("Acct-Input-Octets", "1000")]
    assert radclient(server.acct_port, "acct", attrs).code == "Accounting-Response"


def pap(
    user: str, password: str, *, ma: bool = True, mac: str = PHONE, **extra: str
) -> list[tuple[str, str]]:
    """An Access-Request with PAP (and a Message-Authenticator unless ``ma=False``)."""
    attrs = [("User-Name", f'"{user}"'), ("User-Password", f'"{password}"')]
    if ma:
        attrs.append(("Message-Authenticator", "0x00"))
    attrs.append(("Calling-Station-Id", mac))
    attrs.extend((k.replace("_", "-"), v) for k, v in extra.items())
    return attrs


def chap(user: str, password: str, *, ma: bool = True, mac: str = PHONE) -> list[tuple[str, str]]:
    """An Access-Request with CHAP (radclient computes it from the clear password)."""
    attrs = [("User-Name", f'"{user}"'), ("CHAP-Password", f'"{password}"')]
    if ma:
        attrs.append(("Message-Authenticator", "0x00"))
    attrs.append(("Calling-Station-Id", mac))
    return attrs


class TestNas:
    """A NAS's Dynamic Authorization listener (RFC 5176) on loopback, in a thread.

    Records every Disconnect-/CoA-Request it receives (decoded, with whether its
    authenticators were right) and answers ACK, or NAK with ``error_cause``.
    """

    __test__ = False

    def __init__(self, secret: str = SECRET, nak: str | None = None) -> None:
        import socket
        import threading

        from netops.radius.dictionary import load_dictionary

        self.secret = secret.encode()
        self.nak = nak
        self.dictionary = load_dictionary()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.received: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from pyrad import packet as rp

        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            req = rp.CoAPacket(packet=data, secret=self.secret, dict=self.dictionary)
            record = {
                "code": req.code,
                "authentic": req.VerifyCoARequest(),
                "message_authenticator": bool(req.message_authenticator)
                and req.verify_message_authenticator(),
                "attributes": {k: req[k] for k in req.keys() if isinstance(k, str)},  # noqa: SIM118
            }
            self.received.append(record)
            reply = req.CreateReply()
            if self.nak:
                reply.code = rp.DisconnectNAK if req.code == rp.DisconnectRequest else rp.CoANAK
                reply.AddAttribute("Error-Cause", self.nak)
            self.sock.sendto(reply.ReplyPacket(), addr)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


def netops(
    *args: str, inventory: Path, db: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the netops CLI as a user would (a fresh process)."""
    env = dict(os.environ)
    env["NETOPS_INVENTORY"] = str(inventory)
    env["NETOPS_DB"] = db
    env["COLUMNS"] = "200"
    return subprocess.run(
        [*NETOPS, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
