"""Start the real services the portal's end-to-end tests need, on ports the kernel picks.

``netops radius serve`` and ``netops portal serve`` run as subprocesses (the real CLI); the
simulated MikroTik gateway runs in the test process; Chromium is driven by Playwright.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[3]
NETOPS = REPO / ".venv" / "bin" / "netops"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = REPO / "test-artifacts" / "portal"


@dataclass
class Service:
    """A netops service started as a subprocess; ``line`` is its start-up announcement."""

    name: str
    proc: subprocess.Popen[str]
    line: str
    log: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _readline(stream: IO[str], timeout: float) -> str:
    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else ""


def start_service(
    name: str, args: list[str], *, log_dir: Path, env: dict[str, str], pattern: str
) -> Service:
    """Run ``netops ARGS`` and wait (at most 30 s) for a stdout line matching ``pattern``."""
    if not NETOPS.exists():
        raise RuntimeError(f"{NETOPS} is missing: run `make venv` first")
    log = log_dir / f"{name}.log"
    proc = subprocess.Popen(
        [str(NETOPS), *args],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = _readline(proc.stdout, 0.5)
        if line and re.search(pattern, line):
            return Service(name, proc, line.strip(), log)
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait(timeout=5)
    raise RuntimeError(f"{name} did not start; its log says:\n{log.read_text()[-2000:]}")


def require_chromium() -> str:
    """The Debian Chromium binary; a clear failure (not a skip) when it is missing."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"{CHROMIUM} is missing: install the Debian package chromium")
    return CHROMIUM


def base_env(store_key: str, admin_token: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        NETOPS_STORE_KEY=store_key,
        NETOPS_ADMIN_TOKEN=admin_token,
        NETOPS_PORTAL_SECRET="portal-secret-for-the-e2e-tests-0123",
    )
    return env
