"""The wireless menus of the lab RouterOS: RouterOS 6's ``/interface/wireless`` and RouterOS
7's ``/interface/wifi`` with its profile menus."""

from __future__ import annotations

from netops.lab.routeros.schema import PathSpec, _list


def wireless_specs(v7: bool) -> list[PathSpec]:
    """The radios' menus for RouterOS 7 (``v7``) or 6."""
    if v7:
        return [*_wifi_profile_specs(), _wifi_radio_spec()]
    return [_wireless_spec()]


def _wireless_spec() -> PathSpec:
    """RouterOS 6's ``/interface/wireless``."""
    return _list(
        "interface/wireless",
        {
            "name": None,
            "master-interface": None,
            "ssid": "MikroTik",
            "mode": "station",
            "band": "2ghz-b/g/n",
            "frequency": "auto",
            "channel-width": "20mhz",
            "country": "etsi",
            "wireless-protocol": "any",
            "security-profile": "default",
            "hide-ssid": "false",
            "default-forwarding": "true",
            "default-authentication": "true",
            "disabled": "true",
        },
        read_only=("default-name", "mac-address", "running", "interface-type"),
        key=("name",),
        required=("master-interface",),
        refs={"master-interface": "interface/wireless"},
        auto_name="wlan",
    )


# A wifi radio or configuration profile refers to these profiles by name.
_PROFILE_REFS = {
    "channel": "interface/wifi/channel",
    "security": "interface/wifi/security",
    "datapath": "interface/wifi/datapath",
}


def _wifi_profile_specs() -> list[PathSpec]:
    """RouterOS 7's ``/interface/wifi`` (7.13 and later) and its profile menus, as
    https://help.mikrotik.com/docs/display/ROS/WiFi describes them: a radio takes its
    settings from a configuration profile (``configuration=``), which refers to channel,
    security and datapath profiles; any of them can also be given inline on the radio
    (``configuration.ssid=``, ``security.passphrase=``), and an inline value wins over the
    profile's. Profiles are matched by name; a reference to a profile that does not exist
    is refused, as RouterOS refuses it."""
    return [
        _list(
            "interface/wifi/channel",
            {
                "name": None,
                "band": None,
                "frequency": None,
                "secondary-frequency": None,
                "skip-dfs-channels": None,
                "width": None,
            },
            key=("name",),
            required=("name",),
        ),
        _list(
            "interface/wifi/datapath",
            {
                "name": None,
                "bridge": None,
                "bridge-cost": None,
                "bridge-horizon": None,
                "client-isolation": None,
                "interface-list": None,
                "vlan-id": None,
            },
            key=("name",),
            required=("name",),
            refs={"bridge": "interface/bridge"},
        ),
        _list(
            "interface/wifi/security",
            {
                "name": None,
                "authentication-types": None,
                "passphrase": None,
                "encryption": None,
                "group-encryption": None,
                "management-protection": None,
                "wps": None,
                "ft": None,
            },
            key=("name",),
            required=("name",),
            write_only=("passphrase",),
        ),
        _list(
            "interface/wifi/configuration",
            {
                "name": None,
                "ssid": None,
                "country": None,
                "mode": None,
                "hide-ssid": "false",
                "chains": None,
                "tx-chains": None,
                "tx-power": None,
                "manager": None,
                **dict.fromkeys(_PROFILE_REFS),
            },
            key=("name",),
            required=("name",),
            refs=dict(_PROFILE_REFS),
        ),
    ]


def _wifi_radio_spec() -> PathSpec:
    """``/interface/wifi``: the radios, each with a configuration profile and inline overrides."""
    return _list(
        "interface/wifi",
        {
            "name": None,
            "master-interface": None,
            "configuration": None,
            **dict.fromkeys(_PROFILE_REFS),
            "configuration.ssid": None,
            "configuration.mode": None,
            "configuration.country": None,
            "channel.band": None,
            "channel.frequency": None,
            "channel.width": None,
            "security.authentication-types": None,
            "security.passphrase": None,
            "datapath.bridge": None,
            "datapath.vlan-id": None,
            "mtu": "1500",
            "l2mtu": "1560",
            "arp-timeout": "auto",
            "disabled": "true",
        },
        read_only=("default-name", "mac-address", "running", "inactive", "radio-mac"),
        key=("name",),
        required=("master-interface",),
        write_only=("security.passphrase",),
        refs={
            "master-interface": "interface/wifi",
            "configuration": "interface/wifi/configuration",
            **_PROFILE_REFS,
            "datapath.bridge": "interface/bridge",
        },
        auto_name="wifi",
    )
