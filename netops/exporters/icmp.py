"""ICMP echo probes: reachability, round-trip time and loss, blackbox_exporter style.

Packets are built and parsed with scapy (imported on first use: it costs seconds); they
travel over one raw ICMP socket that the event loop watches, so any number of probes run
at once without threads and the kernel does the routing (network namespaces and routes
added after start-up just work). Replies are matched to their probe by ICMP identifier,
sequence number and source address.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import socket
import time
from dataclasses import dataclass, field

from netops.errors import NetopsError

_PAYLOAD = b"netops-probe-" + bytes(range(19))


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe: replies out of ``sent``, their RTTs, and the time it took."""

    target: str
    sent: int
    rtts: tuple[float, ...]
    duration: float

    @property
    def success(self) -> bool:
        return bool(self.rtts)

    @property
    def loss_ratio(self) -> float:
        return 1.0 - len(self.rtts) / self.sent if self.sent else 1.0

    @property
    def rtt(self) -> float | None:
        return sum(self.rtts) / len(self.rtts) if self.rtts else None


@dataclass
class _Probe:
    address: str
    ident: int
    sent_at: dict[int, float] = field(default_factory=dict)
    rtts: dict[int, float] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    expected: int = 0


class IcmpProber:
    """Sends ICMP echo requests and matches replies; one raw socket for every probe."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._probes: dict[int, _Probe] = {}
        self._next_ident = (os.getpid() * 7919) & 0xFFFF
        self.malformed = 0

    def _socket(self) -> socket.socket:
        if self._sock is None:
            try:
                sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            except PermissionError:
                raise NetopsError(
                    "ICMP probes need a raw socket: run as root or grant CAP_NET_RAW"
                ) from None
            sock.setblocking(False)
            asyncio.get_running_loop().add_reader(sock.fileno(), self._readable)
            self._sock = sock
        return self._sock

    def _ident(self) -> int:
        for _ in range(0x10000):
            self._next_ident = (self._next_ident + 1) & 0xFFFF
            if self._next_ident not in self._probes:
                return self._next_ident
        raise NetopsError("too many ICMP probes in flight")

    def _readable(self) -> None:
        assert self._sock is not None
        while True:
            try:
                data, _addr = self._sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            received = time.perf_counter()
            from scapy.layers.inet import ICMP, IP

            try:
                packet = IP(data)
                icmp = packet[ICMP]
            except (IndexError, ValueError, TypeError):
                self.malformed += 1
                continue
            if icmp.type != 0:
                continue
            probe = self._probes.get(int(icmp.id))
            if probe is None or packet.src != probe.address:
                continue
            seq = int(icmp.seq)
            if seq in probe.sent_at and seq not in probe.rtts:
                probe.rtts[seq] = received - probe.sent_at[seq]
                if len(probe.rtts) >= probe.expected:
                    probe.done.set()

    async def probe(
        self, target: str, count: int = 3, timeout: float = 1.0, interval: float = 0.02
    ) -> ProbeResult:
        """Send ``count`` echo requests to ``target`` and wait up to ``timeout`` after the last."""
        started = time.perf_counter()
        address = await _resolve(target)
        sock = self._socket()
        probe = _Probe(address, self._ident(), expected=count)
        self._probes[probe.ident] = probe
        loop = asyncio.get_running_loop()
        from scapy.layers.inet import ICMP

        try:
            for seq in range(count):
                packet = bytes(ICMP(type=8, id=probe.ident, seq=seq) / _PAYLOAD)
                probe.sent_at[seq] = time.perf_counter()
                try:
                    await loop.sock_sendto(sock, packet, (address, 0))
                except OSError:
                    probe.sent_at.pop(seq, None)  # unreachable network: counts as lost
                if interval and seq < count - 1:
                    await asyncio.sleep(interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(probe.done.wait(), timeout)
        finally:
            self._probes.pop(probe.ident, None)
        rtts = tuple(probe.rtts[s] for s in sorted(probe.rtts))
        return ProbeResult(target, count, rtts, time.perf_counter() - started)

    def close(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None


async def _resolve(target: str) -> str:
    try:
        address = ipaddress.ip_address(target)
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(target, None, family=socket.AF_INET)
        except OSError:
            raise NetopsError(f"probe target {target!r} does not resolve") from None
        return str(infos[0][4][0])
    if address.version != 4:
        raise NetopsError(f"probe target {target}: ICMP probes support IPv4 addresses only")
    return str(address)
