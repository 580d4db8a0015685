"""RouterOS intended state rendered from the lab and sample-city inventories: what a
hotspot gateway and its access points should hold, and the `.rsc` a person can read."""

from __future__ import annotations

import shlex
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.provision.routeros import SCHEMA, Add, Kind, Remove, apply, plan
from netops.provision.routeros.intended import (
    IntendedStateError,
    hotspot_dns_name,
    intended_state,
    to_rsc,
)
from tests.paths import BANJARMASIN, LAB

KEY = b"k"
PORTAL = "wifi.banjarmasinkota.go.id"
GW, AP = "siring-menara-pandang-hs-01", "siring-menara-pandang-ap-01"
LEGACY = Path(__file__).parent / "legacy"


@pytest.fixture(scope="module")
def city() -> Inventory:
    return load_inventory(BANJARMASIN)


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


def _routeros(inv: Inventory) -> list[Device]:
    return [
        d
        for d in inv.devices
        if d.platform == "mikrotik_routeros" and d.role in ("hotspot-gateway", "access-point")
    ]


def test_every_gateway_and_access_point_plans_onto_an_empty_device_and_converges(
    city: Inventory, lab: Inventory
) -> None:
    devices = [(inv, d) for inv in (city, lab) for d in _routeros(inv)]
    assert len(devices) > 10
    for inv, device in devices:
        state = intended_state(device, inv)
        assert set(state) <= set(SCHEMA)
        after = apply({}, plan({}, state, secret_key=KEY))
        assert plan(after, state, secret_key=KEY).empty, device.hostname


def test_hotspot_dns_name_is_never_the_portal_host(city: Inventory, lab: Inventory) -> None:
    for inv in (city, lab):
        portal_host = inv.services.portal.host
        for device in _routeros(inv):
            own = {hs.dns_name or "" for hs in inv.hotspots if hs.gateway == device.hostname}
            for profile in intended_state(device, inv).get("/ip/hotspot/profile", []):
                assert profile["dns-name"] != portal_host
                assert profile["dns-name"] in own  # the hotspot's own name, or none


def test_a_hotspot_dns_name_that_is_the_portal_host_is_refused(city: Inventory) -> None:
    own = SimpleNamespace(id="siring-menara-pandang", dns_name="login.wifi.example")
    assert hotspot_dns_name(city, own) == "login.wifi.example"  # type: ignore[arg-type]
    clash = SimpleNamespace(id="siring-menara-pandang", dns_name=PORTAL.upper())
    with pytest.raises(IntendedStateError, match="is the portal's host"):
        hotspot_dns_name(city, clash)  # type: ignore[arg-type]


def test_https_portal_is_open_before_login_on_443_only(city: Inventory) -> None:
    state = intended_state(city.device(GW), city)
    assert state["/ip/hotspot/walled-garden/ip"] == [
        {
            "action": "accept",
            "protocol": "tcp",
            "dst-port": "443",
            "dst-host": PORTAL,
            "comment": "captive portal",
        }
    ]
    servers = {str(s) for s in city.services.radius.servers}
    for path in ("/ip/hotspot/walled-garden", "/ip/hotspot/walled-garden/ip"):
        for entry in state[path]:
            assert not servers & set(entry.values())  # phones never talk to RADIUS
    assert state["/ip/hotspot/walled-garden"] == [
        {"dst-host": PORTAL, "action": "allow", "comment": "captive portal"}
    ]


def test_lab_portal_on_an_address_and_port_is_opened_by_address(lab: Inventory) -> None:
    state = intended_state(lab.device("lab-hs-01"), lab)
    assert state["/ip/hotspot/walled-garden/ip"] == [
        {
            "action": "accept",
            "protocol": "tcp",
            "dst-port": "8080",
            "dst-address": "127.0.0.1",
            "comment": "captive portal",
        }
    ]


def test_no_hotspot_user_profile_is_rendered_since_radius_selects_none(city: Inventory) -> None:
    for device in _routeros(city):
        assert "/ip/hotspot/user/profile" not in intended_state(device, city)


