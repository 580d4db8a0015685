"""Provisioning against real FRR routers in network namespaces, over real SSH."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.inventory.models import Inventory
from netops.lab.frr import FrrLab
from netops.provision import operations
from netops.provision.operations import Options
from netops.provision.runner import run
from tests.integration.provision.conftest import MGMT
from tests.paths import LAB

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CORES = ("lab-core-01", "lab-core-02")


def _running(lab: FrrLab, host: str) -> str:
    out = lab.vtysh(host, "show running-config")
    return "\n".join(line for line in out.splitlines() if not line.startswith("Building"))


def _wait_full(lab: FrrLab, host: str, timeout: float = 40) -> str:
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        out = lab.vtysh(host, "show ip ospf neighbor")
        if "Full" in out:
            return out
        time.sleep(0.5)
    raise AssertionError(
        f"no Full OSPF adjacency on {host} within {timeout} s:\n{out}\n{_running(lab, host)}"
    )


def test_dry_run_shows_the_diff_and_changes_nothing(frr_lab: FrrLab, inv: Inventory) -> None:
    before = {h: _running(frr_lab, h) for h in CORES}
    results = run(operations.push, inv, [inv.device(h) for h in CORES], Options(commit=False))
    for result in results:
        assert result.error is None and result.changed
        assert "+ ip address 10.254.100." in result.diff and "+router ospf" in result.diff
    assert {h: _running(frr_lab, h) for h in CORES} == before
    assert "10.254.100" not in frr_lab.ip("lab-core-01", "-4", "addr", "show", "eth1")


def test_commit_brings_ospf_up_and_the_second_push_is_a_no_op(
    frr_lab: FrrLab, inv: Inventory, tmp_path: Path
) -> None:
    devices = [inv.device(h) for h in CORES]
    first = run(operations.push, inv, devices, Options(commit=True, backup_dir=tmp_path / "b"))
    assert [(r.status, r.error) for r in first] == [("changed", None)] * 2
    assert all(r.running and "hostname lab-core" in r.running for r in first)
    kept = (tmp_path / "b" / "lab-core-01.cfg").read_text()  # written before the change
    assert "hostname lab-core-01" in kept and "router ospf" not in kept
    neighbors = _wait_full(frr_lab, "lab-core-01")
    assert "10.254.255.2" in neighbors
    assert "10.254.100.1/30" in frr_lab.ip("lab-core-01", "-4", "addr", "show", "eth1")
    assert "router ospf" in frr_lab.saved_config("lab-core-02")
    second = run(operations.push, inv, devices, Options(commit=True))
    assert [(r.status, r.diff) for r in second] == [("unchanged", "")] * 2
    drift = run(operations.check, inv, devices, Options())
    assert [r.facts["drift"] for r in drift] == ["none", "none"]
    assert all(r.facts["version"].startswith("8.") for r in drift)


def test_cli_push_backup_and_check_against_the_lab(
    frr_lab: FrrLab, inv: Inventory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backups = tmp_path / "backups"
    common = ["-i", inv.root, "config"]
    sel = ["--role", "core"]
    assert main([*common, "push", *sel, "--backup-dir", str(backups)]) == 0
    assert "dry run: nothing was changed" in capsys.readouterr().out
    assert "10.254.100" not in _running(frr_lab, "lab-core-01")
    assert main([*common, "backup", *sel, "--out", str(backups)]) == 0
    assert "committed 2 changed config(s)" in capsys.readouterr().out
    assert main([*common, "push", *sel, "--commit", "--backup-dir", str(backups)]) == 0
    out = capsys.readouterr().out
    assert "2 changed" in out
    assert main([*common, "push", *sel, "--commit", "--backup-dir", str(backups)]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    assert main([*common, "backup", *sel, "--out", str(backups)]) == 0
    out = capsys.readouterr().out
    assert "committed 2 changed config(s)" in out and "lab-core-01, lab-core-02" in out
    assert main([*common, "backup", *sel, "--out", str(backups)]) == 0
    assert "no config changed since the last backup" in capsys.readouterr().out
    log = subprocess.run(
        ["git", "-C", str(backups), "log", "--format=%s"], capture_output=True, text=True
    ).stdout.splitlines()
    assert len(log) == 2 and all("2 device(s) changed" in line for line in log)
    assert "ip ospf area 0.0.0.0" in (backups / "lab-core-01.cfg").read_text()
    assert main([*common, "check", *sel]) == 0
    assert "none" in capsys.readouterr().out


def test_a_rejected_line_is_rolled_back_and_other_devices_finish(
    frr_lab: FrrLab, lab_copy: ..., inv: Inventory
) -> None:
    template = (Path(LAB).parents[1] / "templates" / "frr" / "core.j2").read_text()
    bad = template.replace(
        " ip address {{ i.ip }}\n",
        " ip address {{ i.ip }}\n{% if hostname == 'lab-core-01' %} ip ospf bogus 7\n{% endif %}",
    )
    edited = lab_copy(files={"templates/frr/core.j2": bad})
    before = _running(frr_lab, "lab-core-01")
    bad_result, good_result = run(
        operations.push,
        edited,
        [edited.device("lab-core-01"), edited.device("lab-core-02")],
        Options(commit=True),
    )
    assert bad_result.failed and bad_result.rolled_back
    assert "rejected a line" in (bad_result.error or "")
    assert "rolled back" in (bad_result.error or "")
    assert _running(frr_lab, "lab-core-01") == before
    assert good_result.status == "changed", good_result.error
    assert "router ospf" in _running(frr_lab, "lab-core-02")


def test_wrong_password_fails_that_device_only_and_never_shows_the_password(
    frr_lab: FrrLab, lab_copy: ..., inv: Inventory, tmp_path: Path
) -> None:
    wrong = lab_copy(
        replace=(
            (
                "profiles.yml",
                "lab-admin: {username: netops, password: netops-lab}",
                "lab-admin: {username: netops, password: not-the-password}\n"
                "  other: {username: netops, password: netops-lab}",
            ),
            (
                "devices.yml",
                f"mgmt_ip: {MGMT['lab-core-02']}\n",
                f"mgmt_ip: {MGMT['lab-core-02']}\n    credentials: other\n",
            ),
        )
    )
    logs = tmp_path / "logs"
    results = run(
        operations.push,
        wrong,
        [wrong.device(h) for h in CORES],
        Options(commit=True, session_log_dir=logs),
    )
    assert results[0].error == (
        f"authentication failed for user 'netops' on lab-core-01 at {MGMT['lab-core-01']}:22"
    )
    assert results[1].status == "changed"
    session = (logs / "lab-core-02.log").read_text()
    assert "router ospf" in session and "netops-lab" not in session


def test_a_silent_ssh_port_times_out_with_a_clear_error(inv: Inventory) -> None:
    import socket

    from netops.inventory.models import Timeouts

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    hs = inv.device("lab-hs-01")  # a RouterOS gateway: its API port is the silent one
    device = hs.model_copy(
        update={
            "api": hs.api.model_copy(update={"port": port}),
            "timeouts": Timeouts(connect=1, command=2),
        }
    )
    try:
        [result] = run(operations.push, inv, [device], Options())
    finally:
        server.close()
    assert result.failed
    assert result.error == f"no answer from lab-hs-01 at 127.0.0.1:{port} within 1 s"


def test_connection_dropped_mid_push_is_rolled_back_over_a_new_session(
    frr_lab: FrrLab, lab_copy: ...
) -> None:
    many = "".join(f"interface nx{n}\n description netops bulk {n}\nexit\n!\n" for n in range(600))
    template = (Path(LAB).parents[1] / "templates" / "frr" / "core.j2").read_text()
    edited = lab_copy(files={"templates/frr/core.j2": template + many})
    before = _running(frr_lab, "lab-core-01")
    ns = frr_lab.router("lab-core-01").namespace

    import threading

    killed: list[int] = []

    def cut() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not killed:
            if "netops bulk" in _running(frr_lab, "lab-core-01"):
                pids = subprocess.run(
                    ["ip", "netns", "pids", ns], capture_output=True, text=True
                ).stdout.split()
                for pid in pids:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    if cmd.startswith((b"sshd: netops", b"/usr/bin/vtysh")):
                        subprocess.run(["kill", "-9", pid], check=False)
                        killed.append(int(pid))
            time.sleep(0.02)

    cutter = threading.Thread(target=cut)
    cutter.start()
    [result] = run(operations.push, edited, [edited.device("lab-core-01")], Options(commit=True))
    cutter.join()
    assert killed, "the session was never cut: the push finished first"
    assert result.failed and result.rolled_back, result.error
    # A cut session reads as a closed socket, or as silence when the kernel keeps it open.
    assert (result.error or "").startswith(
        (
            "the connection to lab-core-01 at 10.254.0.226:22 dropped",
            "the device did not answer a command",
        )
    ), result.error
    assert _running(frr_lab, "lab-core-01") == before
