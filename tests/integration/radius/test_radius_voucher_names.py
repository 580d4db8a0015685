"""A voucher is known to RADIUS and the records by a name derived from its code, never by
the code: radclient logs in both ways (the portal's derived name + hand-off password, and
the code typed on the gateway's own page), and the accounting rows, the sessions listing,
the server's log and the database file hold the derived name only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from radius_peers import RadiusProcess, ServerFactory, account, chap, netops, pap, radclient

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
def server(
    module_inventory: Path,
    module_sqlite_url: str,
    module_server_factory: ServerFactory,
) -> RadiusProcess:
    return module_server_factory(
        module_inventory, module_sqlite_url, "--reject-delay", "0.2", "--verbose"
    )


@pytest.fixture
def store(server: RadiusProcess, open_store: Callable[[str], Store]) -> Store:
    return open_store(server.db)


def _spellings(code: str) -> list[str]:
    bare = code.replace("-", "")
    return [code, bare, code.lower(), bare.lower()]


def _no_code_anywhere(server: RadiusProcess, store: Store, inventory: Path, code: str) -> None:
    """The code is in no accounting row, no sessions listing, no log line, no database page."""
    rows = store.sessions(username=store.voucher_name(code))
    assert rows, "the sessions are recorded under the derived name"
    for spelling in _spellings(code):
        assert all(spelling not in repr(s) for s in store.sessions())
        assert spelling not in server.stderr(), "the server's log names the code"
    # The helpdesk may look a voucher's sessions up by its code; they show its name.
    listed = netops("radius", "sessions", "--user", code, inventory=inventory, db=server.db)
    assert listed.returncode == 0, listed.stderr
    assert str(store.voucher_name(code)) in listed.stdout
    assert not any(s in listed.stdout for s in _spellings(code))
    path = Path(server.db.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for spelling in _spellings(code):
        assert spelling.encode() not in raw, "the database file holds the code in clear"


def test_the_portal_hand_off_logs_in_with_the_derived_name_and_never_the_code(
    server: RadiusProcess, store: Store, module_inventory: Path
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    name = store.voucher_name(code)
    assert name and name.startswith("v-") and code.replace("-", "") not in name.upper()
    handoff = store.voucher_handoff(name)
    assert code.replace("-", "") not in handoff.upper()
    for attrs in (
        pap(name, handoff, mac='"AA-00-00-00-01-01"'),
        chap(name, handoff, mac='"AA-00-00-00-01-01"'),
    ):
        reply = radclient(server.auth_port, "auth", attrs)
        assert reply.code == "Access-Accept", reply.output
    for wrong in ("wrong-one", name):  # the name is no password
        assert radclient(server.auth_port, "auth", pap(name, wrong)).code == "Access-Reject"
    claimed = store.lookup(name)
    assert claimed is not None and claimed.bound_mac == store.mac_pseudonym("aa:00:00:00:01:01")
    account(server, name, "Start", "hand-off-1", "AA-00-00-00-01-01")
    account(server, name, "Stop", "hand-off-1", "AA-00-00-00-01-01")
    _no_code_anywhere(server, store, module_inventory, code)


def test_the_code_typed_on_the_gateway_page_is_the_same_voucher_under_its_derived_name(
    server: RadiusProcess, store: Store, module_inventory: Path
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1)
    typed = code.lower()
    first = radclient(server.auth_port, "auth", pap(typed, typed, mac='"AA-00-00-00-02-01"'))
    assert first.code == "Access-Accept", first.output
    # CHAP from RouterOS's own login page, the code as printed.
    again = radclient(server.auth_port, "auth", chap(code, code, mac='"AA-00-00-00-02-01"'))
    assert again.code == "Access-Accept", again.output
    # The NAS accounts under the name it was given (the code): stored under the derived name.
    account(server, typed, "Start", "typed-1", "AA-00-00-00-02-01")
    (session,) = store.sessions(username=code)
    assert code.replace("-", "") not in session.username.upper(), "the code is the record's name"
    name = store.voucher_name(code)
    assert name is not None
    assert session.username == name and session.stopped_at is None
    # One voucher: the binding made by the typed code holds for the derived name too.
    other = radclient(
        server.auth_port,
        "auth",
        pap(name, store.voucher_handoff(name), mac='"AA-00-00-00-02-02"'),
    )
    assert other.code == "Access-Reject"
    assert other.attributes["Reply-Message"] == ["Voucher ini sudah dipakai di perangkat lain."]
    account(server, code, "Stop", "typed-1", "AA-00-00-00-02-01")
    assert store.usage(name).octets >= 1000
    _no_code_anywhere(server, store, module_inventory, code)


def test_a_shared_voucher_counts_simultaneous_use_across_both_ways_in(
    server: RadiusProcess, store: Store
) -> None:
    (code,) = store.create_vouchers("voucher-harian", 1, shared=True)
    name = store.voucher_name(code)
    assert name is not None
    limit = 2  # voucher-harian's simultaneous_use in the lab inventory
    macs = [f"AA-00-00-00-03-{n:02X}" for n in range(limit + 1)]
    for n, mac in enumerate(macs[:limit]):
        assert radclient(server.auth_port, "auth", pap(code, code, mac=f'"{mac}"')).code == (
            "Access-Accept"
        )
        account(server, code, "Start", f"shared-{n}", mac)
    extra = pap(name, store.voucher_handoff(name), mac=f'"{macs[-1]}"')
    reply = radclient(server.auth_port, "auth", extra)
    assert reply.code == "Access-Reject"
    assert reply.attributes["Reply-Message"] == ["Akun ini sedang dipakai di perangkat lain."]


def test_a_stop_under_the_typed_code_frees_the_devices_remembered_admission(
    server: RadiusProcess, store: Store
) -> None:
    """The server remembers a fresh admission per (stored name, device) so that a device's
    re-authentication writes no hold. A Stop sent under the typed code must end that memory
    too: otherwise the device logs in again on the strength of a slot it gave up."""
    (code,) = store.create_vouchers("voucher-harian", 1, shared=True)
    limit = 2  # voucher-harian's simultaneous_use in the lab inventory
    first, *others = [f'"AA-00-00-00-04-{n:02X}"' for n in range(limit + 1)]
    assert radclient(server.auth_port, "auth", pap(code, code, mac=first)).code == "Access-Accept"
    account(server, code, "Start", "remembered-0", first.strip('"'))
    account(server, code, "Stop", "remembered-0", first.strip('"'))
    for mac in others:  # two other phones are admitted: their holds take both slots
        assert radclient(server.auth_port, "auth", pap(code, code, mac=mac)).code == (
            "Access-Accept"
        )
    again = radclient(server.auth_port, "auth", pap(code, code, mac=first))
    assert again.code == "Access-Reject", "a third device got in on a forgotten slot"
    assert again.attributes["Reply-Message"] == ["Akun ini sedang dipakai di perangkat lain."]
