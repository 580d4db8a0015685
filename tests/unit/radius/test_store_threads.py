"""``netops radius serve`` and ``netops up`` pick the RADIUS store threads by the store
unless told: the event loop on SQLite and on PostgreSQL on this machine, a pool on
PostgreSQL elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from netops.cli.main import main
from netops.radius.storethreads import threads_for_store
from netops.service.stack import StackPorts, stack_components
from tests.paths import LAB

PG = "postgresql+psycopg://netops@db.kota.example:5432/netops"
LOCAL_PG = "postgresql+psycopg://netops@127.0.0.1:5432/netops"


@pytest.mark.parametrize(
    ("url", "threads"),
    [
        ("sqlite:////var/lib/netops/netops.db", 0),
        ("SQLite:///x.db", 0),
        (PG, 8),
        ("postgresql://netops@db/netops", 8),
        ("postgresql://netops@10.20.0.5/netops", 8),
        (LOCAL_PG, 0),
        ("postgresql+psycopg://netops@localhost/netops", 0),
        ("postgresql+psycopg://netops@[::1]:5432/netops", 0),
        ("postgresql+psycopg://netops@127.0.0.2/netops", 0),
        ("postgresql+psycopg:///netops", 0),  # libpq's default: the local socket
        ("postgresql+psycopg://netops@/netops?host=/var/run/postgresql", 0),
        ("postgresql+psycopg://netops@/netops?host=127.0.0.1&host=localhost", 0),
        ("postgresql+psycopg://netops@/netops?host=127.0.0.1&host=db2.kota.example", 8),
        ("postgresql+psycopg://netops@/netops?host=127.0.0.1,10.0.0.2", 8),
    ],
)
def test_threads_follow_the_engine(url: str, threads: int) -> None:
    assert threads_for_store(url) == threads


@pytest.mark.parametrize(("pghost", "threads"), [("db.kota.example", 8), ("/run/postgresql", 0)])
def test_a_url_without_a_host_goes_where_pghost_says(pghost: str, threads: int) -> None:
    assert threads_for_store("postgresql+psycopg:///netops", pghost) == threads
    assert threads_for_store(LOCAL_PG, pghost) == 0  # a host in the URL wins over PGHOST


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import netops.radius.service as service

    seen: dict[str, Any] = {}

    def fake_serve(inventory: Path, db_url: str, config: Any, **kwargs: Any) -> None:
        seen.update(db_url=db_url, config=config)

    monkeypatch.setattr(service, "serve", fake_serve)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETOPS_DB", raising=False)
    monkeypatch.setenv("NETOPS_INVENTORY", str(LAB))
    return seen


def test_serve_answers_in_the_event_loop_on_sqlite(served: dict[str, Any]) -> None:
    assert main(["radius", "serve", "--metrics-listen", "off"]) == 0
    assert served["db_url"].startswith("sqlite:///")
    assert served["config"].threads == 0


def test_serve_runs_a_pool_on_postgresql_elsewhere(served: dict[str, Any]) -> None:
    assert main(["--db", PG, "radius", "serve", "--metrics-listen", "off"]) == 0
    assert served["config"].threads == 8


def test_serve_answers_in_the_event_loop_on_postgresql_here(served: dict[str, Any]) -> None:
    assert main(["--db", LOCAL_PG, "radius", "serve", "--metrics-listen", "off"]) == 0
    assert served["config"].threads == 0


@pytest.mark.parametrize("db", ["sqlite:///x.db", PG])
def test_threads_the_operator_gives_win(served: dict[str, Any], db: str) -> None:
    assert main(["--db", db, "radius", "serve", "--metrics-listen", "off", "--threads", "3"]) == 0
    assert served["config"].threads == 3


def _radius_argv(tmp_path: Path, **kwargs: Any) -> tuple[str, ...]:
    specs, _ = stack_components(
        LAB, "sqlite:///x.db", StackPorts(), tmp_path, lambda _: True, **kwargs
    )
    return next(s.argv for s in specs if s.name == "radius")


def test_up_leaves_the_choice_to_the_server_unless_told(tmp_path: Path) -> None:
    assert "--threads" not in _radius_argv(tmp_path)
    argv = _radius_argv(tmp_path, radius_threads=4)
    assert argv[argv.index("--threads") + 1] == "4"


def test_serve_reads_pghost(served: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "db.kota.example")
    db = "postgresql+psycopg://netops@/netops"
    assert main(["--db", db, "radius", "serve", "--metrics-listen", "off"]) == 0
    assert served["config"].threads == 8
