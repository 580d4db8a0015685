"""What netops knows about each platform: driver, config dialect, commands (pure data)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from netops.errors import NetopsError


@dataclass(frozen=True)
class Platform:
    """How to talk to one kind of device and how its configuration text is shaped.

    ``dialect`` is ``indent`` (IOS-like: children indented under their parent) or
    ``routeros`` (``/menu path`` lines followed by commands in that menu).
    """

    name: str
    netmiko: str | None
    napalm: str | None
    dialect: str
    show_running: str
    show_version: str | None = None
    negate: str = "no "
    save: bool = True
    # Lines of running config that say nothing about intent (banners of the show command,
    # version stamps, block terminators); dropped before comparing.
    noise: tuple[str, ...] = ()
    # Output that means the device refused a configuration line.
    error_pattern: str = r"% ?(Invalid|Unknown|Incomplete|Ambiguous|Only inactive|Can't)[^\n]*"
    # Running-config lines the device writes back in another form (hashed secrets);
    # they are compared by key only and never removed.
    opaque: tuple[str, ...] = field(default=())

    def noise_re(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{n})" for n in self.noise) or r"(?!x)x")


_IOS_NOISE = (
    r"^Building configuration\.\.\.$",
    r"^Current configuration\s*:.*$",
    r"^!.*$",
    r"^end$",
    r"^version \S+$",
    r"^ntp clock-period .*$",
    r"^! Last configuration change.*$",
)

PLATFORMS: dict[str, Platform] = {
    "cisco_ios": Platform(
        name="cisco_ios",
        netmiko="cisco_ios",
        napalm="ios",
        dialect="indent",
        show_running="show running-config",
        show_version="show version",
        noise=_IOS_NOISE,
        opaque=(r"^username \S+ ", r"^enable secret ", r"^snmp-server user "),
    ),
    "frr": Platform(
        name="frr",
        netmiko="cisco_ios",
        napalm=None,
        dialect="indent",
        show_running="show running-config",
        show_version="show version",
        noise=(
            *_IOS_NOISE,
            r"^frr version .*$",
            r"^frr defaults .*$",
            r"^exit$",
            r"^ exit$",
            r"^ exit-address-family$",
        ),
    ),
    "eos": Platform(
        name="eos",
        netmiko="arista_eos",
        napalm="eos",
        dialect="indent",
        show_running="show running-config",
        show_version="show version",
        noise=(*_IOS_NOISE,),
        opaque=(r"^username \S+ ", r"^enable password ", r"^snmp-server user "),
    ),
    "mikrotik_routeros": Platform(
        name="mikrotik_routeros",
        netmiko="mikrotik_routeros",
        napalm=None,
        dialect="routeros",
        show_running="/export terse",
        show_version="/system resource print",
        negate="",
        save=False,
        noise=(r"^#.*$",),
        error_pattern=r"(?:bad command name|expected end of command|syntax error|"
        r"failure:|input does not match)[^\n]*",
    ),
}


def platform(name: str) -> Platform:
    """The platform called ``name``; a clear error naming the known ones otherwise."""
    try:
        return PLATFORMS[name]
    except KeyError:
        known = ", ".join(sorted(PLATFORMS))
        raise NetopsError(f"platform {name!r} is not supported (known: {known})") from None
