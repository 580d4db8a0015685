"""`netops up` runs the NAT log receiver only when the inventory enables it."""

from __future__ import annotations

from pathlib import Path

from netops.inventory import load_inventory
from netops.service.stack import StackPorts, natlog_listen, stack_components
from tests.paths import BANJARMASIN, LAB


def test_enabled_inventory_adds_the_receiver_component(tmp_path: Path) -> None:
    assert natlog_listen(load_inventory(LAB)) is None
    listen = natlog_listen(load_inventory(BANJARMASIN))
    assert listen == "0.0.0.0:514"
    specs, _ = stack_components(LAB, "sqlite:///x", StackPorts(), tmp_path, lambda _: True, listen)
    nat = next(s for s in specs if s.name == "natlog")
    assert nat.argv[-4:] == ("privacy", "syslog", "--listen", "0.0.0.0:514")
    assert (nat.probe.host, nat.probe.port) == ("127.0.0.1", 514)
    specs, _ = stack_components(LAB, "sqlite:///x", StackPorts(), tmp_path, lambda _: True)
    assert "natlog" not in {s.name for s in specs}
