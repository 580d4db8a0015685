"""One shared UDP socket per address family for SNMP requests, matched by request id / msgID.

Every scrape of every target sends through the same socket; a response is handed to the
request whose id (and peer address) it carries. Retries resend the same request id, so a
late answer to the first attempt still counts. Malformed datagrams are counted and
remembered against their sender, so a target that only ever answers garbage fails with a
protocol error instead of a timeout.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from netops.exporters.ber import BerError, message_key

#: Receive buffer asked for each shared socket (the kernel caps it at net.core.rmem_max).
RECEIVE_BUFFER = 4 * 1024 * 1024


class UdpTimeout(Exception):
    """No valid response arrived after every attempt."""

    def __init__(self, malformed: str | None) -> None:
        self.malformed = malformed
        super().__init__(malformed or "timeout")


@dataclass
class _Pending:
    peer: tuple[str, int]
    future: asyncio.Future[bytes | None]
    malformed: str | None = None


@dataclass
class _Stats:
    sent: int = 0
    received: int = 0
    malformed: int = 0
    unexpected: int = 0


@dataclass
class _Endpoint(asyncio.DatagramProtocol):
    pending: dict[int, _Pending] = field(default_factory=dict)
    stats: _Stats = field(default_factory=_Stats)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.stats.received += 1
        peer = (str(addr[0]), int(addr[1]))
        try:
            _, key = message_key(data)
        except BerError as exc:
            self.stats.malformed += 1
            for entry in self.pending.values():
                if entry.peer == peer:
                    entry.malformed = f"malformed response from {peer[0]}:{peer[1]} ({exc})"
            return
        match = self.pending.get(key)
        if match is None or match.peer != peer or match.future.done():
            self.stats.unexpected += 1
            return
        match.future.set_result(data)

    def error_received(self, exc: Exception) -> None:  # ICMP port unreachable etc.
        return


def _expire(attempt: asyncio.Future[bytes | None]) -> None:
    if not attempt.done():
        attempt.set_result(None)


class UdpClient:
    """Sends requests and awaits their responses over one socket per address family."""

    def __init__(self) -> None:
        self._endpoints: dict[int, _Endpoint] = {}
        self._next_id = random.randrange(1, 2**30)

    def request_id(self) -> int:
        self._next_id = self._next_id + 1 if self._next_id < 2**31 - 1 else 1
        return self._next_id

    async def _endpoint(self, family: int) -> _Endpoint:
        endpoint = self._endpoints.get(family)
        if endpoint is None or endpoint.transport is None or endpoint.transport.is_closing():
            sock = socket.socket(family, socket.SOCK_DGRAM)
            # Every scrape's answers queue here while the event loop is busy; the kernel's
            # default buffer (~208 KiB: about 50 full answers) overflows under load, and a
            # dropped answer costs its scrape a whole SNMP timeout.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", 0))
            loop = asyncio.get_running_loop()
            _, endpoint = await loop.create_datagram_endpoint(_Endpoint, sock=sock)
            self._endpoints[family] = endpoint
        return endpoint

    @property
    def stats(self) -> dict[str, int]:
        total = _Stats()
        for endpoint in self._endpoints.values():
            total.sent += endpoint.stats.sent
            total.received += endpoint.stats.received
            total.malformed += endpoint.stats.malformed
            total.unexpected += endpoint.stats.unexpected
        return vars(total)

    async def request(
        self,
        host: str,
        port: int,
        build: Callable[[int], bytes],
        timeout: float,
        retries: int,
        on_send: Callable[[int], None] | None = None,
    ) -> bytes:
        """Send ``build(id)`` to ``host:port`` up to ``retries + 1`` times; the answer whose
        request id (v2c) or msgID (v3) is ``id`` comes back as bytes. ``on_send(attempt)`` is
        called for every datagram sent (attempt 0 first, then 1, 2 … for retries)."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        endpoint = await self._endpoint(family)
        assert endpoint.transport is not None
        request_id = self.request_id()
        message = build(request_id)
        loop = asyncio.get_running_loop()
        entry = _Pending((host, port), loop.create_future())
        endpoint.pending[request_id] = entry
        try:
            for attempt_no in range(retries + 1):
                # One future per attempt; the timer completes it with None (no task needed).
                attempt: asyncio.Future[bytes | None] = loop.create_future()
                entry.future = attempt
                endpoint.transport.sendto(message, (host, port))
                endpoint.stats.sent += 1
                if on_send is not None:
                    on_send(attempt_no)
                timer = loop.call_later(timeout, _expire, attempt)
                try:
                    answer = await attempt
                finally:
                    timer.cancel()
                if answer is not None:
                    return answer
            raise UdpTimeout(entry.malformed)
        finally:
            endpoint.pending.pop(request_id, None)
            if not entry.future.done():
                entry.future.cancel()

    def close(self) -> None:
        for endpoint in self._endpoints.values():
            if endpoint.transport is not None:
                endpoint.transport.close()
        self._endpoints.clear()
