"""The menus the lab RouterOS serves, one builder per area (interfaces, addresses, DNS and
firewall, hotspot, RADIUS, monitoring, system, wireless), assembled by :func:`path_specs`."""

from __future__ import annotations

from netops.lab.routeros.schema import _COMMON, _FIREWALL_MATCHERS, PathSpec, _list, _settings
from netops.lab.routeros.wireless import wireless_specs


def path_specs(version: str) -> dict[str, PathSpec]:
    """Every menu the lab device serves for RouterOS major ``version`` (``"6"`` or ``"7"``)."""
    v7 = version == "7"
    specs = [
        *_interface_specs(v7),
        *_address_specs(),
        *_dns_firewall_specs(v7),
        *_hotspot_specs(v7),
        *_hotspot_user_specs(),
        *_radius_specs(v7),
        *_monitoring_specs(v7),
        *_system_specs(),
    ]
    specs.extend(wireless_specs(v7))
    return {s.path: s for s in specs}


def _interface_specs(v7: bool) -> list[PathSpec]:
    """Ethernet ports, bridges, VLANs and the interface list."""
    return [
        PathSpec(
            path="interface",
            kind="list",
            fields={"name": None, "mtu": "1500", **_COMMON},
            read_only=(
                "default-name",
                "type",
                "actual-mtu",
                "l2mtu",
                "mac-address",
                "running",
                "dynamic",
            ),
            key=("name",),
            can_add=False,
            can_remove=False,
        ),
        PathSpec(
            path="interface/ethernet",
            kind="list",
            fields={"name": None, "mtu": "1500", **_COMMON},
            read_only=("default-name", "mac-address", "running"),
            key=("name",),
            can_add=False,
            can_remove=False,
        ),
        _list(
            "interface/bridge",
            {
                "name": None,
                "mtu": "auto",
                "protocol-mode": "rstp",
                "vlan-filtering": "false",
                "arp": "enabled",
                "auto-mac": "true",
                "admin-mac": "",
                "fast-forward": "true",
                "igmp-snooping": "false",
            },
            read_only=("mac-address", "actual-mtu", "l2mtu", "running"),
            key=("name",),
            auto_name="bridge",
            duplicate_message="failure: already have interface with such name",
        ),
        _list(
            "interface/bridge/port",
            {
                "interface": None,
                "bridge": None,
                "pvid": "1",
                "horizon": "none",
                "frame-types": "admit-all",
                "ingress-filtering": "true" if v7 else "false",
            },
            read_only=("dynamic", "inactive"),
            key=("interface",),
            duplicate_message="failure: device already added as bridge port",
            required=("interface", "bridge"),
            refs={"interface": "interface", "bridge": "interface/bridge"},
        ),
        _list(
            "interface/bridge/vlan",
            {"bridge": None, "vlan-ids": None, "tagged": None, "untagged": None},
            read_only=("dynamic", "current-tagged", "current-untagged"),
            required=("bridge", "vlan-ids"),
            refs={"bridge": "interface/bridge"},
        ),
        _list(
            "interface/vlan",
            {
                "name": None,
                "vlan-id": None,
                "interface": None,
                "mtu": "1500",
                "arp": "enabled",
                "use-service-tag": "false",
            },
            read_only=("mac-address", "running", "l2mtu"),
            key=("name",),
            duplicate_message="failure: already have interface with such name",
            required=("vlan-id", "interface"),
            refs={"interface": "interface"},
            auto_name="vlan",
        ),
    ]


