"""`netops up` with the real services: healthy, then SIGTERM leaves no process behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.paths import LAB, REPO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
NETOPS = REPO / ".venv" / "bin" / "netops"


def _ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_sigterm_stops_every_service_and_removes_the_state_file(tmp_path: Path) -> None:
    auth, acct, metrics, portal, exporter, health = _ports(6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    up = subprocess.Popen(
        [str(NETOPS), "up", "-i", str(LAB), "--state-dir", str(tmp_path),
         "--radius-auth-port", str(auth), "--radius-acct-port", str(acct),
         "--radius-metrics-port", str(metrics), "--portal-port", str(portal),
         "--exporter-port", str(exporter), "--health-port", str(health)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{health}/health"
        doc: dict[str, object] = {}
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert up.poll() is None, up.communicate()[0]
            try:
                resp = httpx.get(url, timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            doc = resp.json()
            if resp.status_code == 200:
                break
            time.sleep(0.2)
        assert doc.get("status") == "ok", doc
        components = doc["components"]
        assert isinstance(components, dict)
        assert set(components) == {"radius", "portal", "exporter"}
        pids = [int(c["pid"]) for c in components.values()]
        state = json.loads((tmp_path / "up.json").read_text())
        assert state["pid"] == up.pid
        assert httpx.get(f"http://127.0.0.1:{exporter}/metrics", timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{metrics}/metrics", timeout=10).status_code == 200

        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
    assert up.returncode == 0, out
    assert "netops stopped: every service ended." in out
    assert [pid for pid in pids if _alive(pid)] == []
    assert not (tmp_path / "up.json").exists()
