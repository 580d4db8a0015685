"""What the lab RouterOS knows about each menu path: properties, defaults, keys, built-ins.

Defaults follow MikroTik's documentation pages for each menu (help.mikrotik.com, RouterOS
manual); a default of ``None`` means the property is absent from ``print`` until set, as
``comment`` is. Booleans are stored and printed as ``true``/``false``, as the API prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["list", "settings", "facts", "files"]

# Properties every list entry may carry.
_COMMON: dict[str, str | None] = {"comment": None, "disabled": "false"}

_BOOL_VALUES = {"yes": "true", "true": "true", "no": "false", "false": "false"}


@dataclass(frozen=True)
class PathSpec:
    """One menu: its kind, settable properties with defaults, and the rules RouterOS applies."""

    path: str
    kind: Kind
    fields: dict[str, str | None]
    read_only: tuple[str, ...] = ()
    key: tuple[str, ...] = ()
    duplicate_message: str = "failure: already have such entry"
    required: tuple[str, ...] = ()
    ordered: bool = False
    write_only: tuple[str, ...] = ()
    refs: dict[str, str] = field(default_factory=dict)
    auto_name: str = ""
    can_add: bool = True
    can_remove: bool = True
    versions: tuple[str, ...] = ("6", "7")
    commands: tuple[str, ...] = ()

    @property
    def words(self) -> list[str]:
        return self.path.split("/")

    @property
    def cli_path(self) -> str:
        return "/" + " ".join(self.words)

    def is_bool(self, name: str) -> bool:
        return self.fields.get(name) in ("true", "false")

    def normalise(self, name: str, value: str) -> str:
        """The stored form of ``value``: booleans as ``true``/``false``."""
        if self.is_bool(name) and value.lower() in _BOOL_VALUES:
            return _BOOL_VALUES[value.lower()]
        return value


def _list(path: str, fields: dict[str, str | None], **kw: object) -> PathSpec:
    merged = {**_COMMON, **fields}
    return PathSpec(path=path, kind="list", fields=merged, **kw)  # type: ignore[arg-type]


def _settings(path: str, fields: dict[str, str | None], **kw: object) -> PathSpec:
    return PathSpec(path=path, kind="settings", fields=fields, **kw)  # type: ignore[arg-type]


_FIREWALL_MATCHERS: dict[str, str | None] = {
    "chain": None,
    "action": "accept",
    "src-address": None,
    "dst-address": None,
    "src-address-list": None,
    "dst-address-list": None,
    "protocol": None,
    "src-port": None,
    "dst-port": None,
    "port": None,
    "in-interface": None,
    "out-interface": None,
    "in-interface-list": None,
    "out-interface-list": None,
    "connection-state": None,
    "connection-nat-state": None,
    "hotspot": None,
    "jump-target": None,
    "log": "false",
    "log-prefix": "",
}


WIRELESS_PATH = {"6": "interface/wireless", "7": "interface/wifi"}

# The order /export writes sections in, as RouterOS 7 roughly does: things others
# refer to first.
EXPORT_ORDER = (
    "interface/bridge",
    "interface/wireless",
    "interface/wifi/channel",
    "interface/wifi/datapath",
    "interface/wifi/security",
    "interface/wifi/configuration",
    "interface/wifi",
    "interface/vlan",
    "interface",
    "interface/ethernet",
    "interface/bridge/vlan",
    "ip/hotspot/profile",
    "ip/hotspot/user/profile",
    "ip/pool",
    "ip/dhcp-server",
    "ip/hotspot",
    "interface/bridge/port",
    "ip/address",
    "ip/dhcp-server/network",
    "ip/dhcp-server/option",
    "ip/dns",
    "ip/dns/static",
    "ip/firewall/address-list",
    "ip/firewall/filter",
    "ip/firewall/nat",
    "ip/route",
    "ip/hotspot/user",
    "ip/hotspot/walled-garden",
    "ip/hotspot/walled-garden/ip",
    "ip/service",
    "radius",
    "radius/incoming",
    "snmp",
    "snmp/community",
    "system/clock",
    "system/identity",
    "system/ntp/client",
    "system/ntp/client/servers",
    "system/logging/action",
    "system/logging",
    "system/scheduler",
    "system/script",
)
