"""The simulated hotspot gateway's RADIUS client (see :mod:`netops.lab.gateway`): its
sessions, Access-Requests (PAP and CHAP), accounting and Interim-Updates, against the
RADIUS server of its options or of the pushed configuration."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvicorn
from pyrad import packet as rp
from pyrad.client import Client, Timeout

from netops.errors import NetopsError
from netops.lab.hotspot_config import HotspotConfig, HotspotNotConfigured, PushedConfig
from netops.lab.hotspot_proxy import HotspotFront
from netops.portal.chap import coova_challenge
from netops.radius.dictionary import load_dictionary

log = logging.getLogger("netops.lab.gateway")


@dataclass
class SimSession:
    """A logged-in client at the simulated gateway."""

    username: str
    mac: str
    ip: str
    acct_session_id: str
    started: float
    reply: dict[str, Any] = field(default_factory=dict)
    input_octets: int = 0
    output_octets: int = 0
    seconds: int = 0
    stopped: str | None = None
    #: When accounting last reported the session (``time.monotonic()``), and how often.
    reported: float = field(default_factory=time.monotonic)
    interims: int = 0


@dataclass
class Attempt:
    """One Access-Request the gateway sent, and the answer (for tests and the demo)."""

    username: str
    mac: str
    method: str
    accepted: bool
    reply_message: str | None


@dataclass
class _Client:
    mac: str
    ip: str
    chap_id: bytes = b""
    challenge: bytes = b""


def _decoded(pkt: rp.Packet) -> dict[str, Any]:
    """A packet's attributes by name (vendor attributes included), values decoded."""
    out: dict[str, Any] = {}
    for key in pkt.keys():  # noqa: SIM118 - pyrad packets are not plain dicts
        try:
            name = pkt._DecodeKey(key)
            out[str(name)] = pkt[name]
        except (KeyError, TypeError, ValueError):
            out[str(key)] = pkt[key]
    return out


