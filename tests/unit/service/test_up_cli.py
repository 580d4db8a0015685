"""`netops up` as a user meets it when something is wrong: one clear sentence, exit 1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netops.cli.main import main
from netops.service.state import cmdline
from tests.paths import LAB


def _free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def test_stop_with_nothing_running_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["up", "--stop", "--state-dir", str(tmp_path)]) == 0
    assert "nothing was running" in capsys.readouterr().out


def test_a_port_in_use_is_named_and_nothing_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        auth, acct, metrics, exporter, health = _free_ports(5)
        code = main(["up", "-i", str(LAB), "--state-dir", str(tmp_path),
                     "--portal-port", str(port), "--radius-auth-port", str(auth),
                     "--radius-acct-port", str(acct), "--radius-metrics-port", str(metrics),
                     "--exporter-port", str(exporter), "--health-port", str(health)])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert f"portal port tcp 127.0.0.1:{port} is in use" in err
    assert not (tmp_path / "up.json").exists()


def test_two_services_on_one_port_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["up", "-i", str(LAB), "--state-dir", str(tmp_path), "--exporter-port", "9812"])
    assert code == 1
    assert "both want tcp 9812" in capsys.readouterr().err


def test_a_second_up_on_the_same_state_dir_says_which_one_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A live process whose command line names netops stands in for the running supervisor.
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "netops"])
    try:
        for _ in range(250):  # until the child has exec'd
            if "time.sleep(60) netops" in cmdline(holder.pid):
                break
            time.sleep(0.02)
        (tmp_path / "up.json").write_text(
            json.dumps({"pid": holder.pid, "health": "http://127.0.0.1:1/health"})
        )
        assert main(["up", "-i", str(LAB), "--state-dir", str(tmp_path)]) == 1
        err = capsys.readouterr().err
        assert f"netops up is already running (pid {holder.pid}" in err
        assert "netops up --stop" in err
    finally:
        holder.kill()
        holder.wait()


def test_status_without_a_running_stack_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "up.json").write_text(json.dumps({"pid": 999_999_999}))
    assert main(["up", "--status", "--state-dir", str(tmp_path)]) == 1
    assert "not running (stale state" in capsys.readouterr().err


def test_a_broken_inventory_stops_up_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "inv"
    broken.mkdir()
    (broken / "meta.yml").write_text("meta: [not, a, mapping\n")
    assert main(["up", "-i", str(broken), "--state-dir", str(tmp_path / "var")]) == 1
    assert "meta.yml" in capsys.readouterr().err
    assert not (tmp_path / "var" / "up.json").exists()
