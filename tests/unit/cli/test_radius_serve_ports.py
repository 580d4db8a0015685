"""``netops radius serve`` listens where the inventory's NAS send, unless told otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from netops import defaults
from netops.cli.radius_server import radius_ports
from netops.errors import RadiusError
from netops.inventory import Inventory, load_inventory

LAB = Path(__file__).resolve().parents[3] / "inventory" / "lab"


def _inventory(auth: int, acct: int) -> Inventory:
    inv = load_inventory(LAB)
    radius = inv.services.radius.model_copy(update={"auth_port": auth, "acct_port": acct})
    services = inv.services.model_copy(update={"radius": radius})
    return inv.model_copy(update={"services": services})


def test_without_options_the_inventorys_ports_are_used() -> None:
    assert radius_ports(_inventory(11812, 11813), None, None) == (11812, 11813)


def test_explicit_options_win_over_the_inventory() -> None:
    inv = _inventory(11812, 11813)
    assert radius_ports(inv, 1645, 1646) == (1645, 1646)
    assert radius_ports(inv, 0, 0) == (0, 0)
    assert radius_ports(inv, 21812, None) == (21812, 11813)
    assert radius_ports(inv, None, 21813) == (11812, 21813)


def test_the_lab_inventory_uses_the_standard_ports() -> None:
    assert radius_ports(load_inventory(LAB), None, None) == (
        defaults.RADIUS_AUTH_PORT,
        defaults.RADIUS_ACCT_PORT,
    )


def test_auth_and_accounting_on_one_port_is_refused() -> None:
    with pytest.raises(RadiusError, match="must differ"):
        radius_ports(_inventory(11812, 11813), 11813, None)
