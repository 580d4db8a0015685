"""Ask an SNMP v2c agent for sysName.0 and say whether it answered (a readiness check).

Enough BER to build one GetRequest; the answer is only checked to be an SNMP message with
the same request id, so a wrong community (which agents answer with silence) reads as
not ready.
"""

from __future__ import annotations

import os
import socket

SYS_NAME = "1.3.6.1.2.1.1.5.0"


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _length(len(body)) + body


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True))


def _oid(oid: str) -> bytes:
    parts = [int(p) for p in oid.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def get_request(community: str, request_id: int, oid: str = SYS_NAME) -> bytes:
    """A SNMPv2c GetRequest for ``oid``."""
    varbind = _tlv(0x30, _oid(oid) + b"\x05\x00")
    pdu = _tlv(0xA0, _int(request_id) + _int(0) + _int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)


def answers(host: str, port: int, community: str, timeout: float = 1.0) -> bool:
    """True when the agent at ``host:port`` answers a GetRequest with ``community``."""
    request_id = int.from_bytes(os.urandom(3), "big")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(get_request(community, request_id), (host, port))
            data, _ = sock.recvfrom(65535)
        except OSError:
            return False
    return data[:1] == b"\x30" and _int(request_id) in data
