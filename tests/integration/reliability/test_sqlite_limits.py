"""SQLite's limits, each reproduced for real: a full disk (a small tmpfs), a read-only
filesystem (the tmpfs remounted ``ro``), a damaged file, and a second server on the same
database. Each ends in one clear sentence (startup) or a clear log line and no reply
(runtime), never an Accept that should not be and never a lost acknowledged record; a full
disk heals by itself when space comes back."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyrad import packet as rp
from radius_peers import SECRET, ServerFactory, netops, pap, radclient
from sqlalchemy import create_engine, text

from netops.environment import store_keys
from netops.radius.dictionary import load_dictionary
from netops.store import Store
from tests.support.radius_serve import SERVE_ON_PORT_ZERO

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 6 MiB tmpfs of the test's own, unmounted afterwards."""
    mountpoint = tmp_path / "fs"
    mountpoint.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0755", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}", pytrace=False)
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def _fill(folder: Path) -> Path:
    """Write zeros until the filesystem says ENOSPC."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb") as out:
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError as error:
            assert error.errno == 28, error
        # the buffered tail may not fit either
    return filler


class Nas:
    """Accounting-Starts from a NAS: one try each, or retransmitted until answered."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dictionary = load_dictionary()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(0.4)
        self.ident = 0

    def start(self, sid: str) -> bool:
        self.ident = (self.ident + 1) % 256
        req = rp.AcctPacket(secret=SECRET.encode(), dict=self.dictionary, id=self.ident)
        req.AddAttribute("User-Name", "load")
        req.AddAttribute("Acct-Status-Type", "Start")
        req.AddAttribute("Acct-Session-Id", sid)
        req.AddAttribute("Acct-Delay-Time", self.ident)
        req.AddAttribute("Calling-Station-Id", "02-00-00-00-00-99")
        self.sock.sendto(req.RequestPacket(), ("127.0.0.1", self.port))
        try:
            raw = self.sock.recv(4096)
        except TimeoutError:
            return False
        return bool(req.VerifyReply(req.CreateReply(packet=raw), raw))

    def close(self) -> None:
        self.sock.close()


def test_full_disk_gets_no_reply_loses_nothing_and_heals(
    small_fs: Path, inventory_dir: Path, server_factory: ServerFactory
) -> None:
    url = f"sqlite:///{small_fs / 'netops.db'}"
    store = Store.open(url, keys=store_keys())
    store.add_user("alice", "s3cret", "gratis")
    store.close()
    server = server_factory(inventory_dir, url, "--reject-delay", "0")
    nas = Nas(server.acct_port)
    run = uuid.uuid4().hex[:6]
    acked: list[str] = []
    assert nas.start(f"{run}-before")
    acked.append(f"{run}-before")

    filler = _fill(small_fs)
    refused: list[str] = []
    n = 0
    # Space the WAL already holds is reused, so some records still fit: send until the
    # disk really refuses (each record is a few hundred bytes; 6 MiB bounds it).
    while len(refused) < 5 and n < 5000:
        n += 1
        sid = f"{run}-full-{n}"
        (acked if nas.start(sid) else refused).append(sid)
    assert len(refused) >= 5, "the full disk never refused a write"
    log = server.stderr()
    assert "is full (database or disk is full): free space on its disk" in log, log
    assert "Traceback" not in log
    # A citizen gets no answer while the admission cannot be recorded (the NAS retries), never
    # a Reject, and never an Accept that Simultaneous-Use did not see. SQLite may still fit
    # the small admission row into pages the WAL already holds (seen with the store read in
    # the event loop, --threads 0): then the Accept is right, and its admission must be there.
    laptop = radclient(server.auth_port, "auth", pap("alice", "s3cret"), timeout=1)
    assert laptop.code in (None, "Access-Accept"), laptop.output
    assert server.alive()

    filler.unlink()  # space comes back: the NAS's retransmissions are acknowledged
    healed = time.monotonic()
    for sid in refused:
        deadline = time.monotonic() + 10
        while not nas.start(sid):
            assert time.monotonic() < deadline, f"{sid} never acknowledged after space came back"
        acked.append(sid)
    print(
        f"\nfull disk: {n} records sent, {len(refused)} refused; healed in "
        f"{time.monotonic() - healed:.2f} s"
    )
    assert radclient(server.auth_port, "auth", pap("alice", "s3cret")).code == "Access-Accept"
    nas.close()
    server.stop()
    store = Store.open(url, keys=store_keys())
    try:
        missing = [sid for sid in acked if store.session(sid) is None]
    finally:
        store.close()
    assert missing == [], f"{len(missing)} of {len(acked)} acknowledged records were lost"
    if laptop.code == "Access-Accept":
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                held = conn.execute(
                    text("SELECT count(*) FROM admissions WHERE username = 'alice'")
                ).scalar_one()
        finally:
            engine.dispose()
        assert held >= 1, "an Access-Accept on a full disk whose admission was never recorded"


