"""``netops portal serve`` reads the operator token and the cookie secret from the
environment once, at the CLI edge, and hands them to the portal service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netops.cli.main import main
from netops.store.credentials import generate_key
from tests.paths import LAB

TOKEN = "k3Jx9QvT0mWz5Lr8pA2sD7fG4hJ6kL1z"


@pytest.fixture
def captured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import netops.portal.service as service

    seen: dict[str, Any] = {}

    def fake_serve(inventory: Path, db_url: str, listen: str, **kwargs: Any) -> None:
        seen.update(kwargs, inventory=inventory, db_url=db_url, listen=listen)

    monkeypatch.setattr(service, "serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETOPS_DB", raising=False)
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    return seen


def test_token_and_secret_come_from_the_environment(
    captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETOPS_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("NETOPS_PORTAL_SECRET", "shared-by-both-portals")
    assert main(["portal", "serve"]) == 0
    assert captured["admin_token"] == TOKEN
    assert captured["secret_key"] == b"shared-by-both-portals"
    assert captured["inventory"] == LAB
    assert captured["listen"].endswith(":8080")


def test_unset_token_and_secret_are_none(
    captured: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETOPS_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("NETOPS_PORTAL_SECRET", raising=False)
    assert main(["portal", "serve"]) == 0
    assert captured["admin_token"] is None and captured["secret_key"] is None
