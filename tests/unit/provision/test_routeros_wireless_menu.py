"""Which wireless menu an access point's intended state uses: ``data.wireless``, else the
pinned ``api.version``, else (in the driver) the version the device reports."""

from __future__ import annotations

from typing import Any

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.provision.drivers.base import login_for
from netops.provision.drivers.routeros import RouterOSSession
from netops.provision.render import Redactor, render_device
from netops.provision.routeros.intended import intended_state, wireless_menu
from tests.paths import LAB


@pytest.fixture(scope="module")
def lab() -> Inventory:
    return load_inventory(LAB)


def _ap(lab: Inventory, version: str | None, **data: Any) -> Device:
    ap = lab.device("lab-ap-01")
    api = ap.api.model_copy(update={"version": version})
    return ap.model_copy(update={"api": api, "data": {**ap.data, **data}})


def _menus(state: Any) -> set[str]:
    return {p for p in state if p.startswith(("/interface/wifi", "/interface/wireless"))}


def test_wireless_menu_follows_the_major_version() -> None:
    assert wireless_menu("6.49") == wireless_menu("6.49.15 (long-term)") == "wireless"
    assert wireless_menu("7.16") == wireless_menu(None) == wireless_menu("") == "wifi"


def test_the_lab_access_point_is_pinned_to_7_and_renders_wifi(lab: Inventory) -> None:
    state = intended_state(lab.device("lab-ap-01"), lab)
    assert _menus(state) == {
        "/interface/wifi",
        "/interface/wifi/datapath",
        "/interface/wifi/security",
        "/interface/wifi/configuration",
    }
    radios = [e["default-name"] for e in state["/interface/wifi"]]
    assert radios == ["wifi1", "wifi2"]


def test_a_pinned_6_renders_wireless_and_data_wireless_wins(lab: Inventory) -> None:
    assert _menus(intended_state(_ap(lab, "6.49"), lab)) == {"/interface/wireless"}
    assert _menus(intended_state(_ap(lab, None), lab)) >= {"/interface/wifi"}
    assert _menus(intended_state(_ap(lab, "6.49", wireless="wifi"), lab)) >= {"/interface/wifi"}


@pytest.mark.parametrize(
    ("pinned", "reported", "menu"),
    [
        (None, "6.49", "/interface/wireless"),
        (None, "7.16", "/interface/wifi"),
        ("7.16", "7.16", "/interface/wifi"),
        ("6.49", "6.49", "/interface/wireless"),
    ],
)
def test_the_driver_plans_for_the_version_the_device_runs(
    lab: Inventory, pinned: str | None, reported: str, menu: str
) -> None:
    ap = _ap(lab, pinned)
    session = RouterOSSession(lab, login_for(lab, ap), Redactor())
    session.version = reported
    state = session.intended(render_device(lab, ap, with_secrets=True))
    assert menu in state
    assert not (_menus(state) - {m for m in _menus(state) if m.startswith(menu)})
