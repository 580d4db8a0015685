"""The state file a running supervisor leaves, and stopping what it names."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from netops.service.state import alive, cmdline, read_state, terminate, write_state
from tests.unit.service.conftest import pid_running

pytestmark = pytest.mark.timeout(30)


def test_state_round_trips_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "up.json"
    write_state(path, {"pid": 1, "components": {"radius": 2}})
    assert read_state(path) == {"pid": 1, "components": {"radius": 2}}
    assert [p.name for p in path.parent.iterdir()] == ["up.json"]


@pytest.mark.parametrize("content", [None, "", "{not json", "[1, 2]"])
def test_missing_or_broken_state_reads_as_none(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "up.json"
    if content is not None:
        path.write_text(content)
    assert read_state(path) is None


def test_alive_checks_the_command_line_marker_so_reused_pids_are_spared() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "marker-xyz"])
    try:
        for _ in range(250):  # until the child has exec'd (its command line is the new one)
            if "marker-xyz" in cmdline(proc.pid):
                break
            time.sleep(0.02)
        assert alive(proc.pid, "marker-xyz")
        assert not alive(proc.pid, "some-other-program")
    finally:
        proc.kill()
        proc.wait()
    assert not alive(proc.pid)


def test_terminate_stops_a_process_group_and_kills_one_that_ignores_sigterm(
    tmp_path: Path,
) -> None:
    ready = tmp_path / "ready"
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, "nx-stubborn"], start_new_session=True)
    try:
        while not ready.exists():
            subprocess.run(["sleep", "0.02"], check=True)
        hit = terminate([proc.pid, 999_999_999], "nx-stubborn", timeout=0.5)
        proc.wait(5)
        assert hit == [proc.pid]
        assert not pid_running(proc.pid)
    finally:
        proc.kill()


def test_terminate_leaves_a_process_whose_command_line_does_not_match() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert terminate([proc.pid], "not-this-one", timeout=0.2) == []
        assert pid_running(proc.pid)
    finally:
        proc.kill()
        proc.wait()
