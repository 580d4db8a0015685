"""Disconnect-Request (RFC 5176) to a test NAS listener: CLI, NAK, quota exhaustion."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pyrad import packet as rp
from radius_peers import (
    RadiusProcess,
    ServerFactory,
    TestNas,
    make_inventory,
    netops,
    pap,
    radclient,
)

from netops.store import Store
from tests.support.records import acct_record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def nas() -> Iterator[TestNas]:
    listener = TestNas()
    yield listener
    listener.close()


@pytest.fixture
def nas_inventory(tmp_path: Path, nas: TestNas) -> Path:
    return make_inventory(tmp_path / "inventory", coa_port=nas.port)


def start(user: str, sid: str) -> list[tuple[str, str]]:
    return [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", "Start"),
        ("Acct-Session-Id", f'"{sid}"'),
        ("Calling-Station-Id", '"02-00-00-00-00-77"'),
        ("Framed-IP-Address", "10.254.200.77"),
    ]


@pytest.fixture
def server(
    nas_inventory: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> RadiusProcess:
    open_store(sqlite_url).add_user("dewi", "pw-dewi", "gratis")
    return server_factory(nas_inventory, sqlite_url)


def test_disconnect_user_sends_disconnect_request_and_reports_ack(
    server: RadiusProcess, nas: TestNas, nas_inventory: Path
) -> None:
    sid = f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", start("dewi", sid)).code == "Accounting-Response"
    result = netops("radius", "disconnect", "dewi", inventory=nas_inventory, db=server.db)
    assert result.returncode == 0, result.stderr
    assert "ACK" in result.stdout and sid in result.stdout
    (received,) = nas.wait_for(1)
    assert received["code"] == rp.DisconnectRequest
    assert received["authentic"] and received["message_authenticator"]
    attrs = received["attributes"]
    assert attrs["User-Name"] == ["dewi"]
    assert attrs["Acct-Session-Id"] == [sid]
    assert attrs["Framed-IP-Address"] == ["10.254.200.77"]
    # The store holds only the device's pseudonym: it is never sent to the NAS as a MAC.
    assert "Calling-Station-Id" not in attrs


def test_disconnect_by_session_reports_a_nak_with_its_error_cause(
    server: RadiusProcess, nas: TestNas, nas_inventory: Path
) -> None:
    nas.nak = "Session-Context-Not-Found"
    sid = f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.acct_port, "acct", start("dewi", sid)).code
    result = netops("radius", "disconnect", "--session", sid, inventory=nas_inventory, db=server.db)
    assert result.returncode == 1
    assert "NAK" in result.stdout
    assert "Session-Context-Not-Found" in result.stdout


def test_disconnect_of_a_user_without_session_is_a_clear_error(
    server: RadiusProcess, nas_inventory: Path
) -> None:
    result = netops("radius", "disconnect", "nobody", inventory=nas_inventory, db=server.db)
    assert result.returncode == 1
    assert "user nobody has no open session" in result.stderr
    assert "Traceback" not in result.stderr


def test_disconnect_reports_timeout_when_the_nas_is_silent(
    sqlite_url: str, tmp_path: Path, open_store: Callable[[str], Store]
) -> None:
    silent = TestNas()
    port = silent.port
    silent.close()  # nothing listens on its port any more
    inventory = make_inventory(tmp_path / "silent-inv", coa_port=port)
    store = open_store(sqlite_url)
    from datetime import UTC, datetime

    store.account(
        acct_record(
            status="start",
            nas_ip="127.0.0.1",
            username="sepi",
            acct_session_id="quiet-1",
            hotspot="lab-park",
            event_time=datetime.now(UTC),
        )
    )
    result = netops(
        "radius",
        "disconnect",
        "sepi",
        "--timeout",
        "0.3",
        "--retries",
        "1",
        inventory=inventory,
        db=sqlite_url,
    )
    assert result.returncode == 1
    assert "TIMEOUT" in result.stdout


def test_quota_used_up_in_an_interim_update_triggers_a_disconnect(
    server: RadiusProcess, nas: TestNas
) -> None:
    sid = f"s-{uuid.uuid4().hex[:6]}"
    assert radclient(server.auth_port, "auth", pap("dewi", "pw-dewi")).code == "Access-Accept"
    assert radclient(server.acct_port, "acct", start("dewi", sid)).code
    interim = [
        *start("dewi", sid),
        ("Acct-Session-Time", "120"),
        ("Acct-Output-Octets", "1000"),
        ("Acct-Output-Gigawords", "1"),  # 4.29 GB > the plan's 1 GB a day
    ]
    interim[1] = ("Acct-Status-Type", "Interim-Update")
    assert radclient(server.acct_port, "acct", interim).code == "Accounting-Response"
    (received,) = nas.wait_for(1)
    assert received["code"] == rp.DisconnectRequest
    assert received["attributes"]["Acct-Session-Id"] == [sid]
    assert server.counter("netops_radius_coa_total", kind="disconnect", result="ack") == 1
    interim[5] = ("Acct-Session-Time", "180")
    assert radclient(server.acct_port, "acct", interim).code == "Accounting-Response"
    time.sleep(1.0)
    assert len(nas.received) == 1, "one Disconnect-Request per session, not one per interim"
    again = radclient(server.auth_port, "auth", pap("dewi", "pw-dewi"))
    assert again.code == "Access-Reject"
    assert again.attributes["Reply-Message"] == [
        "Kuota data Anda hari ini sudah habis. Silakan coba lagi besok."
    ]
