"""`netops lab up` serves the lab's RouterOS devices with the RouterOS lab device (API and
SSH) and its EOS device over SSH with FakeNOS: `netops config check` logs in and reads
facts, `netops lab status --format json` lists every endpoint, a killed device is
restarted, and `netops lab down` leaves no process and no listener behind.

Real peers: FakeNOS (paramiko SSH servers) and the RouterOS lab device started by the lab
supervisor; netmiko, librouteros and the provisioning code as the clients. The test lab
is a copy of the loopback devices of inventory/lab with kernel-chosen ports.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from netops.lab.runtime import ssh_answers, status
from netops.provision.drivers import parse_facts
from netops.provision.platforms import platform
from tests.paths import LAB, REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
NETOPS = REPO / ".venv" / "bin" / "netops"
PREFIX = "nxfk"
LOOPBACK_DEVICES = ("lab-dist-01", "lab-hs-01", "lab-ap-01")


def _free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _loopback_lab(tmp_path: Path) -> Path:
    """inventory/lab without the FRR routers, every device on ports the kernel chose."""
    lab = tmp_path / "inv"
    shutil.copytree(LAB, lab)
    doc = yaml.safe_load((lab / "devices.yml").read_text())
    doc["devices"] = [d for d in doc["devices"] if d["hostname"] in LOOPBACK_DEVICES]
    for device in doc["devices"]:
        device["ssh_port"] = _free_port(socket.SOCK_STREAM)
        device["snmp_port"] = _free_port(socket.SOCK_DGRAM)
        if "api" in device:
            device["api"]["port"] = _free_port(socket.SOCK_STREAM)
    (lab / "devices.yml").write_text(yaml.safe_dump(doc))
    links = yaml.safe_load((lab / "links.yml").read_text())
    links["links"] = [
        link
        for link in links["links"]
        if "b" in link
        and all(end.split(":")[0] in LOOPBACK_DEVICES for end in (link["a"], link["b"]))
    ]
    (lab / "links.yml").write_text(yaml.safe_dump(links))
    return lab


def dist_port(devices: dict[str, dict[str, object]]) -> object:
    return devices["lab-dist-01"]["ssh_port"]


def _netops(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [str(NETOPS), *args], capture_output=True, text=True, env=env, cwd=REPO,
        timeout=timeout, check=False,
    )  # fmt: skip


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ssh_pids(lab_dir: Path) -> dict[str, int]:
    doc = status(lab_dir)
    assert doc is not None, "the lab supervisor is not running"
    return {
        name: int(info["pid"])
        for name, info in doc["components"].items()
        if name.startswith(("ssh-", "ros-")) and info.get("pid")
    }


def test_lab_up_serves_routeros_over_the_api_and_eos_over_ssh_and_lab_down_leaves_nothing(
    tmp_path: Path,
) -> None:
    inv = _loopback_lab(tmp_path)
    lab_dir = tmp_path / "lab"
    devices = {
        d["hostname"]: d for d in yaml.safe_load((inv / "devices.yml").read_text())["devices"]
    }
    common = ("--lab-dir", str(lab_dir), "--namespace-prefix", PREFIX)
    supervisor_pid = None
    try:
        up = _netops(
            "lab", "up", "-i", str(inv), *common, "--wait", "60", "--citizens", "0",
            "--gateway-listen", "127.0.0.1:0",
            "--radius", f"127.0.0.1:{_free_port(socket.SOCK_DGRAM)}",
        )  # fmt: skip
        assert up.returncode == 0, up.stdout + up.stderr
        hs = devices["lab-hs-01"]
        assert f"{hs['mgmt_ip']}:{hs['ssh_port']} (RouterOS 7.16 lab device)" in up.stdout
        assert f"api {hs['mgmt_ip']}:{hs['api']['port']}" in up.stdout
        supervisor = status(lab_dir)
        assert supervisor is not None
        supervisor_pid = int(supervisor["pid"])

        shown = _netops("lab", "status", *common[:2])
        assert shown.returncode == 0, shown.stderr
        components = {"ssh-lab-dist-01", "ros-lab-hs-01", "ros-lab-ap-01"}
        for name in components:
            assert name in shown.stdout
        pids = _ssh_pids(lab_dir)
        assert set(pids) == components

        # Every simulated device with its platform and endpoints, for scripts.
        listed = _netops("lab", "status", "-i", str(inv), *common[:2], "--format", "json")
        assert listed.returncode == 0, listed.stderr
        by_name = {d["device"]: d for d in json.loads(listed.stdout)["devices"]}
        assert by_name["lab-hs-01"]["platform"] == "mikrotik_routeros"
        for name in ("lab-hs-01", "lab-ap-01"):
            d = devices[name]
            assert by_name[name]["endpoints"] == {
                "api": f"{d['mgmt_ip']}:{d['api']['port']}",
                "ssh": f"{d['mgmt_ip']}:{d['ssh_port']}",
                "snmp": f"{d['mgmt_ip']}:{d['snmp_port']}",
            }
        assert by_name["lab-dist-01"]["endpoints"]["ssh"] == f"127.0.1.3:{dist_port(devices)}"
        assert "netops-lab" not in "".join(
            p.read_text(errors="replace") for p in lab_dir.rglob("*") if p.is_file()
        ), "a lab file holds the password"

        # RouterOS: netops' own check logs in over the API and reads facts.
        for name, version in (("lab-hs-01", "7.16"), ("lab-ap-01", "7.16")):
            check = _netops("-i", str(inv), "config", "check", "--device", name)
            assert version in check.stdout, check.stdout + check.stderr
            assert "failed" not in check.stdout, check.stdout

        # EOS: the SSH CLI answers show version with output netops parses.
        from netmiko import ConnectHandler

        dist = devices["lab-dist-01"]
        with ConnectHandler(
            device_type="arista_eos", host=dist["mgmt_ip"], port=dist["ssh_port"],
            username="netops", password="netops-lab", fast_cli=True, allow_agent=False,
            use_keys=False, conn_timeout=10,
        ) as conn:  # fmt: skip
            conn.enable()
            text = str(conn.send_command("show version"))
            assert conn.find_prompt() == "lab-dist-01#"
        facts = parse_facts(platform("eos"), text)
        assert facts["version"] == "4.31.2F" and facts["serial"] == "LAB0000EOS01"

        # A crashed device is restarted by the lab supervisor on the same address and port.
        ap = devices["lab-ap-01"]
        os.kill(pids["ros-lab-ap-01"], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while True:
            now = _ssh_pids(lab_dir).get("ros-lab-ap-01")
            if now and now != pids["ros-lab-ap-01"] and ssh_answers(ap["mgmt_ip"], ap["ssh_port"]):
                break
            assert time.monotonic() < deadline, "the killed FakeNOS target was not restarted"
            time.sleep(0.2)
        pids = _ssh_pids(lab_dir)

        # lab up's readiness probe hangs up after the banner: one line in the log, no traceback.
        log = (lab_dir / "log" / "ssh-lab-dist-01.log").read_text()
        assert "connection dropped during the SSH handshake" in log
        assert "Traceback" not in log

        gone = _netops("lab", "down", *common)
        assert gone.returncode == 0, gone.stderr
        assert "lab supervisor" in gone.stdout or "lab " in gone.stdout
        assert not any(_alive(pid) for pid in [*pids.values(), supervisor_pid])
        for name in LOOPBACK_DEVICES:
            device = devices[name]
            assert not ssh_answers(device["mgmt_ip"], device["ssh_port"], timeout=0.5)
        assert not lab_dir.exists()
    finally:
        _netops("lab", "down", *common)
