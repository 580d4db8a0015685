"""Fixtures for the RADIUS server tests (helpers in radius_peers.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# tests/integration has no package marker: make the repository importable for tests.support.
# The helpers next to this file are imported by name (radius_peers).
for _path in (str(Path(__file__).resolve().parents[3]), str(Path(__file__).resolve().parent)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from radius_peers import RadiusProcess, ServerFactory, make_inventory, start_server  # noqa: E402

from netops.environment import store_keys  # noqa: E402
from netops.store import Store  # noqa: E402
from netops.store.credentials import generate_key  # noqa: E402
from tests.support.postgres import postgres_cluster, postgres_url  # noqa: E402, F401


@pytest.fixture
def inventory_dir(tmp_path: Path) -> Path:
    """The lab inventory with three NAS (see radius_peers)."""
    return make_inventory(tmp_path / "inventory")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'netops.db'}"


@pytest.fixture(scope="session", autouse=True)
def store_key() -> Iterator[str]:
    """One NETOPS_STORE_KEY for the run, shared by the tests' Store and the servers."""
    with pytest.MonkeyPatch.context() as mp:
        key = generate_key()
        mp.setenv("NETOPS_STORE_KEY", key)
        yield key


@pytest.fixture(scope="module")
def open_store() -> Iterator[Callable[[str], Store]]:
    opened: list[Store] = []

    def opener(url: str) -> Store:
        store = Store.open(url, keys=store_keys())
        opened.append(store)
        return store

    yield opener
    for store in opened:
        store.close()


def _factory(base: Path) -> Iterator[ServerFactory]:
    started: list[RadiusProcess] = []

    def factory(inventory: Path, db: str, *extra: str, name: str = "radius") -> RadiusProcess:
        server = start_server(inventory, db, base / "server", *extra, name=name)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[ServerFactory]:
    """Start ``netops radius serve`` processes; every one is stopped after the test."""
    yield from _factory(tmp_path)


@pytest.fixture(scope="module")
def module_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerFactory]:
    """As ``server_factory``, for servers a whole test module shares."""
    yield from _factory(tmp_path_factory.mktemp("radius"))


@pytest.fixture(scope="module")
def module_inventory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_inventory(tmp_path_factory.mktemp("inv") / "inventory")


@pytest.fixture(scope="module")
def module_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'netops.db'}"