def test_dhcp_option_114_hands_phones_the_captive_portal_api(city: Inventory) -> None:
    state = intended_state(city.device(GW), city)
    assert state["/ip/dhcp-server/option"] == [
        {"name": "netops-captive-portal", "code": "114", "value": f"'https://{PORTAL}/api/captive'"}
    ]
    for network in state["/ip/dhcp-server/network"]:
        assert network["dhcp-option"] == "netops-captive-portal"


def test_access_point_default_route_is_on_net_towards_its_gateway(city: Inventory) -> None:
    gw, ap = city.device(GW), city.device(AP)
    ap_state, gw_state = intended_state(ap, city), intended_state(gw, city)
    default = next(r for r in ap_state["/ip/route"] if r["dst-address"] == "0.0.0.0/0")
    assert default["gateway"] == str(gw.mgmt_ip)
    on_net = [a for a in ap_state["/ip/address"] if a.get("network") == default["gateway"]]
    assert on_net == [
        {
            "address": f"{ap.mgmt_ip}/32",
            "network": str(gw.mgmt_ip),
            "interface": "vlan10-mgmt",
            "comment": f"management, point-to-point to {GW}",
        }
    ]
    assert {
        "name": "vlan10-mgmt",
        "interface": "br-ap",
        "vlan-id": "10",
        "comment": "management",
    } in ap_state["/interface/vlan"]
    assert {"bridge": "br-ap", "vlan-ids": "10", "tagged": "br-ap,ether1"} in ap_state[
        "/interface/bridge/vlan"
    ]
    # the gateway answers on the same VLAN and routes the access point's address onto it
    hs_bridge = "br-siring-menara-pandang"
    assert {
        "bridge": hs_bridge,
        "vlan-ids": "10",
        "tagged": f"{hs_bridge},ether3,ether4",
    } in gw_state["/interface/bridge/vlan"]
    assert {
        "address": f"{gw.mgmt_ip}/32",
        "interface": "vlan10-mgmt",
        "comment": "management towards the access points",
    } in gw_state["/ip/address"]
    assert {
        "dst-address": f"{ap.mgmt_ip}/32",
        "gateway": "vlan10-mgmt",
        "comment": f"management of {AP}",
    } in gw_state["/ip/route"]


def test_secrets_are_placeholders_unless_revealed(lab: Inventory) -> None:
    device = lab.device("lab-hs-01")
    hidden = intended_state(device, lab)
    assert hidden["/radius"][0]["secret"].startswith("<secret:")
    assert "testing123" not in to_rsc(hidden)
    shown = intended_state(device, lab, with_secrets=True)
    assert shown["/radius"][0]["secret"] == "testing123"
    assert shown["/user"][0]["password"] == "netops-lab"


def test_default_snmp_community_is_disabled_unless_it_is_netops_own(
    lab: Inventory, city: Inventory
) -> None:
    lab_state = intended_state(lab.device("lab-hs-01"), lab, with_secrets=True)
    assert [c["name"] for c in lab_state["/snmp/community"]] == ["public"]
    city_state = intended_state(city.device(GW), city)
    assert {"name": "public", "default": "yes", "disabled": "yes"} in city_state["/snmp/community"]


def test_routeros_api_stays_reachable_from_management_only(city: Inventory, lab: Inventory) -> None:
    services = {s["name"]: s for s in intended_state(city.device(GW), city)["/ip/service"]}
    assert services["api-ssl"]["disabled"] == "no" and services["api"]["disabled"] == "yes"
    assert services["api-ssl"]["address"] == "10.10.0.0/16,10.40.0.0/20"
    lab_services = {
        s["name"]: s for s in intended_state(lab.device("lab-hs-01"), lab)["/ip/service"]
    }
    assert lab_services["api"]["disabled"] == "no"


def test_other_platforms_and_roles_are_refused_with_one_sentence(
    city: Inventory, lab: Inventory
) -> None:
    with pytest.raises(IntendedStateError, match="lab-core-01: platform frr is not RouterOS"):
        intended_state(lab.device("lab-core-01"), lab)
    switch = next(
        d
        for d in city.devices
        if d.platform == "mikrotik_routeros" and d.role not in ("hotspot-gateway", "access-point")
    )
    with pytest.raises(IntendedStateError, match="no RouterOS intended state for role"):
        intended_state(switch, city)


