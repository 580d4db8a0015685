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
    store = Store.open(f"sqlite:///{work / 'netops.db'}")
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
