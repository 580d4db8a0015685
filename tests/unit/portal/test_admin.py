"""The operators' side over HTTP (in-process ASGI, real SQLite store): wrong-token limits,
the operator token's strength, and console sign-ins the server can end."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from netops.inventory import Inventory
from netops.portal.admin import console_state
from netops.portal.app import PortalSettings, create_app
from netops.portal.console_sessions import (
    MemoryConsoleSessions,
    TableConsoleSessions,
    for_store,
)
from netops.portal.security import MIN_ADMIN_TOKEN, FailureGuard, admin_token_problem
from netops.store import Store
from tests.support.records import acct_record

TOKEN = "Zq8v3LkP0xWm7tRb2YcN5dHg9JfA4sEu1KoV6iQ"  # 39 random characters
PLANS = "/api/admin/plans"


@pytest.fixture
def app(lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    return create_app(PortalSettings(inventory=lab, store=store))


def _client(app: FastAPI, address: str = "10.40.10.5") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(address, 50000))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with _client(app) as c:
        yield c


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text)
    assert found
    return found.group(1)


def _sign_in(client: TestClient) -> str:
    """Sign in with the form; the console cookie's value."""
    reply = client.post("/admin/login", data={"csrf": _csrf(client), "token": TOKEN})
    assert reply.status_code == 303, reply.text
    cookie = client.cookies.get("netops_admin")
    assert cookie
    return cookie


# --- wrong tokens ------------------------------------------------------------------------------


def test_five_wrong_tokens_lock_the_source_out_the_right_token_too(client: TestClient) -> None:
    for _ in range(5):
        assert client.get(PLANS, headers=_bearer("guess-" + "x" * 30)).status_code == 401
    locked = client.get(PLANS, headers=_bearer())
    assert locked.status_code == 429
    assert 590 <= int(locked.headers["retry-after"]) <= 601
    assert "too many wrong operator tokens" in locked.json()["detail"]
    # The console's pages and its sign-in form count against the same limit.
    page = client.get("/admin/vouchers", headers=_bearer())
    assert page.status_code == 429 and "retry-after" in page.headers
    form = client.post("/admin/login", data={"csrf": _csrf(client), "token": TOKEN})
    assert form.status_code == 429 and "Terlalu banyak" in form.text


def test_a_lock_is_per_source_and_the_right_token_clears_the_count(app: FastAPI) -> None:
    with _client(app, "10.40.10.5") as guesser, _client(app, "10.40.10.6") as operator:
        for _ in range(4):
            guesser.get(PLANS, headers=_bearer("wrong"))
        assert guesser.get(PLANS, headers=_bearer()).status_code == 200
        for _ in range(4):  # the success forgot the four: four more do not lock
            guesser.get(PLANS, headers=_bearer("wrong"))
        assert guesser.get(PLANS, headers=_bearer()).status_code == 200
        for _ in range(5):
            guesser.get(PLANS, headers=_bearer("wrong"))
        assert guesser.get(PLANS, headers=_bearer()).status_code == 429
        assert operator.get(PLANS, headers=_bearer()).status_code == 200


def test_thirty_wrong_tokens_from_many_sources_lock_every_source(app: FastAPI) -> None:
    for n in range(10):
        with _client(app, f"10.40.20.{n}") as guesser:
            for _ in range(3):
                assert guesser.get(PLANS, headers=_bearer("wrong")).status_code == 401
    with _client(app, "10.40.10.7") as operator:
        refused = operator.get(PLANS, headers=_bearer())
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0


def test_a_signed_in_console_keeps_working_while_tokens_are_locked(client: TestClient) -> None:
    _sign_in(client)
    for _ in range(5):
        client.get(PLANS, headers=_bearer("wrong"))
    assert client.get(PLANS, headers=_bearer()).status_code == 429
    assert client.get("/admin/vouchers").status_code == 200
    assert client.get(PLANS).status_code == 200


def test_requests_without_a_token_are_not_counted(client: TestClient) -> None:
    for _ in range(20):
        assert client.get(PLANS).status_code == 401
        assert client.get("/admin/vouchers").status_code == 303
    assert client.get(PLANS, headers=_bearer()).status_code == 200