def _serve_fails(inventory: Path, url: str) -> str:
    done = netops(
        *SERVE_ON_PORT_ZERO,
        "--metrics-listen",
        "127.0.0.1:0",
        inventory=inventory,
        db=url,
        timeout=30,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_read_only_filesystem_is_one_sentence_at_startup(
    small_fs: Path, inventory_dir: Path
) -> None:
    url = f"sqlite:///{small_fs / 'netops.db'}"
    Store.open(url, keys=store_keys()).close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    message = _serve_fails(inventory_dir, url)
    assert "read-only" in message and str(small_fs / "netops.db") in message, message


def test_damaged_file_is_one_sentence_at_startup(tmp_path: Path, inventory_dir: Path) -> None:
    db = tmp_path / "netops.db"
    url = f"sqlite:///{db}"
    Store.open(url, keys=store_keys()).close()
    with db.open("r+b") as out:
        out.write(os.urandom(100))  # the header: SQLite can no longer recognise the file
    message = _serve_fails(inventory_dir, url)
    assert "not an SQLite database" in message and "backup" in message, message


def test_damaged_pages_are_one_sentence_at_startup(tmp_path: Path, inventory_dir: Path) -> None:
    db = tmp_path / "netops.db"
    url = f"sqlite:///{db}"
    Store.open(url, keys=store_keys()).close()
    size = db.stat().st_size
    with db.open("r+b") as out:
        out.seek(4096)
        out.write(b"\xff" * (size - 4096))  # every page after the first
    message = _serve_fails(inventory_dir, url)
    assert "damaged" in message and "backup" in message, message


def test_second_server_on_the_same_ports_is_one_sentence_and_the_first_keeps_serving(
    tmp_path: Path, inventory_dir: Path, server_factory: ServerFactory
) -> None:
    url = f"sqlite:///{tmp_path / 'netops.db'}"
    store = Store.open(url, keys=store_keys())
    store.add_user("alice", "s3cret", "gratis")
    store.close()
    first = server_factory(inventory_dir, url)
    done = netops(
        "radius",
        "serve",
        "--bind",
        "127.0.0.1",
        "--auth-port",
        str(first.auth_port),
        "--acct-port",
        str(first.acct_port),
        "--metrics-listen",
        "127.0.0.1:0",
        inventory=inventory_dir,
        db=url,
        timeout=30,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(first.auth_port) in done.stderr, done.stderr
    assert radclient(first.auth_port, "auth", pap("alice", "s3cret")).code == "Access-Accept"
    # A second server on other ports shares the database correctly (WAL, BEGIN IMMEDIATE):
    # Simultaneous-Use holds across both.
    second = server_factory(inventory_dir, url, name="second")
    other = radclient(second.auth_port, "auth", pap("alice", "s3cret", mac='"02-00-00-00-00-02"'))
    assert other.code == "Access-Reject", other.output
    with contextlib.suppress(Exception):
        second.stop()
