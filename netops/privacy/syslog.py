"""Receive the gateways' source-NAT log by syslog and keep each translation in the store.

A RouterOS hotspot gateway with a ``/ip firewall nat`` srcnat rule ``log=yes
log-prefix=netops-nat`` logs every new connection it translates, as (RouterOS firewall log)::

    netops-nat srcnat: in:bridge-hotspot out:ether1, connection-state:new src-mac …,
    proto TCP (SYN), 10.254.200.23:51514->93.184.216.34:443,
    NAT (10.254.200.23:51514->100.64.10.1:51514)->93.184.216.34:443, len 60

and a ``/system logging action`` of target ``remote`` sends it here. :func:`parse_syslog`
takes the syslog framing off (RFC 3164, RFC 5424, or RouterOS's bare ``<PRI>topics message``)
and :func:`parse_nat` reads the translation; :class:`NatReceiver` listens on UDP and TCP
(RFC 6587 octet counting or one message a line), stores mappings in batches, counts what it
could not read and drops it, and purges mappings older than their retention.

The time stored is when netops received the line (its clock is NTP-synchronised; RFC 3164
carries neither year nor zone), unless an RFC 5424 header gives a time with an offset. The
gateway (NAS) is the address the log came from.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from netops.store.natlog import NatMapping

log = logging.getLogger(__name__)

DEFAULT_PORT = 514
MAX_MESSAGE = 8192  # a firewall log line is ~250 octets; anything this long is not one
FLUSH_ROWS = 500
FLUSH_SECONDS = 1.0
PURGE_EVERY = 3600.0

_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_NAT_LINE = re.compile(
    r"srcnat: in:(?P<in>\S*) out:(?P<out>[^,\s]*),.*?"
    r"proto (?P<proto>[A-Za-z0-9-]+)(?: \([^)]*\))?, "
    rf"(?P<s>{_IPV4}):(?P<sp>\d{{1,5}})->(?P<d>{_IPV4}):(?P<dp>\d{{1,5}}), "
    rf"NAT \((?P<a>{_IPV4}):(?P<ap>\d{{1,5}})->(?P<b>{_IPV4}):(?P<bp>\d{{1,5}})\)"
    rf"(?:->(?P<c>{_IPV4}):(?P<cp>\d{{1,5}}))?"
)
_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.DOTALL,
)
_RFC3164 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (?P<host>\S+) )?(?P<msg>.*)$",
    re.DOTALL,
)


class SyslogError(ValueError):
    """A line that is not a syslog message netops can read."""


@dataclass(frozen=True)
class SyslogMessage:
    """One syslog message without its framing: priority, the sender's time if it gave one
    with a zone, and the text."""

    pri: int
    at: datetime | None
    text: str


def parse_syslog(raw: bytes | str) -> SyslogMessage:
    """The message in one syslog frame (RFC 5424, RFC 3164, or RouterOS's bare
    ``<PRI>topics text``); :class:`SyslogError` when it is none of them."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_MESSAGE:
            raise SyslogError(f"message of {len(raw)} octets is longer than {MAX_MESSAGE}")
        text = raw.decode("utf-8", "replace")
    else:
        text = raw
    text = text.lstrip("\ufeff").rstrip("\r\n\x00")
    if "\x00" in text:
        raise SyslogError("message contains NUL")
    match = _RFC5424.match(text)
    if match:
        pri = int(match["pri"])
        at: datetime | None = None
        if match["ts"] != "-":
            try:
                parsed = datetime.fromisoformat(match["ts"].replace("Z", "+00:00"))
            except ValueError as exc:
                raise SyslogError(f"bad RFC 5424 timestamp {match['ts']!r}") from exc
            at = parsed.astimezone(UTC) if parsed.tzinfo is not None else None
        msg = (match["msg"] or "").removeprefix("\ufeff")
    else:
        match = _RFC3164.match(text)
        if match is None:
            raise SyslogError("no <PRI> at the start")
        pri, at, msg = int(match["pri"]), None, match["msg"]
    if pri > 191:
        raise SyslogError(f"priority {pri} is above 191")
    return SyslogMessage(pri, at, msg)


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise SyslogError(f"port {value} out of range")
    return value


def _address(text: str) -> str:
    if any(int(part) > 255 for part in text.split(".")):
        raise SyslogError(f"{text!r} is not an IPv4 address")
    return text


def parse_nat(text: str, nas: str, at: datetime) -> NatMapping | None:
    """The translation in a RouterOS srcnat log line; None when the line is not a srcnat log
    line at all; :class:`SyslogError` when it is one but cannot be read.

    RouterOS writes the translated tuple in parentheses: ``NAT (priv:p->pub:q)->dst:r`` or,
    on some versions, ``NAT (pub:q->dst:r)``; whichever address differs from the original
    source is the public one."""
    if "srcnat:" not in text:
        return None
    match = _NAT_LINE.search(text)
    if match is None:
        raise SyslogError("a srcnat line without 'proto …, SRC:PORT->DST:PORT, NAT (…)'")
    src, sport = _address(match["s"]), _port(match["sp"])
    a, ap = _address(match["a"]), _port(match["ap"])
    b, bp = _address(match["b"]), _port(match["bp"])
    if match["c"] is not None or (a, ap) == (src, sport):
        public, public_port = b, bp
    else:
        public, public_port = a, ap
    return NatMapping(
        at=at,
        nas=nas,
        proto=match["proto"].lower(),
        private_ip=src,
        private_port=sport,
        public_ip=public,
        public_port=public_port,
    )


