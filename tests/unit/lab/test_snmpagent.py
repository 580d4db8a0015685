"""The lab's SNMP agents (snmpsim via netops.lab.snmpagent) as net-snmp's snmpget sees them:
inventory data, moving counters, the community."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from netops.inventory import load_inventory
from netops.inventory.models import SnmpProfile
from netops.lab.runtime import agent_answers, agent_command
from netops.lab.snmprec import device_records, render
from tests.paths import LAB

pytestmark = [pytest.mark.timeout(90), pytest.mark.integration, pytest.mark.root]


def _port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(tmp_path: Path, profile: SnmpProfile) -> tuple[subprocess.Popen[bytes], int]:
    lab = load_inventory(LAB)
    port = _port()
    argv = agent_command(
        tmp_path / "agent", render(device_records(lab, lab.device("lab-dist-01"))), profile,
        f"127.0.0.1:{port}",
    )  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while not agent_answers(profile, "127.0.0.1", port):
        assert proc.poll() is None, "the agent exited"
        assert time.monotonic() < deadline, "the agent did not answer within 60 s"
    return proc, port


def _snmpget(*args: str) -> str:
    tool = shutil.which("snmpget")
    assert tool, "net-snmp's snmpget is missing (Debian package snmp)"
    done = subprocess.run([tool, "-On", "-t", "2", *args], capture_output=True, text=True)
    return done.stdout + done.stderr


def test_v2c_agent_serves_the_inventory_device_and_its_counters_grow(tmp_path: Path) -> None:
    profile = load_inventory(LAB).snmp["public_v2"]
    proc, port = _serve(tmp_path, profile)
    try:
        target = f"127.0.0.1:{port}"
        name = _snmpget("-v2c", "-c", "public", target, "1.3.6.1.2.1.1.5.0")
        assert 'STRING: "lab-dist-01"' in name
        oid = "1.3.6.1.2.1.31.1.1.1.6.1"
        first = int(_snmpget("-v2c", "-c", "public", target, oid).split()[-1])
        time.sleep(1.2)
        second = int(_snmpget("-v2c", "-c", "public", target, oid).split()[-1])
        assert second > first
        assert "Timeout" in _snmpget("-v2c", "-c", "wrong", "-r", "0", target, oid)
    finally:
        proc.terminate()
        proc.wait(10)