class GatewayRadius:
    """The gateway's state and its RADIUS client: authentication and accounting."""

    def __init__(
        self,
        *,
        portal_url: str = "http://127.0.0.1/",
        radius_host: str = "127.0.0.1",
        auth_port: int = 1812,
        acct_port: int = 1813,
        secret: str = "",
        nas_identifier: str = "lab-hs-01",
        hotspot: str = "lab-park",
        client_prefix: str = "10.254.200.0/24",
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        coa_host: str = "127.0.0.1",
        coa_port: int = 0,
        chap: bool = True,
        client_mac: str | None = None,
        client_ip: str | None = None,
        radius_timeout: float = 3.0,
        flavour: Literal["mikrotik", "coova"] = "mikrotik",
        uam_secret: str | None = None,
        dns_name: str | None = None,
        internet_url: str | None = None,
        device_state: Path | None = None,
    ) -> None:
        self.portal_url = portal_url if portal_url.endswith("/") else portal_url + "/"
        self.radius_host = radius_host
        self.auth_port = auth_port
        self.acct_port = acct_port
        self._secret = secret.encode()
        self.nas_identifier = nas_identifier
        self.hotspot = hotspot
        self.prefix = ipaddress.ip_network(client_prefix)
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.coa_host = coa_host
        self.coa_port = coa_port
        self.chap = chap
        self.fixed_mac = client_mac
        self.fixed_ip = client_ip
        self.radius_timeout = radius_timeout
        self.flavour = flavour
        self._uam_secret = uam_secret
        self.dns_name = dns_name
        self.internet_url = internet_url
        #: The lab RouterOS device's configuration, when the gateway follows one.
        self.pushed = PushedConfig(device_state) if device_state is not None else None
        self._coa_bound: tuple[bool, int] | None = None
        self._front: HotspotFront | None = None
        self.sessions: dict[str, SimSession] = {}
        self.attempts: list[Attempt] = []
        self.coa_log: list[tuple[str, str]] = []
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()
        self._next_host = 10
        self._server: uvicorn.Server | None = None
        self._threads: list[threading.Thread] = []
        self._coa_sock: socket.socket | None = None
        self._stop = threading.Event()

    @property
    def base_url(self) -> str:
        host = f"[{self.listen_host}]" if ":" in self.listen_host else self.listen_host
        return f"http://{host}:{self.listen_port}"

    @property
    def link_base(self) -> str:
        """The base of the links it hands out: its hotspot's DNS name when it has one (as
        RouterOS puts ``dns-name`` in ``$(link-login-only)``), else its address."""
        if self.dns_name:
            return f"http://{self.dns_name}:{self.listen_port}"
        return self.base_url

    def config(self) -> HotspotConfig | None:
        """The pushed configuration now (None when the gateway runs on its own options).

        Raises :class:`HotspotNotConfigured` when the device has no hotspot yet."""
        return self.pushed.current() if self.pushed is not None else None

    def _radius_target(self) -> tuple[str, int, int, bytes, float]:
        """(address, auth port, acct port, secret, timeout) of the RADIUS server to use."""
        cfg = self.config()
        if cfg is None:
            return (
                self.radius_host,
                self.auth_port,
                self.acct_port,
                self._secret,
                self.radius_timeout,
            )
        if cfg.radius is None:
            raise NetopsError(f"{cfg.identity} has no /radius entry with service=hotspot")
        r = cfg.radius
        return r.address, r.auth_port, r.acct_port, r.secret.encode(), r.timeout

    def _client(self) -> Client:
        host, auth, acct, secret, timeout = self._radius_target()
        client = Client(
            server=host,
            authport=auth,
            acctport=acct,
            secret=secret,
            dict=load_dictionary(),
        )
        client.timeout = timeout
        client.retries = 2
        return client

    @property
    def identity(self) -> str:
        """The NAS-Identifier: the device's ``/system identity`` when it follows one."""
        cfg = self.pushed.current() if self.pushed is not None else None
        return cfg.identity if cfg is not None else self.nas_identifier

    def _common(self, pkt: rp.Packet, mac: str, ip: str) -> None:
        pkt.AddAttribute("NAS-IP-Address", self.radius_host_source())
        pkt.AddAttribute("NAS-Identifier", self.identity)
        pkt.AddAttribute("Called-Station-Id", self.hotspot)
        pkt.AddAttribute("Calling-Station-Id", mac.upper())
        pkt.AddAttribute("Framed-IP-Address", ip)
        pkt.AddAttribute("NAS-Port-Type", "Wireless-802.11")
        pkt.AddAttribute("NAS-Port", 1)

    def radius_host_source(self) -> str:
        """The address our RADIUS packets come from (the NAS address the server knows)."""
        host, port, _, _, _ = self._radius_target()
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect((host, port))
            return str(probe.getsockname()[0])
        finally:
            probe.close()

    def authenticate(
        self, client: _Client, username: str, password: str
    ) -> tuple[bool, dict[str, Any], str]:
        """Send the Access-Request; (accepted, reply attributes, method used)."""
        cfg = self.config()
        chap_allowed, pap_allowed = self.chap, True
        if cfg is not None:
            if not cfg.use_radius:
                raise NetopsError(f"hotspot profile {cfg.profile} does not use RADIUS")
            chap_allowed, pap_allowed = cfg.chap, cfg.pap
        radius = self._client()
        req = radius.CreateAuthPacket(code=rp.AccessRequest)
        req.AddAttribute("User-Name", username)
        method = "pap"
        is_hex = len(password) == 32 and all(c in "0123456789abcdef" for c in password.lower())
        if self.flavour == "coova" and client.challenge and is_hex:
            method = "chap"
            challenge = coova_challenge(client.challenge.hex(), self._uam_secret)
            req.AddAttribute("CHAP-Password", b"\x00" + bytes.fromhex(password))
            req.AddAttribute("CHAP-Challenge", challenge)
        elif chap_allowed and client.challenge and is_hex:
            method = "chap"
            req.AddAttribute("CHAP-Password", client.chap_id + bytes.fromhex(password))
            req.AddAttribute("CHAP-Challenge", client.challenge)
        elif pap_allowed:
            req.AddAttribute("User-Password", req.PwCrypt(password))
        else:
            raise NetopsError("login-by does not allow this login method (http-pap is off)")
        req.AddAttribute("Service-Type", "Login-User")
        self._common(req, client.mac, client.ip)
        req.add_message_authenticator()
        try:
            reply = radius.SendPacket(req)
        except Timeout:
            log.warning(
                "RADIUS server %s:%s is not responding (no answer, or an answer whose "
                "authenticator does not match the secret)",
                radius.server,
                radius.authport,
            )
            raise NetopsError(
                f"RADIUS server {radius.server}:{radius.authport} is not responding"
            ) from None
        return reply.code == rp.AccessAccept, _decoded(reply), method

    def _account(self, session: SimSession, status: str, cause: str | None = None) -> None:
        cfg = self.config()
        if cfg is not None and not cfg.radius_accounting:
            return
        radius = self._client()
        req = radius.CreateAcctPacket()
        req.AddAttribute("Acct-Status-Type", status)
        req.AddAttribute("User-Name", session.username)
        req.AddAttribute("Acct-Session-Id", session.acct_session_id)
        req.AddAttribute("Acct-Authentic", "RADIUS")
        req.AddAttribute("Event-Timestamp", int(time.time()))
        if status != "Start":
            req.AddAttribute("Acct-Session-Time", session.seconds)
            req.AddAttribute("Acct-Input-Octets", session.input_octets & 0xFFFFFFFF)
            req.AddAttribute("Acct-Output-Octets", session.output_octets & 0xFFFFFFFF)
            req.AddAttribute("Acct-Input-Gigawords", session.input_octets >> 32)
            req.AddAttribute("Acct-Output-Gigawords", session.output_octets >> 32)
        if cause:
            req.AddAttribute("Acct-Terminate-Cause", cause)
        interim = session.reply.get("Acct-Interim-Interval")
        if interim:
            req.AddAttribute("Acct-Interim-Interval", interim[0])
        self._common(req, session.mac, session.ip)
        session.reported = time.monotonic()
        if status == "Interim-Update":
            session.interims += 1
        try:
            radius.SendPacket(req)
        except Timeout:
            raise NetopsError(
                f"RADIUS accounting {radius.server}:{radius.acctport} did not answer"
            ) from None

    def _interim_loop(self) -> None:
        """Send each session's Interim-Update as the pushed profile's
        ``radius-interim-update`` says (``received``: the reply's Acct-Interim-Interval),
        counting from the last report (traffic reports included)."""
        while not self._stop.wait(0.5):
            try:
                cfg = self.config()
            except HotspotNotConfigured:
                continue
            if cfg is None or not cfg.radius_accounting:
                continue
            now = time.monotonic()
            with self._lock:
                sessions = list(self.sessions.values())
            for session in sessions:
                every = cfg.interim_update
                if every is None:
                    received = session.reply.get("Acct-Interim-Interval") or [0]
                    every = float(received[0] or 0)
                if every and now - session.reported >= every:
                    session.seconds = max(session.seconds, int(time.time() - session.started))
                    try:
                        self._account(session, "Interim-Update")
                    except NetopsError as exc:
                        log.info("interim update not sent: %s", exc)

    def traffic(
        self, mac: str, *, input_octets: int, output_octets: int, seconds: int
    ) -> SimSession:
        """Add usage to the client's session and report it with an Interim-Update."""
        with self._lock:
            session = self.sessions[mac.lower()]
            session.input_octets += input_octets
            session.output_octets += output_octets
            session.seconds += seconds
        self._account(session, "Interim-Update")
        return session

    def logout(self, mac: str, cause: str = "User-Request") -> SimSession | None:
        """End the client's session with Accounting-Stop."""
        with self._lock:
            session = self.sessions.pop(mac.lower(), None)
        if session is None:
            return None
        session.seconds = max(session.seconds, int(time.time() - session.started))
        session.stopped = cause
        self._account(session, "Stop", cause)
        return session
