"""Inventory → what to poll and how Prometheus should ask for it. Pure: no I/O.

* :func:`resolve_target` turns a ``/snmp?target=…&auth=…`` request into an address, an SNMP
  profile and the inventory labels of the device behind it.
* :func:`snmp_targets` / :func:`probe_targets` build Prometheus ``file_sd`` target lists.
* :func:`prometheus_config` builds a ``prometheus.yml`` using them with the relabelling the
  multi-target exporter pattern needs.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from netops import defaults
from netops.errors import ExporterError
from netops.exporters.convert import Labels
from netops.inventory.models import Device, Inventory, SnmpProfile

#: Modules polled per platform when a device does not list its own (``data.snmp_modules``).
PLATFORM_MODULES: dict[str, tuple[str, ...]] = {
    "mikrotik_routeros": ("if_mib", "system", "mikrotik", "host_resources"),
    "linux": ("if_mib", "system", "host_resources"),
}
DEFAULT_MODULES: tuple[str, ...] = ("if_mib", "system")
DEFAULT_EXPORTER = "127.0.0.1:9116"


def split_host_port(text: str) -> tuple[str, int | None]:
    """``host``, ``host:port``, ``[v6]:port`` or a bare IPv6 address → (host, port or None)."""
    text = text.strip()
    if not text:
        raise ExporterError("target is empty: give target=HOST or target=HOST:PORT")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ExporterError(f"target {text!r} opens [ without closing it")
        port_text = rest.removeprefix(":") if rest else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host:
        raise ExporterError(f"target {text!r} has no host")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ExporterError(f"target {text!r} has a bad port {port_text!r}")
    return host, int(port_text)


def find_device(inv: Inventory, host: str) -> Device | None:
    """The inventory device whose management address (or hostname) is ``host``."""
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        return inv.find_device(host)
    return next((d for d in inv.devices if str(d.mgmt_ip) == address), None)


def device_labels(device: Device) -> Labels:
    return {"device": device.hostname, "site": device.site, "role": device.role}


def port_labels(inv: Inventory, device: Device) -> dict[str, Labels]:
    """Labels for the device's ports that are inventory links, keyed by interface name."""
    ports: dict[str, Labels] = {}
    for link in inv.links_of(device.hostname):
        for end in link.ends():
            if end.device != device.hostname:
                continue
            labels = {
                "link_far_end": link.far_end(end.device, end.interface),
                "link_medium": link.medium,
                "link_capacity_mbps": f"{link.capacity_mbps:g}",
            }
            if link.provider:
                labels["link_provider"] = link.provider
            ports[end.interface] = labels
    return ports


@dataclass(frozen=True)
class ResolvedTarget:
    """A scrape request made concrete: where, with which profile, and with which labels."""

    host: str
    port: int
    profile_name: str
    profile: SnmpProfile
    device: Device | None
    labels: Labels = field(default_factory=dict)
    ports: dict[str, Labels] = field(default_factory=dict)


def resolve_target(inv: Inventory, target: str, auth: str | None) -> ResolvedTarget:
    """Resolve ``target`` (``HOST[:PORT]``) and ``auth`` (an SNMP profile name).

    Without ``auth`` the device's own profile is used; an unknown host needs ``auth``.
    """
    host, port = split_host_port(target)
    device = find_device(inv, host)
    profile_name = auth or (device.snmp if device else None)
    if not profile_name:
        raise ExporterError(
            f"target {target} is not an inventory device with an SNMP profile: give auth=PROFILE"
        )
    profile = inv.snmp.get(profile_name)
    if profile is None:
        known = ", ".join(sorted(inv.snmp)) or "none"
        raise ExporterError(f"auth {profile_name!r} is not an SNMP profile (known: {known})")
    if port is None:
        port = (device.snmp_port if device else None) or profile.port
    if device is not None and host == device.hostname:
        host = str(device.mgmt_ip)
    labels = device_labels(device) if device else {}
    ports = port_labels(inv, device) if device else {}
    return ResolvedTarget(host, port, profile_name, profile, device, labels, ports)


def device_modules(device: Device) -> tuple[str, ...]:
    wanted = device.data.get("snmp_modules")
    if isinstance(wanted, list | tuple) and all(isinstance(m, str) for m in wanted):
        return tuple(wanted)
    return PLATFORM_MODULES.get(device.platform, DEFAULT_MODULES)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def snmp_targets(inv: Inventory, site: str | None = None) -> list[dict[str, Any]]:
    """file_sd entries: one per device with an SNMP profile, module and auth as URL params."""
    entries = []
    for device in inv.select(site=site):
        if not device.snmp or device.snmp not in inv.snmp:
            continue
        port = device.snmp_port or inv.snmp[device.snmp].port
        labels = {
            **device_labels(device),
            "__param_module": ",".join(device_modules(device)),
            "__param_auth": device.snmp,
        }
        entries.append({"targets": [_address(str(device.mgmt_ip), port)], "labels": labels})
    return entries


