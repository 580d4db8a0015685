"""No clear MAC address at rest: a lab-like run through ``netops radius serve`` (radclient
logins and accounting with Calling-Station-Id MACs, a voucher bound to its device, a
click-through allowance, MAC authentication) leaves no MAC in any spelling in the SQLite
file or in a ``pg_dump`` of the PostgreSQL database, nor in the server's log; and the
RADIUS decisions that compare MACs still hold."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from radius_peers import ServerFactory, pap, radclient

from netops.store import Store
from tests.support.postgres import DB_USER, PG_BIN, PostgresCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

USER_MAC = "3C:52:82:10:AA:01"
VOUCHER_MAC = "3c-52-82-10-aa-02"
THIEF_MAC = "3C52.8210.AA03"
CT_MAC = "3c52.8210.aa04"
KIOSK_MAC = "3C5282:10AA05"
ALL = (USER_MAC, VOUCHER_MAC, THIEF_MAC, CT_MAC, KIOSK_MAC)


def spellings(mac: str) -> set[str]:
    """Every way a MAC address is commonly written."""
    hexes = "".join(c for c in mac.lower() if c in "0123456789abcdef")
    assert len(hexes) == 12
    pairs = [hexes[i : i + 2] for i in range(0, 12, 2)]
    forms = {
        ":".join(pairs),
        "-".join(pairs),
        hexes,
        ".".join(hexes[i : i + 4] for i in range(0, 12, 4)),
        "".join(pairs[:3]) + ":" + "".join(pairs[3:]),
    }
    return forms | {f.upper() for f in forms}


def _q(mac: str) -> str:
    return f'"{mac}"'


def _acct(user: str, status: str, sid: str, mac: str, **extra: str) -> list[tuple[str, str]]:
    attrs = [
        ("User-Name", f'"{user}"'),
        ("Acct-Status-Type", status),
        ("Acct-Session-Id", f'"{sid}"'),
        ("Calling-Station-Id", _q(mac)),
        ("Framed-IP-Address", "10.254.200.42"),
        ("NAS-Identifier", '"lab-hs-01"'),
    ]
    attrs.extend((k.replace("_", "-"), v) for k, v in extra.items())
    return attrs


def _lab_run(store: Store, factory: ServerFactory, inventory: Path, db: str) -> Path:
    """Logins, accounting, a bound voucher, a click-through and MAC authentication."""
    server = factory(inventory, db)
    store.add_user("alice", "s3cret", "gratis")
    store.add_mac(KIOSK_MAC, "pegawai", note="kiosk")
    (code,) = store.create_vouchers("voucher-harian", 1)
    today = datetime.now(ZoneInfo("Asia/Makassar")).date()
    ct_user, ct_password = store.create_clickthrough(CT_MAC, "lab-park", "gratis", today)

    def auth(user: str, password: str, mac: str) -> str | None:
        return radclient(server.auth_port, "auth", pap(user, password, mac=_q(mac))).code

    assert auth("alice", "s3cret", USER_MAC) == "Access-Accept"
    assert auth(code, code, VOUCHER_MAC) == "Access-Accept"
    # The voucher is bound to the first device, the allowance to its own: equality on
    # pseudonyms still tells devices apart.
    assert auth(code, code, THIEF_MAC) == "Access-Reject"
    assert auth(ct_user, ct_password, CT_MAC) == "Access-Accept"
    assert auth(ct_user, ct_password, THIEF_MAC) == "Access-Reject"
    assert auth(KIOSK_MAC.replace(":", ""), "", KIOSK_MAC) == "Access-Accept"
    assert auth(KIOSK_MAC.replace(":", ""), "", THIEF_MAC) == "Access-Reject"
    for user, mac, sid in (
        ("alice", USER_MAC, "p-1"),
        (code, VOUCHER_MAC, "p-2"),
        (ct_user, CT_MAC, "p-3"),
    ):
        for status in ("Start", "Interim-Update"):
            reply = radclient(server.acct_port, "acct", _acct(user, status, sid, mac))
            assert reply.code == "Accounting-Response"
    stop = _acct("alice", "Stop", "p-1", USER_MAC, Acct_Session_Time="60")
    assert radclient(server.acct_port, "acct", stop).code == "Accounting-Response"
    # Simultaneous-Use (gratis: 1 device) still tells the phone from another device.
    assert auth("alice", "s3cret", USER_MAC) == "Access-Accept"
    start = _acct("alice", "Start", "p-4", USER_MAC)
    assert radclient(server.acct_port, "acct", start).code == "Accounting-Response"
    assert auth("alice", "s3cret", THIEF_MAC) == "Access-Reject"
    # The helpdesk finds a device's sessions from the MAC a citizen reads out.
    found = store.sessions(mac=USER_MAC.lower().replace(":", "-"))
    assert {s.acct_session_id for s in found} == {"p-1", "p-4"}
    return server.log


def _assert_no_mac(blob: bytes, where: str) -> None:
    text = blob.decode("latin-1").lower()
    leaked = sorted({s for mac in ALL for s in spellings(mac) if s.lower() in text})
    assert not leaked, f"{where} holds clear MAC addresses: {leaked}"


def test_sqlite_file_and_log_hold_no_clear_mac(
    inventory_dir: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    store = open_store(sqlite_url)
    log = _lab_run(store, server_factory, inventory_dir, sqlite_url)
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    store.close()
    blob = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    _assert_no_mac(blob, "the SQLite file")
    assert b"acct_sessions" in blob and b"mac~" in blob  # the file is what was written
    _assert_no_mac(log.read_bytes(), "the RADIUS server's log")


def test_pg_dump_holds_no_clear_mac(
    inventory_dir: Path,
    postgres_url: str,
    postgres_cluster: PostgresCluster,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    store = open_store(postgres_url)
    _lab_run(store, server_factory, inventory_dir, postgres_url)
    database = urlsplit(postgres_url).path.lstrip("/")
    dump = subprocess.run(
        [
            str(PG_BIN / "pg_dump"),
            "-h",
            "127.0.0.1",
            "-p",
            str(postgres_cluster.port),
            "-U",
            DB_USER,
            "--data-only",
            database,
        ],
        capture_output=True,
        env={**os.environ, "PGPASSWORD": postgres_cluster.password},
        timeout=60,
        check=True,
    ).stdout
    _assert_no_mac(dump, "pg_dump")
    assert b"acct_sessions" in dump and b"mac~" in dump
