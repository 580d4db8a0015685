"""The netops stack's components and ports, built from the lab inventory."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.service.stack import ServiceError, StackPorts, ensure_free, stack_components
from tests.paths import LAB


def test_default_ports_come_from_the_inventory() -> None:
    ports = StackPorts.for_inventory(load_inventory(LAB))
    assert (ports.radius_auth, ports.radius_acct, ports.portal) == (1812, 1813, 8080)
    assert (ports.exporter, ports.health) == (9116, 9800)


def test_every_component_runs_the_real_netops_serve_command(tmp_path: Path) -> None:
    ports = StackPorts(
        radius_auth=11812,
        radius_acct=11813,
        radius_metrics=19812,
        portal=18080,
        exporter=19116,
        health=19800,
    )
    specs, missing = stack_components(LAB, "sqlite:///x.db", ports, tmp_path, lambda c: True)
    assert missing == []
    by_name = {s.name: s for s in specs}
    assert set(by_name) == {"radius", "portal", "exporter"}
    radius = by_name["radius"].argv
    assert radius[1:3] == ("-m", "netops")
    assert radius[3:] == (
        "-i",
        str(LAB),
        "--db",
        "sqlite:///x.db",
        "radius",
        "serve",
        "--bind",
        "127.0.0.1",
        "--auth-port",
        "11812",
        "--acct-port",
        "11813",
        "--metrics-listen",
        "127.0.0.1:19812",
    )
    assert by_name["portal"].argv[-3:] == ("serve", "--listen", "127.0.0.1:18080")
    assert by_name["exporter"].argv[-3:] == ("serve", "--listen", "127.0.0.1:19116")
    assert by_name["exporter"].probe is not None and by_name["exporter"].probe.port == 19116
    assert by_name["portal"].log == tmp_path / "portal.log"


def test_a_service_this_installation_lacks_is_named_not_started(tmp_path: Path) -> None:
    specs, missing = stack_components(
        LAB, "sqlite:///x.db", StackPorts(), tmp_path, lambda c: c[0] != "portal"
    )
    assert [s.name for s in specs] == ["radius", "exporter"]
    assert missing == ["portal: `netops portal serve` is not installed"]


def test_two_services_on_one_port_are_refused() -> None:
    with pytest.raises(ServiceError, match="portal and RADIUS metrics both want tcp 9000"):
        StackPorts(radius_metrics=9000, portal=9000).check()


def test_bind_must_be_an_address() -> None:
    with pytest.raises(ServiceError, match="not an IP address"):
        StackPorts(host="localhost").check()


def test_a_port_held_by_another_process_is_named() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(ServiceError, match=f"exporter port tcp 127.0.0.1:{port} is in use"):
            ensure_free(
                StackPorts(
                    radius_auth=0,
                    radius_acct=0,
                    radius_metrics=0,
                    portal=0,
                    exporter=port,
                    health=0,
                )
            )
