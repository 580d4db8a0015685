"""What netops knows about each RouterOS menu it manages: how entries are matched, which
fields matter, which are secrets, and how values compare.

Paths are API-style (``/ip/hotspot/profile``). Four kinds of path:

``settings``
    One unnamed entry (``/ip/dns``, ``/snmp``): compared and set field by field, only the
    fields netops states. Ansible's ``single_value``.
``keyed``
    Entries matched by key fields (a profile by ``name``, ``/radius`` by
    ``address`` + ``service``). Ansible's ``primary_keys``; ``fixed`` paths
    (``/ip/service``) hold a fixed set of entries that can only be set, never added or
    removed (Ansible's ``fixed_entries``).
``fields``
    Entries without a name (walled garden), matched by all their significant fields.
    Ansible's paths without ``primary_keys``.
``ordered``
    Firewall rules: matched like ``fields`` within each ``chain`` (Ansible's
    ``stratify_keys``) and put into the intended order with ``move`` (``ensure_order``).

Key fields, defaults and ``can_disable`` (here ``unset``) follow Ansible's
``community.routeros`` ``plugins/module_utils/_api_data.py`` for the same paths; defaults
are listed only where netops relies on them (an owned entry whose field was dropped from
the inventory is set back to the default, or unset).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from netops.provision.routeros.normalize import FieldType, normalize


class Kind(Enum):
    SETTINGS = "settings"
    KEYED = "keyed"
    FIELDS = "fields"
    ORDERED = "ordered"


@dataclass(frozen=True)
class Field:
    """One property of a path: its value type, its device default, whether it is a secret
    the device never shows (``write_only``), computed by the device (``read_only``, never
    compared) or can be unset (``unset``: Ansible's ``can_disable``)."""

    type: FieldType = "text"
    default: str | None = None
    write_only: bool = False
    read_only: bool = False
    unset: bool = False


#: Fields never compared on any path: identity, state flags and counters.
IGNORED = frozenset(
    {
        ".id",
        ".nextid",
        ".dead",
        ".about",
        "dynamic",
        "invalid",
        "builtin",
        "default",
        "running",
        "inactive",
        "bytes",
        "packets",
        "numbers",
    }
)

#: Types of fields whose name means the same on every path.
COMMON: Mapping[str, Field] = {
    "disabled": Field("bool", default="false"),
    "comment": Field("text", unset=True),
    "mac-address": Field("mac"),
}


@dataclass(frozen=True)
class PathSchema:
    """How one menu is compared and changed. ``marker`` is the field that carries the
    ownership marker (``comment``), None where the menu has no comment: there an entry is
    netops's when its key matches ``owned_prefix`` (``hsprof-``) or an intended entry.
    ``prunable`` False: entries only on the device stay even with ``prune`` (``/file``
    holds backups and licences, not configuration)."""

    path: str
    kind: Kind
    keys: tuple[str, ...] = ()
    fields: Mapping[str, Field] = field(default_factory=dict)
    marker: str | None = "comment"
    owned_prefix: str | None = None
    fixed: bool = False
    prunable: bool = True

    def field(self, name: str) -> Field:
        return self.fields.get(name) or COMMON.get(name) or Field()

    def norm(self, name: str, value: str) -> str:
        return normalize(value, self.field(name).type)

    def significant(self, name: str) -> bool:
        """Compared at all (not ignored, not computed by the device)."""
        return name not in IGNORED and not self.field(name).read_only

    @property
    def write_only(self) -> frozenset[str]:
        return frozenset(n for n, f in self.fields.items() if f.write_only)


def _f(**fields: Field) -> dict[str, Field]:
    return {name.replace("_", "-"): value for name, value in fields.items()}


def _matchers(names: str, **typed: Field) -> dict[str, Field]:
    """Fields of a menu without keys (Ansible's field list for the path): each is part of
    what an entry is, and unset when netops stops stating it."""
    fields = {name: Field(unset=True) for name in names.split()}
    fields.update(_f(**typed))
    return fields


_FIREWALL = (
    "action address-list address-list-timeout chain connection-bytes connection-limit "
    "connection-mark connection-nat-state connection-rate connection-state connection-type "
    "content dscp dst-address dst-address-list dst-address-type dst-limit dst-port fragment "
    "hotspot icmp-options in-bridge-port in-bridge-port-list in-interface in-interface-list "
    "ingress-priority ipsec-policy ipv4-options jump-target layer7-protocol limit nth "
    "out-bridge-port out-bridge-port-list out-interface out-interface-list p2p packet-mark "
    "packet-size per-connection-classifier port priority protocol psd random realm "
    "reject-with routing-mark src-address src-address-list src-address-type src-mac-address "
    "src-port tcp-flags tcp-mss time tls-host ttl to-addresses to-ports randomise-ports "
    "same-not-by-dst"
)
_FIREWALL_TYPES = {
    "connection_state": Field("set", unset=True),
    "connection_nat_state": Field("set", unset=True),
    "dst_port": Field("set", unset=True),
    "src_port": Field("set", unset=True),
    "port": Field("set", unset=True),
    "src_address": Field("prefix", unset=True),
    "dst_address": Field("prefix", unset=True),
    "log": Field("bool", default="false"),
    "log_prefix": Field(default=""),
    "hw_offload": Field(read_only=True),
}


B, D, R, L, S, P = (
    Field("bool"),
    Field("duration"),
    Field("rate"),
    Field("list"),
    Field("set"),
    Field("prefix"),
)
INT = Field("int")

_PATHS: tuple[PathSchema, ...] = (
    PathSchema("/system/identity", Kind.SETTINGS, marker=None),
    PathSchema("/system/clock", Kind.SETTINGS, marker=None),
    PathSchema(
        "/interface/ethernet",
        Kind.KEYED,
        ("default-name",),
        _f(name=Field(), mtu=INT, l2mtu=INT),
        fixed=True,
    ),
    PathSchema(
        "/interface/bridge",
        Kind.KEYED,
        ("name",),
        _f(
            vlan_filtering=Field("bool", default="false"),
            pvid=Field("int", default="1"),
            actual_mtu=Field(read_only=True),
            l2mtu=Field(read_only=True),
        ),
    ),
    # RouterOS 7.13+ WiFi (https://help.mikrotik.com/docs/display/ROS/WiFi): profiles first,
    # the configuration that names them, then the radios that use a configuration.
    PathSchema("/interface/wifi/channel", Kind.KEYED, ("name",), _f(width=Field(), band=Field())),
    PathSchema(
        "/interface/wifi/datapath", Kind.KEYED, ("name",), _f(vlan_id=INT, client_isolation=B)
    ),
    PathSchema(
        "/interface/wifi/security",
        Kind.KEYED,
        ("name",),
        _f(authentication_types=S, passphrase=Field(write_only=True)),
    ),
    PathSchema(
        "/interface/wifi/configuration",
        Kind.KEYED,
        ("name",),
        _f(chains=S, tx_chains=S, hide_ssid=Field("bool", default="false")),
    ),
    PathSchema(
        "/interface/wifi",
        Kind.KEYED,
        ("default-name",),
        {
            "security.passphrase": Field(write_only=True),
            "running": Field(read_only=True),
            "radio-mac": Field(read_only=True),
        },
        fixed=True,
    ),
    PathSchema(
        "/interface/wireless",
        Kind.KEYED,
        ("default-name",),
        _f(vlan_id=INT, vlan_mode=Field(), security_profile=Field()),
        fixed=True,
    ),
    PathSchema("/interface/vlan", Kind.KEYED, ("name",), _f(vlan_id=INT, mtu=INT)),
    PathSchema(
        "/interface/bridge/port",
        Kind.KEYED,
        ("interface",),
        _f(
            pvid=Field("int", default="1"),
            debug_info=Field(read_only=True),
            status=Field(read_only=True),
        ),
    ),
    PathSchema(
        "/interface/bridge/vlan",
        Kind.KEYED,
        ("bridge", "vlan-ids"),
        _f(
            vlan_ids=S,
            tagged=S,
            untagged=S,
            current_tagged=Field(read_only=True),
            current_untagged=Field(read_only=True),
        ),
    ),
    PathSchema(
        "/ip/address",
        Kind.KEYED,
        ("address", "interface"),
        _f(actual_interface=Field(read_only=True)),
    ),
    PathSchema(
        "/ip/route",
        Kind.FIELDS,
        (),
        _matchers(
            "pref-src check-gateway vrf-interface blackhole",
            dst_address=Field(),
            gateway=Field(),
            distance=Field("int", default="1"),
            scope=Field("int", default="30"),
            target_scope=Field("int", default="10"),
            routing_table=Field(default="main"),
            suppress_hw_offload=Field("bool", default="false"),
            active=Field(read_only=True),
            immediate_gw=Field(read_only=True),
            gateway_status=Field(read_only=True),
        ),
    ),
    PathSchema("/ip/pool", Kind.KEYED, ("name",), _f(ranges=L)),
    PathSchema(
        "/ip/dhcp-server",
        Kind.KEYED,
        ("name",),
        _f(lease_time=Field("duration", default="10m"), address_pool=Field(default="static-only")),
    ),
    PathSchema(
        "/ip/dhcp-server/option",
        Kind.KEYED,
        ("name",),
        _f(code=INT, value=Field(default=""), raw_value=Field(read_only=True)),
        marker=None,
        owned_prefix="netops-",
    ),
    PathSchema(
        "/ip/dhcp-server/network",
        Kind.KEYED,
        ("address",),
        _f(
            gateway=Field(default=""),
            dns_server=Field("list", default=""),
            dhcp_option=Field("list", default=""),
        ),
    ),
    PathSchema(
        "/file",
        Kind.KEYED,
        ("name",),
        _f(
            size=Field(read_only=True),
            creation_time=Field(read_only=True),
            last_modified=Field(read_only=True),
            type=Field(read_only=True),
        ),
        marker=None,
        owned_prefix="hotspot-netops/",
        prunable=False,
    ),
    PathSchema(
        "/ip/hotspot/profile",
        Kind.KEYED,
        ("name",),
        _f(
            dns_name=Field(default=""),
            login_by=Field("set", default="cookie,http-chap"),
            use_radius=Field("bool", default="false"),
            radius_accounting=Field("bool", default="true"),
            radius_interim_update=Field("duration", default="received"),
            http_cookie_lifetime=Field("duration", default="3d"),
            mac_auth_password=Field(write_only=True),
        ),
        marker=None,
        owned_prefix="hsprof-",
    ),
    PathSchema(
        "/ip/hotspot/user/profile",
        Kind.KEYED,
        ("name",),
        _f(
            rate_limit=Field("rate-limit"),
            idle_timeout=Field("duration", default="none"),
            session_timeout=Field("duration", default="0"),
            keepalive_timeout=D,
            status_autorefresh=Field("duration", default="1m"),
            shared_users=Field("int", default="1"),
            add_mac_cookie=Field("bool", default="true"),
            transparent_proxy=B,
        ),
        marker=None,
        owned_prefix="plan-",
    ),
    PathSchema(
        "/ip/hotspot",
        Kind.KEYED,
        ("name",),
        _f(
            addresses_per_mac=Field("int", default="2"),
            idle_timeout=Field("duration", default="5m"),
            HTTPS=Field(read_only=True),
        ),
        marker=None,
        owned_prefix="hs-",
    ),
    # Local hotspot users: netops never makes one (citizens log in through RADIUS), so every
    # entry but the dynamic default-trial is drift, shown and removed only with prune.
    PathSchema(
        "/ip/hotspot/user",
        Kind.KEYED,
        ("name",),
        _f(
            password=Field(write_only=True),
            limit_uptime=Field("duration", default="0s"),
            uptime=Field(read_only=True),
            bytes_in=Field(read_only=True),
            bytes_out=Field(read_only=True),
            packets_in=Field(read_only=True),
            packets_out=Field(read_only=True),
        ),
    ),
    PathSchema(
        "/ip/hotspot/walled-garden",
        Kind.FIELDS,
        (),
        _f(
            action=Field(default="allow"),
            dst_host=Field(unset=True),
            dst_port=Field("set", unset=True),
            path=Field(unset=True),
            method=Field(unset=True),
            server=Field(unset=True),
            src_address=Field("prefix", unset=True),
            hits=Field(read_only=True),
        ),
    ),
    PathSchema(
        "/ip/hotspot/walled-garden/ip",
        Kind.FIELDS,
        (),
        _f(
            action=Field(default="accept"),
            dst_address=Field("prefix", unset=True),
            dst_host=Field(unset=True),
            dst_port=Field("set", unset=True),
            protocol=Field(unset=True),
            server=Field(unset=True),
            src_address=Field("prefix", unset=True),
        ),
    ),
    PathSchema(
        "/radius",
        Kind.KEYED,
        ("address", "service"),
        _f(
            service=Field("set"),
            secret=Field(write_only=True),
            timeout=Field("duration", default="300ms"),
            authentication_port=Field("int", default="1812"),
            accounting_port=Field("int", default="1813"),
            src_address=Field(default="0.0.0.0"),
            require_message_auth=Field(default="yes-for-request-resp"),
        ),
    ),
    PathSchema("/radius/incoming", Kind.SETTINGS, (), _f(accept=B, port=INT), marker=None),
    PathSchema(
        "/ip/dns",
        Kind.SETTINGS,
        (),
        _f(
            servers=L,
            allow_remote_requests=B,
            cache_used=Field(read_only=True),
            dynamic_servers=Field(read_only=True),
        ),
        marker=None,
    ),
    PathSchema(
        "/ip/dns/static",
        Kind.KEYED,
        ("name", "type"),
        _f(ttl=Field("duration", default="1d"), type=Field(default="A")),
    ),
    PathSchema(
        "/ip/firewall/address-list",
        Kind.KEYED,
        ("list", "address"),
        _f(address=P, creation_time=Field(read_only=True)),
    ),
    PathSchema(
        "/ip/firewall/filter",
        Kind.ORDERED,
        ("chain",),
        _matchers(_FIREWALL, **_FIREWALL_TYPES),
    ),
    PathSchema(
        "/ip/firewall/nat",
        Kind.ORDERED,
        ("chain",),
        _matchers(_FIREWALL, **_FIREWALL_TYPES),
    ),
    PathSchema(
        "/snmp",
        Kind.SETTINGS,
        (),
        _f(enabled=B, trap_version=INT, engine_id=Field(read_only=True)),
        marker=None,
    ),
    PathSchema(
        "/snmp/community",
        Kind.KEYED,
        ("name",),
        _f(
            addresses=Field("set", default="::/0"),
            read_access=Field("bool", default="true"),
            write_access=Field("bool", default="false"),
            authentication_password=Field(write_only=True),
            encryption_password=Field(write_only=True),
        ),
    ),
    PathSchema(
        "/system/ntp/client",
        Kind.SETTINGS,
        (),
        _f(enabled=B, servers=L, status=Field(read_only=True), freq_drift=Field(read_only=True)),
        marker=None,
    ),
    PathSchema("/system/ntp/client/servers", Kind.KEYED, ("address",)),
    PathSchema("/system/logging/action", Kind.KEYED, ("name",), _f(remote_port=INT)),
    PathSchema(
        "/system/logging",
        Kind.FIELDS,
        (),
        _f(
            action=Field(default="memory"),
            topics=Field("set", default=""),
            prefix=Field(default=""),
        ),
    ),
    PathSchema(
        "/user",
        Kind.KEYED,
        ("name",),
        _f(
            password=Field(write_only=True),
            address=Field("set", default=""),
            last_logged_in=Field(read_only=True),
        ),
    ),
    PathSchema(
        "/ip/service",
        Kind.KEYED,
        ("name",),
        _f(port=INT, address=Field("set", default=""), disabled=B),
        marker=None,
        fixed=True,
    ),
)

#: Every managed path in the order a device accepts additions (what an entry refers to
#: comes before it); removals run in the reverse order.
SCHEMA: Mapping[str, PathSchema] = {p.path: p for p in _PATHS}
