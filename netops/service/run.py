"""Run a supervisor in the foreground: health endpoint, signals, state file, event log.

Shared by ``netops up`` (the netops services) and ``netops lab up`` (the simulated devices):
both are a list of components kept running until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from netops.service.backoff import Backoff
from netops.service.health import HealthServer
from netops.service.model import ComponentSpec, ComponentStatus, State
from netops.service.state import write_state
from netops.service.supervisor import Event, Supervisor

Printer = Callable[[Event], None]
OnReady = Callable[[list[ComponentStatus], int], None]


async def supervise(
    specs: list[ComponentSpec],
    state_path: Path,
    health_host: str,
    health_port: int,
    on_event: Printer,
    on_ready: OnReady,
    extra_state: dict[str, Any] | None = None,
    backoff: Backoff | None = None,
    ready_wait: float = 60.0,
) -> None:
    """Supervise ``specs`` until SIGINT/SIGTERM; keep ``state_path`` current, then remove it.

    ``on_ready(statuses, health_port)`` is called once, when every component is up (or when
    ``ready_wait`` seconds have passed, with whatever states they are in).
    """
    supervisor = Supervisor(specs, backoff)
    health = HealthServer(supervisor.statuses, health_host, health_port, supervisor.started_at)
    await health.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    announced = asyncio.Event()
    logs = {s.name: str(s.log) for s in specs if s.log is not None}
    markers = {s.name: " ".join(s.argv[-2:]) for s in specs}

    def save() -> None:
        write_state(
            state_path,
            {
                "pid": os.getpid(),
                "started_at": supervisor.started_at,
                "health": f"http://{_host(health_host)}:{health.port}/health",
                "components": {
                    s.name: {
                        "pid": s.pid,
                        "state": s.state.value,
                        "restarts": s.restarts,
                        "marker": markers[s.name],
                    }
                    for s in supervisor.statuses()
                },
                "logs": logs,
                **(extra_state or {}),
            },
        )

    def listen(event: Event) -> None:
        on_event(event)
        save()
        if not announced.is_set() and all(s.state is State.UP for s in supervisor.statuses()):
            announced.set()
            on_ready(supervisor.statuses(), health.port)

    supervisor.subscribe(listen)
    save()
    runner = asyncio.create_task(supervisor.run(stop))
    try:
        waiter = asyncio.create_task(announced.wait())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait(
            {waiter, stopper}, timeout=ready_wait, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        stopper.cancel()
        if not announced.is_set() and not stop.is_set():
            announced.set()
            on_ready(supervisor.statuses(), health.port)
        await runner
    finally:
        if not runner.done():
            stop.set()
            await runner
        await health.close()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        state_path.unlink(missing_ok=True)


def _host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def wait_for_file_gone(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not path.exists()
