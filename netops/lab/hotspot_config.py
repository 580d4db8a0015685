"""What the lab hotspot gateway does, read from the lab RouterOS device it plays.

A real MikroTik hotspot behaves as its configuration says; the lab's gateway simulator
(:mod:`netops.lab.gateway`) does the same by reading the state of the lab RouterOS device
(:mod:`netops.lab.routeros`) that ``netops config push`` changed: its ``state.json`` and the
files under ``files/``. The parts it follows, as MikroTik documents them:

* ``/ip/hotspot`` (the first enabled server) and its ``/ip/hotspot/profile``: ``dns-name``
  (the name in the links the gateway hands out; RouterOS resolves it to the gateway with a
  static DNS entry), ``login-by`` (``http-chap`` / ``http-pap``), ``html-directory`` (its
  ``login.html`` is the page a phone that is not logged in gets, with ``$(…)`` variables
  filled in), ``use-radius``, ``radius-accounting``, ``radius-interim-update``
  ("Hotspot", "Hotspot customisation": help.mikrotik.com/docs/spaces/ROS/pages/56459266);
* ``/ip/hotspot/walled-garden`` (HTTP: ``dst-host`` with ``*`` wildcards, ``dst-port``,
  ``path``; ``allow``/``deny``, first match wins) and ``/ip/hotspot/walled-garden/ip``
  (``dst-address``/``dst-host``, ``protocol``, ``dst-port``; ``accept``/``drop``/``reject``):
  what a client that is not logged in may reach ("Hotspot" → Walled Garden);
* ``/radius``: the first enabled entry whose ``service`` includes ``hotspot`` (address,
  secret, authentication and accounting ports, timeout), and ``/radius/incoming``
  (``accept``, ``port``: where Disconnect and CoA requests are taken; "RADIUS Client",
  wiki.mikrotik.com/wiki/Manual:RADIUS_Client);
* ``/system/identity``: the NAS-Identifier.

:class:`PushedConfig` re-reads the files only when they changed, so the gateway follows
each new push without a restart.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netops.errors import NetopsError

STATE_FILE = "state.json"
FILES_DIR = "files"


class HotspotNotConfigured(NetopsError):
    """The lab RouterOS device runs no hotspot the gateway could play (yet)."""


def _yes(value: str | None) -> bool:
    return (value or "").lower() in ("true", "yes")


def _seconds(value: str | None, default: float) -> float:
    """A RouterOS time (``3s``, ``300ms``, ``1m``, ``00:00:03``) in seconds."""
    from netops.lab.routeros.values import parse_duration

    text = (value or "").strip()
    if not text:
        return default
    if text.endswith("ms") and text[:-2].isdigit():
        return int(text[:-2]) / 1000
    try:
        return float(parse_duration(text))
    except ValueError:
        return default


def _port_matches(spec: str, port: int) -> bool:
    """RouterOS port syntax: ``80``, ``80,443``, ``8000-8080``, ``!443``; empty: any."""
    spec = spec.strip()
    if not spec:
        return True
    negate = spec.startswith("!")
    spec = spec.lstrip("!")
    hit = False
    for part in spec.split(","):
        low, _, high = part.partition("-")
        try:
            if int(low) <= port <= int(high or low):
                hit = True
        except ValueError:
            continue
    return hit != negate


def _host_matches(pattern: str, host: str) -> bool:
    """``dst-host`` with ``*`` wildcards (case-insensitive), optionally ``!``-negated."""
    pattern = pattern.strip().lower()
    negate = pattern.startswith("!")
    pattern = pattern.lstrip("!")
    hit = fnmatch.fnmatchcase(host.lower(), pattern)
    return hit != negate


def _address_matches(spec: str, host: str) -> bool:
    spec = spec.strip()
    negate = spec.startswith("!")
    spec = spec.lstrip("!")
    try:
        address = ipaddress.ip_address(host)
        hit = address in ipaddress.ip_network(spec, strict=False)
    except ValueError:
        hit = False
    return hit != negate


@dataclass(frozen=True)
class WalledGardenRule:
    """One ``/ip/hotspot/walled-garden`` (HTTP) entry."""

    action: str  # allow | deny
    dst_host: str = ""
    dst_port: str = ""
    path: str = ""

    def matches(self, host: str, port: int, path: str) -> bool:
        if self.dst_host and not _host_matches(self.dst_host, host):
            return False
        if self.path and not fnmatch.fnmatchcase(path, self.path.lstrip("!")):
            return False
        return _port_matches(self.dst_port, port)


@dataclass(frozen=True)
class WalledGardenIpRule:
    """One ``/ip/hotspot/walled-garden/ip`` entry (any protocol, HTTPS included)."""

    action: str  # accept | drop | reject
    dst_address: str = ""
    dst_host: str = ""
    protocol: str = ""
    dst_port: str = ""

    def matches(self, host: str, port: int, protocol: str = "tcp") -> bool:
        if self.dst_address and not _address_matches(self.dst_address, host):
            return False
        if self.dst_host and not _host_matches(self.dst_host, host):
            return False
        if self.protocol and self.protocol.lower() != protocol:
            return False
        return _port_matches(self.dst_port, port)


@dataclass(frozen=True)
class RadiusServer:
    """The ``/radius`` entry the hotspot uses."""

    address: str
    secret: str = field(repr=False)
    auth_port: int
    acct_port: int
    timeout: float


@dataclass(frozen=True)
class HotspotConfig:
    """The gateway's behaviour as the device's configuration says."""

    identity: str
    server: str
    profile: str
    hotspot_address: str
    dns_name: str
    login_by: tuple[str, ...]
    html_directory: str
    login_html: str | None
    use_radius: bool
    radius_accounting: bool
    interim_update: float | None  # seconds; None: "received" (the RADIUS reply decides)
    radius: RadiusServer | None
    coa_accept: bool
    coa_port: int
    walled_garden: tuple[WalledGardenRule, ...] = ()
    walled_garden_ip: tuple[WalledGardenIpRule, ...] = ()

    @property
    def chap(self) -> bool:
        return "http-chap" in self.login_by

    @property
    def pap(self) -> bool:
        return "http-pap" in self.login_by

    def own_hosts(self) -> frozenset[str]:
        """Host names that reach the gateway itself: its ``dns-name`` (a static DNS entry
        on the device) and its hotspot address."""
        hosts = {self.hotspot_address}
        if self.dns_name:
            hosts.add(self.dns_name.lower())
        return frozenset(h for h in hosts if h and h != "0.0.0.0")

    def walled(self, host: str, port: int, path: str = "/", *, http: bool = True) -> bool:
        """True when a client that is not logged in may reach ``host:port`` (an HTTP
        request for ``path`` when ``http``, else a TCP connection such as HTTPS).

        The IP walled garden is checked first (it bypasses the hotspot), then for HTTP the
        HTTP walled garden; the first matching entry decides."""
        for rule in self.walled_garden_ip:
            if rule.matches(host, port):
                return rule.action == "accept"
        if http:
            for hrule in self.walled_garden:
                if hrule.matches(host, port, path):
                    return hrule.action == "allow"
        return False


def _entries(doc: dict[str, Any], path: str) -> list[dict[str, str]]:
    return [e for e in doc.get("tables", {}).get(path, []) if not _yes(e.get("disabled", "false"))]


def read_hotspot(state_dir: Path) -> HotspotConfig:
    """The hotspot configuration of the lab RouterOS device whose state is in ``state_dir``.

    Raises :class:`HotspotNotConfigured` with one sentence when there is nothing to play."""
    where = state_dir / STATE_FILE
    try:
        doc = json.loads(where.read_text())
    except FileNotFoundError:
        raise HotspotNotConfigured(
            f"{where} does not exist: start the lab RouterOS device first"
        ) from None
    except (OSError, ValueError) as exc:
        raise HotspotNotConfigured(f"{where}: not a lab RouterOS state ({exc})") from None
    settings = doc.get("settings", {})
    identity = settings.get("system/identity", {}).get("name", "MikroTik")
    servers = _entries(doc, "ip/hotspot")
    if not servers:
        raise HotspotNotConfigured(
            f"{identity} has no enabled /ip hotspot: push its configuration first "
            "(netops config push --commit)"
        )
    server = servers[0]
    profiles = {p.get("name"): p for p in doc.get("tables", {}).get("ip/hotspot/profile", [])}
    profile = profiles.get(server.get("profile", "default")) or {}
    html_dir = profile.get("html-directory", "")
    login_html: str | None = None
    if html_dir:
        page = state_dir / FILES_DIR / html_dir / "login.html"
        try:
            login_html = page.read_text(encoding="utf-8")
        except OSError:
            login_html = None
    radius = None
    for entry in _entries(doc, "radius"):
        services = {s.strip() for s in entry.get("service", "").split(",")}
        if "hotspot" in services:
            radius = RadiusServer(
                address=entry.get("address", "0.0.0.0"),
                secret=entry.get("secret", ""),
                auth_port=int(entry.get("authentication-port") or 1812),
                acct_port=int(entry.get("accounting-port") or 1813),
                timeout=_seconds(entry.get("timeout"), 0.3),
            )
            break
    incoming = settings.get("radius/incoming", {})
    interim_text = profile.get("radius-interim-update", "received")
    return HotspotConfig(
        identity=identity,
        server=server.get("name", "hotspot1"),
        profile=profile.get("name", "default"),
        hotspot_address=profile.get("hotspot-address", "0.0.0.0"),
        dns_name=profile.get("dns-name", ""),
        login_by=tuple(x.strip() for x in profile.get("login-by", "").split(",") if x.strip()),
        html_directory=html_dir,
        login_html=login_html,
        use_radius=_yes(profile.get("use-radius")),
        radius_accounting=_yes(profile.get("radius-accounting")),
        interim_update=None if interim_text == "received" else _seconds(interim_text, 0) or None,
        radius=radius,
        coa_accept=_yes(incoming.get("accept")),
        coa_port=int(incoming.get("port") or 3799),
        walled_garden=tuple(
            WalledGardenRule(
                action=e.get("action", "allow"),
                dst_host=e.get("dst-host", ""),
                dst_port=e.get("dst-port", ""),
                path=e.get("path", ""),
            )
            for e in _entries(doc, "ip/hotspot/walled-garden")
        ),
        walled_garden_ip=tuple(
            WalledGardenIpRule(
                action=e.get("action", "accept"),
                dst_address=e.get("dst-address", ""),
                dst_host=e.get("dst-host", ""),
                protocol=e.get("protocol", ""),
                dst_port=e.get("dst-port", ""),
            )
            for e in _entries(doc, "ip/hotspot/walled-garden/ip")
        ),
    )


class PushedConfig:
    """The device's hotspot configuration, re-read whenever its files change."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir.absolute()
        self._lock = threading.Lock()
        self._stamp: tuple[int, ...] | None = None
        self._config: HotspotConfig | None = None
        self._error: HotspotNotConfigured | None = None

    def _stamps(self) -> tuple[int, ...]:
        stamps = []
        files = [self.state_dir / STATE_FILE]
        if self._config is not None and self._config.html_directory:
            files.append(self.state_dir / FILES_DIR / self._config.html_directory / "login.html")
        for path in files:
            try:
                stat = path.stat()
                stamps += [stat.st_mtime_ns, stat.st_ino, stat.st_size]
            except OSError:
                stamps += [0, 0, 0]
        return tuple(stamps)

    def current(self) -> HotspotConfig:
        """The configuration now; raises :class:`HotspotNotConfigured` when there is none."""
        with self._lock:
            stamp = self._stamps()
            if stamp != self._stamp:
                try:
                    self._config, self._error = read_hotspot(self.state_dir), None
                except HotspotNotConfigured as exc:
                    self._config, self._error = None, exc
                self._stamp = self._stamps()
            if self._config is None:
                assert self._error is not None
                raise self._error
            return self._config
