"""The exporter on several cores: N worker processes listening on one port (SO_REUSEPORT).

The parent reserves the port (bound, not listening, so a kernel-chosen port is known before
any worker starts) and starts N workers (``spawn``: each imports afresh, with
prometheus_client in multiprocess mode), each a full exporter: its own listening socket in the
port's SO_REUSEPORT group, event loop, SNMP client and uvicorn server. The kernel spreads new
connections over the workers by their addresses and ports. (Not one shared accepting socket:
asyncio accepts every pending connection at once, so the first worker to wake would take a
whole burst of Prometheus's keep-alive connections and keep them.) What is shared:

* the exporter's own metrics: every worker writes prometheus_client's multiprocess files in
  one folder, and ``/metrics`` on any worker sums them (counters keep what a worker that
  exited had counted; the in-flight gauge sums the live workers);
* reloads: ``POST /-/reload`` on one worker reloads it and bumps a shared generation; every
  other worker re-reads the files before its next request, so nothing answers from the old
  configuration after the reload's reply. SIGHUP to the parent bumps it too;
* nothing else: SNMPv3 engine discovery (engine id, boots, time) is cached per worker, so
  each worker discovers an agent once.

A worker that exits is started again; one that keeps exiting (5 times within a minute) makes
the parent stop all the others and exit with that sentence. SIGINT (Ctrl-C) or SIGTERM to
the parent stops every worker; a parent killed outright takes its workers with it
(``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing as mp
import os
import shutil
import signal
import socket
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netops.errors import ExporterError, NetopsError

log = logging.getLogger("netops.exporter")

RESTART_LIMIT = 5  # exits of one worker within RESTART_WINDOW before the parent gives up
RESTART_WINDOW = 60.0


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker builds its exporter from (picklable: workers are spawned)."""

    inventory: Path
    modules: Path | None
    default_timeout: float
    timeout_offset: float
    v2c_engine: str
    v3_engine: str
    parallel_walks: int


def build_exporter(spec: WorkerSpec) -> Any:
    """An exporter from ``spec``'s files, with a loader that re-reads them."""
    from netops.exporters.modules import load_modules
    from netops.exporters.server import Exporter, ExporterSettings
    from netops.exporters.snmp import SnmpClient
    from netops.inventory import load_inventory

    settings = ExporterSettings(
        default_timeout=spec.default_timeout, timeout_offset=spec.timeout_offset
    )
    client = SnmpClient(
        v2c_engine="fast" if spec.v2c_engine == "fast" else "pysnmp",
        v3_engine="fast" if spec.v3_engine == "fast" else "pysnmp",
        parallel_walks=spec.parallel_walks,
    )
    exporter = Exporter(
        load_inventory(spec.inventory), load_modules(spec.modules), settings, client=client
    )
    exporter.loader = lambda: (load_inventory(spec.inventory), load_modules(spec.modules))
    return exporter


def _exit_with_parent() -> None:
    """Have the kernel send this worker SIGTERM when the parent dies, even by SIGKILL, so no
    orphaned worker keeps the port (Linux ``PR_SET_PDEATHSIG``; elsewhere a no-op)."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        return


def _worker_main(
    spec: WorkerSpec, address: tuple[str, int], index: int, generation: Any, ready: Any
) -> None:
    from netops.exporters.server import bind, serve

    _exit_with_parent()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        exporter = build_exporter(spec)
        sock = bind(*address, reuse_port=True)
    except NetopsError as exc:
        ready.put((index, "error", str(exc)))
        return
    exporter.generation = generation
    exporter.seen_generation = generation.value
    exporter.metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    ready.put((index, "ok", ""))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(exporter, sock))


def serve_workers(
    spec: WorkerSpec,
    sock: socket.socket,
    workers: int,
    announce: Callable[[], None] = lambda: None,
) -> None:
    """Run ``workers`` exporters on ``sock``'s port until SIGINT/SIGTERM (``sock``: bound
    with SO_REUSEPORT, not listening); ``announce`` once every worker is ready. Raises
    :class:`ExporterError` when a worker cannot start or keeps exiting."""
    from prometheus_client.multiprocess import mark_process_dead

    metrics_dir = tempfile.mkdtemp(prefix="netops-exporter-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    ctx = mp.get_context("spawn")
    ready: Any = ctx.Queue()
    generation: Any = ctx.Value("Q", 0)
    address = sock.getsockname()[:2]
    procs: dict[int, Any] = {}
    exits: dict[int, deque[float]] = {i: deque(maxlen=RESTART_LIMIT) for i in range(workers)}
    stopping = False

    def start(index: int) -> None:
        proc = ctx.Process(
            target=_worker_main,
            args=(spec, address, index, generation, ready),
            name=f"netops-exporter-{index}",
            daemon=True,
        )
        proc.start()
        procs[index] = proc

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    def reload(*_: Any) -> None:
        with generation.get_lock():
            generation.value += 1

    old = {
        sig: signal.signal(sig, handler)
        for sig, handler in ((signal.SIGINT, stop), (signal.SIGTERM, stop), (signal.SIGHUP, reload))
    }
    try:
        for index in range(workers):
            start(index)
        for _ in range(workers):
            index, status, message = _next_ready(ready, procs, lambda: stopping)
            if status == "error":
                raise ExporterError(message)
        announce()
        while not stopping:
            time.sleep(0.2)
            for index, proc in list(procs.items()):
                if proc.is_alive() or stopping:
                    continue
                mark_process_dead(proc.pid, metrics_dir)  # type: ignore[no-untyped-call]
                now = time.monotonic()
                exits[index].append(now)
                if len(exits[index]) == RESTART_LIMIT and now - exits[index][0] < RESTART_WINDOW:
                    raise ExporterError(
                        f"exporter worker {index} exited {RESTART_LIMIT} times within "
                        f"{RESTART_WINDOW:.0f} s (last exit code {proc.exitcode}); stopping"
                    )
                log.error(
                    "exporter worker %d exited (code %s); starting it again", index, proc.exitcode
                )
                start(index)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for proc in procs.values():
            if proc.is_alive():
                proc.terminate()
        for proc in procs.values():
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
        sock.close()
        shutil.rmtree(metrics_dir, ignore_errors=True)
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _next_ready(
    ready: Any, procs: dict[int, Any], stopping: Callable[[], bool]
) -> tuple[int, str, str]:
    """The next worker's start-up report; a clear error if one dies before reporting."""
    import queue

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not stopping():
        try:
            item: tuple[int, str, str] = ready.get(timeout=0.2)
            return item
        except queue.Empty:
            dead = [i for i, p in procs.items() if p.exitcode not in (None, 0)]
            if dead:
                code = procs[dead[0]].exitcode
                raise ExporterError(
                    f"exporter worker {dead[0]} exited while starting (code {code})"
                ) from None
    if stopping():
        raise KeyboardInterrupt
    raise ExporterError("exporter workers did not start within 120 s")
