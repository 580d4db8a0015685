"""A simulated MikroTik hotspot gateway: the NAS the portal talks to in tests and the lab.

It plays RouterOS's part of an external-login-page hotspot, over real HTTP and real RADIUS:

- any page asked for by a client that is not logged in answers ``302`` to the portal with
  the MikroTik parameters (``link-login-only``, ``link-orig``, ``link-logout``, ``mac``,
  ``ip``, ``chap-id``, ``chap-challenge``, ``dst``, ``server-name``, ``identity``);
- ``POST /login`` (``link-login-only``) takes ``username``, ``password``, ``dst``, ``popup``,
  sends a RADIUS Access-Request — CHAP when the password is the 32-hex answer to the
  challenge it issued, PAP otherwise — and on Access-Accept sends Accounting-Start and
  redirects to ``dst``; on Access-Reject it redirects back to the portal with ``error`` set
  to the Reply-Message, as RouterOS fills ``$(error)``;
- ``GET /logout`` sends Accounting-Stop (User-Request);
- a UDP listener answers RFC 5176 Disconnect-Requests (Disconnect-ACK + Accounting-Stop
  with Admin-Reset, or Disconnect-NAK 503 when the session is unknown);
- :meth:`GatewaySim.traffic` sends Interim-Updates with counters, as if the client browsed.

With ``flavour="coova"`` it plays CoovaChilli's UAM instead: the redirect carries ``res``,
``uamip``, ``uamport``, ``challenge``, ``mac``, ``ip``, ``userurl``, ``nasid``; ``GET /logon``
takes ``username`` and ``response`` (CHAP identifier 0 over ``MD5(challenge + uamsecret)``)
and answers by redirecting to the portal with ``res=success`` or ``res=failed&reply=…``;
``GET /logoff`` ends the session (``res=logoff``).

A real gateway knows a client by its MAC address; the simulator, reached over loopback,
gives each browser a random locally administered MAC and an address from the hotspot's
client prefix, remembered in a cookie and carried in the client's own login and logout URLs
(``/c/<id>/login``): browsers do not send SameSite=Lax cookies on the portal's cross-site
form POST. Alternatively every client shares the fixed ``client_mac`` / ``client_ip``.

Phones decide whether to open their login window by probing a plain-HTTP URL (see
:mod:`netops.lab.internet`). Like the real device, the simulator answers a client that is
not logged in with the redirect to the portal, marked ``Cache-Control: no-store`` so that
the phone's next probe after the login reaches the network again instead of a cached
redirect; once the client is logged in, and ``internet_url`` names the stand-in internet,
it forwards the request there with its ``Host`` header, as the gateway's NAT would.

**Behaviour from a pushed configuration.** Given ``device_state`` (the state folder of the
lab RouterOS device it plays, see :mod:`netops.lab.hotspot_config`), the gateway takes its
RADIUS server, secret, ports and timeout, its NAS-Identifier, its ``login-by`` methods, its
``dns-name``, its ``login.html`` and its walled garden from what ``netops config push`` left
on that device, re-read whenever it changes; its own options then only say where it
listens. It also works as the phones' HTTP proxy (as the hotspot intercepts every request a
client sends): a client that is not logged in reaches only the walled garden; anything else
is answered with a redirect to ``http://<dns-name>/login``, which serves the pushed
``login.html`` with its ``$(…)`` variables filled in. Disconnect and CoA requests are taken
on the pushed ``/radius incoming`` port while ``accept=yes``. Loopback carries no link
layer, so a phone using the proxy names its (simulated) MAC address in the
``X-Lab-Station`` header.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import ipaddress
import logging
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit

import uvicorn
from pyrad import packet as rp
from pyrad.client import Client, Timeout
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from netops.errors import NetopsError
from netops.lab.hotspot_config import HotspotConfig, HotspotNotConfigured, PushedConfig
from netops.lab.hotspot_proxy import HotspotFront
from netops.listen import bind_socket
from netops.portal.chap import coova_challenge, escape_mikrotik
from netops.radius.dictionary import load_dictionary

log = logging.getLogger("netops.lab.gateway")
CLIENT_COOKIE = "gwsim_client"
#: How a phone using the gateway as its proxy names its (simulated) MAC address.
STATION_HEADER = "x-lab-station"
_VARIABLE = re.compile(r"\$\(([a-z][a-z0-9-]*)\)")
#: On every answer that sends a client that is not logged in to the portal: a phone must not
#: keep the redirect and find itself "still captive" on its first probe after the login.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Expires": "0"}


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


class GatewaySim:
    """The simulated gateway. ``start()`` serves HTTP and CoA on threads; ``stop()`` ends them."""

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

    # --- lifecycle -----------------------------------------------------------------------------

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

    def start(self) -> None:
        """Bind the HTTP and CoA ports (0: the kernel picks) and serve on background threads."""
        http_sock = bind_socket(
            self.listen_host, self.listen_port, what="gateway simulator cannot listen on"
        )
        self.listen_port = http_sock.getsockname()[1]
        if self.pushed is not None:
            self._start_http(http_sock)
            return
        try:
            coa = bind_socket(
                self.coa_host,
                self.coa_port,
                udp=True,
                what="gateway simulator cannot listen for CoA on",
            )
        except NetopsError:
            http_sock.close()
            raise
        coa.settimeout(0.2)
        self.coa_port = coa.getsockname()[1]
        self._coa_sock = coa
        self._start_http(http_sock)

    def _start_http(self, http_sock: socket.socket) -> None:
        served = http_sock
        if self.pushed is not None:
            # A front answers CONNECT (HTTPS through the walled garden) and relays the rest
            # to the web side on an internal port.
            served = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            served.bind(("127.0.0.1", 0))
            self._front = HotspotFront(http_sock, served.getsockname(), self.may_connect)
            self._front.start()
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        server = self._server
        web = threading.Thread(
            target=lambda: server.run(sockets=[served]), name="gwsim-http", daemon=True
        )
        udp = threading.Thread(target=self._coa_loop, name="gwsim-coa", daemon=True)
        self._threads = [web, udp]
        if self.pushed is not None:
            self._threads.append(
                threading.Thread(target=self._interim_loop, name="gwsim-interim", daemon=True)
            )
        for thread in self._threads:
            thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not web.is_alive():
                raise NetopsError("gateway simulator did not start its web server")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving and close the sockets (sessions are left as they are)."""
        self._stop.set()
        if self._server is not None:
            self._server.should_exit = True
        for thread in self._threads:
            thread.join(timeout=5)
        if self._front is not None:
            self._front.stop()
        if self._coa_sock is not None:
            self._coa_sock.close()

    def may_connect(self, station: str | None, host: str, port: int) -> bool:
        """May the client ``station`` (its MAC, None when unknown) open a TCP connection to
        ``host:port`` (an HTTPS tunnel)? When logged in, or when the IP walled garden
        accepts it."""
        if station is not None and station.lower() in self.sessions:
            return True
        try:
            cfg = self.config()
        except HotspotNotConfigured:
            return False
        return cfg is not None and cfg.walled(host, port, http=False)

    def __enter__(self) -> GatewaySim:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- RADIUS --------------------------------------------------------------------------------

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

    # --- CoA ----------------------------------------------------------------------------------

    def _follow_incoming(self) -> None:
        """Listen for Disconnect/CoA where ``/radius incoming`` says, only while it accepts."""
        try:
            cfg = self.config()
        except HotspotNotConfigured:
            cfg = None
        wanted = (cfg.coa_accept, cfg.coa_port) if cfg is not None else (False, 0)
        if wanted == self._coa_bound:
            return
        if self._coa_sock is not None:
            self._coa_sock.close()
            self._coa_sock = None
        self._coa_bound = wanted
        accept, port = wanted
        if not accept:
            if cfg is not None:
                log.info("/radius incoming accept=no: not taking Disconnect or CoA requests")
            return
        try:
            sock = bind_socket(
                self.coa_host, port, udp=True, what="cannot take Disconnect/CoA requests on"
            )
        except NetopsError as exc:
            log.warning("%s (/radius incoming)", exc)
            return
        sock.settimeout(0.2)
        self._coa_sock = sock
        self.coa_port = port
        log.info("taking Disconnect/CoA requests on %s:%s (/radius incoming)", self.coa_host, port)

    def _coa_loop(self) -> None:
        while not self._stop.is_set():
            if self.pushed is not None:
                self._follow_incoming()
            sock = self._coa_sock
            if sock is None:
                self._stop.wait(0.2)
                continue
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                if self.pushed is not None and not self._stop.is_set():
                    continue
                return
            try:
                answer = self._coa_answer(data)
            except Exception as exc:  # a broken packet must not stop the listener
                log.warning("ignored a malformed CoA packet from %s: %s", addr[0], exc)
                continue
            if answer is not None:
                sock.sendto(answer, addr)

    def _coa_answer(self, data: bytes) -> bytes | None:
        _, _, _, secret, _ = self._radius_target()
        pkt = rp.CoAPacket(packet=data, secret=secret, dict=load_dictionary())
        if pkt.code not in (rp.DisconnectRequest, rp.CoARequest):
            return None
        if not pkt.VerifyCoARequest():
            log.warning("dropped a CoA request with a bad authenticator")
            return None
        wanted_id = pkt["Acct-Session-Id"][0] if "Acct-Session-Id" in pkt else None
        wanted_user = pkt["User-Name"][0] if "User-Name" in pkt else None
        with self._lock:
            match = next(
                (
                    s
                    for s in self.sessions.values()
                    if (wanted_id is None or s.acct_session_id == wanted_id)
                    and (wanted_user is None or s.username == wanted_user)
                ),
                None,
            )
        kind = "disconnect" if pkt.code == rp.DisconnectRequest else "coa"
        if match is None:
            self.coa_log.append((kind, "nak"))
            code = rp.DisconnectNAK if kind == "disconnect" else rp.CoANAK
            reply = pkt.CreateReply()
            reply.code = code
            reply.AddAttribute("Error-Cause", 503)
        else:
            self.coa_log.append((kind, "ack"))
            if kind == "disconnect":
                self.logout(match.mac, "Admin-Reset")
            reply = pkt.CreateReply()
            reply.code = rp.DisconnectACK if kind == "disconnect" else rp.CoAACK
        reply.add_message_authenticator()
        return bytes(reply.ReplyPacket())

    # --- HTTP ---------------------------------------------------------------------------------

    def _client_for(self, request: Request) -> tuple[_Client, str | None]:
        """The client behind a request, and a new cookie value when it was unknown."""
        named = request.path_params.get("client")
        if named:
            with self._lock:
                known = self._clients.get(str(named).replace("-", ":"))
            if known is not None:
                return known, None
        station = request.headers.get(STATION_HEADER, "").strip().lower()
        if re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", station):
            with self._lock:
                if station not in self._clients:
                    ip = str(self.prefix.network_address + self._next_host)
                    self._next_host += 1
                    self._clients[station] = _Client(station, ip)
                return self._clients[station], None
        if self.fixed_mac:
            key = self.fixed_mac.lower()
            with self._lock:
                if key not in self._clients:
                    ip = self.fixed_ip or str(self.prefix.network_address + self._next_host)
                    self._clients[key] = _Client(key, ip)
                return self._clients[key], None
        key = request.cookies.get(CLIENT_COOKIE, "")
        with self._lock:
            if key in self._clients:
                return self._clients[key], None
            raw = bytearray(secrets.token_bytes(6))
            raw[0] = (raw[0] | 0x02) & 0xFE  # locally administered, unicast
            mac = ":".join(f"{b:02x}" for b in raw)
            ip = str(self.prefix.network_address + self._next_host)
            self._next_host += 1
            client = _Client(mac, ip)
            self._clients[mac] = client
            return client, mac

    @staticmethod
    def _ensure_challenge(client: _Client) -> None:
        if not client.challenge:
            # Like RouterOS, one challenge per client until a login uses it: the browser's
            # own requests (favicon …) must not change it under the login page.
            client.chap_id = secrets.token_bytes(1)
            client.challenge = secrets.token_bytes(16)

    def _links_base(self, request: Request, cfg: HotspotConfig) -> str:
        """Where the pushed gateway's own pages are for this client: ``http://<dns-name>``
        (or the hotspot address) for a phone using it as its proxy, as RouterOS puts the
        DNS name in its links; the address it was reached at for a browser that came
        straight to it."""
        if request.scope.get("netops_proxy") is not None:
            host = cfg.dns_name or cfg.hotspot_address
            return f"http://{host}"
        return self.base_url

    def _send_to_login(self, request: Request, client: _Client, orig: str) -> Response:
        """A client that is not logged in asked for ``orig``: off to the login page."""
        try:
            cfg = self.config()
        except HotspotNotConfigured as exc:
            return Response(f"hotspot not ready: {exc}\n", 503, headers=NO_STORE)
        if cfg is None:
            return self._redirect_to_portal(client, orig)
        query = urlencode({"dst": orig})
        return RedirectResponse(
            f"{self._links_base(request, cfg)}/login?{query}", 302, headers=NO_STORE
        )

    def _login_page(
        self, request: Request, client: _Client, orig: str, error: str | None = None
    ) -> Response:
        """The pushed ``login.html`` with its variables filled in (RouterOS's "Hotspot
        customisation": ``$(link-login-only)``, ``$(chap-id)``, ``$(error)`` …); without a
        pushed configuration, the redirect to the portal."""
        try:
            cfg = self.config()
        except HotspotNotConfigured as exc:
            return Response(f"hotspot not ready: {exc}\n", 503, headers=NO_STORE)
        if cfg is None:
            return self._redirect_to_portal(client, orig, error)
        if cfg.login_html is None:
            return Response(
                f"{cfg.identity}: html-directory {cfg.html_directory or '(none)'} of hotspot "
                f"profile {cfg.profile} has no login.html\n",
                500,
                headers=NO_STORE,
            )
        self._ensure_challenge(client)
        base = self._links_base(request, cfg)
        links = f"{base}/c/{client.mac.replace(':', '-')}"
        values = {
            "link-login-only": f"{links}/login",
            "link-login": f"{links}/login?{urlencode({'dst': orig})}",
            "link-orig": orig,
            "link-orig-esc": urlencode({"": orig})[1:],
            "link-logout": f"{links}/logout",
            "link-status": f"{links}/status",
            "link-redirect": orig,
            "mac": client.mac.upper(),
            "ip": client.ip,
            "identity": cfg.identity,
            "server-name": cfg.server,
            "hostname": cfg.dns_name or cfg.hotspot_address,
            "chap-id": escape_mikrotik(client.chap_id) if cfg.chap else "",
            "chap-challenge": escape_mikrotik(client.challenge) if cfg.chap else "",
            "error": error or "",
            "username": "",
        }
        page = _VARIABLE.sub(lambda m: html.escape(values.get(m.group(1), "")), cfg.login_html)
        return HTMLResponse(page, headers=NO_STORE)

    def _walled(self, cfg: HotspotConfig | None, host: str, port: int, path: str) -> bool:
        """May a client that is not logged in reach ``http://host:port/path``?"""
        if cfg is not None:
            return cfg.walled(host, port, path)
        portal = urlsplit(self.portal_url)
        return (host, port) == (portal.hostname, portal.port or 80)

    def pass_on(
        self, method: str, host: str, port: int, target: str, headers: list[tuple[str, str]],
        body: bytes,
    ) -> Response:  # fmt: skip
        """A request the client sent through the gateway, passed to where it goes: an
        address (the lab's services on loopback) directly, a name to the stand-in internet,
        else a simulated page."""
        try:
            ipaddress.ip_address(host)
            address: tuple[str, int] | None = (host, port)
        except ValueError:
            address = None
            if self.internet_url is not None:
                inet = urlsplit(self.internet_url)
                address = (inet.hostname or "127.0.0.1", inet.port or 80)
        if address is None:
            page = (
                "<!doctype html><meta charset=utf-8><title>Online</title>"
                f"<h1>Online</h1><p>Simulated internet page http://{host}{target}.</p>"
            )
            return HTMLResponse(page)
        conn = http.client.HTTPConnection(address[0], address[1], timeout=15)
        try:
            conn.request(method, target, body=body or None, headers=dict(headers))
            reply = conn.getresponse()
            answer = Response(reply.read(), reply.status)
            del answer.headers["content-length"]
            keep = ("content-type", "location", "set-cookie", "cache-control")
            for name, value in reply.getheaders():
                if name.lower() in keep:
                    answer.raw_headers.append((name.lower().encode(), value.encode("latin-1")))
            answer.headers["content-length"] = str(len(answer.body))
            return answer
        except OSError as exc:
            return Response(f"{host}:{port} unreachable: {exc}\n".encode(), 502)
        finally:
            conn.close()

    def _redirect_to_portal(
        self, client: _Client, orig: str, error: str | None = None
    ) -> RedirectResponse:
        if self.flavour == "coova":
            return self._uam_redirect(
                client, orig, "failed" if error is not None else "notyet", error
            )
        self._ensure_challenge(client)
        links = f"{self.link_base}/c/{client.mac.replace(':', '-')}"
        params = {
            "link-login-only": f"{links}/login",
            "link-orig": orig,
            "link-logout": f"{links}/logout",
            "link-status": f"{links}/status",
            "mac": client.mac.upper(),
            "ip": client.ip,
            "dst": orig,
            "server-name": self.hotspot,
            "identity": self.nas_identifier,
        }
        if self.chap:
            params["chap-id"] = escape_mikrotik(client.chap_id)
            params["chap-challenge"] = escape_mikrotik(client.challenge)
        if error is not None:
            params["error"] = error
        return RedirectResponse(
            f"{self.portal_url}login?{urlencode(params)}", 302, headers=NO_STORE
        )

    def _uam_redirect(
        self, client: _Client, userurl: str, res: str, reply: str | None = None
    ) -> RedirectResponse:
        if not client.challenge:
            client.challenge = secrets.token_bytes(16)
        params = {
            "res": res,
            "uamip": self.listen_host,
            "uamport": str(self.listen_port),
            "challenge": client.challenge.hex(),
            "mac": client.mac.upper().replace(":", "-"),
            "ip": client.ip,
            "userurl": userurl,
            "nasid": self.nas_identifier,
        }
        if reply is not None:
            params["reply"] = reply
        return RedirectResponse(
            f"{self.portal_url}login?{urlencode(params)}", 302, headers=NO_STORE
        )

    def forward(self, host: str, path_and_query: str, method: str = "GET") -> Response:
        """Fetch ``http://host/path`` from the stand-in internet, as the NAT would pass a
        logged-in client's request on; the answer comes back unchanged."""
        assert self.internet_url is not None
        target = urlsplit(self.internet_url)
        conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, 10)
        try:
            conn.request(method, path_and_query, headers={"Host": host})
            reply = conn.getresponse()
            body = reply.read()
            headers = {
                k: v
                for k, v in reply.getheaders()
                if k.lower() in ("content-type", "content-length", "cache-control", "location")
            }
            return Response(body, reply.status, headers=headers)
        except OSError as exc:
            return Response(f"internet unreachable: {exc}\n".encode(), 502)
        finally:
            conn.close()

    def _with_cookie(self, response: Response, cookie: str | None) -> Response:
        if cookie:
            response.set_cookie(CLIENT_COOKIE, cookie, httponly=True, samesite="lax")
        return response

    def app(self) -> Starlette:
        """The gateway's web side."""

        async def anything(request: Request) -> Response:
            client, cookie = self._client_for(request)
            session = self.sessions.get(client.mac)
            if session is None:
                return self._with_cookie(
                    self._send_to_login(request, client, str(request.url)), cookie
                )
            if self.internet_url is not None:
                from starlette.concurrency import run_in_threadpool

                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                host = request.headers.get("host", "")
                answer = await run_in_threadpool(self.forward, host, target, request.method)
                return self._with_cookie(answer, cookie)
            page = (
                "<!doctype html><meta charset=utf-8><title>Online</title>"
                f"<h1>Online</h1><p>Simulated internet page {request.url.path} for "
                f"{session.username}.</p><p><a href='/logout'>Log out</a></p>"
            )
            return self._with_cookie(HTMLResponse(page), cookie)

        async def login(request: Request) -> Response:
            client, cookie = self._client_for(request)
            if request.method == "POST":
                form = await request.form()
                fields = {k: str(v) for k, v in form.items()}
            else:
                fields = dict(request.query_params)
            username = fields.get("username", "")
            password = fields.get("password", "") or fields.get("response", "")
            dst = fields.get("dst") or fields.get("userurl") or f"{self.base_url}/"
            if not username:
                return self._with_cookie(self._login_page(request, client, dst), cookie)
            from starlette.concurrency import run_in_threadpool

            try:
                ok, attrs, method = await run_in_threadpool(
                    self.authenticate, client, username, password
                )
            except NetopsError as exc:
                error = f"RADIUS server not responding ({exc})"
                if self.pushed is not None:
                    error = str(exc)
                    log.warning("login refused at the gateway: %s", error)
                return self._with_cookie(self._login_page(request, client, dst, error), cookie)
            client.chap_id, client.challenge = b"", b""
            message = attrs.get("Reply-Message", [None])[0]
            self.attempts.append(Attempt(username, client.mac, method, ok, message))
            if not ok:
                error = message or "invalid username or password"
                return self._with_cookie(self._login_page(request, client, dst, error), cookie)
            session = SimSession(
                username=username,
                mac=client.mac,
                ip=client.ip,
                acct_session_id=hashlib.md5(os.urandom(8)).hexdigest()[:8],
                started=time.time(),
                reply=attrs,
            )
            with self._lock:
                self.sessions[client.mac] = session
            await run_in_threadpool(self._account, session, "Start")
            if self.flavour == "coova":
                return self._with_cookie(self._uam_redirect(client, dst, "success"), cookie)
            return self._with_cookie(RedirectResponse(dst, 302), cookie)

        async def logout(request: Request) -> Response:
            client, cookie = self._client_for(request)
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(self.logout, client.mac)
            if self.flavour == "coova":
                return self._with_cookie(
                    self._uam_redirect(client, f"{self.base_url}/", "logoff"), cookie
                )
            return self._with_cookie(RedirectResponse(f"{self.portal_url}logged-out", 302), cookie)

        def status(request: Request) -> Response:
            client, cookie = self._client_for(request)
            session = self.sessions.get(client.mac)
            body: dict[str, Any] = {"mac": client.mac, "ip": client.ip, "logged_in": bool(session)}
            if session is not None:
                body.update(
                    username=session.username,
                    acct_session_id=session.acct_session_id,
                    session_timeout=session.reply.get("Session-Timeout", [None])[0],
                    started=datetime.fromtimestamp(session.started, UTC).isoformat(),
                )
            return self._with_cookie(JSONResponse(body), cookie)

        async def through(request: Request) -> Response:
            """A request a phone sent through the gateway (its proxy) to somewhere else."""
            from starlette.concurrency import run_in_threadpool

            host, port, target = request.scope["netops_proxy"]
            client, cookie = self._client_for(request)
            orig = f"http://{host}{'' if port == 80 else f':{port}'}{target}"
            try:
                cfg = self.config()
            except HotspotNotConfigured as exc:
                return Response(f"hotspot not ready: {exc}\n", 503, headers=NO_STORE)
            if client.mac not in self.sessions and not self._walled(
                cfg, host, port, target.split("?")[0]
            ):
                log.info(
                    "walled garden: %s:%s is not open to clients that are not logged in; "
                    "sending one to the login page",
                    host,
                    port,
                )
                return self._with_cookie(self._send_to_login(request, client, orig), cookie)
            skip = {"connection", "proxy-connection", "keep-alive", STATION_HEADER}
            headers = [(k, v) for k, v in request.headers.items() if k.lower() not in skip]
            body = await request.body()
            answer = await run_in_threadpool(
                self.pass_on, request.method, host, port, target, headers, body
            )
            return self._with_cookie(answer, cookie)

        methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
        return Starlette(
            middleware=[Middleware(_ProxyRequests, gateway=self)],
            routes=[
                Route(PROXY_ROUTE, through, methods=methods),
                Route("/login", login, methods=["GET", "POST"]),
                Route("/logout", logout, methods=["GET", "POST"]),
                Route("/status", status),
                Route("/logon", login, methods=["GET"]),
                Route("/logoff", logout, methods=["GET"]),
                Route("/c/{client}/login", login, methods=["GET", "POST"]),
                Route("/c/{client}/logout", logout, methods=["GET", "POST"]),
                Route("/c/{client}/status", status),
                Route("/{path:path}", anything),
            ],
        )

    def own_host(self, host: str, port: int) -> bool:
        """True when ``host:port`` is the gateway itself: its listening address, or (with a
        pushed configuration) its ``dns-name`` or hotspot address."""
        if (host, port) == (self.listen_host, self.listen_port):
            return True
        try:
            cfg = self.config()
        except HotspotNotConfigured:
            return False
        if cfg is None:
            return bool(self.dns_name) and host == (self.dns_name or "").lower()
        return host in cfg.own_hosts()


PROXY_ROUTE = "/.netops-proxy"


class _ProxyRequests:
    """ASGI middleware: a request in absolute form (``GET http://host/path``) came from a
    phone using the gateway as its proxy. One for the gateway's own names goes to its own
    pages; any other goes to the proxy route with its destination in the scope."""

    def __init__(self, app: Any, gateway: GatewaySim) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        if path.startswith(("http://", "https://")):
            target = urlsplit(path)
            host = (target.hostname or "").lower()
            port = target.port or (443 if target.scheme == "https" else 80)
            query = scope.get("query_string", b"").decode("latin-1")
            rest = (target.path or "/") + (f"?{query}" if query else "")
            scope = dict(scope)
            scope["netops_proxy"] = (host, port, rest)
            own = self.gateway.own_host(host, port)
            scope["path"] = (target.path or "/") if own else PROXY_ROUTE
            scope["raw_path"] = scope["path"].encode()
        await self.app(scope, receive, send)