def test_the_guard_unlocks_when_the_window_has_passed() -> None:
    guard = FailureGuard(per_source=2, overall=5, window=60.0)
    guard.fail("a", 100.0)
    guard.fail("a", 110.0)
    assert guard.retry_after("a", 120.0) == pytest.approx(40.0)
    assert guard.retry_after("b", 120.0) == 0.0
    assert guard.retry_after("a", 160.0) == 0.0
    for n, source in enumerate("cdefg"):
        guard.fail(source, 200.0 + n)
    assert guard.retry_after("h", 205.0) == pytest.approx(55.0)
    assert guard.retry_after("h", 261.0) == 0.0


# --- the token itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("CHANGE-ME", "placeholder"),
        ("change_me_change_me_change_me_change_me", "placeholder"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "placeholder"),
        ("your-token-here-0123456789abcdefghijkl", "placeholder"),
        ("Zq8v3LkP0xWm7tRb2YcN5dHg9JfA4sE", "31 characters long, shorter than 32"),
    ],
)
def test_short_or_placeholder_tokens_are_named_unfit(token: str, why: str) -> None:
    problem = admin_token_problem(token)
    assert problem is not None and why in problem


def test_random_tokens_of_32_characters_or_more_are_fit() -> None:
    assert MIN_ADMIN_TOKEN == 32
    for token in (TOKEN, TOKEN[:32], "q2Lf0oM1xq3ZrN8c6yH3uJ0WkzVdVx0RnQpA9TgB1mE="):
        assert admin_token_problem(token) is None


def test_a_placeholder_token_opens_nothing(
    lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", "CHANGE-ME")
    with _client(create_app(PortalSettings(inventory=lab, store=store))) as c:
        assert c.get(PLANS, headers=_bearer("CHANGE-ME")).status_code == 401
        reply = c.post("/admin/login", data={"csrf": _csrf(c), "token": "CHANGE-ME"})
        assert reply.status_code == 401 and "netops_admin" not in c.cookies
        assert "netops operator add" in c.get("/admin/login").text


# --- console sign-out ----------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_no_longer_works(app: FastAPI, client: TestClient) -> None:
    copied = _sign_in(client)
    assert client.get("/admin/vouchers").status_code == 200
    out = client.post("/admin/logout", data={"csrf": _csrf(client)})
    assert (out.status_code, out.headers["location"]) == (303, "/admin/login")
    assert "netops_admin" not in client.cookies
    with _client(app, "10.40.10.99") as thief:
        thief.cookies.set("netops_admin", copied)
        replay = thief.get("/admin/vouchers")
        assert (replay.status_code, replay.headers["location"]) == (303, "/admin/login")
        assert thief.get(PLANS).status_code == 401


def test_sign_out_from_a_page_older_than_its_form_token_still_ends_the_sign_in(
    client: TestClient,
) -> None:
    copied = _sign_in(client)
    out = client.post("/admin/logout", data={"csrf": "stale"})
    assert out.status_code == 303
    client.cookies.set("netops_admin", copied)
    assert client.get("/admin/vouchers").status_code == 303


def test_sign_out_ends_only_that_sign_in(app: FastAPI) -> None:
    with _client(app, "10.40.10.5") as desk, _client(app, "10.40.10.6") as noc:
        _sign_in(desk)
        _sign_in(noc)
        desk.post("/admin/logout", data={"csrf": _csrf(desk)})
        assert desk.get("/admin/vouchers").status_code == 303
        assert noc.get("/admin/vouchers").status_code == 200


def test_a_signed_cookie_the_server_never_issued_is_refused(
    app: FastAPI, client: TestClient
) -> None:
    """A restart (or another portal process) does not know the sign-in: a valid signature
    and the right token fingerprint are not enough."""
    _sign_in(client)
    console_state(app.state.portal).sessions = MemoryConsoleSessions()
    assert client.get("/admin/vouchers").status_code == 303


def test_the_server_ends_a_sign_in_at_its_expiry() -> None:
    sessions = MemoryConsoleSessions()
    sid = sessions.open(1000.0, 3600.0)
    assert sessions.live(sid, 4599.0)
    assert not sessions.live(sid, 4600.0)
    assert not sessions.live("made-up", 1000.0)
    assert sessions.revoke(sid) and not sessions.revoke(sid)


def test_the_registry_is_bounded_and_drops_expired_sign_ins() -> None:
    sessions = MemoryConsoleSessions(max_sessions=3)
    first = sessions.open(0.0, 10.0)
    ids = [sessions.open(1.0, 100.0) for _ in range(3)]
    assert len(sessions) == 3 and not sessions.live(first, 2.0)
    assert all(sessions.live(i, 2.0) for i in ids)
    sessions.open(20.0, 100.0)
    assert len(sessions) == 3 and not sessions.live(ids[0], 21.0)


# --- two portal processes sharing the registry ---------------------------------------------------


class SqliteConsoleTable:
    """The table docs/portal.md asks the store for, on a real SQLite file: what two portal
    processes share (each opens its own connection)."""

    SCHEMA = """CREATE TABLE IF NOT EXISTS console_sessions (
        id VARCHAR(64) PRIMARY KEY,
        created_at TIMESTAMP NOT NULL,
        expires_at TIMESTAMP NOT NULL,
        revoked_at TIMESTAMP NULL)"""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute(self.SCHEMA)

    def open_console_session(self, key: str, created_at: datetime, expires_at: datetime) -> None:
        self.db.execute(
            "INSERT INTO console_sessions (id, created_at, expires_at) VALUES (?, ?, ?)",
            (key, created_at.isoformat(), expires_at.isoformat()),
        )

    def console_session_live(self, key: str, now: datetime) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM console_sessions WHERE id = ? AND revoked_at IS NULL AND expires_at > ?",
            (key, now.isoformat()),
        ).fetchone()
        return row is not None

    def revoke_console_session(self, key: str, at: datetime) -> bool:
        done = self.db.execute(
            "UPDATE console_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL "
            "AND expires_at > ?",
            (at.isoformat(), key, at.isoformat()),
        )
        return done.rowcount == 1


