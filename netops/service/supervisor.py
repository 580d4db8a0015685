"""Run components as child processes: start, probe, restart with backoff, stop cleanly.

Each child runs in its own session (so its process group can be signalled as a whole) and
asks the kernel to send it SIGTERM if the supervisor dies, so nothing is orphaned even when
the supervisor is killed with SIGKILL. Stopping sends SIGTERM to the group, waits, then
SIGKILL.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

from netops.service.backoff import Backoff
from netops.service.model import ComponentSpec, ComponentStatus, Probe, State, describe_exit

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Event:
    """Something that happened to a component, for the operator to read."""

    component: str
    kind: str  # started | ready | crashed | restarting | stopped | not-ready
    message: str
    pid: int | None = None


EventSink = Callable[[Event], None]


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the supervisor goes away."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def probe_once(probe: Probe, timeout: float = 1.0) -> bool:
    """True when the probe's address accepts a connection (and answers 2xx, for HTTP)."""
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(probe.host, probe.port), timeout
        )
    except (OSError, TimeoutError):
        return False
    try:
        if probe.http_path is None:
            return True
        host = f"[{probe.host}]" if ":" in probe.host else probe.host
        writer.write(
            f"GET {probe.http_path} HTTP/1.1\r\nHost: {host}:{probe.port}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        parts = line.decode("latin-1").split()
        return len(parts) >= 2 and parts[1].startswith("2")
    except (OSError, TimeoutError, UnicodeError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout)


LOG_MODE = 0o640
DIR_MODE = 0o750


def open_log(path: Path) -> IO[bytes]:
    """``path`` opened for appending, created 0640 in a folder created 0750.

    Service logs name users, NAS addresses and reject reasons: they are for the service's
    group at most. A log an older version left wider open is narrowed to 0640 as well."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, LOG_MODE)
    try:
        mode = os.fstat(fd).st_mode & 0o777
        if mode & ~LOG_MODE:
            os.fchmod(fd, mode & LOG_MODE)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "ab")


class _Runner:
    """One component's life: spawn, probe, wait, restart."""

    def __init__(self, spec: ComponentSpec, backoff: Backoff, emit: EventSink) -> None:
        self.spec = spec
        self.backoff = backoff
        self.emit = emit
        self.status = ComponentStatus(spec.name, State.STARTING, endpoints=spec.endpoints)
        self.process: asyncio.subprocess.Process | None = None
        self.stopping = asyncio.Event()
        self._streak = 0

    def _set(self, **changes: object) -> None:
        self.status = replace(self.status, **changes)  # type: ignore[arg-type]

    async def run(self) -> None:
        while not self.stopping.is_set():
            started = time.time()
            try:
                process = await self._spawn()
            except OSError as exc:
                rc, reason = None, f"could not start: {exc.strerror or exc}"
            else:
                self.process = process
                self._set(
                    state=State.STARTING, pid=process.pid, started_at=started, next_restart_in=None
                )
                self.emit(Event(self.spec.name, "started", f"pid {process.pid}", process.pid))
                ready = asyncio.create_task(self._await_ready(process))
                rc = await process.wait()
                ready.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ready
                _kill_group(process.pid, signal.SIGKILL)
                self.process = None
                reason = describe_exit(rc)
            if self.stopping.is_set():
                self._set(state=State.STOPPED, pid=None, last_exit=rc)
                self.emit(Event(self.spec.name, "stopped", reason))
                return
            self._streak = self.backoff.next_streak(self._streak, time.time() - started)
            delay = self.backoff.delay(self._streak)
            self._set(
                state=State.BACKOFF,
                pid=None,
                last_exit=rc,
                last_error=reason,
                next_restart_in=round(delay, 3),
            )
            self.emit(Event(self.spec.name, "crashed", f"{reason}; restarting in {delay:.1f} s"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            if self.stopping.is_set():
                self._set(state=State.STOPPED, next_restart_in=None)
                return
            self._set(restarts=self.status.restarts + 1)
            self.emit(Event(self.spec.name, "restarting", f"restart {self.status.restarts}"))

    async def _spawn(self) -> asyncio.subprocess.Process:
        env = {**os.environ, **self.spec.env}
        log: IO[bytes] | int = asyncio.subprocess.DEVNULL
        if self.spec.log is not None:
            log = open_log(self.spec.log)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            log.write(f"--- {stamp} starting {self.spec.name}\n".encode())
            log.flush()
        try:
            return await asyncio.create_subprocess_exec(
                *self.spec.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                cwd=self.spec.cwd,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            if not isinstance(log, int):
                log.close()

    async def _await_ready(self, process: asyncio.subprocess.Process) -> None:
        probe = self.spec.probe
        if probe is not None:
            deadline = time.monotonic() + self.spec.ready_timeout
            while not await probe_once(probe):
                if time.monotonic() > deadline:
                    self.emit(
                        Event(
                            self.spec.name,
                            "not-ready",
                            f"{probe.describe()} did not answer within "
                            f"{self.spec.ready_timeout:g} s",
                            process.pid,
                        )
                    )
                    deadline = float("inf")
                await asyncio.sleep(0.1)
        self._set(state=State.UP)
        self.emit(Event(self.spec.name, "ready", "up", process.pid))

    async def stop(self) -> None:
        self.stopping.set()
        process = self.process
        if process is None or process.returncode is not None:
            return
        self._set(state=State.STOPPING)
        _kill_group(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(process.wait()), self.spec.stop_timeout)
        except TimeoutError:
            _kill_group(process.pid, signal.SIGKILL)
            await process.wait()


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class Supervisor:
    """Keep a set of components running until asked to stop.

    ``run(stop)`` starts every component, restarts those that exit on their own (waiting as
    :class:`Backoff` says) and, once ``stop`` is set, stops them all and returns.
    """

    def __init__(
        self,
        specs: list[ComponentSpec],
        backoff: Backoff | None = None,
        on_event: EventSink | None = None,
    ) -> None:
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError("component names must be unique")
        self._listeners: list[EventSink] = [on_event] if on_event else []
        self._runners = [_Runner(s, backoff or Backoff(), self._emit) for s in specs]
        self.started_at = time.time()

    def subscribe(self, sink: EventSink) -> None:
        self._listeners.append(sink)

    def _emit(self, event: Event) -> None:
        for sink in self._listeners:
            sink(event)

    def statuses(self) -> list[ComponentStatus]:
        return [r.status for r in self._runners]

    def status(self, name: str) -> ComponentStatus:
        return next(r.status for r in self._runners if r.spec.name == name)

    def pids(self) -> dict[str, int]:
        return {
            r.spec.name: r.process.pid
            for r in self._runners
            if r.process is not None and r.process.returncode is None
        }

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(r.run(), name=r.spec.name) for r in self._runners]
        try:
            await stop.wait()
        finally:
            await asyncio.gather(*(r.stop() for r in self._runners), return_exceptions=True)
            await asyncio.gather(*tasks, return_exceptions=True)
