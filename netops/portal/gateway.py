"""What a gateway tells the portal when it redirects a phone, and how to hand the login back.

Two gateway families are understood:

- **MikroTik hotspot** (external login page): ``link-login-only``, ``link-orig``, ``mac``,
  ``ip``, ``chap-id``, ``chap-challenge``, ``dst``, optionally ``link-logout``,
  ``link-status``, ``server-name``, ``identity`` and ``error``. The login goes back as a
  POST of ``username``, ``password``, ``dst``, ``popup`` to ``link-login-only``.
- **CoovaChilli UAM**: ``res`` (``notyet``, ``failed``, ``success``, ``logoff`` …), ``uamip``,
  ``uamport``, ``challenge``, ``mac``, ``ip``, ``userurl``, ``nasid``, ``reply``. The login
  goes back as a GET of ``http://uamip:uamport/logon?username=…&response=…&userurl=…``.

Everything here is pure: parsing, validation, checking the gateway's endpoints against the
hosts the inventory knows, and building the hand-off.

Every parameter comes from the browser and can be forged. The portal hands a validated login
only to an endpoint (``link-login-only``, ``link-logout``, ``link-status``, ``uamip``) whose
host the inventory names as the hotspot's gateway (:func:`check_endpoints`): a forged
``link-login-only=http://attacker.example/`` never receives a code or a password.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import urlencode, urlsplit

from netops.portal.chap import (
    ChapFormatError,
    coova_response,
    mikrotik_chap_response,
    unescape_mikrotik,
)

Kind = Literal["mikrotik", "coova", "none"]

# Every parameter a gateway may send, and the fields carried through the portal's own forms.
MIKROTIK_FIELDS = (
    "link-login-only",
    "link-orig",
    "link-logout",
    "link-status",
    "mac",
    "ip",
    "chap-id",
    "chap-challenge",
    "dst",
    "server-name",
    "identity",
    "error",
)
COOVA_FIELDS = ("res", "uamip", "uamport", "challenge", "mac", "ip", "userurl", "nasid", "reply")
CONTEXT_FIELDS = tuple(dict.fromkeys((*MIKROTIK_FIELDS, *COOVA_FIELDS, "hotspot")))
MAX_FIELD = 2048

_MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$")
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


# The parameters that name where the browser is sent with a login or a logout.
ENDPOINT_FIELDS = ("link-login-only", "link-logout", "link-status", "uamip")


class GatewayParamError(ValueError):
    """A gateway parameter is malformed; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UntrustedGateway(GatewayParamError):
    """A gateway endpoint's host is not a gateway of the inventory; ``field`` names it."""


@dataclass(frozen=True)
class Handoff:
    """How the browser hands the login to the gateway: a form POST or a GET redirect."""

    method: Literal["post", "get"]
    url: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayContext:
    """The redirect parameters of one login attempt, validated."""

    kind: Kind
    params: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value or None

    @property
    def mac(self) -> str | None:
        return self.get("mac")

    @property
    def ip(self) -> str | None:
        return self.get("ip")

    @property
    def chap(self) -> bool:
        """True when the gateway expects a CHAP response rather than the clear password."""
        if self.kind == "mikrotik":
            return bool(self.get("chap-id") and self.get("chap-challenge"))
        return self.kind == "coova"

    @property
    def original_url(self) -> str | None:
        """Where the citizen was going before the portal (shown after login)."""
        if self.kind == "mikrotik":
            return self.get("link-orig") or self.get("dst")
        if self.kind == "coova":
            return self.get("userurl")
        return None

    @property
    def gateway_error(self) -> str | None:
        """The gateway's reason for a failed login (MikroTik ``error``, Coova ``reply``)."""
        if self.kind == "mikrotik":
            return self.get("error")
        if self.kind == "coova" and self.get("res") in ("failed", "reject"):
            return self.get("reply") or ""
        return None

    @property
    def logout_url(self) -> str | None:
        if self.kind == "mikrotik":
            return self.get("link-logout")
        if self.kind == "coova":
            return f"{self.uam_base}/logoff"
        return None

    def carried(self) -> dict[str, str]:
        """The parameters to carry through the portal's own forms (hidden fields)."""
        return {k: v for k, v in self.params.items() if v and k != "error" and k != "reply"}

    def without_error(self) -> GatewayContext:
        params = {k: v for k, v in self.params.items() if k not in ("error", "reply")}
        if self.kind == "coova" and params.get("res") in ("failed", "reject"):
            params["res"] = "notyet"
        return replace(self, params=params)

    @property
    def uam_base(self) -> str:
        """``http://uamip:uamport`` of a CoovaChilli gateway."""
        host = self.params["uamip"]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.params['uamport']}"

    def handoff(
        self, username: str, password: str, dst: str, uam_secret: str | None = None
    ) -> Handoff:
        """The request that logs ``username`` in at the gateway, CHAP computed when needed.

        The CHAP response is computed here, on the portal, so the clear password never crosses
        the hotspot's plain-HTTP link to the gateway and the login works without JavaScript.
        """
        if self.kind == "mikrotik":
            url = self.params["link-login-only"]
            secret = password
            if self.chap:
                secret = mikrotik_chap_response(
                    self.params["chap-id"], password, self.params["chap-challenge"]
                )
            return Handoff(
                "post", url, {"username": username, "password": secret, "dst": dst, "popup": "true"}
            )
        if self.kind == "coova":
            response = coova_response(self.params["challenge"], password, uam_secret)
            # CoovaChilli hands ``userurl`` back with ``res=success``: the page the citizen
            # wanted, which the status page's "Lanjut" opens.
            userurl = self.original_url or dst
            query = urlencode({"username": username, "response": response, "userurl": userurl})
            return Handoff("get", f"{self.uam_base}/logon?{query}")
        raise GatewayParamError("link-login-only", "no gateway to log in at")


