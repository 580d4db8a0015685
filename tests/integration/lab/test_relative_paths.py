"""`netops lab up` and the commands around it, given relative paths from a folder that is not
the repository: the FRR routers' sshd answers, a push reaches them over SSH with its session
log and backups where the user said, and `netops lab down` removes it all.

Real peers: FRR (zebra, ospfd) and OpenSSH's sshd in network namespaces, the lab's snmpsim
agents and the lab supervisor; netmiko as the client. OpenSSH 9.2's sshd given a relative
config path (`-f var/lab/...`) starts but never answers, so this fails on code that hands
the lab folder on as the user typed it.

The routers are the lab inventory's two FRR routers on management addresses of their own
(and namespaces ``nxrel-…``), so this lab does not take the addresses of `netops lab up`'s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from netops.inventory import load_inventory
from netops.lab.frr import FrrLab
from netops.lab.runtime import lab_namespaces, ssh_answers
from netops.service.state import cmdline, read_state
from tests.paths import LAB, REPO

pytestmark = [pytest.mark.integration, pytest.mark.root, pytest.mark.timeout(240)]
NETOPS = REPO / ".venv" / "bin" / "netops"
PREFIX = "nxrel"
ROUTERS = {"lab-core-01": "10.254.0.242", "lab-core-02": "10.254.0.246"}


def _routers_only(folder: Path) -> None:
    """inventory/lab with only its FRR routers (moved to ``ROUTERS``' addresses)."""
    shutil.copytree(LAB, folder)
    devices = yaml.safe_load((folder / "devices.yml").read_text())
    devices["devices"] = [d for d in devices["devices"] if d["hostname"] in ROUTERS]
    for device in devices["devices"]:
        device["mgmt_ip"] = ROUTERS[device["hostname"]]
    (folder / "devices.yml").write_text(yaml.safe_dump(devices))
    links = yaml.safe_load((folder / "links.yml").read_text())
    links["links"] = [
        link
        for link in links["links"]
        if all(end.split(":")[0] in ROUTERS for end in (link["a"], link.get("b", link["a"])))
    ]
    (folder / "links.yml").write_text(yaml.safe_dump(links))
    hotspots = yaml.safe_load((folder / "hotspots.yml").read_text())
    hotspots["hotspots"] = []
    (folder / "hotspots.yml").write_text(yaml.safe_dump(hotspots))


def _netops(work: Path, *args: str, timeout: float = 150) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    env["COLUMNS"] = "250"
    return subprocess.run(
        [str(NETOPS), *args], capture_output=True, text=True, env=env, cwd=work,
        timeout=timeout, check=False,
    )  # fmt: skip


def _lab_processes(lab_dir: Path) -> dict[int, str]:
    """pid → command line of every process the lab runs: its supervisor, the supervisor's
    children, and what runs inside the routers' namespaces (FRR daemons, sshd)."""
    pids: set[int] = set()
    doc = read_state(lab_dir / "supervisor.json") or {}
    if isinstance(doc.get("pid"), int):
        pids.add(doc["pid"])
    for info in (doc.get("components") or {}).values():
        if isinstance(info.get("pid"), int):
            pids.add(info["pid"])
    for namespace in lab_namespaces(PREFIX):
        listed = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True,
                                text=True, check=False).stdout  # fmt: skip
        pids.update(int(p) for p in listed.split())
    return {pid: line for pid in sorted(pids) if (line := cmdline(pid))}


def test_lab_up_push_and_down_with_relative_paths_from_another_folder(tmp_path: Path) -> None:
    for tool in ("/usr/lib/frr/zebra", "/usr/sbin/sshd", "/usr/bin/vtysh"):
        assert Path(tool).exists(), f"{tool} is missing: apt-get install frr openssh-server"
    work = tmp_path / "work"
    work.mkdir()
    _routers_only(work / "inv")
    prefix = ["--namespace-prefix", PREFIX]
    try:
        up = _netops(
            work, "lab", "up", "-i", "inv", "--lab-dir", "var/lab", *prefix, "--wait", "60"
        )
        assert up.returncode == 0, up.stderr + up.stdout
        lab_dir = work / "var" / "lab"
        assert (lab_dir / "lab.json").exists() and (lab_dir / "supervisor.json").exists()

        processes = _lab_processes(lab_dir)
        sshd = [line for line in processes.values() if "/usr/sbin/sshd -f " in line]
        assert len(sshd) == len(ROUTERS), processes
        # Whatever the lab started was given absolute paths, none relative to `work`.
        relative = {
            pid: line
            for pid, line in processes.items()
            for word in line.replace("=", " ").split()
            if word == "inv" or word.startswith(("var/", "inv/"))
        }
        assert relative == {}

        status = _netops(work, "lab", "status", "--lab-dir", "var/lab")
        assert status.returncode == 0, status.stderr
        assert "snmp-lab-core-01" in status.stdout

        # Over SSH to the routers: the push's backups and session logs land under `work`.
        push = _netops(work, "-i", "inv", "config", "push", "--role", "core", "--commit",
                       "--backup-dir", "backups", "--session-log", "logs")  # fmt: skip
        assert push.returncode == 0, push.stderr + push.stdout
        assert (work / "backups" / ".git").is_dir()
        assert "hostname lab-core-01" in (work / "backups" / "lab-core-01.cfg").read_text()
        assert "lab-core-02#" in (work / "logs" / "lab-core-02.log").read_text()
        running = subprocess.run(
            ["ip", "netns", "exec", f"{PREFIX}-lab-core-02", "vtysh", "-N",
             f"{PREFIX}-lab-core-02", "-c", "show running-config"],
            capture_output=True, text=True, timeout=60,
        ).stdout  # fmt: skip
        assert "ip address 10.254.101.1/30" in running, running

        down = _netops(work, "lab", "down", "--lab-dir", "var/lab", *prefix)
        assert down.returncode == 0, down.stderr
        assert f"namespace {PREFIX}-lab-core-01" in down.stdout
        assert lab_namespaces(PREFIX) == []
        assert not lab_dir.exists()
        assert [pid for pid in processes if cmdline(pid)] == []
    finally:
        if lab_namespaces(PREFIX):
            _netops(work, "lab", "down", "--lab-dir", str(work / "var" / "lab"), *prefix)


def test_frr_lab_given_a_relative_workdir_hands_sshd_an_absolute_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lab's Python API, too: a relative ``workdir`` still gives an sshd that answers."""
    _routers_only(tmp_path / "inv")
    monkeypatch.chdir(tmp_path)
    inventory = load_inventory(Path("inv"))
    lab = FrrLab.from_inventory(inventory, PREFIX, [inventory.device("lab-core-01")], False)
    lab.workdir = Path("frr")
    lab.workdir.mkdir()
    try:
        lab.up()
        assert ssh_answers(ROUTERS["lab-core-01"], 22)
        sshd = [
            line
            for pid in map(int, subprocess.run(["ip", "netns", "pids", f"{PREFIX}-lab-core-01"],
                                               capture_output=True, text=True).stdout.split())
            if "/usr/sbin/sshd -f " in (line := cmdline(pid))
        ]  # fmt: skip
        assert sshd and f"-f {tmp_path}/frr/" in sshd[0], sshd
    finally:
        lab.down()
    assert lab_namespaces(PREFIX) == []
