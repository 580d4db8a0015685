"""Click-through allowances on a real SQLite store: one per device and day, and
``rotate=True`` (the portal's hand-off) gives the same allowance a fresh password."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from netops.environment import store_keys
from netops.errors import StoreError
from netops.store import Store
from netops.store.credentials import generate_key

MAC = "AA:BB:CC:00:00:01"
DAY = date(2026, 12, 5)


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("NETOPS_STORE_KEY", generate_key())
    return f"sqlite:///{tmp_path / 'netops.db'}"


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    opened = Store.open(url, keys=store_keys())
    try:
        yield opened
    finally:
        opened.close()


def test_asking_again_without_rotate_returns_the_same_password(store: Store) -> None:
    first = store.create_clickthrough(MAC, "lab-park", "gratis", DAY)
    assert store.create_clickthrough(MAC, "lab-park", "gratis", DAY) == first
    assert store.create_clickthrough(MAC, "lab-park", "gratis", DAY, rotate=False) == first
    sub = store.lookup(first[0])
    assert sub is not None and store.check_password(sub, first[1])


def test_rotate_gives_an_existing_allowance_a_new_password_and_retires_the_old(
    store: Store, url: str
) -> None:
    username, old = store.create_clickthrough(MAC, "lab-park", "gratis", DAY)
    before = store.lookup(username)  # the old password is now in the process's caches
    assert before is not None and store.check_password(before, old)

    again, new = store.create_clickthrough(MAC, "lab-park", "gratis", DAY, rotate=True)

    assert again == username and new != old
    sub = store.lookup(username)
    assert sub is not None
    assert store.check_password(sub, new)
    assert not store.check_password(sub, old)
    # Through the RADIUS server's read too, and for a second store (another process).
    view = store.auth_view(username, before.created_at)
    assert view is not None and view.subscriber.clear_password == new
    with Store.open(url, keys=store_keys()) as other:
        fresh = other.lookup(username)
        assert fresh is not None and other.check_password(fresh, new)
        assert not other.check_password(fresh, old)
    # Asking again without rotate now keeps the rotated password.
    assert store.create_clickthrough(MAC, "lab-park", "gratis", DAY) == (username, new)


def test_rotate_keeps_the_allowance_itself(store: Store) -> None:
    username, _ = store.create_clickthrough(MAC, "lab-park", "gratis", DAY)
    before = store.lookup(username, reveal=False)
    store.create_clickthrough(MAC, "lab-north", "pegawai", DAY, rotate=True)
    after = store.lookup(username, reveal=False)
    assert before is not None and after is not None
    assert (after.hotspot, after.plan, after.valid_until, after.bound_mac, after.created_at) == (
        before.hotspot,
        before.plan,
        before.valid_until,
        before.bound_mac,
        before.created_at,
    )
    assert store.counts()["clickthrough"] == 1


def test_rotate_on_a_new_device_simply_creates_its_allowance(store: Store) -> None:
    username, password = store.create_clickthrough(MAC, "lab-park", "gratis", DAY, rotate=True)
    sub = store.lookup(username)
    assert sub is not None and sub.kind == "clickthrough"
    assert store.check_password(sub, password)


def test_rotate_never_touches_a_user_who_holds_the_name(store: Store) -> None:
    username = store.clickthrough_name(MAC, DAY) or ""
    store.add_user(username, "rahasia-user", "gratis")
    with pytest.raises(StoreError, match="is taken by a user"):
        store.create_clickthrough(MAC, "lab-park", "gratis", DAY, rotate=True)
    user = store.lookup(username)
    assert user is not None and user.kind == "user"
    assert store.check_password(user, "rahasia-user")
