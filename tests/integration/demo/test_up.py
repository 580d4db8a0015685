"""`netops up` with the real services: healthy, then SIGTERM leaves no process behind.

It runs from a folder that is not the repository, with relative paths (inventory, state
folder, database), as a user in their own folder types them: the services it starts get
them absolute.
"""

from __future__ import annotations

import json
import os
import re
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
        # The lab inventory has a privacy: section, so the daily retention purge runs too.
        assert set(components) == {"radius", "portal", "exporter", "privacy-purge"}
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
            "privacy-purge.log",
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


def _modes(root: Path) -> dict[str, int]:
    """Permission bits of ``root`` and of everything under it, by path relative to it."""
    found = {".": root.stat().st_mode & 0o777}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = path.lstat().st_mode & 0o777
    return found


def _wait_healthy(up: subprocess.Popen[str], url: str) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert up.poll() is None, up.communicate()[0]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} never answered 200")


def test_up_creates_logs_state_and_store_for_its_group_only(tmp_path: Path) -> None:
    """Under a user's usual umask (0022), `netops up` still writes nothing others can read:
    folders 0750, logs, up.json and the SQLite store with its -wal/-shm 0640 — radius.log
    names who was rejected."""
    auth, acct, metrics, portal, exporter, health = _ports(6)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    state = tmp_path / "state"
    old = os.umask(0o022)
    try:
        up = subprocess.Popen(
            [str(NETOPS), "-i", str(LAB), "up", "--state-dir", str(state),
             "--radius-auth-port", str(auth), "--radius-acct-port", str(acct),
             "--radius-metrics-port", str(metrics), "--portal-port", str(portal),
             "--exporter-port", str(exporter), "--health-port", str(health)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )  # fmt: skip
    finally:
        os.umask(old)
    try:
        _wait_healthy(up, f"http://127.0.0.1:{health}/health")
        rejected = subprocess.run(
            ["radclient", "-r", "1", "-t", "3", f"127.0.0.1:{auth}", "auth", "testing123"],
            input='User-Name = "ABCD-EFGH-JK"\nUser-Password = "ABCD-EFGH-JK"\n',
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert "Access-Reject" in rejected.stdout + rejected.stderr, rejected
        deadline = time.monotonic() + 10
        while "reject" not in (state / "log" / "radius.log").read_text():
            assert time.monotonic() < deadline, (state / "log" / "radius.log").read_text()
            time.sleep(0.1)
        modes = _modes(state)
    finally:
        up.send_signal(signal.SIGTERM)
        out, _ = up.communicate(timeout=60)
    assert up.returncode == 0, out
    assert {"up.json", "netops.db", "log/radius.log", "log/portal.log"} <= set(modes), modes
    assert {name for name, mode in modes.items() if mode & 0o027} == set(), {
        name: oct(mode) for name, mode in modes.items()
    }
    assert modes["."] == modes["log"] == 0o750
    for name in ("log/radius.log", "log/portal.log", "log/exporter.log", "up.json"):
        assert modes[name] == 0o640, (name, oct(modes[name]))
    # The store makes a new SQLite file 0600 itself (its -wal and -shm follow): stricter.
    for name in ("netops.db", "netops.db-wal", "netops.db-shm"):
        assert modes.get(name, 0) & ~0o640 == 0, (name, oct(modes[name]))


@pytest.mark.parametrize("service", ["radius", "portal"])
def test_a_served_sqlite_store_is_for_the_group_only(tmp_path: Path, service: str) -> None:
    """`netops radius serve` / `portal serve --db sqlite:///…` under umask 0022: the store's
    folder 0750, the database and its -wal/-shm 0640 at most (the store makes them 0600)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETOPS_")}
    env["NETOPS_STORE_KEY"] = _store_key()
    folder = tmp_path / "data"
    db = folder / "netops.db"
    args = {
        "radius": ["radius", "serve", "--bind", "127.0.0.1", "--auth-port", "0",
                   "--acct-port", "0", "--metrics-listen", "off"],
        "portal": ["portal", "serve", "--listen", "127.0.0.1:0"],
    }[service]  # fmt: skip
    old = os.umask(0o022)
    try:
        proc = subprocess.Popen(
            [str(NETOPS), "-i", str(LAB), "--db", f"sqlite:///{db}", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
        )  # fmt: skip
    finally:
        os.umask(old)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.search(r"auth \d+ acct \d+|serving http://", line), line
        modes = _modes(folder)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert modes["."] == 0o750, oct(modes["."])
    assert "netops.db" in modes and "netops.db-wal" in modes, modes
    assert {n: oct(m) for n, m in modes.items() if n != "." and m & ~0o640} == {}


def _store_key() -> str:
    from netops.store.credentials import generate_key

    return generate_key()
