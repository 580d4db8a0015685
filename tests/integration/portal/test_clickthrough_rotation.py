"""The click-through store call the portal relies on (``rotate=True``), on SQLite and on a
throwaway PostgreSQL: one allowance per device and day, a fresh password every time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from netops.environment import store_keys
from netops.store import Store
from netops.store.credentials import generate_key
from tests.support.postgres import PostgresCluster, postgres_cluster  # noqa: F401

MAC = "AA:BB:CC:00:00:01"
DAY = date(2026, 11, 22)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'netops.db'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        if not cluster.running:
            cluster.start()
        url = cluster.new_database()
    opened = Store.open(url, keys=store_keys())
    try:
        yield opened
    finally:
        opened.close()


def test_rotate_gives_the_same_allowance_a_fresh_password(store: Store) -> None:
    username, first = store.create_clickthrough(MAC, "lab-park", "gratis", DAY)
    assert store.create_clickthrough(MAC, "lab-park", "gratis", DAY) == (username, first)
    again, second = store.create_clickthrough(MAC, "lab-park", "gratis", DAY, rotate=True)
    assert again == username and second != first
    sub = store.lookup(username)
    assert sub is not None
    assert store.check_password(sub, second) and not store.check_password(sub, first)
    # A new allowance with rotate is simply created.
    other, password = store.create_clickthrough(
        "AA:BB:CC:00:00:02", "lab-park", "gratis", DAY, rotate=True
    )
    sub = store.lookup(other)
    assert other != username and sub is not None and store.check_password(sub, password)
