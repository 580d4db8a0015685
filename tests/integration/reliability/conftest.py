"""Fixtures for the reliability tests: the RADIUS helpers (tests/integration/radius) and
throwaway PostgreSQL clusters (tests/support/postgres.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

for _path in (
    str(Path(__file__).resolve().parents[3]),
    str(Path(__file__).resolve().parents[1] / "radius"),
    str(Path(__file__).resolve().parent),
):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from radius_peers import RadiusProcess, ServerFactory, make_inventory, start_server  # noqa: E402

from netops.store.credentials import generate_key  # noqa: E402


@pytest.fixture(autouse=True)
def store_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A NETOPS_STORE_KEY for the test, shared by its Store and the servers it starts."""
    key = generate_key()
    monkeypatch.setenv("NETOPS_STORE_KEY", key)
    return key


@pytest.fixture
def inventory_dir(tmp_path: Path) -> Path:
    return make_inventory(tmp_path / "inventory")


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start ``netops radius serve`` processes; every one is stopped after the test."""
    started: list[RadiusProcess] = []

    def factory(inventory: Path, db: str, *extra: str, name: str = "radius") -> RadiusProcess:
        server = start_server(inventory, db, tmp_path / "server", *extra, name=name)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