@dataclass
class Counters:
    """What the receiver has seen since it started."""

    received: int = 0
    stored: int = 0
    ignored: int = 0  # readable syslog, but not a srcnat line
    malformed: int = 0
    store_errors: int = 0
    purged: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)

    def bad(self, reason: str) -> None:
        self.malformed += 1
        key = reason.split(" ")[0] if len(self.by_reason) > 50 else reason[:80]
        self.by_reason[key] = self.by_reason.get(key, 0) + 1


Sink = Callable[[list[NatMapping]], int]
Purge = Callable[[datetime], int]


class NatReceiver:
    """A syslog receiver on UDP and TCP that stores source-NAT mappings through ``sink``."""

    def __init__(
        self,
        sink: Sink,
        *,
        purge: Purge | None = None,
        retention: timedelta | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.sink = sink
        self.purge = purge
        self.retention = retention
        self.clock = clock
        self.counters = Counters()
        self._pending: list[NatMapping] = []
        self._servers: list[asyncio.AbstractServer] = []
        self._transports: list[asyncio.BaseTransport] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.addresses: dict[str, tuple[str, int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writes: set[asyncio.Future[None]] = set()

    # --- one message ----------------------------------------------------------------------

    def handle(self, raw: bytes, sender: str) -> None:
        """Read one syslog message from ``sender``; never raises."""
        self.counters.received += 1
        try:
            message = parse_syslog(raw)
            mapping = parse_nat(message.text, sender, message.at or self.clock())
        except (SyslogError, ValueError) as exc:
            self.counters.bad(str(exc))
            return
        if mapping is None:
            self.counters.ignored += 1
            return
        self._pending.append(mapping)
        if len(self._pending) >= FLUSH_ROWS and self._loop is not None:
            self._spawn(self._store_pending())

    def flush(self) -> int:
        """Store what is pending now (in the caller's thread); see :meth:`store`."""
        batch, self._pending = self._pending, []
        return self.store(batch)

    async def _store_pending(self) -> None:
        """Take the pending batch in the event loop's thread, write it in a worker thread."""
        batch, self._pending = self._pending, []
        if batch:
            await asyncio.to_thread(self.store, batch)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    def store(self, batch: list[NatMapping]) -> int:
        """Store ``batch``; a store failure is counted and the batch dropped."""
        if not batch:
            return 0
        try:
            stored = self.sink(batch)
        except Exception as exc:  # the store is down: keep receiving, say so once a batch
            self.counters.store_errors += 1
            log.error("could not store %d NAT mappings: %s", len(batch), exc)
            return 0
        self.counters.stored += stored
        return stored

    def purge_old(self) -> int:
        if self.purge is None or self.retention is None:
            return 0
        try:
            dropped = self.purge(self.clock() - self.retention)
        except Exception as exc:
            log.error("could not purge old NAT mappings: %s", exc)
            return 0
        self.counters.purged += dropped
        return dropped

    # --- sockets --------------------------------------------------------------------------

    async def start(self, host: str, port: int, *, udp: bool = True, tcp: bool = True) -> None:
        """Listen on ``host:port`` (port 0: any free one, see :attr:`addresses`)."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        receiver = self
        if tcp:
            server = await asyncio.start_server(self._tcp_client, host, port)
            self._servers.append(server)
            self.addresses["tcp"] = server.sockets[0].getsockname()[:2]
            if port == 0:
                port = self.addresses["tcp"][1]
        if udp:

            class Datagrams(asyncio.DatagramProtocol):
                def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
                    receiver.handle(data, str(addr[0]))

                def error_received(self, exc: Exception) -> None:
                    log.warning("syslog UDP socket: %s", exc)

            transport, _ = await loop.create_datagram_endpoint(Datagrams, local_addr=(host, port))
            self._transports.append(transport)
            self.addresses["udp"] = transport.get_extra_info("sockname")[:2]
        self._tasks.append(asyncio.create_task(self._housekeeping()))

    async def _housekeeping(self) -> None:
        last_purge = -PURGE_EVERY
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self._store_pending()
            if time.monotonic() - last_purge >= PURGE_EVERY:
                last_purge = time.monotonic()
                await asyncio.to_thread(self.purge_old)

    async def _tcp_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        sender = str(peer[0]) if peer else "?"
        buffer = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                buffer = self._frames(buffer, sender)
                if len(buffer) > MAX_MESSAGE + 16:
                    self.counters.bad("TCP frame too long")
                    break
            if buffer.strip():
                self.handle(buffer, sender)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    def _frames(self, buffer: bytes, sender: str) -> bytes:
        """Take every whole message off ``buffer`` (RFC 6587 octet counting ``LEN SP MSG``,
        else one message a line); returns what is left."""
        while buffer:
            head = buffer[:6]
            if head[:1].isdigit():
                length_text, space, rest = buffer.partition(b" ")
                if not space:
                    return buffer if len(buffer) < 6 else b""
                if not length_text.isdigit() or int(length_text) > MAX_MESSAGE:
                    self.counters.bad("bad RFC 6587 frame length")
                    return b""
                length = int(length_text)
                if len(rest) < length:
                    return buffer
                self.handle(rest[:length], sender)
                buffer = rest[length:]
                continue
            line, newline, rest = buffer.partition(b"\n")
            if not newline:
                return buffer
            if line.strip():
                self.handle(line, sender)
            buffer = rest
        return buffer

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for server in self._servers:
            server.close()
            await server.wait_closed()
        for transport in self._transports:
            transport.close()
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)
        await self._store_pending()