def test_rsc_is_a_readable_script_in_dependency_order(city: Inventory) -> None:
    text = to_rsc(intended_state(city.device(GW), city), title=GW)
    lines = text.splitlines()
    assert lines[0] == f"# {GW}"
    order = [line for line in lines if line.startswith("/")]
    assert order.index("/ip pool") < order.index("/ip dhcp-server") < order.index("/ip hotspot")
    assert order.index("/ip hotspot profile") < order.index("/ip hotspot")
    radius = 'add address=10.40.0.10 service=hotspot secret="<secret:env:NETOPS_RADIUS_SECRET>"'
    assert radius in text
    assert 'comment="RADIUS 1 [netops]"' in text
    assert "set [ find default=yes ] disabled=yes" in text
    assert "set [ find name=telnet ] disabled=yes" in text
    assert "\\$(link-login-only)" in text  # `$` escaped, or RouterOS would expand it
    assert "/ip hotspot walled-garden ip" in order
    ap_text = to_rsc(intended_state(city.device(AP), city))
    wifi1 = (
        "set [ find default-name=wifi1 ] configuration=cfg-siring-menara-pandang disabled=no"
        ' comment="WiFi Gratis Banjarmasin 2.4 GHz"'
    )
    assert wifi1 in ap_text


def test_a_routeros_v6_access_point_uses_the_wireless_menu(city: Inventory) -> None:
    v6 = city.device(AP).model_copy(update={"data": {"wireless": "wireless"}})
    state = intended_state(v6, city)
    assert "/interface/wifi" not in state
    assert state["/interface/wireless"][0]["ssid"] == "WiFi Gratis Banjarmasin"
    assert {
        "bridge": "br-ap",
        "interface": "wlan1",
        "pvid": "30",
        "comment": "WiFi Gratis Banjarmasin",
    } in state["/interface/bridge/port"]
    assert {
        "bridge": "br-ap",
        "vlan-ids": "30",
        "tagged": "br-ap,ether1",
        "untagged": "wlan1",
    } in state["/interface/bridge/vlan"]


def test_a_gateway_of_two_hotspots_is_refused_with_one_sentence(city: Inventory) -> None:
    first = city.hotspots_at(GW)[0]
    second = first.model_copy(update={"id": "siring-menara-pandang-2", "vlan": 31})
    two = city.model_copy(update={"hotspots": (*city.hotspots, second)})
    with pytest.raises(IntendedStateError, match="gateway of several hotspots"):
        intended_state(two.device(GW), two)


def test_rsc_with_a_key_carries_the_fingerprint_the_planner_expects(lab: Inventory) -> None:
    state = intended_state(lab.device("lab-hs-01"), lab, with_secrets=True)
    text = to_rsc(state, secret_key=KEY)
    pasted = apply({}, plan({}, state, secret_key=KEY))  # what the device holds after a push
    assert f'comment="{pasted["/radius"][0]["comment"]}"' in text
    assert "[netops:" in pasted["/radius"][0]["comment"]


def _parse_rsc(text: str) -> dict[str, list[dict[str, str]]]:
    """The device state a script leaves on a reset RouterOS, as the API would list it:
    ids assigned, write-only fields hidden (enough of RouterOS script for netops's own
    templates: menu headers, ``add``, ``set [ find k=v ]`` and settings ``set``)."""
    state: dict[str, list[dict[str, str]]] = {}
    path, counter = "", 0
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("/"):
            path = "/" + line[1:].replace(" ", "/")
            continue
        words = shlex.split(line.replace("\\$", "$"))
        verb, rest = words[0], words[1:]
        where: dict[str, str] = {}
        if rest[:2] == ["[", "find"]:
            end = rest.index("]")
            where = dict(w.split("=", 1) for w in rest[2:end])
            rest = rest[end + 1 :]
        elif rest and "=" not in rest[0]:  # set telnet disabled=yes
            where, rest = {"name": rest[0]}, rest[1:]
        values = dict(w.split("=", 1) for w in rest)
        hidden = SCHEMA[path].write_only if path in SCHEMA else frozenset()
        values = {k: v for k, v in values.items() if k not in hidden}
        entries = state.setdefault(path, [])
        if verb == "set" and not where:
            (entries.append({}) if not entries else None)
            entries[0].update(values)
            continue
        counter += 1
        entries.append({".id": f"*{counter:X}", **where, **values})
    return state


