"""The simulated hotspot gateway's HTTP front (see :mod:`netops.lab.gateway`): who a
client is, the redirect to the portal (MikroTik or CoovaChilli), the pushed ``login.html``,
the walled garden and the requests it passes on as the phones' proxy."""

from __future__ import annotations

import html
import http.client
import ipaddress
import re
import secrets
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from netops.lab.gateway_coa import GatewayCoA
from netops.lab.gateway_radius import _Client
from netops.lab.hotspot_config import HotspotConfig, HotspotNotConfigured
from netops.portal.chap import escape_mikrotik

CLIENT_COOKIE = "gwsim_client"
#: How a phone using the gateway as its proxy names its (simulated) MAC address.
STATION_HEADER = "x-lab-station"
_VARIABLE = re.compile(r"\$\(([a-z][a-z0-9-]*)\)")
#: On every answer that sends a client that is not logged in to the portal: a phone must not
#: keep the redirect and find itself "still captive" on its first probe after the login.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache", "Expires": "0"}


class GatewayWeb(GatewayCoA):
    """The gateway's web side: clients, login pages, redirects and the proxy."""

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
