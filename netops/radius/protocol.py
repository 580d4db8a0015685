"""RADIUS packets on the wire: decode, check, build replies (pyrad underneath, no I/O).

pyrad does the encoding, decoding and authenticator arithmetic. This module wraps it where
a server needs more than pyrad gives: strict limits on what is accepted (RFC 2865 caps a
packet at 4096 octets; attribute values that do not decode are a malformed packet, not an
exception deep in a handler), the BlastRADIUS rules of FreeRADIUS 3.2.5, CHAP checking as a
pure function, and accounting values with their gigawords folded in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from pyrad import packet as rp
from pyrad.dictionary import Dictionary

ACCESS_REQUEST = rp.AccessRequest
ACCESS_ACCEPT = rp.AccessAccept
ACCESS_REJECT = rp.AccessReject
ACCOUNTING_REQUEST = rp.AccountingRequest
ACCOUNTING_RESPONSE = rp.AccountingResponse
STATUS_SERVER = rp.StatusServer
DISCONNECT_REQUEST = rp.DisconnectRequest
DISCONNECT_ACK = rp.DisconnectACK
DISCONNECT_NAK = rp.DisconnectNAK
COA_REQUEST = rp.CoARequest
COA_ACK = rp.CoAACK
COA_NAK = rp.CoANAK

MAX_PACKET = 4096
_MAC_FORM = re.compile(r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}")
USER_NAME = 1
CALLING_STATION_ID = 31
MESSAGE_AUTHENTICATOR = 80
PROXY_STATE = 33
EAP_MESSAGE = 79

# Decoding errors of attribute values surface as any of these from pyrad / the stdlib.
DECODE_ERRORS = (
    rp.PacketError,
    ValueError,
    struct.error,
    OSError,
    UnicodeDecodeError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
)

DropReason = Literal[
    "unknown_nas",
    "bad_authenticator",
    "bad_message_authenticator",
    "missing_message_authenticator",
    "malformed",
    "duplicate",
]


class Malformed(Exception):
    """The datagram is not a RADIUS packet this server accepts (dropped, counted)."""


class Dropped(Exception):
    """A request that is silently dropped; ``reason`` is the metric label."""

    def __init__(self, reason: DropReason, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason: DropReason = reason


def _check_framing(data: bytes) -> None:
    """Reject what pyrad would let through: over-long packets, attributes that do not add
    up to the Length field exactly."""
    if len(data) < 20:
        raise Malformed("shorter than a RADIUS header")
    length = struct.unpack_from("!H", data, 2)[0]
    if length < 20 or length > MAX_PACKET or length > len(data):
        raise Malformed(f"bad Length field {length}")
    pos = 20
    while pos < length:
        if pos + 2 > length:
            raise Malformed("truncated attribute header")
        alen = data[pos + 1]
        if alen < 2 or pos + alen > length:
            raise Malformed("attribute length out of range")
        if data[pos] == MESSAGE_AUTHENTICATOR and alen != 18:
            raise Malformed("Message-Authenticator is not 16 octets")
        pos += alen


@lru_cache(maxsize=8)
def _tlv_codes(dictionary: Dictionary) -> frozenset[Any]:
    """Attribute codes (plain or (vendor, type)) the dictionary declares as TLVs."""
    return frozenset(
        dictionary.attrindex.GetForward(name)
        for name, attr in dictionary.attributes.items()
        if attr.type == "tlv"
    )


class _LeanDecode(rp.Packet):  # type: ignore[misc]  # pyrad is untyped
    """pyrad's ``DecodePacket`` with the same result, less work per attribute: the header is
    read by index, TLV codes come from a set made once per dictionary, and values are added
    with the mapping's own ``__setitem__`` instead of pyrad's name-translating one."""

    def DecodePacket(self, packet: bytes) -> None:
        if len(packet) < 20:
            raise rp.PacketError("Packet header is corrupt")
        length = packet[2] << 8 | packet[3]
        if length < 20 or len(packet) < length:
            raise rp.PacketError("Packet has invalid length")
        if length > 8192:
            raise rp.PacketError(f"Packet length is too long ({length})")
        self.code, self.id, self.authenticator = packet[0], packet[1], packet[4:20]
        packet = packet[:length]
        self.raw_packet = packet
        self.clear()
        tlv = _tlv_codes(self.dict) if self.dict is not None else frozenset()
        get = dict.get
        pos = 20
        while pos < length:
            if pos + 2 > length:
                raise rp.PacketError("Attribute header is corrupt")
            key, alen = packet[pos], packet[pos + 1]
            if alen < 2:
                raise rp.PacketError(f"Attribute length is too small ({alen})")
            value = packet[pos + 2 : pos + alen]
            pos += alen
            if key == 26:
                for sub, sub_value in self._PktDecodeVendorAttribute(value):
                    self._lean_add(sub, sub_value)
                continue
            if key == MESSAGE_AUTHENTICATOR:
                self.message_authenticator = True
            elif key in tlv:
                self._PktDecodeTlvAttribute(key, value)
                continue
            found = get(self, key)
            if found is None:
                OrderedDict.__setitem__(self, key, [value])
            else:
                found.append(value)

    def _lean_add(self, key: Any, value: bytes) -> None:
        found = dict.get(self, key)
        if found is None:
            OrderedDict.__setitem__(self, key, [value])
        else:
            found.append(value)


class LeanAuthPacket(_LeanDecode, rp.AuthPacket):  # type: ignore[misc]
    """An Access-Request / Status-Server as pyrad decodes it (see :class:`_LeanDecode`)."""


class LeanAcctPacket(_LeanDecode, rp.AcctPacket):  # type: ignore[misc]
    """An Accounting-Request / Status-Server as pyrad decodes it (see :class:`_LeanDecode`)."""


def decode(data: bytes, secret: bytes, dictionary: Dictionary, *, accounting: bool) -> rp.Packet:
    """Decode a request received on the auth (``accounting=False``) or accounting port."""
    _check_framing(data)
    code = data[0]
    allowed = (ACCOUNTING_REQUEST, STATUS_SERVER) if accounting else (ACCESS_REQUEST, STATUS_SERVER)
    if code not in allowed:
        raise Malformed(f"packet code {code} is not accepted on this port")
    cls = LeanAcctPacket if accounting else LeanAuthPacket
    pkt = cls.__new__(cls)
    # The state pyrad's constructor sets, set directly: its keyword parsing and checks cost
    # more than the decoding of a small Access-Request (``secret`` is the NAS table's bytes).
    OrderedDict.__init__(pkt)
    pkt.secret = secret
    pkt.request_authenticator = None
    pkt._request_code = None
    pkt.message_authenticator = None  # type: ignore[assignment]  # as pyrad sets it
    pkt.dict = dictionary
    if not accounting:
        pkt.auth_type = "pap"
    try:
        pkt.DecodePacket(data)
    except DECODE_ERRORS as exc:
        raise Malformed(str(exc)) from None
    return pkt


def has(pkt: rp.Packet, code: int) -> bool:
    """Whether the packet carries standard attribute ``code`` (no value decoding)."""
    return bool(dict.__contains__(pkt, code))


def value(pkt: rp.Packet, name: str) -> Any:
    """The first value of attribute ``name``, or None; undecodable values are Malformed."""
    try:
        if name not in pkt:
            return None
        values = pkt[name]
    except DECODE_ERRORS as exc:
        raise Malformed(f"attribute {name} does not decode: {exc}") from None
    return values[0] if values else None


def text(pkt: rp.Packet, name: str) -> str | None:
    """A string attribute as text (octets that are not UTF-8 are shown as hex)."""
    found = value(pkt, name)
    if found is None:
        return None
    if isinstance(found, bytes):
        try:
            return found.decode("utf-8")
        except UnicodeDecodeError:
            return found.hex()
    return str(found)


def raw_text(pkt: rp.Packet, code: int) -> str | None:
    """A standard string attribute by number, as :func:`text` gives it, read straight from
    the decoded packet (no name lookup or pyrad value decoding: on every request's path)."""
    if not dict.__contains__(pkt, code):
        return None
    values = dict.__getitem__(pkt, code)
    if not values:
        return None
    found = bytes(values[0])
    try:
        return found.decode("utf-8")
    except UnicodeDecodeError:
        return found.hex()


def integer(pkt: rp.Packet, name: str, default: int = 0) -> int:
    found = value(pkt, name)
    if found is None:
        return default
    if isinstance(found, int):
        return found
    raise Malformed(f"attribute {name} is not a number")


def octets_with_gigawords(pkt: rp.Packet, octets: str, gigawords: str) -> int:
    """A 64-bit counter from a 32-bit attribute and its gigawords (RFC 2869 5.1)."""
    return integer(pkt, gigawords) << 32 | integer(pkt, octets)


@lru_cache(maxsize=1024)
def _hmac_pads(secret: bytes) -> tuple[Any, Any]:
    """HMAC-MD5's inner and outer hash states for ``secret`` (RFC 2104), computed once per
    NAS secret: every request and reply of that NAS is signed with the same key."""
    key = hashlib.md5(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return (
        hashlib.md5(bytes(b ^ 0x36 for b in key)),
        hashlib.md5(bytes(b ^ 0x5C for b in key)),
    )


def hmac_md5(secret: bytes, message: bytes) -> bytes:
    """HMAC-MD5 of ``message`` (equal to ``hmac.digest(secret, message, "md5")``, at half the
    cost: the keyed states are copied, not rebuilt)."""
    inner, outer = _hmac_pads(secret)
    inner = inner.copy()
    inner.update(message)
    outer = outer.copy()
    outer.update(inner.digest())
    digest: bytes = outer.digest()
    return digest


def verify_message_authenticator(pkt: rp.Packet) -> bool:
    """Whether the Message-Authenticator of a received request is right for its secret.

    RFC 3579 section 3.2 over the datagram as received (what pyrad's
    ``verify_message_authenticator`` computes for a request), in one HMAC call."""
    raw = pkt.raw_packet
    if not isinstance(raw, bytes):
        return False
    pos, end = 20, len(raw)
    while pos + 2 <= end and raw[pos] != MESSAGE_AUTHENTICATOR:
        if raw[pos + 1] < 2:
            return False
        pos += raw[pos + 1]
    if pos + 18 > end or raw[pos + 1] != 18:
        return False
    zeroed = raw[: pos + 2] + bytes(16) + raw[pos + 18 :]
    expected = hmac_md5(pkt.secret, zeroed)
    return hmac.compare_digest(expected, raw[pos + 2 : pos + 18])


def verify_request_authenticator(pkt: rp.Packet) -> bool:
    """The Request Authenticator of an Accounting-Request (RFC 2866 section 3)."""
    raw: bytes = pkt.raw_packet
    digest = hashlib.md5(raw[0:4] + bytes(16) + raw[20:] + pkt.secret).digest()
    return hmac.compare_digest(digest, raw[4:20])


def pap_password(pkt: rp.Packet) -> str | None:
    """The clear User-Password of an Access-Request, or None when there is none.

    RFC 2865 section 5.2, as pyrad's ``PwDecrypt`` (trailing NULs removed, invalid UTF-8
    ignored) but XOR-ing whole 16-octet blocks: this is on every PAP request's path.
    """
    if not has(pkt, 2):
        return None
    raw = bytes(dict.__getitem__(pkt, 2)[0])
    if not raw or len(raw) % 16 or len(raw) > 128:
        raise Malformed("User-Password length is not a multiple of 16 octets up to 128")
    secret: bytes = pkt.secret
    last: bytes = pkt.authenticator
    clear = bytearray()
    for pos in range(0, len(raw), 16):
        block = raw[pos : pos + 16]
        key = hashlib.md5(secret + last).digest()
        clear += (int.from_bytes(key) ^ int.from_bytes(block)).to_bytes(16)
        last = block
    return bytes(clear).rstrip(b"\x00").decode("utf-8", errors="ignore")


@dataclass(frozen=True)
class Chap:
    """A CHAP response: identifier + 16-octet digest, and the challenge it answers."""

    ident: bytes
    response: bytes
    challenge: bytes


def chap_of(pkt: rp.Packet) -> Chap | None:
    """The CHAP-Password of an Access-Request with its challenge (CHAP-Challenge or, when the
    NAS sends none, the Request Authenticator, RFC 2865 section 2.2)."""
    if not has(pkt, 3):
        return None
    raw = dict.__getitem__(pkt, 3)[0]
    if len(raw) != 17:
        raise Malformed("CHAP-Password is not 17 octets")
    challenge = dict.__getitem__(pkt, 60)[0] if has(pkt, 60) else pkt.authenticator
    if not challenge:
        raise Malformed("CHAP-Challenge is empty")
    return Chap(ident=raw[:1], response=raw[1:], challenge=bytes(challenge))


def chap_matches(chap: Chap, clear_password: str) -> bool:
    """Whether ``chap`` was computed from ``clear_password`` (constant-time compare)."""
    digest = hashlib.md5(chap.ident + clear_password.encode() + chap.challenge).digest()
    return hmac.compare_digest(digest, chap.response)


# --- BlastRADIUS -------------------------------------------------------------------------------

Setting = Literal["yes", "no", "auto"]


@dataclass
class Hardening:
    """A NAS's BlastRADIUS settings and what ``auto`` has learnt about that NAS.

    Decided per NAS (per client entry), as FreeRADIUS 3.2.5+ does, with one difference
    that closes the gap its "first packet decides" leaves:

    - ``require_message_authenticator = auto``: once the NAS has sent a (verified)
      Message-Authenticator in an Access-Request that is not EAP, every later
      Access-Request from it must carry one. A request without one never makes the NAS
      lenient for good: FreeRADIUS would stop requiring it for a NAS whose *first* packet
      lacked it (a junk or spoofed packet after a restart is enough); here the next
      genuine request with a Message-Authenticator still switches the requirement on.
    - ``limit_proxy_state = auto``: as FreeRADIUS, decided by the first Access-Request
      without a Message-Authenticator: with Proxy-State the NAS is taken for a proxy and
      left alone, without it later requests carrying Proxy-State but no
      Message-Authenticator are dropped. A request with a Message-Authenticator decides
      "limit".

    ``yes`` and ``no`` are fixed. What was learnt is merged from and offered to a shared
    record (:meth:`merge`, :attr:`changed`), so every worker, both RADIUS servers and a
    restarted server agree on one decision per NAS.
    """

    require_message_authenticator: Setting = "auto"
    limit_proxy_state: Setting = "auto"
    learnt_require: bool = False
    learnt_limit: bool | None = None
    changed: bool = False

    @property
    def settled(self) -> bool:
        """Whether nothing more can be learnt (no shared record needs reading)."""
        if self.require_message_authenticator == "yes":
            return True
        if self.require_message_authenticator == "auto":
            return self.learnt_require
        return self.limit_proxy_state != "auto" or self.learnt_limit is not None

    def merge(self, require: bool, limit: bool | None) -> None:
        """Take in what another process learnt about this NAS (never loosening)."""
        self.learnt_require = self.learnt_require or require
        if self.learnt_limit is None:
            self.learnt_limit = limit

    def check(self, *, has_ma: bool, has_proxy_state: bool, has_eap: bool) -> DropReason | None:
        """Why an Access-Request must be dropped, or None (its M-A is verified elsewhere)."""
        if has_ma:
            learn = self.require_message_authenticator == "auto" and not has_eap
            if learn and not self.learnt_require:
                self.learnt_require = self.changed = True
            if self.limit_proxy_state == "auto" and self.learnt_limit is None:
                self.learnt_limit = self.changed = True
            return None
        if has_eap:
            return "missing_message_authenticator"
        require = (
            self.require_message_authenticator == "yes"
            if self.require_message_authenticator != "auto"
            else self.learnt_require
        )
        if require:
            return "missing_message_authenticator"
        if self.limit_proxy_state == "auto" and self.learnt_limit is None:
            self.learnt_limit = not has_proxy_state
            self.changed = True
        limit = (
            self.limit_proxy_state == "yes"
            if self.limit_proxy_state != "auto"
            else bool(self.learnt_limit)
        )
        if limit and has_proxy_state:
            return "missing_message_authenticator"
        return None


# --- replies -----------------------------------------------------------------------------------

Attributes = Iterable[tuple[str, Any]]


@dataclass
class Reply:
    """What to send back: the code and attributes (Proxy-State is copied by pyrad)."""

    code: int
    attributes: list[tuple[str, Any]] = field(default_factory=list)


@lru_cache(maxsize=16384)
def _attribute_bytes(dictionary: Dictionary, name: str, val: Any) -> bytes:
    """One attribute as on the wire, encoded by pyrad from the dictionary (cached: replies
    repeat the same few attributes and values)."""
    scratch = rp.Packet(dict=dictionary)
    scratch.AddAttribute(name, val)
    encoded: bytes = scratch._PktEncodeAttributes()
    return encoded


@lru_cache(maxsize=4096)
def _attributes_bytes(dictionary: Dictionary, attributes: tuple[tuple[str, Any], ...]) -> bytes:
    """A reply's attributes as on the wire (cached whole: the replies of one plan differ, if
    at all, in a Session-Timeout or a data limit)."""
    return b"".join(_attribute_bytes(dictionary, name, val) for name, val in attributes)


def encode_reply(request: rp.Packet, reply: Reply) -> bytes:
    """The reply datagram. Replies to Access-Request and Status-Server carry a
    Message-Authenticator as their first attribute; Proxy-State is copied in order.

    Attribute values are encoded by pyrad (cached); the authenticators are computed here
    once over the final bytes (RFC 2865 section 3, RFC 3579 section 3.2), which is what
    pyrad's ``ReplyPacket`` does with two full encodings.
    """
    attributes = tuple(reply.attributes)
    try:
        body = _attributes_bytes(request.dict, attributes) if attributes else b""
    except TypeError:  # a value that cannot be a cache key
        body = b"".join(_attribute_bytes.__wrapped__(request.dict, n, v) for n, v in attributes)
    for state in dict.get(request, PROXY_STATE, []):
        body += bytes((PROXY_STATE, len(state) + 2)) + state
    signed = request.code in (ACCESS_REQUEST, STATUS_SERVER)
    if signed:
        body = bytes((MESSAGE_AUTHENTICATOR, 18)) + bytes(16) + body
    length = 20 + len(body)
    if length > MAX_PACKET:
        raise ValueError(f"reply of {length} octets exceeds {MAX_PACKET}")
    header = struct.pack("!BBH", reply.code, request.id, length)
    secret: bytes = request.secret
    if signed:
        mac = hmac_md5(secret, header + request.authenticator + body)
        body = body[:2] + mac + body[18:]
    response = hashlib.md5(header + request.authenticator + body + secret).digest()
    return header + response + body


def event_time(pkt: rp.Packet, now: datetime) -> datetime:
    """When an accounting event happened: Event-Timestamp, else now minus Acct-Delay-Time."""
    stamp = value(pkt, "Event-Timestamp")
    if isinstance(stamp, int) and stamp > 0:
        return datetime.fromtimestamp(stamp, UTC)
    delay = integer(pkt, "Acct-Delay-Time")
    if delay:
        return datetime.fromtimestamp(now.timestamp() - delay, UTC)
    return now


@lru_cache(maxsize=65536)  # a device sends the same Calling-Station-Id every time
def normalise_mac(raw: str | None) -> str | None:
    """A MAC address as ``aa:bb:cc:dd:ee:ff`` from the forms NAS send (``AA-BB-..``,
    ``aabb.ccdd.eeff``, ``AABBCCDDEEFF``); None when ``raw`` is not one."""
    if not raw:
        return None
    if len(raw) == 17 and _MAC_FORM.fullmatch(raw):
        # The common forms (AA-BB-CC-DD-EE-FF, aa:bb:...) without the general scan.
        return raw.lower().replace("-", ":")
    digits = "".join(c for c in raw.lower() if c in "0123456789abcdef")
    stripped = "".join(c for c in raw.lower() if c not in ":-. ")
    if len(digits) != 12 or digits != stripped:
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
