"""A purge of many sessions does not stop accounting: ``netops radius serve`` (SQLite) answers
an Accounting-Request sent by radclient while the purge is deleting, before the purge ends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from radius_peers import RadiusProcess, ServerFactory, radclient
from sqlalchemy import event

from netops.store import Store
from tests.support.records import acct_record

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

DAY = timedelta(days=1)


def test_an_accounting_request_is_answered_between_the_batches_of_a_purge(
    inventory_dir: Path,
    sqlite_url: str,
    server_factory: ServerFactory,
    open_store: Callable[[str], Store],
) -> None:
    server: RadiusProcess = server_factory(inventory_dir, sqlite_url, "--reject-delay", "0")
    store = open_store(server.db)
    store.add_user("alice", "s3cret", "gratis")
    now = datetime.now(UTC)
    for k in range(400):
        store.account(
            acct_record(
                status="stop",
                nas_ip="127.0.0.1",
                username="alice",
                acct_session_id=f"old-{k}",
                session_time=60,
                input_octets=1000,
                event_time=now - (40 + k % 50) * DAY,
            )
        )
    store.purge_batch = 20  # 20 write transactions
    events: list[str] = []
    answers: list[str] = []
    deleting = threading.Event()

    def account() -> None:
        reply = radclient(
            server.acct_port,
            "acct",
            [
                ("User-Name", '"alice"'),
                ("Acct-Status-Type", "Start"),
                ("Acct-Session-Id", '"during-purge"'),
                ("Calling-Station-Id", '"02-00-00-00-00-01"'),
            ],
            timeout=5.0,
        )
        answers.append(reply.code)
        events.append("answered")

    sender = threading.Thread(target=account)

    @event.listens_for(store._engine, "after_cursor_execute")
    def observe(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("DELETE FROM ACCT_SESSIONS"):
            events.append("batch deleted")
            if not deleting.is_set():
                deleting.set()
                sender.start()
                # hold the write lock a moment: the server's write is surely waiting for it
                threading.Event().wait(0.5)

    done = store.purge(now - 30 * DAY)
    sender.join(30)
    assert answers == ["Accounting-Response"]
    after = events[events.index("answered") + 1 :]
    assert "batch deleted" in after, f"accounting waited for the whole purge: {events}"
    assert done.sessions == 400
    assert [s.acct_session_id for s in store.sessions(username="alice")] == ["during-purge"]