def _address_specs() -> list[PathSpec]:
    """Addresses, pools, DHCP and routes."""
    return [
        _list(
            "ip/address",
            {"address": None, "network": None, "interface": None},
            read_only=("actual-interface", "invalid", "dynamic"),
            key=("address", "interface"),
            duplicate_message="failure: already have such address",
            required=("address", "interface"),
            refs={"interface": "interface"},
        ),
        PathSpec(
            path="ip/pool",
            kind="list",
            fields={"name": None, "ranges": None, "next-pool": None, "comment": None},
            key=("name",),
            required=("ranges",),
            refs={"next-pool": "ip/pool"},
            auto_name="pool",
        ),
        _list(
            "ip/dhcp-server",
            {
                "name": None,
                "interface": None,
                "address-pool": "static-only",
                "lease-time": "10m",
                "authoritative": "yes",
                "add-arp": "false",
                "always-broadcast": "false",
                "use-radius": "false",
                "lease-script": "",
            },
            read_only=("dynamic", "invalid"),
            key=("name",),
            required=("interface",),
            refs={"interface": "interface", "address-pool": "ip/pool"},
            auto_name="dhcp",
        ),
        PathSpec(
            path="ip/dhcp-server/network",
            kind="list",
            fields={
                "address": None,
                "gateway": "",
                "netmask": None,
                "dns-server": "",
                "domain": "",
                "ntp-server": "",
                "dhcp-option": "",
                "comment": None,
            },
            read_only=("dynamic",),
            key=("address",),
            required=("address",),
        ),
        PathSpec(
            path="ip/dhcp-server/option",
            kind="list",
            fields={"name": None, "code": None, "value": "", "comment": None},
            read_only=("raw-value",),
            key=("name",),
            required=("name", "code"),
        ),
        _list(
            "ip/route",
            {
                "dst-address": "0.0.0.0/0",
                "gateway": None,
                "distance": "1",
                "routing-table": "main",
            },
            read_only=("dynamic", "active", "static", "inactive"),
            required=("gateway",),
        ),
    ]


def _dns_firewall_specs(v7: bool) -> list[PathSpec]:
    """DNS and the firewall."""
    return [
        _settings(
            "ip/dns",
            {
                "servers": "",
                "allow-remote-requests": "false",
                "max-udp-packet-size": "4096",
                "query-server-timeout": "2s",
                "query-total-timeout": "10s",
                "cache-size": "2048KiB",
                "cache-max-ttl": "1w",
                **({"use-doh-server": "", "verify-doh-cert": "false"} if v7 else {}),
            },
            read_only=("dynamic-servers", "cache-used"),
        ),
        _list(
            "ip/dns/static",
            {
                "name": None,
                "address": None,
                "ttl": "1d",
                "regexp": None,
                "cname": None,
                "text": None,
                "forward-to": None,
                **({"type": None, "match-subdomain": "false"} if v7 else {}),
            },
            read_only=("dynamic",),
            ordered=True,
        ),
        _list(
            "ip/firewall/address-list",
            {"list": None, "address": None, "timeout": None},
            read_only=("dynamic", "creation-time"),
            required=("list", "address"),
        ),
        _list(
            "ip/firewall/filter",
            {**_FIREWALL_MATCHERS, "reject-with": None},
            read_only=("dynamic", "invalid", "bytes", "packets"),
            required=("chain",),
            ordered=True,
        ),
        _list(
            "ip/firewall/nat",
            {**_FIREWALL_MATCHERS, "to-addresses": None, "to-ports": None},
            read_only=("dynamic", "invalid", "bytes", "packets"),
            required=("chain",),
            ordered=True,
        ),
    ]


