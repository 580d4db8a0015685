"""Fixtures for the store's tests: the same contract on SQLite and on a throwaway PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# tests/integration has no package marker: make the repository importable for tests.support.
_REPO = str(Path(__file__).resolve().parents[3])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from netops.environment import store_keys  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from tests.support.postgres import PostgresCluster, postgres_cluster  # noqa: E402, F401


@pytest.fixture(autouse=True)
def store_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test gets its own NETOPS_STORE_KEY, so no lab key file is written."""
    key = generate_key()
    monkeypatch.setenv("NETOPS_STORE_KEY", key)
    return key


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'netops.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    if not cluster.running:
        cluster.start()
    return cluster.new_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url, keys=store_keys())
    try:
        yield opened
    finally:
        opened.close()
