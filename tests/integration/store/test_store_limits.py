"""The shared rate limits: sliding windows in the store, the same on SQLite and PostgreSQL.

Two processes counting one key at the same moment record exactly the limit, never one more:
the check and the insert are one transaction under a lock on the key.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[3]


def test_a_window_counts_to_its_limit_and_frees_as_the_oldest_leaves(store: Store) -> None:
    for n in range(4):
        wait = store.limit_hit("phone", "phone:abc", 5, 600.0, T0 + timedelta(seconds=10 * n))
        assert wait == 0.0
    assert store.limit_wait("phone", "phone:abc", 5, 600.0, T0 + timedelta(seconds=40)) == 0.0
    wait = store.limit_hit("phone", "phone:abc", 5, 600.0, T0 + timedelta(seconds=40))
    assert wait == pytest.approx(560.0)  # the first attempt (at T0) leaves the window at 600 s
    at = T0 + timedelta(seconds=100)
    assert store.limit_wait("phone", "phone:abc", 5, 600.0, at) == pytest.approx(500.0)
    # Past the limit nothing more is recorded: a key never holds more rows than its limit.
    assert store.limit_hit("phone", "phone:abc", 5, 600.0, at) == pytest.approx(500.0)
    assert store.limit_hit_count() == 5
    # Sliding: at 600 s the first leaves, one place frees up; at 610 s the second too.
    assert store.limit_wait("phone", "phone:abc", 5, 600.0, T0 + timedelta(seconds=600)) == 0.0
    # Other keys and other scopes are counted apart.
    assert store.limit_wait("phone", "phone:other", 5, 600.0, at) == 0.0
    assert store.limit_wait("hotspot", "phone:abc", 5, 600.0, at) == 0.0


def test_reset_forgets_one_key_and_purge_drops_finished_windows(store: Store) -> None:
    for n in range(3):
        store.limit_hit("phone", "a", 3, 60.0, T0 + timedelta(seconds=n))
        store.limit_hit("phone", "b", 3, 60.0, T0 + timedelta(seconds=n))
    assert store.limit_wait("phone", "a", 3, 60.0, T0 + timedelta(seconds=5)) > 0
    assert store.limit_reset("phone", "a") == 3
    assert store.limit_wait("phone", "a", 3, 60.0, T0 + timedelta(seconds=5)) == 0.0
    assert store.limit_wait("phone", "b", 3, 60.0, T0 + timedelta(seconds=5)) > 0
    assert store.purge_limit_hits(T0 + timedelta(seconds=61)) == 2
    assert store.limit_hit_count() == 1
    assert store.purge_limit_hits(T0 + timedelta(hours=1)) == 1
    assert store.limit_hit_count() == 0


def test_the_table_holds_no_key_in_the_clear(store: Store, store_url: str) -> None:
    mac_key = "phone:lab-park|aa:bb:cc:dd:ee:42|10.254.200.77|cookie"
    store.limit_hit("phone", mac_key, 5, 600.0, T0)
    store.limit_hit("console-account", "siti", 5, 600.0, T0)
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT scope, key_hash FROM limit_hits")).all()
    finally:
        engine.dispose()
    dumped = json.dumps([list(r) for r in rows])
    assert len(rows) == 2
    assert "aa:bb" not in dumped and "10.254" not in dumped and "siti" not in dumped


WORKER = textwrap.dedent(
    """
    import json, sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    sys.path.append(sys.argv[3])
    from netops.environment import store_keys
    from netops.store import Store
    store = Store.open(sys.argv[1], keys=store_keys())
    store.limit_wait("phone", "warm", 1, 1.0, datetime.now(UTC))
    print("ready", flush=True)
    while not Path(sys.argv[2]).exists():
        time.sleep(0.001)
    waits = []
    for _ in range(40):
        waits.append(store.limit_hit("hotspot", "gw:lab-hs-01", 25, 600.0, datetime.now(UTC)))
    store.close()
    print(json.dumps(sum(1 for w in waits if w == 0.0)))
    """
)


def test_two_processes_counting_one_key_record_exactly_its_limit(
    store: Store, store_url: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_url, str(go), str(REPO)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready", proc.stderr
        go.touch()
        free = []
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            free.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    assert store.limit_hit_count() == 25  # 80 attempts, 25 places: not one more recorded
    # Each worker saw "may try again" only while places were left: 24 of them in all (the
    # 25th hit fills the window and already answers with a wait).
    assert sum(free) == 24
    assert store.limit_wait("hotspot", "gw:lab-hs-01", 25, 600.0, datetime.now(UTC)) > 0


def test_what_a_nas_showed_is_kept_and_never_loosened(store: Store) -> None:
    assert store.nas_guard("127.0.0.1") == (False, None)
    store.note_nas_guard("127.0.0.1", require=False, limit=True, at=T0)
    assert store.nas_guard("127.0.0.1") == (False, True)
    store.note_nas_guard("127.0.0.1", require=True, limit=False, at=T0)
    assert store.nas_guard("127.0.0.1") == (True, True)  # the first Proxy-State decision wins
    store.note_nas_guard("127.0.0.1", require=False, limit=None, at=T0)
    assert store.nas_guard("127.0.0.1") == (True, True)  # the requirement, once set, stays
    assert store.nas_guard("127.0.0.2") == (False, None)