def _hotspot_specs(v7: bool) -> list[PathSpec]:
    """The hotspot server, its profile and walled garden."""
    return [
        PathSpec(
            path="ip/hotspot/profile",
            kind="list",
            fields={
                "name": None,
                "hotspot-address": "0.0.0.0",
                "dns-name": "",
                "html-directory": "hotspot" if not v7 else "flash/hotspot",
                "html-directory-override": "",
                "rate-limit": None,
                "http-proxy": "0.0.0.0:0",
                "smtp-server": "0.0.0.0",
                "login-by": "cookie,http-chap",
                "http-cookie-lifetime": "3d",
                "split-user-domain": "false",
                "use-radius": "false",
                "radius-accounting": "true",
                "radius-interim-update": "received",
                "radius-default-domain": "",
                "radius-location-id": "",
                "radius-location-name": "",
                "radius-mac-format": "XX:XX:XX:XX:XX:XX",
                "nas-port-type": "wireless-802.11",
                "ssl-certificate": None,
                "install-hotspot-queue": "false",
                "trial-uptime-limit": "30m",
                "trial-uptime-reset": "1d",
                "trial-user-profile": "default",
                "mac-auth-mode": "mac-as-username",
                "mac-auth-password": None,
            },
            read_only=("default",),
            key=("name",),
            auto_name="hsprof",
        ),
        _list(
            "ip/hotspot",
            {
                "name": None,
                "interface": None,
                "address-pool": "none",
                "profile": "default",
                "idle-timeout": "5m",
                "keepalive-timeout": "none",
                "login-timeout": "none",
                "addresses-per-mac": "2",
            },
            read_only=("invalid", "HTTPS", "proxy-status"),
            key=("name",),
            required=("interface",),
            refs={
                "interface": "interface",
                "address-pool": "ip/pool",
                "profile": "ip/hotspot/profile",
            },
            auto_name="hotspot",
        ),
        _list(
            "ip/hotspot/walled-garden",
            {
                "action": "allow",
                "server": None,
                "src-address": None,
                "dst-host": None,
                "dst-port": None,
                "path": None,
                "method": None,
            },
            read_only=("dynamic",),
            ordered=True,
        ),
        _list(
            "ip/hotspot/walled-garden/ip",
            {
                "action": "accept",
                "server": None,
                "src-address": None,
                "src-address-list": None,
                "dst-address": None,
                "dst-address-list": None,
                "dst-host": None,
                "protocol": None,
                "dst-port": None,
            },
            read_only=("dynamic", "invalid"),
            ordered=True,
        ),
    ]


def _hotspot_user_specs() -> list[PathSpec]:
    """Hotspot users and their profiles."""
    return [
        PathSpec(
            path="ip/hotspot/user/profile",
            kind="list",
            fields={
                "name": None,
                "address-pool": "none",
                "idle-timeout": "none",
                "keepalive-timeout": "2m",
                "status-autorefresh": "1m",
                "shared-users": "1",
                "rate-limit": None,
                "add-mac-cookie": "true",
                "mac-cookie-timeout": "3d",
                "transparent-proxy": "false",
                "open-status-page": "always",
                "session-timeout": None,
                "address-list": "",
                "parent-queue": None,
                "queue-type": None,
                "insert-queue-before": None,
                "incoming-packet-mark": None,
                "outgoing-packet-mark": None,
                "advertise": "false",
                "advertise-interval": None,
                "advertise-timeout": None,
                "advertise-url": None,
                "on-login": None,
                "on-logout": None,
                "incoming-filter": None,
                "outgoing-filter": None,
            },
            read_only=("default",),
            key=("name",),
            refs={"address-pool": "ip/pool"},
            auto_name="uprof",
        ),
        _list(
            "ip/hotspot/user",
            {
                "server": "all",
                "name": None,
                "password": None,
                "profile": "default",
                "mac-address": None,
                "address": None,
                "email": None,
                "routes": None,
                "limit-uptime": None,
                "limit-bytes-in": None,
                "limit-bytes-out": None,
                "limit-bytes-total": None,
            },
            read_only=(
                "dynamic",
                "uptime",
                "bytes-in",
                "bytes-out",
                "packets-in",
                "packets-out",
            ),
            key=("server", "name"),
            required=("name",),
            refs={"profile": "ip/hotspot/user/profile"},
        ),
    ]


def _radius_specs(v7: bool) -> list[PathSpec]:
    """RADIUS clients and the CoA listener."""
    return [
        _list(
            "radius",
            {
                "service": None,
                "address": "0.0.0.0",
                "secret": None,
                "authentication-port": "1812",
                "accounting-port": "1813",
                "timeout": "300ms",
                "accounting-backup": "false",
                "realm": None,
                "called-id": None,
                "domain": None,
                "src-address": "0.0.0.0",
                "protocol": "udp",
                "certificate": None,
                **({"require-message-auth": "yes-for-request-resp"} if v7 else {}),
            },
            write_only=("secret",),
        ),
        _settings("radius/incoming", {"accept": "false", "port": "3799"}),
    ]


