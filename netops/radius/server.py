"""The RADIUS server: asyncio UDP on the auth and accounting ports.

The event loop reads each socket in batches (until it is empty) and does the cheap part per
datagram: look the source address up in the NAS table (unknown → dropped and counted) and the
reply cache (a retransmission is answered with the cached reply, or dropped while the first
copy is in work). Everything else — decoding, checks, the store, encoding the reply — is one
function per packet (:meth:`RadiusServer.process_auth`, :meth:`RadiusServer.process_acct`),
run in a store thread so that a slow database never stalls the loop (handed over and back
in batches: :mod:`netops.radius.storethreads`), or in the loop itself with ``threads=0``
(SQLite, where a read takes microseconds). Rejects are sent after
``reject_delay`` by a timer, without holding a thread.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import struct
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pyrad import packet as rp

from netops import defaults
from netops.errors import RadiusError
from netops.inventory.models import Inventory
from netops.listen import bind_socket
from netops.radius import coa
from netops.radius.backend import RadiusStore
from netops.radius.dictionary import load_dictionary
from netops.radius.handler import AuthInput, Handler, Nas, nas_table
from netops.radius.logsafe import DropLog, printable, subject
from netops.radius.metrics import Metrics
from netops.radius.protocol import (
    ACCESS_ACCEPT,
    ACCESS_REJECT,
    ACCOUNTING_RESPONSE,
    CALLING_STATION_ID,
    EAP_MESSAGE,
    MESSAGE_AUTHENTICATOR,
    PROXY_STATE,
    STATUS_SERVER,
    USER_NAME,
    Dropped,
    Malformed,
    Reply,
    chap_of,
    decode,
    encode_reply,
    event_time,
    has,
    integer,
    normalise_mac,
    octets_with_gigawords,
    pap_password,
    raw_text,
    text,
    value,
    verify_message_authenticator,
    verify_request_authenticator,
)
from netops.radius.storethreads import Done, StoreThreads

log = logging.getLogger("netops.radius")

Kind = Literal["access", "accounting"]

ACCT_STATUS = {
    "Start": "start",
    "Stop": "stop",
    "Interim-Update": "interim",
    "Accounting-On": "on",
    "Accounting-Off": "off",
    1: "start",
    2: "stop",
    3: "interim",
    7: "on",
    8: "off",
}


@dataclass
class ServerConfig:
    """Listening addresses and behaviour knobs of one server process."""

    bind: str = defaults.RADIUS_BIND
    auth_port: int = defaults.RADIUS_AUTH_PORT
    acct_port: int = defaults.RADIUS_ACCT_PORT
    reject_delay: float = 1.0
    threads: int = 8
    auth_cache_ttl: float = 5.0
    acct_cache_ttl: float = 30.0
    sweep_interval: float = 60.0
    sweeper: bool = True
    reuse_port: bool = False
    # With N > 1 workers sharing the ports: spread datagrams over them by RADIUS Identifier.
    spread: int = 0
    coa_timeout: float = 2.0
    coa_retries: int = 2
    # At most one log line per source address and drop reason this often (seconds).
    drop_log_interval: float = 60.0
    # Another main RADIUS dictionary file (the CLI passes $NETOPS_RADIUS_DICTIONARY).
    dictionary: Path | None = None


@dataclass
class Outcome:
    """What processing a request produced: bytes to send (None: send nothing)."""

    reply: bytes | None
    delay: float = 0.0
    result: str = "dropped"
    nas: str = ""
    disconnect: dict[str, Any] | None = None


@dataclass
class _CacheEntry:
    reply: bytes | None = None
    ready_at: float = 0.0
    expires: float = 0.0
    kind: Kind = "access"


BATCH = 64  # datagrams read per wake-up of the event loop before it looks at other work


class _Listener:
    """One UDP socket of the server, read straight from the event loop.

    asyncio's datagram transport reads one datagram per turn of the loop (a poll, a
    callback and a future each); a NAS sends in bursts, so this reads until the socket is
    empty (at most :data:`BATCH` at a time) and answers each in turn. A reply that the
    kernel cannot take right now waits in a queue sent when the socket is writable again.
    """

    def __init__(self, server: RadiusServer, kind: Kind, sock: socket.socket) -> None:
        self.server = server
        self.kind: Kind = kind
        self.sock = sock
        self.open = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: deque[tuple[bytes, Any]] = deque()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.open = True
        loop.add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        recvfrom = self.sock.recvfrom
        received = self.server.received
        try:
            for _ in range(BATCH):
                try:
                    data, addr = recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    return
                except OSError as exc:  # e.g. an ICMP error for an earlier reply
                    log.debug("socket error on %s port: %s", self.kind, exc)
                    continue
                try:
                    received(self, data, addr)
                except Exception:  # a bug: never let one datagram stop the listener
                    log.exception("handling a %s datagram from %s failed", self.kind, addr[0])
        finally:
            self.server.flush()

    def sendto(self, data: bytes, addr: Any) -> None:
        """Send now, or queue behind earlier replies the kernel has not taken yet."""
        if not self.open:
            return
        if not self._queue:
            try:
                self.sock.sendto(data, addr)
                return
            except (BlockingIOError, InterruptedError):
                assert self._loop is not None
                self._loop.add_writer(self.sock.fileno(), self._writable)
            except OSError as exc:
                log.debug("cannot send to %s on %s port: %s", addr[0], self.kind, exc)
                return
        self._queue.append((data, addr))

    def _writable(self) -> None:
        while self._queue:
            data, addr = self._queue[0]
            try:
                self.sock.sendto(data, addr)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("cannot send to %s on %s port: %s", addr[0], self.kind, exc)
            self._queue.popleft()
        assert self._loop is not None
        self._loop.remove_writer(self.sock.fileno())

    def close(self) -> None:
        if not self.open:
            return
        self.open = False
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._loop.remove_writer(self.sock.fileno())
        self._queue.clear()
        self.sock.close()


SO_ATTACH_REUSEPORT_CBPF = 51  # linux/socket.h
_BPF_LD_B_ABS = 0x30  # BPF_LD | BPF_B | BPF_ABS
_BPF_ALU_MOD_K = 0x94  # BPF_ALU | BPF_MOD | BPF_K
_BPF_RET_A = 0x16  # BPF_RET | BPF_A


def spread_program(workers: int) -> bytes:
    """A classic BPF program for a SO_REUSEPORT group: pick socket ``Identifier % workers``.

    The kernel runs it on the UDP payload, so octet 1 is the RADIUS Identifier. SO_REUSEPORT
    alone hashes the source address and port, which sends everything one NAS (one socket)
    sends to one worker; by Identifier, a single busy NAS uses every worker, and a
    retransmission (same Identifier) still reaches the worker holding its reply cache. An
    index past the group's size (a worker being restarted) falls back to the kernel's hash.
    """
    if not 1 <= workers <= 255:
        raise ValueError(f"cannot spread over {workers} workers")
    insns = ((_BPF_LD_B_ABS, 1), (_BPF_ALU_MOD_K, workers), (_BPF_RET_A, 0))
    return b"".join(struct.pack("=HBBI", code, 0, 0, k) for code, k in insns)


def attach_spread(sock: socket.socket, workers: int) -> bool:
    """Attach :func:`spread_program` to ``sock``'s SO_REUSEPORT group (False if the kernel
    refuses: the kernel's hash is used then)."""
    program = ctypes.create_string_buffer(spread_program(workers))
    fprog = struct.pack("=H6xQ", len(program.raw) // 8, ctypes.addressof(program))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)
    except OSError as exc:
        log.warning("cannot spread requests over workers by Identifier: %s", exc.strerror)
        return False
    return True


def _socket(bind: str, port: int, reuse_port: bool, spread: int = 0) -> socket.socket:
    sock = bind_socket(
        bind,
        port,
        udp=True,
        reuse_port=reuse_port,
        receive_buffer=4 * 1024 * 1024,
        error=RadiusError,
    )
    if reuse_port and spread > 1:
        attach_spread(sock, spread)
    sock.setblocking(False)
    return sock


class RadiusServer:
    """One server process: the two listeners, the NAS table, the reply cache, the sweeper."""

    def __init__(
        self,
        inventory: Inventory,
        store: RadiusStore,
        config: ServerConfig | None = None,
        metrics: Metrics | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inventory = inventory
        self.store = store
        self.config = config or ServerConfig()
        self.metrics = metrics or Metrics(registry=None)
        self.drops = DropLog(self.config.drop_log_interval)
        self.clock = clock
        self.dictionary = load_dictionary(self.config.dictionary)
        self.nas = nas_table(inventory)
        self.handler = Handler(inventory, store)
        self.store_threads: StoreThreads | None = None
        # One cache per kind: entries of a kind share a TTL, so each is in expiry order.
        self._caches: dict[Kind, OrderedDict[tuple[Any, ...], _CacheEntry]] = {
            "access": OrderedDict(),
            "accounting": OrderedDict(),
        }
        self._listeners: list[_Listener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.auth_port = 0
        self.acct_port = 0
        self._store_down = False
        self._disconnecting: dict[tuple[str, str], float] = {}
        # Answers of the batch in work, sent by :meth:`flush` once their counts are written.
        self._outbox: list[tuple[_Listener, bytes, Any]] = []

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind both ports (0 → a port from the kernel) and start the sweeper."""
        self._loop = asyncio.get_running_loop()
        cfg = self.config
        ports: tuple[tuple[Kind, int], ...] = (
            ("access", cfg.auth_port),
            ("accounting", cfg.acct_port),
        )
        for kind, port in ports:
            sock = _socket(cfg.bind, port, cfg.reuse_port, cfg.spread)
            listener = _Listener(self, kind, sock)
            listener.start(self._loop)
            self._listeners.append(listener)
            bound = sock.getsockname()[1]
            if kind == "access":
                self.auth_port = bound
            else:
                self.acct_port = bound
        if cfg.threads > 0:
            self.store_threads = StoreThreads(
                cfg.threads, self._loop, self._delivered, self.store.warm
            )
            await self.store_threads.start()
        if cfg.sweeper and cfg.sweep_interval > 0:
            self._spawn(self._sweep_forever())
        self._spawn(self._expire_cache_forever())

    def close(self) -> None:
        for listener in self._listeners:
            listener.close()
        for task in list(self._tasks):
            task.cancel()
        if self.store_threads is not None:
            self.store_threads.close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- the loop's part -------------------------------------------------------------------

    def received(self, listener: _Listener, data: bytes, addr: Any) -> None:
        """First look at a datagram: NAS table, reply cache, then off to a thread."""
        nas = self.nas.get(addr[0])
        if nas is None:
            self.metrics.dropped.labels("unknown_nas").inc()
            self.drops.dropped(listener.kind, addr[0], "unknown_nas")
            return
        if len(data) < 20:
            self.metrics.dropped.labels("malformed").inc()
            self.drops.dropped(
                listener.kind, addr[0], "malformed", "shorter than a RADIUS header", nas.name
            )
            return
        key = (addr, data[1], data[4:20])
        now = time.monotonic()
        cache = self._caches[listener.kind]
        entry = cache.get(key)
        if entry is not None and entry.expires > now:
            if entry.reply is not None and entry.ready_at <= now:
                # counted before the answer leaves, so whoever got it also sees the count
                self.metrics.retransmissions.labels(listener.kind).inc()
                listener.sendto(entry.reply, addr)
            else:
                self.metrics.dropped.labels("duplicate").inc()
            return
        ttl = (
            self.config.acct_cache_ttl
            if listener.kind == "accounting"
            else (self.config.auth_cache_ttl)
        )
        entry = _CacheEntry(expires=now + ttl, kind=listener.kind)
        cache.pop(key, None)
        cache[key] = entry
        work = self.process_acct if listener.kind == "accounting" else self.process_auth
        if self.store_threads is not None:
            self.store_threads.submit((listener, addr, key, entry, now), work, nas, data)
            return
        try:
            outcome, error = work(nas, data), None
        except Exception as exc:
            outcome, error = None, exc
        self._finish(listener, addr, key, entry, outcome, error, now)

    def _delivered(self, finished: list[Done]) -> None:
        """Outcomes from the store threads, in the loop: answer each."""
        try:
            for (listener, addr, key, entry, started), outcome, error in finished:
                self._finish(listener, addr, key, entry, outcome, error, started)
        finally:
            self.flush()

    def flush(self) -> None:
        """Write the batch's counts, then send its answers: whoever got an answer also sees
        it counted, and the metrics are written once a batch, not three times a packet."""
        self.metrics.flush()
        outbox, self._outbox = self._outbox, []
        for listener, data, addr in outbox:
            listener.sendto(data, addr)

    def _finish(
        self,
        listener: _Listener,
        addr: Any,
        key: tuple[Any, ...],
        entry: _CacheEntry,
        outcome: Outcome | None,
        error: BaseException | None,
        started: float,
    ) -> None:
        if outcome is None:  # a bug: never let it take the server down
            log.error(
                "processing a %s request from %s failed", listener.kind, addr[0], exc_info=error
            )
            self._caches[listener.kind].pop(key, None)
            return
        if outcome.reply is None:
            if outcome.result == "error":
                self.metrics.requests.labels(listener.kind, "error", outcome.nas).inc()
            # Nothing to say (dropped, or the store is down): forget the request so that
            # the NAS's retransmission is processed afresh.
            self._caches[listener.kind].pop(key, None)
            return
        self.metrics.answered(
            listener.kind, outcome.result, outcome.nas, time.monotonic() - started
        )
        entry.reply = outcome.reply
        entry.ready_at = time.monotonic() + outcome.delay
        if outcome.delay > 0 and self._loop is not None:
            self._loop.call_later(outcome.delay, listener.sendto, outcome.reply, addr)
        else:
            self._outbox.append((listener, outcome.reply, addr))
        if outcome.disconnect is not None:
            job = outcome.disconnect
            key = (addr[0], job["acct_session_id"])
            now = time.monotonic()
            if self._disconnecting.get(key, 0.0) < now:
                # One Disconnect-Request per session a minute, however many interims follow.
                self._disconnecting[key] = now + 60.0
                self._spawn(self._disconnect(self.nas[addr[0]], job))

    # -- per packet, in a thread -----------------------------------------------------------

    def _checked(self, nas: Nas, data: bytes, *, accounting: bool) -> rp.Packet:
        """Decode and authenticate a request, or raise :class:`Dropped`."""
        try:
            pkt = decode(data, nas.secret, self.dictionary, accounting=accounting)
        except Malformed as exc:
            raise Dropped("malformed", str(exc)) from None
        has_ma = has(pkt, MESSAGE_AUTHENTICATOR)
        if accounting and pkt.code != STATUS_SERVER and not verify_request_authenticator(pkt):
            raise Dropped("bad_authenticator")
        if has_ma and not verify_message_authenticator(pkt):
            raise Dropped("bad_message_authenticator")
        if pkt.code == STATUS_SERVER and not has_ma:
            raise Dropped("missing_message_authenticator")
        if not accounting and pkt.code != STATUS_SERVER:
            reason = self.handler.harden(
                nas,
                has_ma=has_ma,
                has_proxy_state=has(pkt, PROXY_STATE),
                has_eap=has(pkt, EAP_MESSAGE),
            )
            if reason is not None:
                raise Dropped(reason)
        return pkt

    def process_auth(self, nas: Nas, data: bytes) -> Outcome:
        """An Access-Request (or Status-Server) → the Access-Accept / -Reject to send."""
        try:
            pkt = self._checked(nas, data, accounting=False)
            if pkt.code == STATUS_SERVER:
                return Outcome(
                    encode_reply(pkt, Reply(ACCESS_ACCEPT)), result="accept", nas=nas.name
                )
            username = raw_text(pkt, USER_NAME)
            if not username:
                raise Dropped("malformed", "Access-Request without User-Name")
            request = AuthInput(
                username=username,
                password=pap_password(pkt),
                chap=chap_of(pkt),
                mac=normalise_mac(raw_text(pkt, CALLING_STATION_ID)),
                eap=has(pkt, EAP_MESSAGE),
            )
        except (Dropped, Malformed) as exc:
            self._dropped("access", nas, exc)
            return Outcome(None)
        try:
            result = self.handler.authenticate(nas, request, self.clock())
        except Exception as exc:
            self._store_failed("Access-Request", exc)
            return Outcome(None, result="error", nas=nas.name)
        self._store_ok()
        decision = result.decision
        if decision.accept:
            reply = Reply(ACCESS_ACCEPT, decision.attributes)
            if log.isEnabledFor(logging.DEBUG):  # subject() costs more than the rest here
                log.debug("accept %s from %s", subject(result.username), nas.name)
            return Outcome(encode_reply(pkt, reply), result="accept", nas=nas.name)
        message = result.reply_message
        reply = Reply(ACCESS_REJECT, [("Reply-Message", message)] if message else [])
        log.info("reject %s from %s: %s", subject(username), nas.name, decision.reason)
        return Outcome(
            encode_reply(pkt, reply),
            delay=self.config.reject_delay,
            result="reject",
            nas=nas.name,
        )

    def process_acct(self, nas: Nas, data: bytes) -> Outcome:
        """An Accounting-Request → the Accounting-Response, only once the store committed."""
        from netops.store import AccountingRecord

        try:
            pkt = self._checked(nas, data, accounting=True)
            if pkt.code == STATUS_SERVER:
                reply = encode_reply(pkt, Reply(ACCOUNTING_RESPONSE))
                return Outcome(reply, result="ack", nas=nas.name)
            status_raw = value(pkt, "Acct-Status-Type")
            status = ACCT_STATUS.get(status_raw) if status_raw is not None else None
            now = self.clock()
            at = event_time(pkt, now)
            if status in ("on", "off"):
                record = None
            else:
                username = text(pkt, "User-Name")
                session_id = text(pkt, "Acct-Session-Id")
                if status is None or not username or not session_id:
                    raise Dropped("malformed", "accounting without status, user or session")
                cause = value(pkt, "Acct-Terminate-Cause")
                framed = value(pkt, "Framed-IP-Address")
                record = AccountingRecord(
                    status=status,  # type: ignore[arg-type]
                    nas_ip=nas.address,
                    nas_identifier=text(pkt, "NAS-Identifier"),
                    username=username,
                    acct_session_id=session_id,
                    hotspot=nas.hotspot_for(
                        text(pkt, "Called-Station-Id"), text(pkt, "NAS-Identifier")
                    ),
                    mac=normalise_mac(text(pkt, "Calling-Station-Id")),
                    ip=str(framed) if framed is not None else None,
                    session_time=integer(pkt, "Acct-Session-Time"),
                    input_octets=octets_with_gigawords(
                        pkt, "Acct-Input-Octets", "Acct-Input-Gigawords"
                    ),
                    output_octets=octets_with_gigawords(
                        pkt, "Acct-Output-Octets", "Acct-Output-Gigawords"
                    ),
                    input_packets=integer(pkt, "Acct-Input-Packets"),
                    output_packets=integer(pkt, "Acct-Output-Packets"),
                    terminate_cause=str(cause) if cause is not None else None,
                    interim_interval=self._interim_interval(pkt),
                    event_time=at,
                )
        except (Dropped, Malformed) as exc:
            self._dropped("accounting", nas, exc)
            return Outcome(None)
        disconnect = None
        try:
            if record is None:
                cause = "NAS-Reboot" if status == "on" else "NAS-Request"
                closed = self.store.close_nas_sessions(nas.address, at, cause)
                log.info("%s from %s closed %d sessions", status, nas.name, closed)
            elif record.status != "interim":
                session = self.store.account(record)
                if record.status == "stop":
                    # The stored name: a voucher's code typed at the gateway is its v- name.
                    self.handler.forget_admission(session.username, record.mac)
            else:
                exhausted = self.handler.interim(record, now)
                if exhausted is not None:
                    disconnect = {
                        "username": record.username,
                        "acct_session_id": record.acct_session_id,
                        "mac": record.mac,
                        "ip": record.ip,
                        "reason": exhausted,
                    }
        except Exception as exc:
            self._store_failed("Accounting-Request", exc)
            return Outcome(None, result="error", nas=nas.name)
        self._store_ok()
        reply = encode_reply(pkt, Reply(ACCOUNTING_RESPONSE))
        return Outcome(reply, result="ack", nas=nas.name, disconnect=disconnect)

    def _dropped(self, kind: Kind, nas: Nas, exc: Dropped | Malformed) -> None:
        """Count a dropped request and say why in the log (rate-limited)."""
        reason = exc.reason if isinstance(exc, Dropped) else "malformed"
        detail = str(exc) if str(exc) != reason else ""
        self.metrics.dropped.labels(reason).inc()
        self.drops.dropped(kind, nas.address, reason, detail, nas.name)

    def _interim_interval(self, pkt: rp.Packet) -> int:
        interval = integer(pkt, "Acct-Interim-Interval")
        if interval > 0:
            return interval
        plans = self.inventory.plans
        return max((p.interim_interval for p in plans), default=300)

    def _store_failed(self, what: str, exc: Exception) -> None:
        if not self._store_down:
            log.error("store unavailable, not answering %s: %s", what, printable(exc, 300))
        self._store_down = True

    def _store_ok(self) -> None:
        if self._store_down:
            log.warning("store available again")
        self._store_down = False

    # -- background ------------------------------------------------------------------------

    async def _disconnect(self, nas: Nas, job: dict[str, Any]) -> None:
        try:
            result = await coa.send(
                nas=nas.name,
                address=nas.address,
                port=nas.profile.coa_port,
                secret=nas.secret,
                attributes=coa.session_attributes(
                    job["username"], job["acct_session_id"], job["mac"], job["ip"]
                ),
                timeout=self.config.coa_timeout,
                retries=self.config.coa_retries,
                dictionary=self.config.dictionary,
            )
            outcome: str = result.result
        except Exception as exc:
            log.warning(
                "disconnect of %s at %s failed: %s",
                subject(job["username"]),
                nas.name,
                printable(exc, 200),
            )
            outcome = "error"
        self.metrics.coa.labels("disconnect", outcome).inc()
        log.info(
            "quota (%s) used up: disconnect %s session %s at %s: %s",
            job["reason"],
            subject(job["username"]),
            printable(job["acct_session_id"]),
            nas.name,
            outcome,
        )

    async def _sweep_forever(self) -> None:
        assert self._loop is not None
        while True:
            await asyncio.sleep(self.config.sweep_interval)
            try:
                if self.store_threads is not None:
                    closed = await self.store_threads.run(self.store.close_stale, self.clock())
                else:
                    closed = await self._loop.run_in_executor(
                        None, self.store.close_stale, self.clock()
                    )
            except Exception as exc:
                log.warning("stale-session sweep failed: %s", exc)
                continue
            if closed:
                self.metrics.stale.inc(len(closed))
                log.info("closed %d stale sessions", len(closed))

    async def _expire_cache_forever(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.drops.flush()
            now = time.monotonic()
            for session, until in list(self._disconnecting.items()):
                if until < now:
                    del self._disconnecting[session]
            for cache in self._caches.values():
                while cache:
                    key, entry = next(iter(cache.items()))
                    if entry.expires > now:
                        break
                    del cache[key]