def probe_targets(inv: Inventory, site: str | None = None) -> list[dict[str, Any]]:
    """file_sd entries for ICMP probes: every device's management address, and the far-side
    ``probe`` address of each leased circuit that declares one (labelled by link, with no
    ``device`` label: it measures the circuit, not a device's reachability)."""
    entries = [
        {"targets": [str(device.mgmt_ip)], "labels": device_labels(device)}
        for device in inv.select(site=site)
    ]
    for link in inv.links:
        device = inv.find_device(link.a.device)
        if link.probe is None or (site is not None and (device is None or device.site != site)):
            continue
        labels = {
            "link_id": link.id,
            "link_provider": link.provider or "",
            "link_circuit": link.circuit_id or "",
            "link_role": link.role,
            "site": device.site if device else "",
        }
        entries.append(
            {"targets": [str(link.probe)], "labels": {k: v for k, v in labels.items() if v}}
        )
    return entries


#: Where ``netops radius serve --metrics-listen`` listens on each RADIUS server by default.
RADIUS_METRICS_PORT = defaults.RADIUS_METRICS_PORT


def radius_metrics_targets(inv: Inventory, port: int = RADIUS_METRICS_PORT) -> list[str]:
    """``HOST:PORT`` of every RADIUS server the inventory names (``services.radius.servers``),
    primary first; the local server when the inventory names none."""
    servers = [str(server) for server in inv.services.radius.servers] or ["127.0.0.1"]
    return [_address(server, port) for server in servers]


def portal_scrape(inv: Inventory, targets: list[str] | None = None) -> dict[str, Any]:
    """The scrape settings for the captive portal as ``services.portal.url`` publishes it:
    scheme, ``HOST:PORT`` (the URL's port or the scheme's) and, over HTTPS, the TLS server name
    its certificate carries. ``targets`` replaces the address (each portal host behind one
    name) and keeps the scheme and server name."""
    parts = urlsplit(inv.services.portal.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ExporterError(
            f"services.portal.url {inv.services.portal.url!r} is not an http:// or https:// URL"
        )
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    job: dict[str, Any] = {
        "job_name": "netops-portal",
        "scheme": parts.scheme,
        "metrics_path": "/metrics",
        "static_configs": [{"targets": targets or [_address(host, port)]}],
    }
    if parts.scheme == "https":
        job["tls_config"] = {"server_name": inv.services.portal.host or host}
    return job


def _multi_target(job: str, path: str, sd_file: Path, exporter: str, **extra: Any) -> Any:
    return {
        "job_name": job,
        "metrics_path": path,
        **extra,
        "file_sd_configs": [{"files": [str(sd_file)]}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter},
        ],
    }


def prometheus_config(
    inv: Inventory,
    targets_dir: Path,
    rule_files: list[str],
    exporter: str = DEFAULT_EXPORTER,
    radius: list[str] | None = None,
    portal: list[str] | None = None,
    scrape_interval: str = "30s",
    scrape_timeout: str = "10s",
    radius_metrics_port: int = RADIUS_METRICS_PORT,
) -> dict[str, Any]:
    """A complete ``prometheus.yml`` (as data) for the city: every netops job.

    RADIUS servers and the portal come from the inventory's ``services`` unless ``radius`` /
    ``portal`` list other ``HOST:PORT`` addresses. The SNMP and ICMP jobs honour the labels
    the exporter sets (``device``, ``site``, ``role``, the same as the target files give), so
    no series carries ``exported_*`` copies of them.
    """
    return {
        "global": {
            "scrape_interval": scrape_interval,
            "scrape_timeout": scrape_timeout,
            "evaluation_interval": scrape_interval,
            "external_labels": {"city": inv.meta.city},
        },
        "rule_files": rule_files,
        "scrape_configs": [
            _multi_target("snmp", "/snmp", targets_dir / "snmp.json", exporter, honor_labels=True),
            _multi_target("icmp", "/probe", targets_dir / "icmp.json", exporter, honor_labels=True),
            {
                "job_name": "netops-radius",
                "static_configs": [
                    {"targets": radius or radius_metrics_targets(inv, radius_metrics_port)}
                ],
            },
            portal_scrape(inv, portal),
            {"job_name": "netops-exporter", "static_configs": [{"targets": [exporter]}]},
        ],
    }
