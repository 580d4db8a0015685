"""The supervisor against real child processes: readiness, crash restarts, clean stops."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from netops.service.backoff import Backoff
from netops.service.model import ComponentSpec, Probe, State
from netops.service.supervisor import Event, Supervisor, probe_once
from tests.unit.service.conftest import (
    PY,
    free_port,
    listener,
    pid_running,
    run,
    until,
    wait_gone,
)

pytestmark = pytest.mark.timeout(60)
FAST = Backoff(initial=0.05, factor=2, maximum=0.4, stable_after=5)


def test_component_is_up_once_its_probe_answers() -> None:
    port = free_port()
    events: list[Event] = []

    async def go() -> None:
        sup = Supervisor(
            [ComponentSpec("web", listener(port), probe=Probe("127.0.0.1", port))],
            FAST,
            events.append,
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("web").state is State.UP)
        status = sup.status("web")
        assert status.pid is not None and pid_running(status.pid)
        stop.set()
        await task
        assert sup.status("web").state is State.STOPPED
        assert not pid_running(status.pid)

    run(go)
    kinds = [e.kind for e in events]
    assert kinds[:2] == ["started", "ready"] and kinds[-1] == "stopped"


def test_component_without_probe_is_up_as_soon_as_it_runs() -> None:
    async def go() -> None:
        sup = Supervisor([ComponentSpec("sleeper", (PY, "-c", "import time; time.sleep(60)"))])
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("sleeper").state is State.UP)
        stop.set()
        await task

    run(go)


def test_crashing_component_is_reported_and_restarted_with_growing_delays() -> None:
    events: list[Event] = []

    async def go() -> None:
        sup = Supervisor(
            [ComponentSpec("bad", (PY, "-c", "raise SystemExit(3)"))], FAST, events.append
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("bad").restarts >= 3)
        status = sup.status("bad")
        assert status.last_exit == 3
        stop.set()
        await task

    run(go)
    crashes = [e.message for e in events if e.kind == "crashed"]
    assert crashes[0] == "exit code 3; restarting in 0.1 s"
    assert crashes[1] == "exit code 3; restarting in 0.1 s"  # 0.05 → 0.1 s rounded
    assert crashes[2] == "exit code 3; restarting in 0.2 s"


def test_component_that_crashes_once_comes_back_up(tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    port = free_port()
    code = textwrap.dedent(
        f"""
        import os, socket, sys, time
        if not os.path.exists({str(marker)!r}):
            open({str(marker)!r}, "w").close()
            sys.exit(1)
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", {port})); s.listen(); time.sleep(60)
        """
    )

    async def go() -> None:
        sup = Supervisor(
            [ComponentSpec("flaky", (PY, "-c", code), probe=Probe("127.0.0.1", port))], FAST
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("flaky").state is State.UP)
        assert sup.status("flaky").restarts == 1
        assert sup.status("flaky").last_exit == 1
        stop.set()
        await task

    run(go)


def test_killed_component_is_restarted_with_a_new_pid() -> None:
    async def go() -> None:
        sup = Supervisor([ComponentSpec("s", (PY, "-c", "import time; time.sleep(60)"))], FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("s").state is State.UP)
        first = sup.status("s").pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        await until(
            lambda: sup.status("s").pid not in (None, first) and sup.status("s").state is State.UP
        )
        assert sup.status("s").last_error == "killed by SIGKILL"
        stop.set()
        await task

    run(go)


def test_stop_removes_the_whole_process_group_including_grandchildren(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    script = f"sleep 300 & echo $! > {pidfile}; wait"

    async def go() -> int:
        sup = Supervisor([ComponentSpec("tree", ("sh", "-c", script))], FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
        grandchild = int(pidfile.read_text())
        assert pid_running(grandchild)
        stop.set()
        await task
        return grandchild

    grandchild = run(go)
    assert wait_gone(grandchild, 5), "the grandchild outlived the stop"


def test_component_ignoring_sigterm_is_killed_after_the_stop_timeout(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    code = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"open({str(ready)!r}, 'w').close()\n"
        "time.sleep(300)\n"
    )

    async def go() -> int:
        sup = Supervisor([ComponentSpec("stubborn", (PY, "-c", code), stop_timeout=0.5)], FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(ready.exists)
        pid = sup.status("stubborn").pid
        assert pid is not None
        stop.set()
        await task
        assert sup.status("stubborn").last_exit == -signal.SIGKILL
        return pid

    assert not pid_running(run(go))


def test_missing_program_is_reported_as_a_crash_not_an_exception() -> None:
    events: list[Event] = []

    async def go() -> None:
        sup = Supervisor(
            [ComponentSpec("ghost", ("/nonexistent/netops-ghost",))], FAST, events.append
        )
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: sup.status("ghost").restarts >= 1)
        stop.set()
        await task

    run(go)
    crash = next(e for e in events if e.kind == "crashed")
    assert crash.message.startswith("could not start: No such file or directory")


def test_child_output_goes_to_its_log_file(tmp_path: Path) -> None:
    log = tmp_path / "log" / "talker.log"
    code = "import sys, time; print('hello from child', flush=True); time.sleep(60)"

    async def go() -> None:
        sup = Supervisor([ComponentSpec("talker", (PY, "-c", code), log=log)], FAST)
        stop = asyncio.Event()
        task = asyncio.create_task(sup.run(stop))
        await until(lambda: log.exists() and "hello from child" in log.read_text())
        stop.set()
        await task

    run(go)
    text = log.read_text()
    assert "starting talker" in text


def test_children_die_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    code = textwrap.dedent(
        f"""
        import asyncio, sys
        from netops.service.model import ComponentSpec
        from netops.service.supervisor import Supervisor
        spec = ComponentSpec("c", (sys.executable, "-c",
            "import os, time; open({str(pidfile)!r}, 'w').write(str(os.getpid())); "
            "time.sleep(300)"))
        asyncio.run(Supervisor([spec]).run(asyncio.Event()))
        """
    )
    sup = subprocess.Popen([sys.executable, "-c", code], cwd=Path(__file__).parents[3])
    try:
        deadline = 200
        while not (pidfile.exists() and pidfile.read_text()) and deadline:
            deadline -= 1
            subprocess.run(["sleep", "0.05"], check=True)
        child = int(pidfile.read_text())
        assert pid_running(child)
        sup.kill()
        sup.wait()
        assert wait_gone(child, 5), "the child was orphaned when its supervisor died"
    finally:
        sup.kill()


def test_probe_once_tells_an_open_port_from_a_closed_one() -> None:
    port = free_port()

    async def go() -> tuple[bool, bool]:
        closed = await probe_once(Probe("127.0.0.1", port))
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port)
        async with server:
            opened = await probe_once(Probe("127.0.0.1", port))
        return closed, opened

    assert run(go) == (False, True)


def test_duplicate_component_names_are_refused() -> None:
    spec = ComponentSpec("x", ("true",))
    with pytest.raises(ValueError, match="unique"):
        Supervisor([spec, spec])
