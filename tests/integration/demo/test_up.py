"""`netops up` with the real services: healthy, then SIGTERM leaves no process behind.

It runs from a folder that is not the repository, with relative paths (inventory, state
folder, database), as a user in their own folder types them: the services it starts get
them absolute.
"""

from __future__ import annotations

import json
import os
import shutil
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
    work = tmp_path / "work"
    shutil.copytree(LAB, work / "lab")
    state = work / "state"
    up = subprocess.Popen(
        [str(NETOPS), "-i", "lab", "up", "--state-dir", "state", "--db", "sqlite:///data.db",
         "--radius-auth-port", str(auth), "--radius-acct-port", str(acct),
         "--radius-metrics-port", str(metrics), "--portal-port", str(portal),
         "--exporter-port", str(exporter), "--health-port", str(health)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=work,
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
        recorded = json.loads((state / "up.json").read_text())
        assert recorded["pid"] == up.pid
        assert recorded["inventory"] == str(work / "lab")
        assert recorded["db"] == f"sqlite:///{work}/data.db"
        for pid in pids:  # every service was told where things are absolutely
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert argv[argv.index(b"-i") + 1] == bytes(work / "lab")
            assert argv[argv.index(b"--db") + 1] == f"sqlite:///{work}/data.db".encode()
        assert {p.name for p in (state / "log").iterdir()} == {
            "radius.log",
            "portal.log",
            "exporter.log",
        }
        status = subprocess.run(
            [str(NETOPS), "up", "--status", "--state-dir", "state"],
            capture_output=True, text=True, env=env, cwd=work, timeout=60,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["status"] == "ok"
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
    assert not (state / "up.json").exists()
    assert (work / "data.db").exists()
