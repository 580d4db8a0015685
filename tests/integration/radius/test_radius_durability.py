"""kill -9 during an accounting load: every acknowledged record is in the store."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pyrad import packet as rp
from radius_peers import SECRET, RadiusProcess, ServerFactory

from netops.radius.dictionary import load_dictionary
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _sender(port: int, prefix: str, acked: list[str], stop: threading.Event) -> None:
    dictionary = load_dictionary()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        n = 0
        while not stop.is_set():
            n += 1
            sid = f"{prefix}-{n}"
            req = rp.AcctPacket(secret=SECRET.encode(), dict=dictionary, id=n % 256)
            req.AddAttribute("User-Name", f"load-{prefix}")
            req.AddAttribute("Acct-Status-Type", "Start")
            req.AddAttribute("Acct-Session-Id", sid)
            req.AddAttribute("Calling-Station-Id", "02-00-00-00-00-99")
            data = req.RequestPacket()
            try:
                sock.sendto(data, ("127.0.0.1", port))
                raw = sock.recv(4096)
            except (TimeoutError, ConnectionRefusedError):
                continue
            if req.VerifyReply(req.CreateReply(packet=raw), raw):
                acked.append(sid)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_acknowledged_accounting_record_survives_kill_9(
    backend: str,
    inventory_dir: Path,
    sqlite_url: str,
    request: pytest.FixtureRequest,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue("postgres_url")
    open_store(url)  # create the schema before the load starts
    server: RadiusProcess = server_factory(inventory_dir, url)
    acked: list[str] = []
    stop = threading.Event()
    run = uuid.uuid4().hex[:6]
    threads = [
        threading.Thread(target=_sender, args=(server.acct_port, f"{run}{i}", acked, stop))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acked) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.kill9()
    stop.set()
    for thread in threads:
        thread.join(timeout=5)
    assert len(acked) >= 300, "the load did not get going"
    store = open_store(url)
    missing = [sid for sid in acked if store.session(sid) is None]
    assert missing == [], f"{len(missing)} of {len(acked)} acknowledged records were lost"
