"""A real SQLite store and the lab inventory for the portal's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netops.environment import store_keys
from netops.inventory import Inventory, load_inventory
from netops.store import Store
from netops.store.credentials import generate_key

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def lab() -> Inventory:
    return load_inventory(REPO / "inventory" / "lab")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    opened = Store.open(f"sqlite:///{tmp_path / 'netops.db'}", keys=store_keys())
    try:
        yield opened
    finally:
        opened.close()
