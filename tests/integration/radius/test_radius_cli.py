"""The issue's "done when", as a user runs it, plus ``--workers``, ``stats`` and bad input."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import NETOPS, REPO, RadiusProcess, ServerFactory, chap, netops, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

LAB = REPO / "inventory" / "lab"


def test_done_when_lab_inventory_fresh_sqlite(
    tmp_path: Path, server_factory: ServerFactory
) -> None:
    db = f"sqlite:///{tmp_path / 'fresh.db'}"
    added = netops(
        "radius",
        "user",
        "add",
        "alice",
        "--password",
        "s3cret",
        "--plan",
        "gratis",
        inventory=LAB,
        db=db,
    )
    assert added.returncode == 0, added.stderr
    server = server_factory(LAB, db)

    for request in (pap("alice", "s3cret"), chap("alice", "s3cret")):
        reply = radclient(server.auth_port, "auth", request)
        assert reply.code == "Access-Accept", reply.output
        assert reply.order[0] == "Message-Authenticator"
        assert reply.attributes["Session-Timeout"] == ["7200"]
        assert reply.attributes["Mikrotik-Rate-Limit"] == ["2M/5M"]
    assert radclient(server.auth_port, "auth", pap("alice", "wrong")).code == "Access-Reject"
    ignored = radclient(server.auth_port, "auth", pap("alice", "s3cret"), secret="x", timeout=1)
    assert ignored.code is None

    start = [
        ("User-Name", '"alice"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", '"done-1"'),
        ("Calling-Station-Id", '"02-00-00-00-00-01"'),
    ]
    assert radclient(server.acct_port, "acct", start).code == "Accounting-Response"
    active = netops("radius", "sessions", "--active", inventory=LAB, db=db)
    assert active.returncode == 0, active.stderr
    assert "alice" in active.stdout and "done-1" in active.stdout
    stop = [*start[:1], ("Acct-Status-Type", "Stop"), *start[2:], ("Acct-Session-Time", "30")]
    assert radclient(server.acct_port, "acct", stop).code == "Accounting-Response"
    after = netops("radius", "sessions", "--active", inventory=LAB, db=db)
    assert "done-1" not in after.stdout


def test_workers_share_the_ports_and_the_metrics(
    inventory_dir: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    open_store(sqlite_url).add_user("alice", "s3cret", "pegawai")
    server = server_factory(inventory_dir, sqlite_url, "--workers", "2")
    for _ in range(6):
        reply = radclient(server.auth_port, "auth", pap("alice", "s3cret"))
        assert reply.code == "Access-Accept", reply.output
    assert server.counter("netops_radius_requests_total", type="access", result="accept") == 6
    stats = netops(
        "radius", "stats", "--url", server.metrics_url, inventory=inventory_dir, db=sqlite_url
    )
    assert stats.returncode == 0, stats.stderr
    assert re.search(r"access\s+│\s+accept\s+│\s+lab-hs-01\s+│\s+6", stats.stdout), stats.stdout


def test_stats_of_a_server_that_is_not_running_is_a_clear_error(inventory_dir: Path) -> None:
    result = netops(
        "radius",
        "stats",
        "--url",
        "http://127.0.0.1:9/metrics",
        inventory=inventory_dir,
        db="sqlite:///unused.db",
    )
    assert result.returncode == 1
    assert "cannot read RADIUS metrics at http://127.0.0.1:9/metrics" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_with_an_unresolvable_nas_secret_says_which_nas(
    inventory_dir: Path, sqlite_url: str
) -> None:
    profiles = inventory_dir / "profiles.yml"
    profiles.write_text(profiles.read_text().replace("secret: testing123", "secret: env:NO_SUCH"))
    result = netops(
        "radius",
        "serve",
        "--auth-port",
        "0",
        "--acct-port",
        "0",
        "--metrics-listen",
        "off",
        inventory=inventory_dir,
        db=sqlite_url,
        timeout=60,
    )
    assert result.returncode == 1
    assert "lab-hs-01" in result.stderr and "NO_SUCH" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_is_a_clear_error(
    inventory_dir: Path, sqlite_url: str, server_factory: ServerFactory
) -> None:
    first: RadiusProcess = server_factory(inventory_dir, sqlite_url)
    result = netops(
        "radius",
        "serve",
        "--bind",
        "127.0.0.1",
        "--auth-port",
        str(first.auth_port),
        "--acct-port",
        "0",
        "--metrics-listen",
        "off",
        inventory=inventory_dir,
        db=sqlite_url,
    )
    assert result.returncode == 1
    assert f"127.0.0.1:{first.auth_port}" in result.stderr
    assert "Traceback" not in result.stderr


def _free_udp_ports(count: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def test_serve_listens_on_the_inventorys_radius_ports(
    inventory_dir: Path, sqlite_url: str, open_store: Callable[[str], Store], tmp_path: Path
) -> None:
    """Without --auth-port/--acct-port, ``radius serve`` uses services.radius's ports, the
    ones the inventory's NAS are configured with (as ``netops up`` does)."""
    auth, acct = _free_udp_ports(2)
    meta = inventory_dir / "meta.yml"
    text = meta.read_text()
    assert "auth_port: 1812" in text and "acct_port: 1813" in text
    meta.write_text(
        text.replace("auth_port: 1812", f"auth_port: {auth}").replace(
            "acct_port: 1813", f"acct_port: {acct}"
        )
    )
    open_store(sqlite_url).add_user("alice", "s3cret", "pegawai")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("NETOPS_INVENTORY", None)
    env.pop("NETOPS_DB", None)
    cmd = [*NETOPS, "-i", str(inventory_dir), "--db", sqlite_url, "radius", "serve"]
    cmd += ["--bind", "127.0.0.1", "--metrics-listen", "off"]
    log = tmp_path / "serve.log"
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "listening" not in line:
            line = proc.stdout.readline()
            if not line:
                break
        assert f"auth {auth} acct {acct}" in line, (line, log.read_text())
        reply = radclient(auth, "auth", pap("alice", "s3cret"))
        assert reply.code == "Access-Accept", reply.output
        start = [
            ("User-Name", '"alice"'),
            ("Acct-Status-Type", "Start"),
            ("Acct-Session-Id", '"inv-ports-1"'),
        ]
        assert radclient(acct, "acct", start).code == "Accounting-Response"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
