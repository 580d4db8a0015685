"""``require_message_authenticator: auto`` decides per NAS, and never loosens (BlastRADIUS).

Real peer: FreeRADIUS's ``radclient`` sending from two NAS addresses of the test inventory
(127.0.0.1 ``lab-hs-01`` and 127.0.0.2 ``lab-hs-02``, both ``auto``) to ``netops radius
serve``. A NAS that has once sent a Message-Authenticator is never answered without one
again: not when its first request lacked one, not by another worker process, not after a
restart. A NAS that never sent one is still answered (the decision is that NAS's alone).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import RadiusProcess, ServerFactory, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

UPGRADED = "127.0.0.1"  # sends Message-Authenticator from some point on
LEGACY = "127.0.0.2"  # never sends one


@pytest.fixture
def db(sqlite_url: str, open_store: Callable[[str], Store]) -> str:
    open_store(sqlite_url).add_user("carla", "pw-carla", "pegawai")
    return sqlite_url


def _send(server: RadiusProcess, source: str, *, ma: bool) -> str | None:
    reply = radclient(
        server.auth_port, "auth", pap("carla", "pw-carla", ma=ma), source=source, timeout=1
    )
    return reply.code


def test_a_nas_that_once_sent_message_authenticator_is_never_answered_without_it(
    inventory_dir: Path, db: str, server_factory: ServerFactory
) -> None:
    server = server_factory(inventory_dir, db)
    # The first request lacks it (an old NAS, junk, or a spoofed packet): answered, as
    # FreeRADIUS answers a NAS that has not shown it can sign.
    assert _send(server, UPGRADED, ma=False) == "Access-Accept"
    assert _send(server, UPGRADED, ma=True) == "Access-Accept"
    # From now on a request without one is a stripped or forged one: dropped.
    assert [_send(server, UPGRADED, ma=False) for _ in range(3)] == [None, None, None]
    assert _send(server, UPGRADED, ma=True) == "Access-Accept"
    assert "must carry one" in server.stderr()


def test_the_decision_is_per_nas_across_workers_and_restarts(
    inventory_dir: Path, db: str, server_factory: ServerFactory
) -> None:
    # Two workers: the kernel spreads requests over them by RADIUS Identifier, so radclient's
    # requests (a fresh Identifier each run) reach both.
    server = server_factory(inventory_dir, db, "--workers", "2")
    assert _send(server, UPGRADED, ma=True) == "Access-Accept"
    stripped = [_send(server, UPGRADED, ma=False) for _ in range(8)]
    assert stripped == [None] * 8
    # Another NAS is decided on its own: it never sent one, it is still answered.
    assert [_send(server, LEGACY, ma=False) for _ in range(2)] == ["Access-Accept"] * 2
    server.stop()

    again = server_factory(inventory_dir, db, name="radius-restarted")
    assert _send(again, UPGRADED, ma=False) is None
    assert _send(again, LEGACY, ma=False) == "Access-Accept"
    assert _send(again, UPGRADED, ma=True) == "Access-Accept"
