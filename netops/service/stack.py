"""The netops services ``netops up`` runs, as component specs: RADIUS, portal, exporter.

Each component is the real ``netops … serve`` command on its own ports, started with the
same inventory and database. Which commands exist is asked of the caller (``available``),
so the stack can start with whatever subsystems this installation has.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from netops import defaults
from netops.errors import NetopsError
from netops.inventory.models import Inventory
from netops.listen import ensure_free as ensure_port_free
from netops.listen import parse_listen
from netops.service.model import ComponentSpec, Endpoint, Probe

DEFAULT_HEALTH_PORT = defaults.HEALTH_PORT
DEFAULT_RADIUS_METRICS_PORT = defaults.RADIUS_METRICS_PORT
DEFAULT_EXPORTER_PORT = defaults.EXPORTER_PORT
DEFAULT_PORTAL_PORT = defaults.PORTAL_PORT

Available = Callable[[tuple[str, ...]], bool]


class ServiceError(NetopsError):
    """The service stack could not start (port in use, already running, bad option)."""


@dataclass(frozen=True)
class StackPorts:
    """Where each service listens. ``host`` is the address every service binds."""

    host: str = defaults.LOCALHOST
    radius_auth: int = defaults.RADIUS_AUTH_PORT
    radius_acct: int = defaults.RADIUS_ACCT_PORT
    radius_metrics: int = DEFAULT_RADIUS_METRICS_PORT
    portal: int = DEFAULT_PORTAL_PORT
    exporter: int = DEFAULT_EXPORTER_PORT
    health: int = DEFAULT_HEALTH_PORT
    prometheus: int | None = None  # None: no Prometheus in the stack

    @classmethod
    def for_inventory(cls, inventory: Inventory, host: str = "127.0.0.1") -> StackPorts:
        """Defaults from the inventory: the RADIUS ports the NAS use, the portal's URL port."""
        radius = inventory.services.radius
        portal_port = urlsplit(inventory.services.portal.url).port or DEFAULT_PORTAL_PORT
        return cls(host, radius.auth_port, radius.acct_port, portal=portal_port)

    def url(self, port: int, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{port}{path}"

    def probe_host(self) -> str:
        return "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host

    def check(self) -> None:
        """Every port distinct and in range; raise :class:`ServiceError` naming the clash."""
        try:
            ipaddress.ip_address(self.host)
        except ValueError as exc:
            raise ServiceError(f"--bind {self.host!r} is not an IP address") from exc
        seen: dict[tuple[str, int], str] = {}
        for name, proto, port in self.listeners():
            if not 0 < port < 65536:
                raise ServiceError(f"{name} port {port} is not between 1 and 65535")
            if (proto, port) in seen:
                raise ServiceError(f"{name} and {seen[(proto, port)]} both want {proto} {port}")
            seen[(proto, port)] = name
        if self.radius_auth == self.radius_acct:
            raise ServiceError("the RADIUS auth and accounting ports must differ")

    def listeners(self) -> list[tuple[str, str, int]]:
        """``(what, tcp|udp, port)`` for every socket the stack opens."""
        extra = [("Prometheus", "tcp", self.prometheus)] if self.prometheus else []
        return [
            *extra,
            ("RADIUS auth", "udp", self.radius_auth),
            ("RADIUS accounting", "udp", self.radius_acct),
            ("RADIUS metrics", "tcp", self.radius_metrics),
            ("portal", "tcp", self.portal),
            ("exporter", "tcp", self.exporter),
            ("health", "tcp", self.health),
        ]


def ensure_free(ports: StackPorts) -> None:
    """Raise :class:`ServiceError` for the first port another process already holds."""
    for name, proto, port in ports.listeners():
        ensure_port_free(
            ports.host,
            port,
            udp=proto == "udp",
            error=ServiceError,
            what=f"{name} port {proto} {ports.host}:{port}",
            advice="stop what holds it or choose another port",
        )


def netops_argv(inventory: Path, db: str, *command: str) -> tuple[str, ...]:
    """The command line of a netops subcommand, run by this Python."""
    return (sys.executable, "-m", "netops", "-i", str(inventory), "--db", db, *command)


def _radius_spec(
    inventory: Path, db: str, ports: StackPorts, log_dir: Path, threads: int | None
) -> ComponentSpec:
    """The RADIUS server on the stack's ports, its metrics beside them."""
    host, probe_host = ports.host, ports.probe_host()
    hostport = f"[{host}]" if ":" in host else host
    return ComponentSpec(
        name="radius",
        argv=netops_argv(
            inventory,
            db,
            "radius",
            "serve",
            "--bind",
            host,
            "--auth-port",
            str(ports.radius_auth),
            "--acct-port",
            str(ports.radius_acct),
            "--metrics-listen",
            f"{hostport}:{ports.radius_metrics}",
            *(() if threads is None else ("--threads", str(threads))),
        ),
        probe=Probe(probe_host, ports.radius_metrics, "/metrics"),
        endpoints=(
            Endpoint("auth", f"udp://{hostport}:{ports.radius_auth}"),
            Endpoint("accounting", f"udp://{hostport}:{ports.radius_acct}"),
            Endpoint("metrics", ports.url(ports.radius_metrics, "/metrics")),
        ),
        log=log_dir / "radius.log",
    )


def _natlog_spec(inventory: Path, db: str, natlog: str, log_dir: Path) -> ComponentSpec:
    """The source-NAT syslog receiver on ``natlog`` (``ADDR:PORT``, UDP and TCP)."""
    nat_host, nat_port = parse_listen(natlog, option="services.natlog.listen", error=ServiceError)
    nat_probe = "127.0.0.1" if nat_host in ("0.0.0.0", "::") else nat_host
    nat_shown = f"[{nat_host}]" if ":" in nat_host else nat_host
    return ComponentSpec(
        name="natlog",
        argv=netops_argv(inventory, db, "privacy", "syslog", "--listen", natlog),
        probe=Probe(nat_probe, nat_port),
        endpoints=(
            Endpoint("syslog", f"udp://{nat_shown}:{nat_port}"),
            Endpoint("syslog-tcp", f"tcp://{nat_shown}:{nat_port}"),
        ),
        log=log_dir / "natlog.log",
    )


def stack_components(
    inventory: Path,
    db: str,
    ports: StackPorts,
    log_dir: Path,
    available: Available,
    natlog: str | None = None,
    radius_threads: int | None = None,
) -> tuple[list[ComponentSpec], list[str]]:
    """The components to run, and a note for each service this installation lacks.

    ``natlog`` (``ADDR:PORT``, from ``services.natlog.listen`` when the inventory enables it)
    adds the source-NAT syslog receiver. ``radius_threads`` is handed to the RADIUS server as
    ``--threads``; without it the server picks them by the store's engine."""
    specs: list[ComponentSpec] = []
    missing: list[str] = []
    host, probe_host = ports.host, ports.probe_host()
    hostport = f"[{host}]" if ":" in host else host

    def add(command: tuple[str, ...], spec: ComponentSpec) -> None:
        if available(command):
            specs.append(spec)
        else:
            missing.append(f"{spec.name}: `netops {' '.join(command)}` is not installed")

    add(("radius", "serve"), _radius_spec(inventory, db, ports, log_dir, radius_threads))
    add(
        ("portal", "serve"),
        ComponentSpec(
            name="portal",
            argv=netops_argv(
                inventory, db, "portal", "serve", "--listen", f"{hostport}:{ports.portal}"
            ),
            probe=Probe(probe_host, ports.portal),
            endpoints=(
                Endpoint("portal", ports.url(ports.portal)),
                Endpoint("metrics", ports.url(ports.portal, "/metrics")),
            ),
            log=log_dir / "portal.log",
        ),
    )
    add(
        ("exporter", "serve"),
        ComponentSpec(
            name="exporter",
            argv=netops_argv(
                inventory, db, "exporter", "serve", "--listen", f"{hostport}:{ports.exporter}"
            ),
            probe=Probe(probe_host, ports.exporter, "/metrics"),
            endpoints=(
                Endpoint("metrics", ports.url(ports.exporter, "/metrics")),
                Endpoint("snmp", ports.url(ports.exporter, "/snmp?target=DEVICE")),
            ),
            log=log_dir / "exporter.log",
        ),
    )
    if natlog is not None:
        add(("privacy", "syslog"), _natlog_spec(inventory, db, natlog, log_dir))
    return specs, missing


def natlog_listen(inventory: Inventory) -> str | None:
    """Where ``netops up`` runs the NAT log receiver; None unless the inventory enables it."""
    settings = inventory.services.natlog
    return settings.listen if settings.enabled else None


PROMETHEUS = "/usr/bin/prometheus"
DEFAULT_PROMETHEUS_PORT = defaults.PROMETHEUS_PORT


def prometheus_component(
    binary: str, config: Path, data: Path, host: str, port: int, log_dir: Path
) -> ComponentSpec:
    """A real Prometheus scraping the stack, with its storage under the state folder."""
    hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    probe_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return ComponentSpec(
        name="prometheus",
        argv=(
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            "--storage.tsdb.retention.time=2d",
            f"--web.listen-address={hostport}",
        ),
        probe=Probe(probe_host, port, "/-/ready"),
        endpoints=(Endpoint("ui", f"http://{shown}:{port}/"),),
        log=log_dir / "prometheus.log",
    )


def prometheus_config_commands(
    inventory: Path, ports: StackPorts, folder: Path, scrape_interval: str = "5s"
) -> list[tuple[str, ...]]:
    """The ``netops prometheus`` commands that write the scrape config, targets and rules."""
    host = ports.probe_host()
    hostport = f"[{host}]" if ":" in host else host
    base = (sys.executable, "-m", "netops", "-i", str(inventory), "prometheus")
    return [
        (*base, "rules", "-o", str(folder / "netops-rules.yml")),
        (
            *base, "config", "-o", str(folder / "prometheus.yml"), "--with-targets",
            "--exporter", f"{hostport}:{ports.exporter}",
            "--radius", f"{hostport}:{ports.radius_metrics}",
            "--portal", f"{hostport}:{ports.portal}",
            "--scrape-interval", scrape_interval, "--scrape-timeout", "4s",
        ),
    ]  # fmt: skip
