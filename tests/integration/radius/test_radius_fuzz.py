"""Fuzz: malformed datagrams from a known NAS never crash the server or get an Accept.

100,000 datagrams in one run: scapy's RADIUS layer with lying lengths, malformed vendor
attributes, Message-Authenticator tricks, attribute overflows, bit-flipped copies of a valid
signed Access-Request, and random bytes; then a valid request must still be answered."""

from __future__ import annotations

import random
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from radius_peers import STRICT_SECRET, RadiusProcess, ServerFactory, pap, radclient
from scapy.layers.radius import Radius, RadiusAttr_Vendor_Specific, RadiusAttribute
from scapy.packet import fuzz

from netops.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

ACCESS_ACCEPT = 2
PACKETS = 100_000


def _header(code: int, ident: int, length: int) -> bytes:
    return struct.pack("!BBH", code, ident, length) + random.randbytes(16)


def scapy_fuzzed(rng: random.Random) -> bytes:
    """scapy's RADIUS layer with every field fuzzed (slow to build: used sparingly)."""
    while True:
        attrs = [fuzz(RadiusAttribute()) for _ in range(rng.randint(0, 2))]
        pkt = fuzz(Radius(code=rng.choice([1, 4, 12]), attributes=attrs))
        try:
            return bytes(pkt)
        except (ValueError, struct.error):
            continue  # scapy drew a value its own fields cannot hold: draw again


def scapy_radius(rng: random.Random) -> bytes:
    """scapy's RADIUS layer with random attributes whose length fields may lie."""
    if rng.random() < 0.03:
        return scapy_fuzzed(rng)
    attrs: list[Any] = []
    for _ in range(rng.randint(1, 6)):
        value = rng.randbytes(rng.randint(0, 40))
        length = rng.choice([None, None, 0, 1, 2, len(value) + 3, 255])
        attrs.append(RadiusAttribute(type=rng.randint(1, 255), len=length, value=value))
    if rng.random() < 0.5:
        attrs.append(
            RadiusAttr_Vendor_Specific(
                vendor_id=rng.choice([14988, 14122, 14559, 9]),
                vendor_type=rng.randint(0, 30),
                vendor_len=rng.choice([0, 1, 2, 3, 200]),
                value=rng.randbytes(rng.randint(0, 8)),
            )
        )
    pkt = Radius(
        code=rng.choice([1, 4, 12, 1, 1]),
        id=rng.randrange(256),
        authenticator=rng.randbytes(16),
        len=rng.choice([None, None, 0, 19, 21, 4096, 5000]),
        attributes=attrs,
    )
    return bytes(pkt)


def bad_length(rng: random.Random) -> bytes:
    body = rng.randbytes(rng.randint(0, 60))
    claimed = rng.choice([0, 1, 19, 20 + len(body) + rng.randint(1, 50), 4097, 65535])
    return _header(1, rng.randrange(256), claimed) + body


def truncated_attribute(rng: random.Random) -> bytes:
    user = b"\x01\x07alice"
    cut = bytes([rng.choice([1, 2, 26, 80, 3]), rng.randint(3, 255)]) + rng.randbytes(
        rng.randint(0, 2)
    )
    attrs = user + cut
    return _header(1, rng.randrange(256), 20 + len(attrs)) + attrs


def zero_length_vendor(rng: random.Random) -> bytes:
    vendor = rng.choice([14988, 14122, 14559])
    choice = rng.randrange(4)
    if choice == 0:
        vsa = b"\x1a\x02"  # Vendor-Specific with no content at all
    elif choice == 1:
        vsa = b"\x1a\x06" + struct.pack("!I", vendor)  # a vendor id and nothing else
    elif choice == 2:
        vsa = b"\x1a\x08" + struct.pack("!I", vendor) + bytes([rng.randint(1, 30), 0])
    else:
        vsa = b"\x1a\x09" + struct.pack("!I", vendor) + bytes([8, 9, 0x41])
    attrs = b"\x01\x07alice" + vsa
    return _header(rng.choice([1, 4]), rng.randrange(256), 20 + len(attrs)) + attrs


