"""A small, strict BER codec for SNMPv2c messages (RFC 3416 PDUs). Pure: bytes in, values out.

pysnmp decodes through pyasn1, which builds an object per tag and costs about 250 µs per
var-bind on these machines: 2 s for one 201-interface if_mib scrape. SNMPv2c needs only a
handful of types, so the exporter's v2c fast path encodes requests and decodes responses
here, straight to ints, bytes and OID tuples. SNMPv3 (USM authentication and privacy) stays
with pysnmp.
"""

from __future__ import annotations

from dataclasses import dataclass

from netops.exporters.convert import Value

GET, GETNEXT, RESPONSE, GETBULK, REPORT = 0xA0, 0xA1, 0xA2, 0xA5, 0xA8


class BerError(ValueError):
    """A message is not valid BER / SNMP; the text says what is wrong and where."""


class _Exception:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_SUCH_OBJECT = _Exception("noSuchObject")
NO_SUCH_INSTANCE = _Exception("noSuchInstance")
END_OF_MIB_VIEW = _Exception("endOfMibView")
_EXCEPTIONS = {0x80: NO_SUCH_OBJECT, 0x81: NO_SUCH_INSTANCE, 0x82: END_OF_MIB_VIEW}

Decoded = Value | _Exception
VarBind = tuple[tuple[int, ...], Decoded]

ERROR_STATUS = (
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
)


@dataclass(frozen=True, slots=True)
class Pdu:
    """A decoded SNMPv2c message: its PDU type, request id, error status/index, var-binds."""

    community: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]

    @property
    def error_name(self) -> str:
        status = self.error_status
        return ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"error {status}"


