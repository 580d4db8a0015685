"""The store threads of a server process, and the cheap hand-off between them and the loop.

``loop.run_in_executor`` costs a concurrent future (with its condition variable), an asyncio
future chained to it, and a wake-up of the loop per packet: on PostgreSQL, where every packet
goes to a thread, that hand-off was two thirds of the interpreter's time in a profile. Here a
packet is a tuple on a queue; a thread that finishes one appends its outcome to a list and
wakes the loop only if the list was empty, and the loop takes every finished outcome at once
(:meth:`StoreThreads.submit`, the ``deliver`` callback).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger("netops.radius")

T = TypeVar("T")
#: What a thread hands back: the job's tag and its result, or the exception it raised.
Done = tuple[Any, Any, BaseException | None]


#: Store threads per worker, when the operator does not say, by where the database is.
#: SQLite answers a read in microseconds from a local file and serialises writers on one
#: lock: a pool only adds hand-offs and lock contention (twice the CPU per login in a
#: reconnect storm), so the event loop does the work itself. PostgreSQL on the same machine
#: (a Unix socket, localhost, a loopback address) answers a statement in tens of
#: microseconds: handing each packet to a thread and back costs more than waiting for it
#: (measured in docs/benchmarks.md: a fifth less CPU per login, and less for the
#: database's backends too), so again the event loop. PostgreSQL on another host is a
#: network round trip per statement: a pool of 8 overlaps them.
STORE_THREADS: dict[str, int] = {"sqlite": 0, "postgresql-local": 0, "postgresql": 8}


def threads_for_store(url: str, pghost: str | None = None) -> int:
    """The store threads per worker that suit database ``url``: 0 (the event loop) for
    ``sqlite:///…`` and for PostgreSQL on this machine, a pool of 8 for PostgreSQL on
    another host (or on several, a primary and its standbys, any of them remote).
    ``pghost``: libpq's ``$PGHOST``, where a URL without a host connects."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme == "sqlite":
        return STORE_THREADS["sqlite"]
    local = all(_on_this_machine(host) for host in _hosts(url, pghost))
    return STORE_THREADS["postgresql-local" if local else "postgresql"]


def _hosts(url: str, pghost: str | None) -> list[str]:
    """The hosts a PostgreSQL URL names: its host, or its ``host=`` parameters (a Unix
    socket folder, or several hosts), else ``PGHOST``; none: libpq's default, the local
    Unix socket."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return ["?"]  # not ours to judge here: the store reports it; assume remote
    if parsed.host:
        return [parsed.host]
    given = parsed.query.get("host") or pghost  # as libpq reads them
    if not given:
        return []
    return [h for item in ([given] if isinstance(given, str) else given) for h in item.split(",")]


def _on_this_machine(host: str) -> bool:
    host = host.strip().strip("[]")
    if not host or host.startswith("/") or host.lower() == "localhost":
        return True  # a Unix socket folder, or the loopback name
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: another machine, as far as the URL says


class StoreThreads:
    """``count`` threads, each with its own store connection, running jobs for one loop."""

    def __init__(
        self,
        count: int,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[list[Done]], None],
        warm: Callable[[], None],
    ) -> None:
        self._count = max(1, count)
        self._loop = loop
        self._deliver = deliver
        self._warm = warm
        self._jobs: queue.SimpleQueue[tuple[Any, Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._done: list[Done] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    async def start(self) -> None:
        """Start the threads; each opens its database connection before this returns (so
        that the first requests after a start do not wait for connections). A store that
        is down now is not fatal: requests retry it."""
        ready: list[Future[None]] = []
        for n in range(self._count):
            started: Future[None] = Future()
            ready.append(started)
            thread = threading.Thread(
                target=self._run, args=(started,), name=f"radius-store-{n}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        await asyncio.gather(*(asyncio.wrap_future(f) for f in ready))

    def submit(self, tag: Any, work: Callable[..., Any], *args: Any) -> None:
        """Run ``work(*args)`` in a thread; ``(tag, result, None)`` or ``(tag, None, error)``
        reaches ``deliver`` in the loop, with every other job finished by then."""
        self._jobs.put((tag, work, args))

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run ``work(*args)`` in a thread and return its result (for occasional jobs)."""
        future: Future[T] = Future()
        self._jobs.put((future, work, args))
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Let every thread end after the job it is running; jobs not started are dropped."""
        self._closed = True
        for _ in self._threads:
            self._jobs.put(None)

    def _run(self, started: Future[None]) -> None:
        try:
            self._warm()
        except Exception as exc:  # reported; requests retry the store later
            log.warning("cannot open a store connection yet: %s", exc)
        started.set_result(None)
        jobs, done, lock = self._jobs, self._done, self._lock
        while True:
            job = jobs.get()
            if job is None or self._closed:
                return
            tag, work, args = job
            try:
                result, error = work(*args), None
            except BaseException as exc:
                result, error = None, exc
            if isinstance(tag, Future):
                if error is None:
                    tag.set_result(result)
                else:
                    tag.set_exception(error)
                continue
            with lock:
                done.append((tag, result, error))
                wake = len(done) == 1
            if wake:
                try:
                    self._loop.call_soon_threadsafe(self._drain)
                except RuntimeError:  # the loop is closed: the server is stopping
                    return

    def _drain(self) -> None:
        with self._lock:
            finished = self._done[:]
            self._done.clear()
        self._deliver(finished)
