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
import os
import socket
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from netops.errors import NetopsError
from netops.lab.gateway_radius import Attempt, SimSession, log
from netops.lab.gateway_web import CLIENT_COOKIE, NO_STORE, STATION_HEADER, GatewayWeb
from netops.lab.hotspot_config import HotspotNotConfigured
from netops.lab.hotspot_proxy import HotspotFront
from netops.listen import bind_socket

__all__ = [
    "CLIENT_COOKIE",
    "NO_STORE",
    "STATION_HEADER",
    "Attempt",
    "GatewaySim",
    "SimSession",
]


class GatewaySim(GatewayWeb):
    """The simulated gateway. ``start()`` serves HTTP and CoA on threads; ``stop()`` ends them."""

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

    def __enter__(self) -> GatewaySim:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def app(self) -> Starlette:
        """The gateway's web side."""
        methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
        return Starlette(
            middleware=[Middleware(_ProxyRequests, gateway=self)],
            routes=[
                Route(PROXY_ROUTE, self._serve_through, methods=methods),
                Route("/login", self._serve_login, methods=["GET", "POST"]),
                Route("/logout", self._serve_logout, methods=["GET", "POST"]),
                Route("/status", self._serve_status),
                Route("/logon", self._serve_login, methods=["GET"]),
                Route("/logoff", self._serve_logout, methods=["GET"]),
                Route("/c/{client}/login", self._serve_login, methods=["GET", "POST"]),
                Route("/c/{client}/logout", self._serve_logout, methods=["GET", "POST"]),
                Route("/c/{client}/status", self._serve_status),
                Route("/{path:path}", self._serve_anything),
            ],
        )

    async def _serve_anything(self, request: Request) -> Response:
        """Any other page: the portal redirect, the stand-in internet, or a plain page."""
        client, cookie = self._client_for(request)
        session = self.sessions.get(client.mac)
        if session is None:
            return self._with_cookie(self._send_to_login(request, client, str(request.url)), cookie)
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

    async def _serve_login(self, request: Request) -> Response:
        """``/login`` (MikroTik) or ``/logon`` (Coova): the RADIUS check, then the hand-off."""
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

    async def _serve_logout(self, request: Request) -> Response:
        """``/logout`` or ``/logoff``: Accounting-Stop, then back to the portal."""
        client, cookie = self._client_for(request)
        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(self.logout, client.mac)
        if self.flavour == "coova":
            return self._with_cookie(
                self._uam_redirect(client, f"{self.base_url}/", "logoff"), cookie
            )
        return self._with_cookie(RedirectResponse(f"{self.portal_url}logged-out", 302), cookie)

    def _serve_status(self, request: Request) -> Response:
        """The client's session as JSON (for tests and the demo)."""
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

    async def _serve_through(self, request: Request) -> Response:
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
