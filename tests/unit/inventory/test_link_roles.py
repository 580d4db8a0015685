"""Link roles, SLAs and maintenance windows in the inventory: loaded, and refused clearly."""

from collections.abc import Callable
from pathlib import Path

import pytest

from netops.errors import InventoryError
from netops.inventory import load_inventory
from tests.paths import BANJARMASIN

LINKS = """
    links:
      - {a: "core-01:Gi0/1", b: "hs-01:ether1", medium: fiber, capacity_mbps: 1000}
      - {a: "core-01:Gi0/2", provider: Telkom, circuit_id: METRO-1, medium: leased,
         capacity_mbps: 500, role: backup, backup_for: %s}
    """


def _message(root: Path) -> str:
    with pytest.raises(InventoryError) as caught:
        load_inventory(root)
    return str(caught.value)


def test_banjarmasin_backup_circuit_and_maintenance_load() -> None:
    inv = load_inventory(BANJARMASIN)
    metro = next(link for link in inv.links if link.circuit_id == "METRO-BJM-0042")
    assert metro.role == "backup" and metro.backup_for == "ASTINET-BJM-0001"
    astinet = next(link for link in inv.links if link.circuit_id == "ASTINET-BJM-0001")
    assert astinet.role == "primary" and astinet.sla is not None
    assert astinet.sla.credit_percent(99.2) == 5
    assert inv.maintenance and inv.maintenance[0].links == ("ASTINET-BJM-0001",)


def test_a_backup_for_an_unknown_circuit_is_named(write_inventory: Callable[..., Path]) -> None:
    root = write_inventory(links_yml=LINKS % "ASTINET-404")
    assert "backup_for 'ASTINET-404' is no primary leased link" in _message(root)


def test_a_maintenance_window_needs_an_offset_and_known_names(
    write_inventory: Callable[..., Path],
) -> None:
    root = write_inventory(
        maintenance_yml="""
            maintenance:
              - {start: "2026-11-15T01:00:00", end: "2026-11-15T04:00:00"}
            """
    )
    assert "need a UTC offset" in _message(root)
    root = write_inventory(
        maintenance_yml="""
            maintenance:
              - {start: "2026-11-15T01:00:00+08:00", end: "2026-11-15T04:00:00+08:00",
                 sites: [nowhere]}
            """
    )
    assert "unknown site 'nowhere'" in _message(root)
    root = write_inventory(
        maintenance_yml="""
            maintenance:
              - {start: "2026-11-15T04:00:00+08:00", end: "2026-11-15T01:00:00+08:00"}
            """
    )
    assert "ends after it starts" in _message(root)
