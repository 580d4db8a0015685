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


def test_routeros_gateway_logs_its_translations_only_where_the_inventory_asks() -> None:
    from netops.provision.routeros.intended import intended_state, to_rsc

    city = load_inventory(BANJARMASIN)
    rsc = to_rsc(intended_state(city.device("siring-tendean-hs-01"), city))
    assert (
        "add chain=srcnat action=masquerade src-address=10.100.4.0/22 out-interface=ether1 "
        "log=yes log-prefix=netops-nat" in rsc
    )
    assert "add name=netops-nat target=remote remote=10.40.0.10 remote-port=514" in rsc
    assert "add action=netops-nat topics=firewall" in rsc
    assert 'topics="info,!firewall"' in rsc  # not also to the general syslog
    lab = load_inventory(LAB)
    rsc = to_rsc(intended_state(lab.device("lab-hs-01"), lab))
    assert "netops-nat" not in rsc and "log=yes" not in rsc
