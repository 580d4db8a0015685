"""schemathesis against the operators' API (its own OpenAPI): no input gives a 5xx.

The app runs in-process (ASGI) on a real SQLite store with the lab inventory; the CoA sender
is the real one, aimed at a closed loopback port, so disconnects time out rather than 5xx.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from netops.environment import store_keys
from netops.inventory import load_inventory
from netops.portal.admin import TOKEN_PREFIX, console_state
from netops.portal.app import PortalSettings, create_app
from netops.portal.security import FailureGuard
from netops.store import Store
from netops.store.credentials import generate_key
from netops.store.operators import ROLES

REPO = Path(__file__).resolve().parents[3]
TOKEN = "schemathesis-operator-token-0123456789"
#: An API token per role (and a site-scoped helpdesk), made in the fixture.
TOKENS: dict[str, str] = {}

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def _closed_udp_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    work = tmp_path_factory.mktemp("portal-schemathesis")
    patch = pytest.MonkeyPatch()
    patch.setenv("NETOPS_STORE_KEY", generate_key())
    patch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    store = Store.open(f"sqlite:///{work / 'netops.db'}", keys=store_keys())
    try:
        store.create_vouchers("gratis", 5, batch="seed")
        for role in ROLES:
            store.add_operator(f"fuzz-{role}", role, password=None)
            TOKENS[role] = TOKEN_PREFIX + secrets.token_urlsafe(32)
            store.add_operator_token(f"fuzz-{role}", "schemathesis", TOKENS[role])
        store.add_operator("fuzz-site", "helpdesk", sites=frozenset({"lab-office"}), password=None)
        TOKENS["helpdesk@lab-office"] = TOKEN_PREFIX + secrets.token_urlsafe(32)
        store.add_operator_token("fuzz-site", "schemathesis", TOKENS["helpdesk@lab-office"])
        settings_ = PortalSettings(
            inventory=load_inventory(REPO / "inventory" / "lab"),
            store=store,
            coa_port=_closed_udp_port(),
        )
        app = create_app(settings_)
        # The anonymous cases carry made-up bearer tokens: this test is about inputs, not
        # the wrong-token lock (tests/integration/portal/test_admin_guards.py), which would
        # otherwise answer 429 to every later case, the authorised ones too.
        console_state(app.state.portal).failures = FailureGuard(per_source=10**6, overall=10**6)
        yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    finally:
        store.close()
        patch.undo()


def test_admin_api_never_answers_5xx(api_schema: Any) -> None:
    """Every operation, up to 25 generated cases each (valid and invalid), with the
    break-glass token, with each role's API token (and a site-scoped helpdesk's), and
    without a token. (schemathesis' pytest plugin does not run under pytest 9: the Python
    API.)"""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            for who, token in [("break-glass", TOKEN), *TOKENS.items()]:
                reply = case.call(headers={"Authorization": f"Bearer {token}"})
                if reply.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} as {who}: {reply.status_code}"
                    )
            if case.path.startswith("/api/admin/"):
                anonymous = case.call()
                assert anonymous.status_code in (401, 422), (case.method, case.path)

        check()
    assert not failures, failures


def _op_id(raw: dict[str, Any], path: str, method: str) -> str:
    return str(raw["paths"][path][method]["operationId"])


def _add_links(raw: dict[str, Any]) -> int:
    """OpenAPI links between the operations an operator chains: create vouchers → revoke one,
    list vouchers → revoke one, list sessions → disconnect one. FastAPI emits none."""
    revoke = _op_id(raw, "/api/admin/vouchers/{code}", "delete")
    disconnect = _op_id(raw, "/api/admin/sessions/disconnect", "post")
    paths = raw["paths"]
    links = [
        (
            paths["/api/admin/vouchers"]["post"]["responses"]["201"],
            "RevokeCreated",
            {"operationId": revoke, "parameters": {"code": "$response.body#/codes/0"}},
        ),
        (
            paths["/api/admin/vouchers"]["get"]["responses"]["200"],
            "RevokeListed",
            {"operationId": revoke, "parameters": {"code": "$response.body#/0/name"}},
        ),
        (
            paths["/api/admin/sessions"]["get"]["responses"]["200"],
            "DisconnectListed",
            {
                "operationId": disconnect,
                "requestBody": {
                    "acct_session_id": "$response.body#/0/acct_session_id",
                    "nas_ip": "$response.body#/0/nas_ip",
                },
            },
        ),
        (
            paths["/api/admin/vouchers/{code}"]["delete"]["responses"]["200"],
            "RevokeAgain",
            {"operationId": revoke, "parameters": {"code": "$response.body#/name"}},
        ),
    ]
    for response, name, link in links:
        response.setdefault("links", {})[name] = link
    return len(links)


def test_admin_api_stateful_never_answers_5xx(api_schema: Any) -> None:
    """schemathesis' state machine follows the links (create → list → revoke → revoke again,
    list sessions → disconnect) with the operator's token: no sequence gives a 5xx."""
    assert _add_links(api_schema.raw_schema) == 4
    calls: list[tuple[str, str, int]] = []

    class Operator(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {"Authorization": f"Bearer {TOKEN}"}}

        def validate_response(self, response: Any, case: Any, **_kwargs: Any) -> None:
            calls.append((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

    Operator.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=6,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    revoked = [c for c in calls if c[0] == "DELETE" and c[2] == 200]
    assert revoked, (
        "no sequence revoked a voucher it had created or listed: the links were not followed"
    )
    assert any(c[0] == "POST" and c[1] == "/api/admin/sessions/disconnect" for c in calls)
