"""Connect, facts and drift against devices with something missing, so that ``check``
must find exactly that drift.

FakeNOS (canned output, no config) plays a Cisco IOS device over SSH whose "running config"
is the rendered intended config of a sample-city device; the lab RouterOS device plays the
city's hotspot gateway over the RouterOS API, pushed by netops and then changed by hand.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakenos as fakenos_pkg
import librouteros
import pytest
import yaml
from fakenos import FakeNOS

from netops.inventory import load_inventory
from netops.inventory.models import Device, Inventory
from netops.lab.routeros import DeviceOptions, LabRouterOS
from netops.provision import operations
from netops.provision.operations import Options
from netops.provision.render import render_device
from netops.provision.runner import run
from tests.paths import BANJARMASIN

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

PASSWORD = "fakenos-pass"
ENV = {
    "NETOPS_DEVICE_PASSWORD": PASSWORD,
    "NETOPS_ENABLE_SECRET": "fakenos-enable",
    "NETOPS_SNMP_AUTH": "snmp-auth-key",
    "NETOPS_SNMP_PRIV": "snmp-priv-key",
    "NETOPS_RADIUS_SECRET": "radius-shared-secret",
    "NETOPS_UAM_SECRET": "uam-secret",
}
IOS_YAML = Path(fakenos_pkg.__file__).parent / "plugins/nos/platforms_yaml/cisco_ios.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(output: str, prompts: list[str]) -> dict[str, Any]:
    return {"output": output, "help": "canned", "prompt": prompts}


@pytest.fixture
def city(monkeypatch: pytest.MonkeyPatch) -> Inventory:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return load_inventory(BANJARMASIN)


def _at(device: Device, port: int) -> Device:
    return device.model_copy(
        update={"mgmt_ip": ipaddress.IPv4Address("127.0.0.1"), "ssh_port": port}
    )


@pytest.fixture
def ios_running(city: Inventory) -> str:
    text = render_device(city, _at(city.device("cc-core-01"), 22), with_secrets=True).text
    head, rest = text.split("router ospf 1\n", 1)
    body = head + rest.split("!\n", 1)[1]  # the OSPF block is what the device lacks
    banner = "Perangkat milik Pemerintah Kota Banjarmasin. Akses tanpa izin dilarang."
    body = body.replace(f"banner motd ^C{banner}^C", f"banner motd ^C\n{banner}\n^C")
    body = body.replace(f"secret {PASSWORD}", "secret 9 $9$hashedhashedhashed")
    head = "Building configuration...\n\nCurrent configuration : 4242 bytes\n!\nversion 15.8\n"
    return f"{head}{body}end"


@pytest.fixture
def ios_device(ios_running: str) -> Iterator[int]:
    base = yaml.safe_load(IOS_YAML.read_text())
    prompts = ["{base_prompt}#"]
    plugin = {
        "name": "netops_ios",
        "initial_prompt": "{base_prompt}>",
        "enable_prompt": "{base_prompt}#",
        "config_prompt": "{base_prompt}(config)#",
        "commands": {
            "enable": base["commands"]["enable"],
            "terminal length 0": base["commands"]["terminal length 0"],
            "terminal width 511": base["commands"]["terminal width 511"],
            "show version": _command(base["commands"]["show version"]["output"], prompts),
            "show running-config": _command(ios_running, prompts),
        },
    }
    port = _free_port()
    inventory = {
        "hosts": {
            "cc-core-01": {
                "username": "netops",
                "password": PASSWORD,
                "port": port,
                "nos": {"plugin": "netops_ios"},
            }
        }
    }
    net = FakeNOS(inventory=inventory, plugins=[plugin])
    net.start()
    try:
        yield port
    finally:
        net.stop()


def test_check_reads_ios_facts_and_finds_exactly_the_missing_ospf(
    city: Inventory, ios_device: int
) -> None:
    [result] = run(operations.check, city, [_at(city.device("cc-core-01"), ios_device)], Options())
    assert result.error is None, result.error
    assert result.facts["version"] == "15.8(3)M2"
    assert result.facts["uptime"] == "1 week, 3 days, 16 hours, 11 minutes"
    assert result.changed
    rendered = render_device(city, city.device("cc-core-01")).text
    block = rendered.split("router ospf 1\n", 1)[1].split("!\n", 1)[0].splitlines()
    assert result.diff.splitlines() == ["+router ospf 1", *(f"+{line}" for line in block)]
    for secret in ENV.values():
        assert secret not in result.diff


def test_dry_run_push_against_ios_shows_the_commands_it_would_send(
    city: Inventory, ios_device: int
) -> None:
    [result] = run(operations.push, city, [_at(city.device("cc-core-01"), ios_device)], Options())
    assert result.status == "changed" and result.error is None
    assert "+ router-id 10.255.0.1" in result.diff


@pytest.fixture
def routeros_device(city: Inventory, tmp_path: Path) -> Iterator[tuple[Device, LabRouterOS]]:
    """The lab RouterOS device holding the sample city gateway's intended state (pushed by
    netops), then with its walled garden removed by hand over librouteros."""
    options = DeviceOptions(
        state_dir=tmp_path / "ros",
        identity="siring-menara-pandang-hs-01",
        version="7.16",
        user="netops",
        password=PASSWORD,
        api=("127.0.0.1", 0),
        ssh=("127.0.0.1", 0),
    )
    with LabRouterOS(options) as dev:
        base = city.device("siring-menara-pandang-hs-01")
        device = _at(base, dev.address("ssh")[1]).model_copy(
            update={
                "api": base.api.model_copy(update={"port": dev.address("api")[1], "tls": False})
            }
        )
        [pushed] = run(operations.push, city, [device], Options(commit=True))
        assert pushed.error is None, pushed.error
        api = librouteros.connect("127.0.0.1", "netops", PASSWORD, port=dev.address("api")[1])
        garden = api.path("ip", "hotspot", "walled-garden")
        garden.remove(*[row[".id"] for row in garden])
        api.close()
        yield device, dev


def test_check_reads_routeros_facts_and_finds_the_missing_walled_garden(
    city: Inventory, routeros_device: tuple[Device, LabRouterOS]
) -> None:
    device, _ = routeros_device
    [result] = run(operations.check, city, [device], Options())
    assert result.error is None, result.error
    assert result.facts["version"] == "7.16 (stable)"
    assert result.facts["model"] and result.facts["serial"]
    missing = [line for line in result.diff.splitlines() if " missing " in line]
    assert len(missing) == 1 and missing[0].startswith("/ip/hotspot/walled-garden "), missing
    assert "dst-host=wifi.banjarmasinkota.go.id" in missing[0]
    assert [line.strip() for line in result.diff.splitlines() if line.startswith("  /")] == [
        "/ip hotspot walled-garden add dst-host=wifi.banjarmasinkota.go.id action=allow "
        'comment="captive portal [netops]"  # +1',
    ]
    assert result.facts["drift"] == "1 difference(s)"
    for secret in ENV.values():
        assert secret not in result.diff
