"""An access point's menus: the wireless (RouterOS 6) or wifi (RouterOS 7) radios on the
hotspot VLAN, and its management VLAN towards its gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netops.inventory.models import Device, Hotspot, Inventory
from netops.provision.routeros.menus.common import DEFAULT_HOTSPOT_VLAN, _Builder, _mgmt_vlan


def wireless_menu(version: str | None) -> str:
    """``wireless`` for RouterOS 6 (``/interface/wireless``), ``wifi`` for 7 and for a
    version not known yet (``/interface/wifi``, RouterOS 7.13 and later)."""
    return "wireless" if (version or "").strip().startswith("6") else "wifi"


def _access_point(out: _Builder, ctx: Mapping[str, Any], inv: Inventory, dev: Device) -> None:
    """RouterOS v7 ``/interface/wifi`` (datapath puts clients on the hotspot VLAN), or v6
    ``/interface/wireless`` (the radio an untagged bridge port in the hotspot VLAN) when the
    inventory pins a 6.x ``api.version`` or the device's ``data.wireless`` says
    ``wireless``. Management on its own VLAN."""
    uplink = next((i for i in ctx["interfaces"] if i["link"]), None)
    mgmt_vid = _mgmt_vlan(inv)
    mgmt_if = f"vlan{mgmt_vid}-mgmt"
    out.add("/interface/bridge", name="br-ap", vlan_filtering="yes", comment="access point")
    if uplink:
        out.add(
            "/interface/bridge/port",
            bridge="br-ap",
            interface=uplink["name"],
            comment=str(uplink["peer"] or "uplink"),
        )
    trunk = ",".join(["br-ap", *([uplink["name"]] if uplink else [])])
    gateway: Device | None = None
    wireless = str(dev.data.get("wireless", wireless_menu(dev.api.version)))
    radios: list[str] = []
    for entry in ctx["ap_hotspots"]:
        hs: Hotspot = entry["hotspot"]
        gateway = gateway or entry["gateway"]
        vid = hs.vlan or DEFAULT_HOTSPOT_VLAN
        if wireless == "wireless":
            radios += _wireless_radios(out, dev, hs)
        else:
            _wifi_radios(out, hs)
        untagged = ",".join(radios) or None
        out.add(
            "/interface/bridge/vlan", bridge="br-ap", vlan_ids=vid, tagged=trunk, untagged=untagged
        )
        break  # one SSID per radio: the first hotspot this access point serves
    out.add("/interface/bridge/vlan", bridge="br-ap", vlan_ids=mgmt_vid, tagged=trunk)
    out.add(
        "/interface/vlan", name=mgmt_if, interface="br-ap", vlan_id=mgmt_vid, comment="management"
    )
    if gateway is None:
        out.add("/ip/address", address=f"{dev.mgmt_ip}/32", interface=mgmt_if, comment="management")
        out.add(
            "/ip/route",
            dst_address="0.0.0.0/0",
            gateway=ctx["mgmt_gateway"],
            comment="management gateway",
        )
        return
    out.add(
        "/ip/address",
        address=f"{dev.mgmt_ip}/32",
        network=gateway.mgmt_ip,
        interface=mgmt_if,
        comment=f"management, point-to-point to {gateway.hostname}",
    )
    out.add(
        "/ip/route",
        dst_address="0.0.0.0/0",
        gateway=gateway.mgmt_ip,
        comment=f"default via {gateway.hostname}",
    )


# --- RouterOS script --------------------------------------------------------------------


def _wireless_radios(out: _Builder, dev: Device, hs: Hotspot) -> list[str]:
    """RouterOS 6: each radio an access point on ``hs``'s SSID and an untagged bridge port
    in its VLAN; the radios' names."""
    vid = hs.vlan or DEFAULT_HOTSPOT_VLAN
    radios: list[str] = []
    for radio in ("wlan1", "wlan2"):
        if dev.interface(radio) is not None or radio == "wlan1":
            out.add(
                "/interface/wireless",
                default_name=radio,
                ssid=hs.ssid,
                mode="ap-bridge",
                country="indonesia",
                disabled="no",
                comment=f"{hs.ssid} {radio}",
            )
            out.add(
                "/interface/bridge/port",
                bridge="br-ap",
                interface=radio,
                pvid=vid,
                comment=hs.ssid,
            )
            radios.append(radio)
    return radios


def _wifi_radios(out: _Builder, hs: Hotspot) -> None:
    """RouterOS 7: an open configuration whose datapath puts clients on ``hs``'s VLAN, on
    both radios."""
    vid = hs.vlan or DEFAULT_HOTSPOT_VLAN
    out.add(
        "/interface/wifi/datapath",
        name=f"dp-{hs.id}",
        bridge="br-ap",
        vlan_id=vid,
        client_isolation="yes",
    )
    out.add(
        "/interface/wifi/security",
        name=f"sec-{hs.id}",
        authentication_types="",
        comment="open network: login on the portal",
    )
    out.add(
        "/interface/wifi/configuration",
        name=f"cfg-{hs.id}",
        ssid=hs.ssid,
        country="Indonesia",
        mode="ap",
        datapath=f"dp-{hs.id}",
        security=f"sec-{hs.id}",
        chains="0,1",
        tx_chains="0,1",
    )
    for radio, band in (("wifi1", "2.4 GHz"), ("wifi2", "5 GHz")):
        out.add(
            "/interface/wifi",
            default_name=radio,
            configuration=f"cfg-{hs.id}",
            disabled="no",
            comment=f"{hs.ssid} {band}",
        )