def endpoint_hosts(ctx: GatewayContext) -> dict[str, str]:
    """The host of each endpoint the context names (parameter → lower-case host, IPv6
    without brackets): where a login, a logout or a status request would go."""
    hosts: dict[str, str] = {}
    for name in ENDPOINT_FIELDS:
        value = ctx.params.get(name)
        if not value:
            continue
        if name == "uamip":
            hosts[name] = value.lower()
            continue
        host = urlsplit(value).hostname
        hosts[name] = (host or "").lower()
    return hosts


def check_endpoints(ctx: GatewayContext, trusted: Collection[str]) -> None:
    """Raise :class:`UntrustedGateway` naming the first endpoint whose host is not in
    ``trusted`` (the hotspot gateway's addresses and DNS name, lower case)."""
    allowed = {_canonical_host(h) for h in trusted}
    for name, host in endpoint_hosts(ctx).items():
        if _canonical_host(host) not in allowed:
            raise UntrustedGateway(name, "is not an address of this hotspot's gateway")


def _canonical_host(host: str) -> str:
    host = host.strip("[]").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GatewayParamError(name, "must be an http:// or https:// URL")
    # Browsers and Python read these differently (``\\`` is a path separator to a browser,
    # ``@`` hides the host behind a user name): refuse them rather than guess.
    if "\\" in value or "@" in parts.netloc or any(c.isspace() for c in value):
        raise GatewayParamError(name, "must be a plain http:// or https:// URL")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise GatewayParamError(name, "has a malformed port") from None
    return value


def parse_context(query: Mapping[str, str]) -> GatewayContext:
    """Validate the gateway's redirect parameters (or the portal's hidden copies of them).

    Raises :class:`GatewayParamError` naming the first malformed parameter.
    """
    params: dict[str, str] = {}
    for name in CONTEXT_FIELDS:
        value = query.get(name)
        if value is None or value == "":
            continue
        if len(value) > MAX_FIELD:
            raise GatewayParamError(name, f"is longer than {MAX_FIELD} characters")
        if any(ord(c) < 32 for c in value):
            raise GatewayParamError(name, "holds control characters")
        params[name] = value

    if "mac" in params and not _MAC.match(params["mac"]):
        raise GatewayParamError("mac", "is not a MAC address")
    if "ip" in params:
        try:
            ipaddress.ip_address(params["ip"])
        except ValueError:
            raise GatewayParamError("ip", "is not an IP address") from None
    for name in ("server-name", "identity", "nasid", "hotspot"):
        if name in params and not _NAME.match(params[name]):
            raise GatewayParamError(name, "may hold only letters, digits, '.', '_' and '-'")

    if "link-login-only" in params:
        for name in ("link-login-only", "link-logout", "link-status"):
            if name in params:
                _http_url(name, params[name])
        for name in ("chap-id", "chap-challenge"):
            if name in params:
                try:
                    unescape_mikrotik(params[name])
                except ChapFormatError as exc:
                    raise GatewayParamError(name, str(exc)) from None
        if ("chap-id" in params) != ("chap-challenge" in params):
            raise GatewayParamError("chap-challenge", "chap-id and chap-challenge come together")
        return GatewayContext("mikrotik", params)

    if "uamip" in params or "res" in params:
        for name in ("uamip", "uamport", "challenge"):
            if name not in params:
                raise GatewayParamError(name, "is missing from the UAM redirect")
        try:
            ipaddress.ip_address(params["uamip"])
        except ValueError:
            raise GatewayParamError("uamip", "is not an IP address") from None
        if not params["uamport"].isdigit() or not 0 < int(params["uamport"]) < 65536:
            raise GatewayParamError("uamport", "is not a port number")
        if not re.fullmatch(r"[0-9a-fA-F]{32}", params["challenge"]):
            raise GatewayParamError("challenge", "must be 32 hexadecimal digits")
        return GatewayContext("coova", params)

    return GatewayContext("none", params)