# --- encoding ---------------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def integer(value: int) -> bytes:
    size = max(1, (value + (value < 0)).bit_length() // 8 + 1)
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def encode_oid(oid: tuple[int, ...]) -> bytes:
    """The BER body+header of an OBJECT IDENTIFIER."""
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise BerError(f"cannot encode OID {oid!r}")
    head = oid[0] * 40 + oid[1]
    if head < 0x80 and (len(oid) == 2 or max(oid[2:]) < 0x80):
        return tlv(0x06, bytes((head, *oid[2:])))
    out = bytearray()
    for sub in (oid[0] * 40 + oid[1], *oid[2:]):
        if sub < 0x80:
            out.append(sub)
            continue
        chunk = []
        while sub:
            chunk.append(sub & 0x7F)
            sub >>= 7
        chunk.reverse()
        out.extend(b | 0x80 for b in chunk[:-1])
        out.append(chunk[-1])
    return tlv(0x06, bytes(out))


def _varbind(oid: tuple[int, ...]) -> bytes:
    """``SEQUENCE { oid, NULL }`` for a request."""
    try:
        body = bytes((oid[0] * 40 + oid[1], *oid[2:]))
    except (ValueError, IndexError):
        body = b""
    if body.isascii() and body and len(body) < 120 and oid[0] < 3 and oid[1] < 40:
        return b"\x30" + bytes((len(body) + 4, 0x06, len(body))) + body + b"\x05\x00"
    return tlv(0x30, encode_oid(oid) + b"\x05\x00")


def encode_request(
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: list[tuple[int, ...]],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """An SNMPv2c GetRequest / GetNextRequest / GetBulkRequest message."""
    pdu = encode_pdu(pdu_type, request_id, oids, non_repeaters, max_repetitions)
    return tlv(0x30, integer(1) + tlv(0x04, community) + pdu)


def encode_pdu(
    pdu_type: int,
    request_id: int,
    oids: list[tuple[int, ...]],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A request PDU (its TLV), for a v2c message or a v3 scoped PDU."""
    varbinds = b"".join([_varbind(oid) for oid in oids])
    second, third = (non_repeaters, max_repetitions) if pdu_type == GETBULK else (0, 0)
    return tlv(
        pdu_type,
        integer(request_id) + integer(second) + integer(third) + tlv(0x30, varbinds),
    )


# --- decoding ---------------------------------------------------------------------------------


def header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, body start, body end) of the TLV at ``pos``."""
    if pos + 2 > end:
        raise BerError(f"truncated TLV at byte {pos}")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > end:
            raise BerError(f"bad length at byte {pos - 1}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > end:
        raise BerError(f"value at byte {pos} runs past the end of its container")
    return tag, pos, pos + length


def decode_oid(body: bytes) -> tuple[int, ...]:
    """An OBJECT IDENTIFIER's value bytes → tuple of sub-identifiers."""
    if not body:
        raise BerError("empty OID")
    first = body[0]
    if body.isascii():  # every sub-identifier below 128: one byte each
        if first < 80:
            return (first // 40, first % 40, *body[1:])
        return (2, first - 80, *body[1:])
    subs: list[int] = []
    acc = 0
    for byte in body:
        acc = (acc << 7) | (byte & 0x7F)
        if not byte & 0x80:
            subs.append(acc)
            acc = 0
    if body[-1] & 0x80:
        raise BerError("OID ends inside a sub-identifier")
    head = subs[0]
    if head < 80:
        return (head // 40, head % 40, *subs[1:])
    return (2, head - 80, *subs[1:])


_UNSIGNED = frozenset((0x41, 0x42, 0x43, 0x46))


def _value(data: bytes, tag: int, start: int, end: int) -> Decoded:
    if tag in (0x41, 0x42, 0x43, 0x46):  # Counter32, Gauge32, TimeTicks, Counter64
        return int.from_bytes(data[start:end], "big")
    if tag == 0x02:
        return int.from_bytes(data[start:end], "big", signed=True)
    if tag in (0x04, 0x40, 0x44):  # OCTET STRING, IpAddress, Opaque
        return data[start:end]
    if tag == 0x06:
        return decode_oid(data[start:end])
    if tag in _EXCEPTIONS:
        return _EXCEPTIONS[tag]
    if tag == 0x05:
        return NO_SUCH_OBJECT
    raise BerError(f"unknown value type 0x{tag:02x} at byte {start}")


def decode_message(data: bytes) -> Pdu:
    """Decode an SNMPv2c message. Raises :class:`BerError` for anything malformed."""
    end = len(data)
    tag, pos, msg_end = header(data, 0, end)
    if tag != 0x30:
        raise BerError("message is not a SEQUENCE")
    tag, start, stop = header(data, pos, msg_end)
    if tag != 0x02:
        raise BerError("message has no version")
    version = int.from_bytes(data[start:stop], "big", signed=True)
    if version != 1:
        raise BerError(f"not an SNMPv2c message (version field {version})")
    tag, start, pos = header(data, stop, msg_end)
    if tag != 0x04:
        raise BerError("message has no community")
    return decode_pdu(data, pos, msg_end, data[start:pos])


def message_key(data: bytes) -> tuple[int, int]:
    """(version, id) of a message without decoding it all: the request id of a v1/v2c
    message, the msgID of a v3 one. Raises :class:`BerError` if the header is malformed."""
    end = len(data)
    tag, pos, msg_end = header(data, 0, end)
    if tag != 0x30:
        raise BerError("message is not a SEQUENCE")
    tag, start, pos = header(data, pos, msg_end)
    if tag != 0x02:
        raise BerError("message has no version")
    version = int.from_bytes(data[start:pos], "big", signed=True)
    if version == 3:
        tag, pos, _ = header(data, pos, msg_end)
        if tag != 0x30:
            raise BerError("v3 message has no header data")
    else:
        tag, _, pos = header(data, pos, msg_end)
        if tag != 0x04:
            raise BerError("message has no community")
        _, pos, _ = header(data, pos, msg_end)
    tag, start, stop = header(data, pos, msg_end)
    if tag != 0x02:
        raise BerError("message has no id")
    return version, int.from_bytes(data[start:stop], "big", signed=True)


def decode_pdu(data: bytes, pos: int, msg_end: int, community: bytes = b"") -> Pdu:
    """Decode the PDU whose TLV starts at ``pos`` (in a v2c message or a v3 scoped PDU)."""
    pdu_type, pos, pdu_end = header(data, pos, msg_end)
    if pdu_type not in (GET, GETNEXT, RESPONSE, GETBULK, REPORT, 0xA3, 0xA6, 0xA7):
        raise BerError(f"unknown PDU type 0x{pdu_type:02x}")
    ints = []
    for _ in range(3):
        tag, start, pos = header(data, pos, pdu_end)
        if tag != 0x02:
            raise BerError(f"PDU field at byte {start} is not an INTEGER")
        ints.append(int.from_bytes(data[start:pos], "big", signed=True))
    tag, pos, list_end = header(data, pos, pdu_end)
    if tag != 0x30:
        raise BerError("PDU has no var-bind list")
    varbinds: list[VarBind] = []
    append = varbinds.append
    while pos < list_end:
        # Fast path: short-form lengths throughout (every var-bind under 128 bytes).
        if (
            pos + 4 <= list_end
            and data[pos] == 0x30
            and data[pos + 1] < 0x80
            and data[pos + 2] == 0x06
            and data[pos + 3] < 0x80
        ):
            vb_end = pos + 2 + data[pos + 1]
            oid_end = pos + 4 + data[pos + 3]
            if oid_end + 2 <= vb_end <= list_end and data[oid_end + 1] < 0x80:
                tag = data[oid_end]
                start = oid_end + 2
                if start + data[oid_end + 1] == vb_end:
                    oid = decode_oid(data[pos + 4 : oid_end])
                    if tag in _UNSIGNED:
                        append((oid, int.from_bytes(data[start:vb_end], "big")))
                    else:
                        append((oid, _value(data, tag, start, vb_end)))
                    pos = vb_end
                    continue
        tag, vb_start, vb_end = header(data, pos, list_end)
        if tag != 0x30:
            raise BerError(f"var-bind at byte {pos} is not a SEQUENCE")
        tag, start, stop = header(data, vb_start, vb_end)
        if tag != 0x06:
            raise BerError(f"var-bind at byte {pos} has no OID")
        oid = decode_oid(data[start:stop])
        tag, start, stop = header(data, stop, vb_end)
        if stop != vb_end:
            raise BerError(f"var-bind at byte {pos} has trailing bytes")
        append((oid, _value(data, tag, start, stop)))
        pos = vb_end
    return Pdu(community, pdu_type, ints[0], ints[1], ints[2], varbinds)