def test_the_store_keeps_console_sign_ins_and_memory_is_the_fallback(
    store: Store, tmp_path: Path
) -> None:
    assert isinstance(for_store(store), TableConsoleSessions)
    assert isinstance(for_store(object()), MemoryConsoleSessions)
    assert isinstance(for_store(SqliteConsoleTable(tmp_path / "t.db")), TableConsoleSessions)


def test_two_portals_sharing_the_table_agree_on_sign_out(
    lab: Inventory, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    apps = []
    for _ in range(2):
        app = create_app(PortalSettings(inventory=lab, store=store, secret_key=b"s" * 32))
        table = SqliteConsoleTable(tmp_path / "console.db")
        console_state(app.state.portal).sessions = TableConsoleSessions(table)
        apps.append(app)
    with _client(apps[0]) as first, _client(apps[1]) as second:
        copied = _sign_in(first)
        second.cookies.set("netops_admin", copied)
        assert second.get("/admin/vouchers").status_code == 200
        assert second.post("/admin/logout", data={"csrf": _csrf(second)}).status_code == 303
        first.cookies.set("netops_admin", copied)
        assert first.get("/admin/vouchers").status_code == 303
        assert first.get(PLANS).status_code == 401


# --- finding a device by the MAC a citizen reads out -------------------------------------------


def test_console_and_api_find_a_device_by_its_mac_in_any_spelling(
    client: TestClient, store: Store
) -> None:
    from datetime import UTC

    for user, mac, sid in (
        ("siti", "3c:52:82:10:aa:01", "S1"),
        ("budi", "3c:52:82:10:aa:02", "B1"),
    ):
        store.account(
            acct_record(
                status="start",
                nas_ip="127.0.0.1",
                nas_identifier="lab-hs-01",
                username=user,
                acct_session_id=sid,
                hotspot="lab-park",
                mac=mac,
                ip="10.254.200.7",
                event_time=datetime.now(UTC),
            )
        )
    found = client.get(
        "/api/admin/sessions", params={"mac": "3C52.8210.AA01"}, headers=_bearer()
    ).json()
    assert [s["username"] for s in found] == ["siti"]
    _sign_in(client)
    page = client.get("/admin/sessions", params={"mac": "3C-52-82-10-AA-01"})
    assert page.status_code == 200 and "siti" in page.text and "budi" not in page.text
    assert "3c:52:82:10:aa:01" not in page.text.lower()  # the page shows the pseudonym
    assert client.get("/admin/sessions", params={"mac": "nonsense"}).status_code == 400
