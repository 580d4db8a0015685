"""``netops radius purge`` against a running server and radclient: it never hands back a quota."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import NETOPS, REPO, RadiusProcess, ServerFactory, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture
def server(inventory_dir: Path, sqlite_url: str, server_factory: ServerFactory) -> RadiusProcess:
    return server_factory(inventory_dir, sqlite_url, "--reject-delay", "0")


def purge(server: RadiusProcess, inventory: Path, age: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NETOPS_INVENTORY=str(inventory), NETOPS_DB=server.db, COLUMNS="200")
    return subprocess.run(
        [*NETOPS, "radius", "purge", "--older-than", age],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def stop(user: str, sid: str, **extra: str) -> list[tuple[str, str]]:
    attrs = [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", "Stop"),
        ("Acct-Session-Id", f'"{sid}"'),
        ("Calling-Station-Id", '"02-00-00-00-00-01"'),
    ]
    return attrs + [(k.replace("_", "-"), v) for k, v in extra.items()]


def test_a_short_purge_is_refused_and_the_daily_limit_holds(
    server: RadiusProcess, inventory_dir: Path, open_store: Callable[[str], Store]
) -> None:
    store = open_store(server.db)
    alice = f"alice-{uuid.uuid4().hex[:6]}"
    store.add_user(alice, "s3cret", "gratis")
    # 4 GB (the plan allows 1 GB a day) in a session that ended 90 s ago, so a purge of
    # what is older than a minute would take it
    ended = str(int(time.time()) - 90)
    used = stop(alice, "today-1", Acct_Input_Gigawords="1", Event_Timestamp=ended)
    assert radclient(server.acct_port, "acct", used).code == "Accounting-Response"
    daily_data = ["Kuota data Anda hari ini sudah habis. Silakan coba lagi besok."]
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == daily_data

    refused = purge(server, inventory_dir, "1m")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip() == (
        "error: --older-than 1m is shorter than 1d: plan gratis has a daily limit (days start "
        "at 00:00 WITA), and purging today's sessions would give users their daily "
        "allowance back"
    )
    assert "Traceback" not in refused.stderr
    assert len(store.sessions(username=alice)) == 1

    allowed = purge(server, inventory_dir, "1d")
    assert allowed.returncode == 0, allowed.stderr
    reply = radclient(server.auth_port, "auth", pap(alice, "s3cret"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == daily_data


def test_a_total_data_quota_holds_after_its_sessions_are_purged(
    server: RadiusProcess, inventory_dir: Path, open_store: Callable[[str], Store]
) -> None:
    store = open_store(server.db)
    budi = f"budi-{uuid.uuid4().hex[:6]}"
    store.add_user(budi, "rahasia", "voucher-harian")  # 5 GB in total
    long_ago = str(int(time.time()) - 40 * 86_400)
    old = stop(budi, "april", Acct_Input_Gigawords="2", Event_Timestamp=long_ago)
    assert radclient(server.acct_port, "acct", old).code == "Accounting-Response"
    reply = radclient(server.auth_port, "auth", pap(budi, "rahasia"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == ["Kuota data Anda sudah habis."]

    done = purge(server, inventory_dir, "30d")
    assert done.returncode == 0, done.stderr
    assert "purged 1 session(s)" in done.stdout
    assert store.sessions(username=budi) == []
    reply = radclient(server.auth_port, "auth", pap(budi, "rahasia"))
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == ["Kuota data Anda sudah habis."]
