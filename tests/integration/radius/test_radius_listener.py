"""The server reads its sockets in batches: a burst larger than one batch is answered whole,
each reply signed for its own request, and a reply the kernel cannot take yet waits in order."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyrad import packet as rp
from radius_peers import SECRET, ServerFactory

from netops.radius.dictionary import load_dictionary
from netops.radius.server import BATCH, _Listener
from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_a_burst_larger_than_a_batch_is_answered_whole(
    inventory_dir: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> None:
    open_store(sqlite_url).add_user("burst", "pw-burst", "pegawai")
    server = server_factory(inventory_dir, sqlite_url, "--threads", "0")
    dictionary = load_dictionary()
    count = min(255, 3 * BATCH + 7)  # one Identifier each, more than three batches
    requests: dict[int, bytes] = {}
    datagrams = []
    for ident in range(count):
        req = rp.AuthPacket(secret=SECRET.encode(), dict=dictionary, User_Name="burst", id=ident)
        req["User-Password"] = req.PwCrypt("pw-burst")
        req["Calling-Station-Id"] = "02-00-00-00-00-0a"
        req.add_message_authenticator()
        data = req.RequestPacket()
        requests[ident] = data[4:20]
        datagrams.append(data)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.settimeout(10)
    try:
        for data in datagrams:  # all sent before any reply is read
            sock.sendto(data, ("127.0.0.1", server.auth_port))
        replies: dict[int, bytes] = {}
        deadline = time.monotonic() + 30
        while len(replies) < len(datagrams) and time.monotonic() < deadline:
            raw = sock.recv(4096)
            replies[raw[1]] = raw
    finally:
        sock.close()
    assert sorted(replies) == sorted(requests)
    for ident, raw in replies.items():
        assert raw[0] == rp.AccessAccept, ident
        # The Response Authenticator proves the reply answers this very request.
        expected = hashlib.md5(raw[:4] + requests[ident] + raw[20:] + SECRET.encode()).digest()
        assert raw[4:20] == expected, ident


class _FullOnce:
    """A socket whose send buffer is full for the first ``full`` sends (the kernel's
    EAGAIN cannot be provoked on demand over loopback)."""

    def __init__(self, full: int) -> None:
        self.full = full
        self.sent: list[tuple[bytes, Any]] = []
        self.reader = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def fileno(self) -> int:
        return self.reader.fileno()

    def sendto(self, data: bytes, addr: Any) -> int:
        if self.full > 0:
            self.full -= 1
            raise BlockingIOError
        self.sent.append((data, addr))
        return len(data)

    def close(self) -> None:
        self.reader.close()


def test_replies_the_kernel_cannot_take_yet_are_sent_later_in_order() -> None:
    async def scenario() -> tuple[list[tuple[bytes, Any]], int]:
        sock = _FullOnce(full=2)
        listener = _Listener(server=None, kind="access", sock=sock)  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        listener._loop = loop
        listener.open = True
        addr = ("127.0.0.1", 1812)
        for n in range(5):
            listener.sendto(bytes([n]), addr)
        queued = len(listener._queue)
        for _ in range(3):  # the writer callback: first try still full, then all go
            listener._writable()
        listener.close()
        return sock.sent, queued

    sent, queued = asyncio.run(scenario())
    assert queued == 5  # the first failed send and everything behind it waited
    assert [data for data, _ in sent] == [bytes([n]) for n in range(5)]
