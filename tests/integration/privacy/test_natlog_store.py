"""The NAT mappings and the trace's session query on both store backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from netops.environment import store_keys
from netops.store import AccountingRecord, Store
from netops.store.credentials import generate_key
from netops.store.natlog import NatMapping
from tests.support.postgres import PostgresCluster, postgres_cluster  # noqa: F401
from tests.support.records import acct_record

T = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


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
    with Store.open(url, keys=store_keys()) as opened:
        yield opened


def _map(minutes: int, private: str, port: int) -> NatMapping:
    return NatMapping(T + timedelta(minutes=minutes), "10.10.0.49", "udp", private, port,
                      "203.0.113.49", port)  # fmt: skip


def test_mappings_by_address_port_and_time_and_their_retention(store: Store) -> None:
    assert store.add_nat([_map(-30, "10.0.0.1", 1000), _map(1, "10.0.0.2", 2000)]) == 2
    assert store.add_nat([_map(2, "10.0.0.3", 2000), _map(3, "10.0.0.4", 3000)]) == 2
    found = store.nat_mappings("203.0.113.49", T - timedelta(minutes=5), T + timedelta(minutes=5))
    assert [m.private_ip for m in found] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert found[0].at == T + timedelta(minutes=1) and found[0].proto == "udp"
    one = store.nat_mappings("203.0.113.49", T, T + timedelta(minutes=5), public_port=3000)
    assert [m.private_ip for m in one] == ["10.0.0.4"]
    assert store.nat_mappings("203.0.113.50", T - timedelta(days=1), T + timedelta(days=1)) == []
    assert store.purge_nat(T) == 1
    assert (
        len(store.nat_mappings("203.0.113.49", T - timedelta(days=1), T + timedelta(days=1))) == 3
    )


def test_sessions_on_a_nas_in_a_window(store: Store) -> None:
    def rec(status: str, user: str, nas: str, at: datetime, secs: int = 0) -> AccountingRecord:
        return acct_record(
            status=status,
            nas_ip=nas,
            username=user,
            acct_session_id=f"S-{user}",
            ip="10.0.0.9",
            session_time=secs,
            event_time=at,
        )  # fmt: skip

    store.account(rec("start", "open", "10.10.0.49", T - timedelta(minutes=3)))
    store.account(rec("start", "ended", "10.10.0.49", T - timedelta(hours=1)))
    store.account(rec("stop", "ended", "10.10.0.49", T - timedelta(minutes=4), 3360))
    store.account(rec("start", "before", "10.10.0.49", T - timedelta(hours=2)))
    store.account(rec("stop", "before", "10.10.0.49", T - timedelta(hours=1), 3600))
    store.account(rec("start", "later", "10.10.0.49", T + timedelta(minutes=6)))
    store.account(rec("start", "stale", "10.10.0.49", T - timedelta(days=1)))
    store.account(rec("start", "elsewhere", "10.10.0.52", T))
    found = store.sessions_on_nas("10.10.0.49", T - timedelta(minutes=5), T + timedelta(minutes=5))
    assert [s.username for s in found] == ["ended", "open"]