def huge(rng: random.Random) -> bytes:
    size = rng.choice([4097, 8192, 20000, 65000])
    attrs = b"".join(b"\x12\xff" + rng.randbytes(253) for _ in range(size // 255))
    return _header(1, rng.randrange(256), min(len(attrs) + 20, 65535)) + attrs


def bad_values(rng: random.Random) -> bytes:
    """Well-framed packets whose values do not decode: short addresses, odd passwords."""
    attrs = b"\x01\x07alice"
    attrs += rng.choice(
        [
            b"\x02\x05abc",  # User-Password not a multiple of 16
            b"\x03\x05abc",  # CHAP-Password not 17 octets
            b"\x08\x04ab",  # Framed-IP-Address of 2 octets
            b"\x1b\x03x",  # Session-Timeout of 1 octet
            b"\x50\x12" + rng.randbytes(16),  # a forged Message-Authenticator
            b"\x37\x05abc",  # Event-Timestamp of 3 octets
            b"\x28\x06\xff\xff\xff\xff",  # unknown Acct-Status-Type
        ]
    )
    return _header(rng.choice([1, 4, 12]), rng.randrange(256), 20 + len(attrs)) + attrs


def message_authenticator_tricks(rng: random.Random) -> bytes:
    """Message-Authenticator of the wrong size, twice, on accounting, or all zeros."""
    attrs = b"\x01\x07alice\x02\x12" + rng.randbytes(16)
    trick = rng.randrange(5)
    if trick == 0:
        attrs += b"\x50" + bytes([rng.choice([2, 3, 17, 19, 255])]) + rng.randbytes(16)
    elif trick == 1:
        attrs += (b"\x50\x12" + rng.randbytes(16)) * 2
    elif trick == 2:
        attrs += b"\x50\x12" + bytes(16)
    elif trick == 3:
        attrs = b"\x50\x12" + rng.randbytes(16) + attrs  # first, before User-Name
    else:
        attrs += b"\x50\x12" + rng.randbytes(16) + b"\x50\x02"
    return _header(rng.choice([1, 1, 4]), rng.randrange(256), 20 + len(attrs)) + attrs


SIGNED: list[bytes] = []


def flipped_valid(rng: random.Random) -> bytes:
    """A correctly signed Access-Request (right password, Message-Authenticator) with one to
    three bytes changed: the signature no longer matches, so it must never be accepted. Sent
    from the NAS that requires Message-Authenticator (127.0.0.3): a flip that turns the
    attribute into another one leaves a plain PAP request, which a lenient NAS may send."""
    if not SIGNED:
        from pyrad import packet as rp

        from netops.radius.dictionary import load_dictionary

        req = rp.AuthPacket(secret=STRICT_SECRET.encode(), dict=load_dictionary(), id=7)
        req.AddAttribute("User-Name", "alice")
        req.AddAttribute("User-Password", req.PwCrypt("s3cret"))
        req.AddAttribute("Calling-Station-Id", "02-00-00-00-00-01")
        req.add_message_authenticator()
        SIGNED.append(req.RequestPacket())
    data = bytearray(SIGNED[0])
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data))
        data[at] ^= rng.randint(1, 255)
    return bytes(data)


def random_bytes(rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice([0, 1, 5, 19, 20, 21, 64, 300, 1500, 4096]))


GENERATORS: list[Callable[[random.Random], bytes]] = [
    scapy_radius,
    bad_length,
    truncated_attribute,
    zero_length_vendor,
    huge,
    bad_values,
    message_authenticator_tricks,
    flipped_valid,
    random_bytes,
]


@pytest.fixture
def server(
    inventory_dir: Path,
    sqlite_url: str,
    open_store: Callable[[str], Store],
    server_factory: ServerFactory,
) -> Iterator[RadiusProcess]:
    open_store(sqlite_url).add_user("alice", "s3cret", "gratis")
    yield server_factory(inventory_dir, sqlite_url, "--reject-delay", "0")


def test_malformed_packets_never_crash_or_accept_and_a_valid_request_still_works(
    server: RadiusProcess,
) -> None:
    rng = random.Random(4)
    random.seed(4)
    replies: list[bytes] = []
    sent = 0
    began = time.monotonic()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as lenient,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as strict,
    ):
        strict.bind(("127.0.0.3", 0))
        for sock in (lenient, strict):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            sock.setblocking(False)
        for i in range(PACKETS):
            generator = GENERATORS[i % len(GENERATORS)]
            data = generator(rng)
            sock = strict if generator is flipped_valid else lenient
            port = server.auth_port if i % 3 or generator is flipped_valid else server.acct_port
            try:
                sock.sendto(data[:65507], ("127.0.0.1", port))
                sent += 1
            except BlockingIOError:
                time.sleep(0.01)
            if i % 200 == 0:
                time.sleep(0.02)  # let the server keep up: the point is parsing, not overload
                replies.extend(_drain(lenient) + _drain(strict))
        time.sleep(1.0)
        replies.extend(_drain(lenient) + _drain(strict))
    took = time.monotonic() - began
    assert sent >= 95_000
    assert server.alive(), server.stderr()
    assert not [r for r in replies if r and r[0] == ACCESS_ACCEPT]
    assert "Traceback" not in server.stderr()
    dropped = server.counter("netops_radius_dropped_total")
    print(f"\nfuzz: {sent} datagrams sent in {took:.1f} s, {dropped:.0f} dropped by the server")
    assert dropped >= 50_000, f"only {dropped} of {sent} fuzzed packets were seen and dropped"
    answered = time.monotonic()
    ok = radclient(server.auth_port, "auth", pap("alice", "s3cret"))
    assert ok.code == "Access-Accept", ok.output
    print(f"a valid request answered {time.monotonic() - answered:.2f} s after the flood")


def _drain(sock: socket.socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(sock.recv(65535))
        except BlockingIOError:
            return got
