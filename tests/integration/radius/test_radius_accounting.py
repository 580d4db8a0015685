"""Accounting against radclient: lifecycle with gigawords, retransmission, NAS reboot, stale."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pyrad import packet as rp
from radius_peers import NETOPS, SECRET, RadiusProcess, ServerFactory, radclient

from netops.radius.dictionary import load_dictionary
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def server(
    module_inventory: Path, module_sqlite_url: str, module_server_factory: ServerFactory
) -> RadiusProcess:
    return module_server_factory(module_inventory, module_sqlite_url, "--sweep-interval", "0.5")


@pytest.fixture
def store(server: RadiusProcess, open_store: Callable[[str], Store]) -> Store:
    return open_store(server.db)


def acct(user: str, status: str, session: str, **extra: str) -> list[tuple[str, str]]:
    attrs = [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", status),
        ("Acct-Session-Id", f'"{session}"'),
        ("Calling-Station-Id", '"02-00-00-00-00-42"'),
        ("Framed-IP-Address", "10.254.200.42"),
        ("NAS-Identifier", '"lab-hs-01"'),
    ]
    attrs.extend((k.replace("_", "-"), v) for k, v in extra.items())
    return attrs


def test_start_interim_stop_are_stored_with_gigawords(server: RadiusProcess, store: Store) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", acct(user, "Start", sid)).code == (
        "Accounting-Response"
    )
    session = store.session(sid)
    assert session is not None and session.active
    assert session.mac == store.mac_pseudonym("02:00:00:00:00:42")
    assert session.ip == "10.254.200.42"
    assert session.hotspot == "lab-park"
    interim = acct(
        user,
        "Interim-Update",
        sid,
        Acct_Session_Time="600",
        Acct_Input_Octets="5",
        Acct_Input_Gigawords="1",
        Acct_Output_Octets="7",
        Acct_Output_Gigawords="2",
    )
    assert radclient(server.acct_port, "acct", interim).code == "Accounting-Response"
    session = store.session(sid)
    assert session is not None
    assert session.input_octets == (1 << 32) + 5
    assert session.output_octets == (2 << 32) + 7
    assert session.session_time == 600
    stop = acct(
        user,
        "Stop",
        sid,
        Acct_Session_Time="900",
        Acct_Input_Octets="6",
        Acct_Input_Gigawords="1",
        Acct_Output_Octets="8",
        Acct_Output_Gigawords="2",
        Acct_Terminate_Cause="User-Request",
    )
    assert radclient(server.acct_port, "acct", stop).code == "Accounting-Response"
    session = store.session(sid)
    assert session is not None and not session.active
    assert session.terminate_cause == "User-Request"
    assert session.session_time == 900
    assert session.input_octets + session.output_octets == (3 << 32) + 14
    assert server.counter("netops_radius_requests_total", type="accounting", result="ack") >= 3


def test_a_retransmission_is_answered_from_the_cache_and_counted_once(
    server: RadiusProcess, store: Store
) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    before = server.counter("netops_radius_retransmissions_total", type="accounting")
    req = rp.AcctPacket(secret=SECRET.encode(), dict=load_dictionary())
    for name, value in (
        ("User-Name", user),
        ("Acct-Status-Type", "Stop"),
        ("Acct-Session-Id", sid),
        ("Acct-Session-Time", 60),
        ("Acct-Input-Octets", 1000),
    ):
        req.AddAttribute(name, value)
    data = req.RequestPacket()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(data, ("127.0.0.1", server.acct_port))
        first = sock.recv(4096)
        sock.sendto(data, ("127.0.0.1", server.acct_port))
        second = sock.recv(4096)
    assert first == second
    assert req.VerifyReply(req.CreateReply(packet=first), first)
    after = server.counter("netops_radius_retransmissions_total", type="accounting")
    assert after == before + 1
    usage = store.usage(user)
    assert (usage.sessions, usage.seconds, usage.octets) == (1, 60, 1000)


def test_accounting_with_a_wrong_secret_is_dropped(server: RadiusProcess, store: Store) -> None:
    sid = f"s-{uuid.uuid4().hex[:6]}"
    reply = radclient(server.acct_port, "acct", acct("x", "Start", sid), secret="bad", timeout=1)
    assert reply.code is None
    assert store.session(sid) is None
    assert server.counter("netops_radius_dropped_total", reason="bad_authenticator") >= 1


def test_accounting_on_closes_the_nas_sessions(server: RadiusProcess, store: Store) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", acct(user, "Start", sid)).code
    on = [("Acct-Status-Type", "Accounting-On"), ("NAS-Identifier", '"lab-hs-01"')]
    assert radclient(server.acct_port, "acct", on).code == "Accounting-Response"
    session = store.session(sid)
    assert session is not None and not session.active
    assert session.terminate_cause == "NAS-Reboot"


def test_a_session_without_interim_for_three_intervals_is_closed_as_stale(
    server: RadiusProcess, store: Store
) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    long_ago = str(int(time.time()) - 3600)
    start = acct(user, "Start", sid, Event_Timestamp=long_ago, Acct_Interim_Interval="60")
    assert radclient(server.acct_port, "acct", start).code == "Accounting-Response"
    deadline = time.monotonic() + 20
    session = store.session(sid)
    while session is not None and session.active and time.monotonic() < deadline:
        time.sleep(0.3)
        session = store.session(sid)
    assert session is not None and not session.active
    assert server.counter("netops_radius_stale_sessions_closed_total") >= 1
    # silent since its Start: it went stale 3 intervals later, and that time counts
    assert session.started_at == datetime.fromtimestamp(int(long_ago), UTC)
    assert session.stopped_at == session.started_at + timedelta(seconds=180)
    assert session.session_time == 180


def cli_sessions(server: RadiusProcess, user: str) -> list[dict[str, Any]]:
    """``netops radius sessions --format json`` for one user, as an operator runs it."""
    result = subprocess.run(
        [*NETOPS, "radius", "sessions", "--user", user, "--format", "json", "--db", server.db],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_accounting_on_counts_the_time_since_the_last_interim(
    server: RadiusProcess, store: Store
) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    started = time.time()
    assert radclient(server.acct_port, "acct", acct(user, "Start", sid)).code
    interim = acct(user, "Interim-Update", sid, Acct_Session_Time="1")
    assert radclient(server.acct_port, "acct", interim).code == "Accounting-Response"
    time.sleep(8)
    on = [("Acct-Status-Type", "Accounting-On"), ("NAS-Identifier", '"lab-hs-01"')]
    assert radclient(server.acct_port, "acct", on).code == "Accounting-Response"
    closed = time.time()
    (session,) = cli_sessions(server, user)
    assert not session["active"] and session["terminate_cause"] == "NAS-Reboot"
    # the power cut does not give back the 8 s since the interim (it was stored as 1 s)
    assert closed - started - 3 <= session["session_time"] <= closed - started + 1
    stopped = datetime.fromisoformat(session["stopped_at"])
    begun = datetime.fromisoformat(session["started_at"])
    # the JSON's times are to the second
    assert abs(session["session_time"] - (stopped - begun).total_seconds()) <= 1


def test_an_interim_does_not_move_the_start_back(server: RadiusProcess, store: Store) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", acct(user, "Start", sid)).code
    (first,) = cli_sessions(server, user)
    for seconds in ("600", "3600"):
        interim = acct(user, "Interim-Update", sid, Acct_Session_Time=seconds)
        assert radclient(server.acct_port, "acct", interim).code == "Accounting-Response"
    (after,) = cli_sessions(server, user)
    assert after["started_at"] == first["started_at"]
    assert after["session_time"] == 3600


def test_active_sessions_per_hotspot_are_exported(server: RadiusProcess) -> None:
    user, sid = f"u-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", acct(user, "Start", sid)).code
    time.sleep(5.5)  # the gauge is read from the store at most every 5 s
    assert server.counter("netops_radius_active_sessions", hotspot="lab-park") >= 1