def test_a_gateway_pushed_by_the_old_templates_converges_without_duplicates(
    city: Inventory,
) -> None:
    """The old text push's result, planned against the new intended state: what the old
    push made is adopted or changed in place (never added twice), its wrong entries go."""
    device = city.device(GW)
    # What the retired text template (templates/mikrotik_routeros/hotspot-gateway.j2) pushed.
    old = _parse_rsc((LEGACY / f"{GW}.cfg").read_text(encoding="utf-8"))
    intended = intended_state(device, city)
    p = plan(old, intended, secret_key=KEY)
    added = {(op.path, op.values.get("name")) for op in p.ops if isinstance(op, Add)}
    for path in ("/ip/pool", "/ip/dhcp-server", "/ip/hotspot", "/ip/hotspot/profile", "/radius"):
        assert not any(a[0] == path for a in added), path
    removed = {(op.path, op.id) for op in p.ops if isinstance(op, Remove)}
    old_profile = old["/ip/hotspot/user/profile"][0][".id"]
    assert ("/ip/hotspot/user/profile", old_profile) in removed
    after = apply(old, p)
    assert plan(after, intended, secret_key=KEY).empty
    # One IP walled-garden entry, the portal's HTTPS port; no RADIUS server opened to phones.
    (garden,) = after["/ip/hotspot/walled-garden/ip"]
    assert (garden["protocol"], garden["dst-port"]) == ("tcp", "443")
    for server in city.services.radius.servers:
        assert garden.get("dst-address") != str(server)
    (profile,) = after["/ip/hotspot/profile"]
    assert profile["dns-name"] == intended["/ip/hotspot/profile"][0]["dns-name"]


@st.composite
def _drifted(draw: Any, state: Any) -> Any:
    """A device that holds ``state`` and then was changed by hand: entries deleted, values
    edited, foreign entries added, rules reordered."""
    device = apply({}, plan({}, state, secret_key=KEY))
    paths = sorted(p for p in device if SCHEMA[p].kind is not Kind.SETTINGS and device[p])
    for step in range(draw(st.integers(1, 6))):
        path = draw(st.sampled_from(paths))
        entries = device[path]
        if not entries:
            continue
        index = draw(st.integers(0, len(entries) - 1))
        action = draw(st.sampled_from(["delete", "edit", "foreign", "move"]))
        if action == "delete" and not SCHEMA[path].fixed:
            del entries[index]
        elif action == "edit":
            fields = sorted(k for k in entries[index] if k not in (".id", "comment"))
            if fields:
                entries[index][draw(st.sampled_from(fields))] = "edited-by-hand"
        elif action == "foreign" and not SCHEMA[path].fixed:
            foreign = {k: f"x-{v}" for k, v in entries[index].items() if k != "comment"}
            foreign[".id"] = f"*{0xF000 + step:X}"
            entries.append(foreign)
        elif action == "move":
            entries.insert(0, entries.pop(index))
    return device


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_hand_edited_gateway_and_access_point_converge_in_one_plan(
    city: Inventory, data: Any
) -> None:
    for name in (GW, AP):
        state = intended_state(city.device(name), city)
        device = data.draw(_drifted(state))
        after = apply(device, plan(device, state, secret_key=KEY))
        assert plan(after, state, secret_key=KEY).empty
        foreign = {
            e[".id"]
            for entries in device.values()
            for e in entries
            if e.get(".id", "").startswith("*F0")
        }
        kept = {e[".id"] for entries in after.values() for e in entries if ".id" in e}
        assert foreign <= kept  # never removed without prune
