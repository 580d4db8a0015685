"""What a running supervisor leaves on disk: its pid, its children's pids, its endpoints.

A later command reads the file to report on the running stack or to stop it, also after a
crash left the file behind. Pids are only signalled when ``/proc`` still shows a process
whose command line contains the recorded marker, so a reused pid is never hit.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from netops.files import write_atomic


def write_state(path: Path, doc: dict[str, Any]) -> None:
    """Write ``doc`` as JSON atomically (readers never see half a file)."""
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    write_atomic(path, text, folder_mode=0o750, error=None)


def read_state(path: Path) -> dict[str, Any] | None:
    """The recorded state, or None when there is none (or it is unreadable)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def cmdline(pid: int) -> str:
    """The process's command line ('' when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def alive(pid: int, marker: str = "") -> bool:
    """True when ``pid`` runs and its command line contains ``marker``."""
    if pid <= 0:
        return False
    line = cmdline(pid)
    if not line:
        return False
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return marker in line


def terminate(pids: list[int], marker: str, timeout: float = 8.0) -> list[int]:
    """SIGTERM each live process group in ``pids``, wait, then SIGKILL; returns those hit."""
    targets = [p for p in pids if alive(p, marker)]
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(alive(p) for p in targets):
        time.sleep(0.05)
    for pid in targets:
        if alive(pid):
            _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(alive(p) for p in targets):
        time.sleep(0.05)
    return targets


def _signal(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by ``pid`` (children run as group leaders), else ``pid``."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)


SUPERVISOR_MARKER = "netops"


def stop_recorded(path: Path, timeout: float = 20.0) -> list[str]:
    """Stop the supervisor recorded in ``path`` and any child it left behind.

    Returns what was stopped (``supervisor pid N``, ``radius pid M``); an empty list when
    nothing recorded was still running. The state file is removed either way.
    """
    doc = read_state(path)
    if doc is None:
        path.unlink(missing_ok=True)
        return []
    stopped: list[str] = []
    pid = doc.get("pid")
    if isinstance(pid, int) and alive(pid, SUPERVISOR_MARKER):
        _signal_one(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            _signal_one(pid, signal.SIGKILL)
        stopped.append(f"supervisor pid {pid}")
    components = doc.get("components")
    if isinstance(components, dict):
        for name, info in components.items():
            if not isinstance(info, dict):
                continue
            child, marker = info.get("pid"), info.get("marker")
            if (
                isinstance(child, int)
                and isinstance(marker, str)
                and terminate([child], marker, timeout=5.0)
            ):
                stopped.append(f"{name} pid {child}")
    path.unlink(missing_ok=True)
    return stopped


def running(path: Path) -> dict[str, Any] | None:
    """The recorded state when its supervisor still runs, else None."""
    doc = read_state(path)
    if doc is None:
        return None
    pid = doc.get("pid")
    return doc if isinstance(pid, int) and alive(pid, SUPERVISOR_MARKER) else None


def _signal_one(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)
