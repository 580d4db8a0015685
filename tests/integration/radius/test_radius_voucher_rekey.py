"""Vouchers survive a rotation of the MAC key: ``netops privacy mac-rekey`` names every
voucher again under the new ``NETOPS_MAC_KEY``, so a printed code still logs in through
``netops radius serve`` (radclient), a used voucher keeps its sessions, totals and
admissions, a second run changes nothing and a wrong old key changes nothing either; on
SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from radius_peers import RadiusProcess, ServerFactory, account, netops, pap, radclient

from netops.environment import store_keys
from netops.store import Store, StoreError
from netops.store.credentials import StoreKeys, generate_key, parse_key

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

PHONE = "AA-00-00-00-09-01"


def _open(url: str) -> Store:
    return Store.open(url, keys=store_keys())


def _rekey(*args: str, inventory: Path, db: str) -> subprocess.CompletedProcess[str]:
    return netops("privacy", "mac-rekey", *args, inventory=inventory, db=db)


def _login(server: RadiusProcess, user: str, password: str) -> str | None:
    return radclient(server.auth_port, "auth", pap(user, password, mac=f'"{PHONE}"')).code


def _names(url: str) -> list[str]:
    with _open(url) as store:
        return sorted(v.username for v in store.list_vouchers())


def _use(server: RadiusProcess, url: str, code: str) -> tuple[str, tuple[int, ...]]:
    """Log voucher ``code`` in and account two sessions (one folded into the usage totals
    by a purge, one kept), then one more Accept that leaves an admission; its name and its
    usage (all time and today)."""
    assert _login(server, code, code) == "Access-Accept"
    account(server, code, "Start", "rekey-1", PHONE)
    account(server, code, "Stop", "rekey-1", PHONE)
    with _open(url) as store:
        store.purge(datetime.now(UTC) + timedelta(seconds=1))  # rekey-1 → usage_totals
    assert _login(server, code, code) == "Access-Accept"
    account(server, code, "Start", "rekey-2", PHONE)
    account(server, code, "Stop", "rekey-2", PHONE)
    # An Accept with no Start yet holds an admission (no Calling-Station-Id: the NAS stands
    # in for the device, and the server's own short hold of the phone does not skip it).
    no_mac = [a for a in pap(code, code) if a[0] != "Calling-Station-Id"]
    assert radclient(server.auth_port, "auth", no_mac).code == "Access-Accept"
    return _usage(url, code)


def _usage(url: str, code: str) -> tuple[str, tuple[int, ...]]:
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with _open(url) as store:
        name = store.voucher_name(code)
        assert name is not None
        total, today = store.usage(name), store.usage(name, since=midnight)
        held = store.subject_data(store.subject(user=name))
    assert held["usage_totals"] and held["admissions"] and held["acct_sessions"]
    counts = tuple(len(held[t]) for t in ("acct_sessions", "usage_totals", "admissions"))
    return name, (total.seconds, total.octets, total.sessions, today.octets, *counts)


def _rotation(
    url: str, inventory: Path, server_factory: ServerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_a, key_b, wrong = generate_key(), generate_key(), generate_key()
    monkeypatch.setenv("NETOPS_MAC_KEY", key_a)
    with _open(url) as store:
        codes = store.create_vouchers("voucher-harian", 3, batch="rekey")
    used, unused = codes[0], codes[1:]
    server = server_factory(inventory, url, "--reject-delay", "0.2", name="key-a")
    old_name, before = _use(server, url, used)
    server.stop()

    # Every server now has the new key: an unused printed code no longer logs in.
    monkeypatch.setenv("NETOPS_MAC_KEY", key_b)
    monkeypatch.setenv("REKEY_OLD_MAC", key_a)
    monkeypatch.setenv("REKEY_WRONG_MAC", wrong)
    server = server_factory(inventory, url, "--reject-delay", "0.2", name="key-b")
    assert _login(server, unused[0], unused[0]) == "Access-Reject"
    names = _names(url)

    # A wrong old key: one sentence, nothing renamed.
    for args, says in (
        (["--old-key", "env:REKEY_WRONG_MAC"], "named under neither the MAC key in force"),
        (["--old-key", "env:NETOPS_MAC_KEY"], "is the key in force"),
        (["--old-key", key_a], "must be a reference"),
    ):
        failed = _rekey(*args, inventory=inventory, db=url)
        assert failed.returncode == 1, failed.stdout
        assert failed.stderr.startswith("error:") and says in failed.stderr, failed.stderr
        assert "Traceback" not in failed.stderr and key_a not in failed.stderr + failed.stdout
        assert failed.stderr.strip().count("\n") == 0, failed.stderr
    assert _names(url) == names

    done = _rekey("--old-key", "env:REKEY_OLD_MAC", inventory=inventory, db=url)
    assert done.returncode == 0, done.stderr
    assert "renamed 3 voucher(s)" in done.stdout and "0 already" in done.stdout, done.stdout
    assert all(code.replace("-", "") not in done.stdout + done.stderr for code in codes)

    # (a) the unused codes log in, typed on the gateway's page and through the portal.
    assert _login(server, unused[0], unused[0]) == "Access-Accept"
    with _open(url) as store:
        name = store.voucher_name(unused[1])
        assert name is not None and name in _names(url)
        assert _login(server, name, store.voucher_handoff(name)) == "Access-Accept"
        assert store.voucher_code(store.lookup(name)) == unused[1]  # type: ignore[arg-type]
    # (b) the used voucher keeps its sessions, totals, admissions and usage under its new name.
    new_name, after = _usage(url, used)
    assert new_name != old_name and after == before
    with _open(url) as store:
        assert store.lookup(old_name) is None
        assert not store.sessions(username=old_name)
        assert store.usage(old_name).sessions == 0
    # (c) running it again changes nothing.
    names = _names(url)
    again = _rekey("--old-key", "env:REKEY_OLD_MAC", inventory=inventory, db=url)
    assert again.returncode == 0, again.stderr
    assert "renamed 0 voucher(s)" in again.stdout and "3 already" in again.stdout, again.stdout
    assert _names(url) == names and _usage(url, used) == (new_name, after)
    trail = netops("audit", "list", "--format", "json", inventory=inventory, db=url)
    assert trail.returncode == 0, trail.stderr
    assert trail.stdout.count('"voucher.rename"') == 1, trail.stdout


def test_vouchers_log_in_after_a_mac_key_rotation_on_sqlite(
    inventory_dir: Path,
    sqlite_url: str,
    server_factory: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _rotation(sqlite_url, inventory_dir, server_factory, monkeypatch)


def test_vouchers_log_in_after_a_mac_key_rotation_on_postgres(
    inventory_dir: Path,
    postgres_url: str,
    server_factory: ServerFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _rotation(postgres_url, inventory_dir, server_factory, monkeypatch)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_store_renames_old_vouchers_and_leaves_new_ones_and_bindings(
    backend: str, request: pytest.FixtureRequest, store_key: str
) -> None:
    """Vouchers made after the rotation are already named under the new key and stay; the
    old ones move with their binding moves and privacy requests; the binding itself (a MAC
    pseudonym) stays as it is; a voucher under neither key stops the run unchanged."""
    url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url"))
    key_a, key_b = generate_key(), generate_key()
    now = datetime.now(UTC)
    with Store.open(url, keys=StoreKeys(store_key, key_a)) as store:
        old_codes = store.create_vouchers("voucher-harian", 2)
        first = store.voucher_name(old_codes[0])
        assert first is not None
        assert store.rebind(first, PHONE, now=now, limit=3, window=timedelta(days=1), via="test")
        number = store.record_request(
            "export", store.subject(user=old_codes[0]), now, now + timedelta(days=3)
        )
        bound = store.lookup(first)
        assert bound is not None and bound.bound_mac is not None
    with Store.open(url, keys=StoreKeys(store_key, key_b)) as store:
        (new_code,) = store.create_vouchers("voucher-harian", 1)
        with pytest.raises(StoreError, match="is the key in force"):
            store.rename_vouchers(parse_key(key_b, "test"))
        with pytest.raises(StoreError, match="neither the MAC key in force"):
            store.rename_vouchers(parse_key(generate_key(), "test"))
        assert store.lookup(old_codes[0]) is None  # not renamed: still the old name
        done = store.rename_vouchers(parse_key(key_a, "test"))
        assert (done.renamed, done.current, done.open_sessions) == (2, 1, 0)
        for code in (*old_codes, new_code):
            found = store.lookup(code)
            assert found is not None and store.voucher_code(found) == code
        renamed = store.voucher_name(old_codes[0])
        assert renamed is not None and renamed != first
        assert store.rebinds(renamed, now - timedelta(hours=1)) == 1
        assert store.rebinds(first, now - timedelta(hours=1)) == 0
        (asked,) = [r for r in store.privacy_requests() if r.id == number]
        assert asked.subject == renamed
        moved = store.lookup(renamed)
        assert moved is not None and moved.bound_mac == bound.bound_mac
        again = store.rename_vouchers(parse_key(key_a, "test"))
        assert (again.renamed, again.current) == (0, 3)


def test_a_derived_old_mac_key_is_given_by_its_store_key(
    inventory_dir: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installation that derived its MAC key from the store key pins a new
    NETOPS_MAC_KEY: the old key is named by the store key it was derived from."""
    monkeypatch.delenv("NETOPS_MAC_KEY", raising=False)
    with _open(sqlite_url) as store:
        codes = store.create_vouchers("voucher-harian", 2)
    monkeypatch.setenv("NETOPS_MAC_KEY", generate_key())
    with _open(sqlite_url) as store:
        assert all(store.lookup(code) is None for code in codes)
    both = _rekey(
        "--old-key",
        "env:NETOPS_MAC_KEY",
        "--old-store-key",
        "env:NETOPS_STORE_KEY",
        inventory=inventory_dir,
        db=sqlite_url,
    )
    assert both.returncode == 1 and "exactly one of" in both.stderr, both.stderr
    done = _rekey(
        "--old-store-key",
        "env:NETOPS_STORE_KEY",
        inventory=inventory_dir,
        db=sqlite_url,
    )
    assert done.returncode == 0, done.stderr
    assert "renamed 2 voucher(s)" in done.stdout, done.stdout
    with _open(sqlite_url) as store:
        for code in codes:
            found = store.lookup(code)
            assert found is not None and store.voucher_code(found) == code
