"""Named operators over HTTP (in-process ASGI, real SQLite store): every console page and
API endpoint enforces its role, site scopes hide other sites' data, sign-in lock-out, TOTP,
API token revocation, and the audit trail of what operators did."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from netops.inventory import Inventory
from netops.portal.admin import RANK, ROUTE_ROLES, TOKEN_PREFIX
from netops.portal.app import PortalSettings, create_app
from netops.portal.security import new_totp_secret, totp_now
from netops.store import Store
from netops.store.operators import ROLES, Role
from tests.support.records import acct_record

PASSWORD = "kata-sandi-yang-panjang"

#: What each role may reach, written down here independently of ``ROUTE_ROLES``: a route
#: added to the app fails these tests until someone decides its role in both places.
EXPECTED: dict[tuple[str, str], Role | None] = {
    ("GET", "/admin/login"): None,
    ("POST", "/admin/login"): None,
    ("POST", "/admin/logout"): None,
    ("GET", "/admin"): "viewer",
    ("GET", "/admin/"): "viewer",
    ("GET", "/admin/sessions"): "viewer",
    ("GET", "/admin/usage"): "viewer",
    ("GET", "/admin/audit"): "admin",
    ("GET", "/admin/vouchers"): "helpdesk",
    ("POST", "/admin/vouchers"): "helpdesk",
    ("POST", "/admin/vouchers/revoke"): "helpdesk",
    ("GET", "/admin/vouchers/print"): "helpdesk",
    ("POST", "/admin/sessions/disconnect"): "helpdesk",
    ("GET", "/api/admin/whoami"): "viewer",
    ("GET", "/api/admin/plans"): "viewer",
    ("GET", "/api/admin/hotspots"): "viewer",
    ("GET", "/api/admin/sessions"): "viewer",
    ("GET", "/api/admin/usage/today"): "viewer",
    ("GET", "/api/admin/vouchers"): "helpdesk",
    ("POST", "/api/admin/vouchers"): "helpdesk",
    ("DELETE", "/api/admin/vouchers/{code}"): "helpdesk",
    ("POST", "/api/admin/sessions/disconnect"): "helpdesk",
    ("GET", "/api/admin/audit"): "admin",
    ("GET", "/api/admin/operators"): "admin",
}
FORBIDDEN = "Peran Anda tidak mengizinkan"


@pytest.fixture
def app(lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.delenv("NETOPS_ADMIN_TOKEN", raising=False)
    return create_app(PortalSettings(inventory=lab, store=store))


def _client(app: FastAPI, address: str = "10.40.10.5") -> TestClient:
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/admin/login").text)
    assert found
    return found.group(1)


def _sign_in(client: TestClient, name: str, password: str = PASSWORD, otp: str = "") -> int:
    data = {"csrf": _csrf(client), "name": name, "password": password, "otp": otp}
    return client.post("/admin/login", data=data).status_code


def _token(store: Store, name: str) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_operator_token(name, "test", token)
    return token


def _session(store: Store, hotspot: str = "lab-park", sid: str = "s-1") -> None:
    store.account(
        acct_record(
            status="start",
            nas_ip="127.0.0.1",
            nas_identifier="lab-hs-01",
            username="warga",
            acct_session_id=sid,
            hotspot=hotspot,
            mac="aa:bb:cc:dd:ee:01",
            ip="10.254.200.10",
            event_time=datetime.now(UTC),
        )
    )


def _all_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, also inside included routers (FastAPI keeps them
    as ``_IncludedRouter`` entries that hold the original router)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _all_routes(inner.routes, prefix + str(getattr(context, "prefix", "")))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _guarded_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, route in _all_routes(app.routes):
        if not path.startswith(("/admin", "/api/admin")):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            found.append((method, path))
    return found


def test_every_console_and_api_route_has_a_role(app: FastAPI) -> None:
    routes = _guarded_routes(app)
    assert len(routes) >= 20
    missing = [r for r in routes if r not in ROUTE_ROLES]
    assert missing == [], f"routes without a role in ROUTE_ROLES: {missing}"
    undecided = [r for r in routes if r not in EXPECTED]
    assert undecided == [], f"routes this test does not know the role of: {undecided}"
    assert {r: ROUTE_ROLES[r] for r in routes} == {r: EXPECTED[r] for r in routes}


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    url = path.replace("{code}", "ABCD-EFGH-JKLM")
    if path.startswith("/api/"):
        body = {"plan": "gratis", "count": 1}
        if path.endswith("disconnect"):
            body = {"acct_session_id": "none", "nas_ip": "127.0.0.1"}
        reply = client.request(
            method, url, headers=headers, json=body if method == "POST" else None
        )
        return reply.status_code
    data = {"csrf": _csrf(client), "plan": "gratis", "count": "1", "code": "ABCD-EFGH-JKLM"}
    reply = client.request(
        method, url, data=data if method == "POST" else None, params={"batch": "x"}
    )
    if reply.status_code == 403 and FORBIDDEN in reply.text:
        return 403
    if reply.status_code == 303 and reply.headers["location"].endswith("/admin/login"):
        return 401
    return 200 if reply.status_code != 403 else 400


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_routes_its_rank_allows(
    app: FastAPI, store: Store, role: Role
) -> None:
    store.add_operator(f"op-{role}", role, password=PASSWORD)
    bearer = {"Authorization": f"Bearer {_token(store, f'op-{role}')}"}
    with _client(app) as console, _client(app, "10.40.10.6") as api:
        assert _sign_in(console, f"op-{role}") == 303
        for method, path in _guarded_routes(app):
            need = EXPECTED[(method, path)]
            if need is None:
                continue
            client, headers = (api, bearer) if path.startswith("/api/") else (console, {})
            got = _call(client, method, path, headers)
            allowed = RANK[role] >= RANK[need]
            where = f"{method} {path} as {role}"
            if allowed:
                assert got not in (401, 403), f"{where}: refused with {got}"
            else:
                assert got == 403, f"{where}: expected 403, got {got}"


def test_nobody_reaches_a_guarded_route_without_signing_in(app: FastAPI) -> None:
    with _client(app) as client:
        for method, path in _guarded_routes(app):
            if EXPECTED[(method, path)] is None:
                continue
            assert _call(client, method, path, {}) == 401, f"{method} {path}"


def test_a_helpdesk_scoped_to_another_site_sees_no_sessions_there(
    app: FastAPI, store: Store
) -> None:
    _session(store)
    store.add_operator("kec-lain", "helpdesk", sites=frozenset({"lab-office"}), password=PASSWORD)
    store.add_operator("kec-park", "helpdesk", sites=frozenset({"lab-park"}), password=PASSWORD)
    other = {"Authorization": f"Bearer {_token(store, 'kec-lain')}"}
    mine = {"Authorization": f"Bearer {_token(store, 'kec-park')}"}
    with _client(app) as client:
        listed = client.get("/api/admin/sessions", headers=mine)
        assert listed.json()[0]["hotspot"] == "lab-park", listed.text
        assert client.get("/api/admin/sessions", headers=other).json() == []
        assert (
            client.get("/api/admin/sessions", headers=other, params={"hotspot": "lab-park"}).json()
            == []
        )
        assert client.get("/api/admin/hotspots", headers=other).json() == []
        usage = client.get("/api/admin/usage/today", headers=other).json()
        assert all(row["hotspot"] != "lab-park" for row in usage)
        body = {"acct_session_id": "s-1", "nas_ip": "127.0.0.1"}
        refused = client.post("/api/admin/sessions/disconnect", headers=other, json=body)
        assert refused.status_code == 404
        assert _sign_in(client, "kec-lain") == 303
        assert "10.254.200.10" not in client.get("/admin/sessions").text
    with _client(app) as client:
        assert _sign_in(client, "kec-park") == 303
        assert "10.254.200.10" in client.get("/admin/sessions").text


def test_an_account_is_locked_after_failed_sign_ins_from_any_address(
    app: FastAPI, store: Store
) -> None:
    store.add_operator("siti", "operator", password=PASSWORD)
    for n in range(5):
        with _client(app, f"10.40.11.{n + 1}") as client:
            assert _sign_in(client, "siti", "salah-salah-salah") == 401
    with _client(app, "10.40.12.1") as client:
        assert _sign_in(client, "siti") == 429
    with _client(app, "10.40.12.2") as client:
        store.add_operator("budi", "operator", password=PASSWORD)
        assert _sign_in(client, "budi") == 303  # another account is not locked
    failed = [e for e in store.audit_entries() if e.action == "console.sign_in_failed"]
    assert len(failed) == 5 and failed[0].source == "10.40.11.1"


def test_totp_is_required_once_enabled(app: FastAPI, store: Store) -> None:
    store.add_operator("siti", "operator", password=PASSWORD)
    secret = new_totp_secret()
    store.set_operator_totp("siti", secret)
    with _client(app) as client:
        assert _sign_in(client, "siti") == 401
        assert (
            _sign_in(
                client,
                "siti",
                otp="000000" if totp_now(secret, time.time()) != "000000" else "111111",
            )
            == 401
        )
        assert _sign_in(client, "siti", otp=totp_now(secret, time.time())) == 303


def test_a_revoked_token_and_a_disabled_account_are_refused(app: FastAPI, store: Store) -> None:
    store.add_operator("skrip", "viewer", password=None)
    token = _token(store, "skrip")
    headers = {"Authorization": f"Bearer {token}"}
    with _client(app) as client:
        assert client.get("/api/admin/whoami", headers=headers).json()["name"] == "skrip"
        (made,) = store.operator_tokens("skrip")
        assert made.last_used_at is not None and token not in repr(made)
        assert store.revoke_operator_token(made.id)
        assert client.get("/api/admin/whoami", headers=headers).status_code == 401
        second = {"Authorization": f"Bearer {_token(store, 'skrip')}"}
        assert client.get("/api/admin/whoami", headers=second).status_code == 200
        store.set_operator_enabled("skrip", False)
        assert client.get("/api/admin/whoami", headers=second).status_code == 401


def test_disabling_an_account_ends_its_console_sign_in(app: FastAPI, store: Store) -> None:
    store.add_operator("siti", "helpdesk", password=PASSWORD)
    with _client(app) as client:
        assert _sign_in(client, "siti") == 303
        assert client.get("/admin/vouchers").status_code == 200
        store.set_operator_enabled("siti", False)
        assert client.get("/admin/vouchers").status_code == 303


def test_operator_actions_are_audited_with_who_and_where(app: FastAPI, store: Store) -> None:
    store.add_operator("siti", "operator", password=PASSWORD)
    headers = {"Authorization": f"Bearer {_token(store, 'siti')}"}
    with _client(app, "10.40.10.9") as client:
        made = client.post("/api/admin/vouchers", headers=headers, json={"plan": "gratis"})
        assert made.status_code == 201
        code = made.json()["codes"][0]
        assert client.delete(f"/api/admin/vouchers/{code}", headers=headers).status_code == 200
        store.add_operator("kepala", "admin", password=PASSWORD)
        assert _sign_in(client, "kepala") == 303
        page = client.get("/admin/audit").text
        assert "voucher.revoke" in page and "WITA" in page and "Rantai hash utuh" in page
    actions = [(e.operator, e.source, e.action) for e in store.audit_entries()]
    assert ("siti", "10.40.10.9", "voucher.create") in actions
    assert ("siti", "10.40.10.9", "voucher.revoke") in actions
    assert store.verify_audit().broken_id is None


@pytest.fixture
def break_glass(
    lab: Inventory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", "Zq8v3LkP0xWm7tRb2YcN5dHg9JfA4sEu1KoV6iQ")
    with _client(create_app(PortalSettings(inventory=lab, store=store))) as client:
        yield client


def test_the_shared_token_still_works_as_a_deprecated_break_glass_admin(
    break_glass: TestClient, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": "Bearer Zq8v3LkP0xWm7tRb2YcN5dHg9JfA4sEu1KoV6iQ"}
    assert break_glass.get("/api/admin/whoami", headers=headers).json()["role"] == "admin"
    assert break_glass.get("/api/admin/audit", headers=headers).status_code == 200
    assert "deprecated" in caplog.text
    assert _sign_in(break_glass, "", "Zq8v3LkP0xWm7tRb2YcN5dHg9JfA4sEu1KoV6iQ") == 303
    assert break_glass.get("/admin/audit").status_code == 200
    assert ("break-glass", "console.sign_in") in [
        (e.operator, e.action) for e in store.audit_entries()
    ]
