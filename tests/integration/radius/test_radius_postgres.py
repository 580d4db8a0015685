"""Two ``radius serve`` processes on one throwaway PostgreSQL act as one service; a database
that goes away gets no answers (the NAS retries, or fails over), and nothing is lost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import RadReply, ServerFactory, pap, radclient

from netops.store import Store
from tests.support.postgres import PostgresCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def test_simultaneous_use_holds_across_two_servers(
    inventory_dir: Path,
    postgres_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    store = open_store(postgres_url)
    store.add_user("alice", "s3cret", "gratis")  # simultaneous_use: 1
    primary = server_factory(inventory_dir, postgres_url, name="primary")
    secondary = server_factory(inventory_dir, postgres_url, name="secondary")
    phone, laptop = '"AA-00-00-00-00-01"', '"AA-00-00-00-00-02"'

    # Accepted by the primary, no Accounting-Start yet: the slot is already held.
    assert radclient(primary.auth_port, "auth", pap("alice", "s3cret", mac=phone)).code == (
        "Access-Accept"
    )
    held = radclient(secondary.auth_port, "auth", pap("alice", "s3cret", mac=laptop))
    assert held.code == "Access-Reject"
    assert held.attributes["Reply-Message"] == ["Akun ini sedang dipakai di perangkat lain."]

    start = [
        ("User-Name", '"alice"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", '"pg-1"'),
        ("Calling-Station-Id", phone),
    ]
    assert radclient(primary.acct_port, "acct", start).code == "Accounting-Response"
    assert radclient(secondary.auth_port, "auth", pap("alice", "s3cret", mac=laptop)).code == (
        "Access-Reject"
    )
    # The phone itself may log in again through either server.
    assert radclient(secondary.auth_port, "auth", pap("alice", "s3cret", mac=phone)).code == (
        "Access-Accept"
    )
    stop = [*start[:1], ("Acct-Status-Type", "Stop"), *start[2:], ("Acct-Session-Time", "60")]
    assert radclient(secondary.acct_port, "acct", stop).code == "Accounting-Response"
    store.close()


def _until_answered(send: Callable[[], RadReply], seconds: float = 30) -> RadReply:
    deadline = time.monotonic() + seconds
    reply = send()
    while reply.code is None and time.monotonic() < deadline:
        reply = send()
    return reply


def test_database_down_means_no_answer_and_no_loss(
    inventory_dir: Path,
    postgres_cluster: PostgresCluster,
    postgres_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    store = open_store(postgres_url)
    store.add_user("budi", "rahasia", "pegawai")
    server = server_factory(inventory_dir, postgres_url)
    sid = f"down-{uuid.uuid4().hex[:6]}"
    start = [
        ("User-Name", '"budi"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", f'"{sid}"'),
    ]
    postgres_cluster.stop()
    try:
        acct = radclient(server.acct_port, "acct", start, timeout=1, retries=1)
        assert acct.code is None, acct.output
        auth = radclient(server.auth_port, "auth", pap("budi", "rahasia"), timeout=1)
        assert auth.code is None, "no Access-Reject while the store is down: the NAS fails over"
        assert server.alive()
        assert server.counter("netops_radius_requests_total", result="error") >= 2
    finally:
        postgres_cluster.start()
    answered = _until_answered(lambda: radclient(server.acct_port, "acct", start, timeout=1))
    assert answered.code == "Accounting-Response", server.stderr()
    session = store.session(sid)
    assert session is not None and session.active
    auth = _until_answered(lambda: radclient(server.auth_port, "auth", pap("budi", "rahasia")))
    assert auth.code == "Access-Accept"
