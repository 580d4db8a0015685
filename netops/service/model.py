"""What a supervised component is, and the state it is in: plain values, no I/O."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class State(enum.StrEnum):
    """Where a component is in its life."""

    STARTING = "starting"  # spawned, readiness probe not yet answered
    UP = "up"  # running and (if it has a probe) answering
    BACKOFF = "backoff"  # stopped on its own; waiting to be restarted
    STOPPING = "stopping"
    STOPPED = "stopped"  # stopped on request


@dataclass(frozen=True)
class Probe:
    """How to tell that a component is ready: a TCP connect, or an HTTP GET answering 2xx."""

    host: str
    port: int
    http_path: str | None = None

    def describe(self) -> str:
        if self.http_path is not None:
            return f"http://{_hostport(self.host, self.port)}{self.http_path}"
        return f"tcp://{_hostport(self.host, self.port)}"


@dataclass(frozen=True)
class Endpoint:
    """Something a component offers a user: a URL or a ``udp://`` address, with a label."""

    label: str
    address: str


@dataclass(frozen=True)
class ComponentSpec:
    """A child process to supervise: its command line, environment and readiness probe."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    probe: Probe | None = None
    endpoints: tuple[Endpoint, ...] = ()
    log: Path | None = None
    ready_timeout: float = 30.0
    stop_timeout: float = 5.0
    cwd: Path | None = None

    def __post_init__(self) -> None:
        if not self.argv:
            raise ValueError(f"component {self.name!r} has an empty command line")


@dataclass(frozen=True)
class ComponentStatus:
    """A snapshot of one component, as the health endpoint reports it."""

    name: str
    state: State
    pid: int | None = None
    restarts: int = 0
    started_at: float | None = None
    last_exit: int | None = None
    last_error: str | None = None
    next_restart_in: float | None = None
    endpoints: tuple[Endpoint, ...] = ()

    def as_json(self, now: float) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "up": self.state is State.UP,
            "pid": self.pid,
            "restarts": self.restarts,
            "uptime_seconds": round(now - self.started_at, 3)
            if self.started_at is not None and self.state is State.UP
            else None,
            "last_exit_code": self.last_exit,
            "last_error": self.last_error,
            "next_restart_in_seconds": self.next_restart_in,
            "endpoints": {e.label: e.address for e in self.endpoints},
        }


def overall(statuses: Iterable[ComponentStatus]) -> str:
    """``ok`` when every component is up, ``starting`` while any is, else ``degraded``."""
    states = [s.state for s in statuses]
    if all(s is State.UP for s in states):
        return "ok"
    if any(s in (State.BACKOFF, State.STOPPED, State.STOPPING) for s in states):
        return "degraded"
    return "starting"


def health_document(
    statuses: Iterable[ComponentStatus], now: float, pid: int, started_at: float
) -> dict[str, Any]:
    """The JSON body of ``GET /health``."""
    items = list(statuses)
    return {
        "status": overall(items),
        "pid": pid,
        "uptime_seconds": round(now - started_at, 3),
        "components": {s.name: s.as_json(now) for s in items},
    }


def describe_exit(returncode: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL`` for a process's return code."""
    if returncode < 0:
        import signal

        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