def _monitoring_specs(v7: bool) -> list[PathSpec]:
    """SNMP, NTP and logging."""
    return [
        _settings(
            "snmp",
            {
                "enabled": "false",
                "contact": "",
                "location": "",
                "engine-id": "",
                "trap-community": "public",
                "trap-version": "1",
                "trap-generators": "temp-exception",
                "trap-target": "",
                "src-address": "::",
            },
        ),
        _list(
            "snmp/community",
            {
                "name": None,
                "addresses": "::/0",
                "security": "none",
                "read-access": "true",
                "write-access": "false",
                "authentication-protocol": "MD5",
                "encryption-protocol": "DES",
                "authentication-password": None,
                "encryption-password": None,
            },
            read_only=("default",),
            key=("name",),
            write_only=("authentication-password", "encryption-password"),
            auto_name="community",
        ),
        _settings(
            "system/ntp/client",
            (
                {"enabled": "false", "mode": "unicast", "servers": ""}
                if v7
                else {
                    "enabled": "false",
                    "mode": "unicast",
                    "primary-ntp": "0.0.0.0",
                    "secondary-ntp": "0.0.0.0",
                    "server-dns-names": "",
                }
            ),
            read_only=("status",) if v7 else (),
        ),
        _list(
            "system/ntp/client/servers",
            {"address": None},
            read_only=("dynamic", "auth-key"),
            key=("address",),
            required=("address",),
        ),
        _list(
            "system/logging/action",
            {
                "name": None,
                "target": "memory",
                "remote": None,
                "remote-port": "514",
                "src-address": "0.0.0.0",
            },
            key=("name",),
            required=("name",),
        ),
        _list(
            "system/logging",
            {"topics": None, "action": "memory", "prefix": None},
            read_only=("default", "dynamic"),
            required=("topics",),
        ),
    ]


def _system_specs() -> list[PathSpec]:
    """Identity, clock, users, services, scripts, the scheduler, files and backups."""
    return [
        _settings("system/identity", {"name": "MikroTik"}),
        _settings(
            "system/clock",
            {"time-zone-name": "UTC", "time-zone-autodetect": "false"},
            read_only=("time", "date", "gmt-offset"),
        ),
        PathSpec(path="system/resource", kind="facts", fields={}),
        PathSpec(path="system/routerboard", kind="facts", fields={}),
        _list(
            "user",
            {"name": None, "group": "full", "password": None, "address": ""},
            read_only=("last-logged-in",),
            key=("name",),
            required=("name",),
            write_only=("password",),
            duplicate_message="failure: user with the same name already exists",
        ),
        _list(
            "ip/service",
            {
                "port": None,
                "address": "",
                "certificate": None,
                "tls-version": None,
                "disabled": "false",
            },
            read_only=("name", "invalid"),
            key=("name",),
            can_add=False,
            can_remove=False,
        ),
        _list(
            "system/scheduler",
            {
                "name": None,
                "start-date": None,
                "start-time": None,
                "interval": "0s",
                "on-event": "",
                "policy": "ftp,reboot,read,write,policy,test,password,sniff,sensitive,romon",
            },
            read_only=("owner", "run-count", "next-run"),
            key=("name",),
            auto_name="schedule",
        ),
        PathSpec(
            path="system/script",
            kind="list",
            fields={
                "name": None,
                "source": "",
                "policy": "ftp,reboot,read,write,policy,test,password,sniff,sensitive,romon",
                "dont-require-permissions": "false",
                "comment": None,
            },
            read_only=("owner", "run-count", "last-started", "invalid"),
            key=("name",),
            auto_name="script",
            commands=("run",),
        ),
        PathSpec(
            path="file",
            kind="files",
            fields={"name": None, "contents": None},
            read_only=("type", "size", "creation-time"),
        ),
        PathSpec(path="system", kind="facts", fields={}, commands=("reboot",)),
        PathSpec(
            path="system/backup",
            kind="facts",
            fields={},
            commands=("save", "load"),
        ),
    ]
