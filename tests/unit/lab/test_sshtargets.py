"""Which lab devices get a FakeNOS SSH target (RouterOS devices get the RouterOS lab device
instead), and the FakeNOS inventory that serves them."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from netops.inventory import load_inventory
from netops.lab.plan import SimulationError, plan_routeros
from netops.lab.runtime import _check_tcp_ports
from netops.lab.sshtargets import (
    ROUTEROS_LOGIN_SUFFIX,
    SshTarget,
    canned_commands,
    fakenos_inventory,
    plan_ssh_targets,
)
from netops.provision.drivers import parse_facts
from netops.provision.platforms import platform
from tests.paths import LAB, REPO


def _targets() -> dict[str, SshTarget]:
    """The lab's FakeNOS targets, plus a FakeNOS RouterOS target for lab-hs-01 and lab-ap-01
    (FakeNOS still has the NOS; the lab runs the RouterOS lab device for them)."""
    inv = load_inventory(LAB)
    targets, _ = plan_ssh_targets(inv)
    found = {t.device: t for t in targets}
    for name in ("lab-hs-01", "lab-ap-01"):
        device = inv.device(name)
        found[name] = SshTarget(
            name, device.platform, "mikrotik_routeros", str(device.mgmt_ip), device.ssh_port
        )
    return found


def test_lab_eos_devices_get_targets_at_their_mgmt_address_and_ssh_port() -> None:
    inv = load_inventory(LAB)
    targets, _ = plan_ssh_targets(inv)
    assert [t.device for t in targets] == ["lab-dist-01"]
    device = inv.device("lab-dist-01")
    assert targets[0].endpoint == f"{device.mgmt_ip}:{device.ssh_port}"
    assert targets[0].nos == "arista_eos"


def test_lab_routeros_devices_get_the_routeros_lab_device_not_fakenos() -> None:
    routeros, _ = plan_routeros(load_inventory(LAB))
    assert [t.device for t in routeros] == ["lab-hs-01", "lab-ap-01"]


def test_frr_routers_are_never_fakenos_targets() -> None:
    assert not {"lab-core-01", "lab-core-02"} & set(_targets())


def _lab_copy(tmp_path: Path) -> Path:
    target = tmp_path / "lab"
    shutil.copytree(LAB, target)
    return target


def _edit_device(lab: Path, hostname: str, **changes: object) -> None:
    path = lab / "devices.yml"
    doc = yaml.safe_load(path.read_text())
    for device in doc["devices"]:
        if device["hostname"] == hostname:
            device.update(changes)
    doc["devices"] = [{k: v for k, v in d.items() if v is not None} for d in doc["devices"]]
    path.write_text(yaml.safe_dump(doc))


def test_a_loopback_device_on_port_22_gets_no_target_and_a_note(tmp_path: Path) -> None:
    lab = _lab_copy(tmp_path)
    _edit_device(lab, "lab-dist-01", ssh_port=None)
    _edit_device(lab, "lab-ap-01", ssh_port=None)
    targets, notes = plan_ssh_targets(load_inventory(lab))
    assert "lab-dist-01" not in {t.device for t in targets}
    assert any(n.startswith("lab-dist-01: give it an ssh_port other than 22") for n in notes)
    routeros, notes = plan_routeros(load_inventory(lab))
    assert "lab-ap-01" not in {t.device for t in routeros}
    assert any(n.startswith("lab-ap-01: give it an ssh_port other than 22") for n in notes)


def test_fakenos_inventory_logs_the_lab_user_in_with_netmikos_routeros_suffix() -> None:
    inv = load_inventory(LAB)
    targets = tuple(_targets().values())
    devices = {t.device: inv.device(t.device) for t in targets}
    doc = fakenos_inventory(targets, devices, "netops", "netops-lab")
    hs = doc["hosts"]["lab-hs-01"]
    assert hs["username"] == "netops" + ROUTEROS_LOGIN_SUFFIX
    assert hs["password"] == "netops-lab"
    assert hs["port"] == inv.device("lab-hs-01").ssh_port
    assert hs["server"]["configuration"]["address"] == "127.0.0.1"
    assert hs["platform"] == hs["nos"]["plugin"] == "mikrotik_routeros"
    # netmiko's RouterOS driver waits for a prompt matching \].*>
    prompt = hs["shell"]["configuration"]["base_prompt"] + ">"
    assert re.search(r"\].*>", prompt) and "lab-hs-01" in prompt
    eos = doc["hosts"]["lab-dist-01"]
    assert eos["username"] == "netops"
    assert eos["server"]["configuration"]["address"] == "127.0.1.3"
    assert eos["platform"] == "arista_eos"


def test_fakenos_accepts_the_generated_inventory() -> None:
    from fakenos.core.pydantic_models import ModelFakenosInventory

    inv = load_inventory(LAB)
    targets = tuple(_targets().values())
    devices = {t.device: inv.device(t.device) for t in targets}
    ModelFakenosInventory(**fakenos_inventory(targets, devices, "netops", "netops-lab"))


def test_canned_show_version_output_gives_netops_facts() -> None:
    inv = load_inventory(LAB)
    targets = _targets()
    ros = canned_commands(targets["lab-hs-01"], inv.device("lab-hs-01"))
    ros_plat = platform("mikrotik_routeros")
    assert ros_plat.show_version in ros and ros_plat.show_running in ros
    facts = parse_facts(ros_plat, str(ros[str(ros_plat.show_version)]["output"]))
    assert facts["version"].startswith("7.")
    assert facts["model"] == "CHR"
    assert "name=lab-hs-01" in str(ros[ros_plat.show_running]["output"])
    eos = canned_commands(targets["lab-dist-01"], inv.device("lab-dist-01"))
    eos_plat = platform("eos")
    facts = parse_facts(eos_plat, str(eos["show version"]["output"]))
    assert facts["version"].startswith("4.") and facts["serial"]
    assert "interface Ethernet1" in str(eos["show running-config"]["output"])


def test_a_busy_ssh_port_is_refused_with_the_device_and_endpoint() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        target = SshTarget("lab-hs-01", "mikrotik_routeros", "mikrotik_routeros", "127.0.0.1", port)
        with pytest.raises(SimulationError, match=rf"lab-hs-01: tcp 127\.0\.0\.1:{port} is in use"):
            _check_tcp_ports((target,))


def test_the_target_process_refuses_a_device_that_is_not_a_target() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "netops.lab.sshtarget_main", "--inventory", str(LAB),
         "--device", "lab-core-01"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "lab-core-01: not a FakeNOS SSH target" in done.stderr
