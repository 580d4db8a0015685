"""The server's lean packet decoding gives exactly what pyrad's own decoding gives."""

from __future__ import annotations

import struct
from collections import OrderedDict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyrad import packet as rp

from netops.radius.dictionary import load_dictionary
from netops.radius.protocol import LeanAcctPacket, LeanAuthPacket

SECRET = b"testing123"


def _attribute(code: int, value: bytes) -> bytes:
    return bytes((code, len(value) + 2)) + value


def _vendor(vendor: int, subs: list[tuple[int, bytes]]) -> bytes:
    body = struct.pack("!L", vendor) + b"".join(bytes((t, len(v) + 2)) + v for t, v in subs)
    return _attribute(26, body)


attribute = st.one_of(
    st.builds(
        _attribute,
        st.integers(1, 255).filter(lambda c: c != 26),
        st.binary(max_size=40),
    ),
    st.builds(
        _vendor,
        st.sampled_from([14988, 14122, 14559, 9, 0]),
        st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=20)), max_size=3),
    ),
    st.binary(min_size=1, max_size=12),  # junk: bad lengths, truncated headers
)


def _outcome(cls: type[rp.Packet], data: bytes) -> tuple[Any, ...]:
    try:
        pkt = cls(packet=data, secret=SECRET, dict=load_dictionary())
    except rp.PacketError as exc:
        return ("error", str(exc))
    return (
        pkt.code,
        pkt.id,
        pkt.authenticator,
        pkt.raw_packet,
        pkt.message_authenticator,
        list(OrderedDict.items(pkt)),
    )


@settings(max_examples=400)
@given(
    code=st.sampled_from([1, 4, 12]),
    ident=st.integers(0, 255),
    authenticator=st.binary(min_size=16, max_size=16),
    attributes=st.lists(attribute, max_size=8),
    length_delta=st.integers(-30, 30),
    padding=st.binary(max_size=8),
)
def test_lean_decoding_matches_pyrad(
    code: int,
    ident: int,
    authenticator: bytes,
    attributes: list[bytes],
    length_delta: int,
    padding: bytes,
) -> None:
    body = b"".join(attributes)
    length = max(0, min(65535, 20 + len(body) + length_delta))
    data = struct.pack("!BBH", code, ident, length) + authenticator + body + padding
    assert _outcome(LeanAuthPacket, data) == _outcome(rp.AuthPacket, data)
    assert _outcome(LeanAcctPacket, data) == _outcome(rp.AcctPacket, data)
    assert _outcome(LeanAuthPacket, data[:19]) == _outcome(rp.AuthPacket, data[:19])


def _pyrad_verdict(pkt: rp.Packet) -> bool:
    try:
        return bool(pkt.verify_message_authenticator())
    except Exception:
        return False


@settings(max_examples=300)
@given(
    before=st.lists(attribute, max_size=4),
    after=st.lists(attribute, max_size=4),
    flip=st.one_of(st.none(), st.integers(0, 400)),
    secret=st.sampled_from([SECRET, b"other"]),
)
def test_message_authenticator_verdict_matches_pyrad(
    before: list[bytes], after: list[bytes], flip: int | None, secret: bytes
) -> None:
    import hmac

    from netops.radius.protocol import verify_message_authenticator

    body = b"".join(before) + _attribute(80, bytes(16)) + b"".join(after)
    header = struct.pack("!BBH", 1, 7, 20 + len(body)) + bytes(range(16))
    signed = bytearray(header + body)
    pos = 20 + len(b"".join(before))
    signed[pos + 2 : pos + 18] = hmac.digest(SECRET, header + body, "md5")
    if flip is not None and flip < len(signed):
        signed[flip] ^= 0x01
    data = bytes(signed)
    try:
        lean = LeanAuthPacket(packet=data, secret=secret, dict=load_dictionary())
        general = rp.AuthPacket(packet=data, secret=secret, dict=load_dictionary())
    except rp.PacketError:
        return
    if general.message_authenticator:
        assert verify_message_authenticator(lean) == _pyrad_verdict(general)
    if flip is None and secret == SECRET and not before and general.message_authenticator:
        assert verify_message_authenticator(lean)


@settings(max_examples=300)
@given(
    accounting=st.booleans(),
    ident=st.integers(0, 255),
    authenticator=st.binary(min_size=16, max_size=16),
    attributes=st.lists(attribute, max_size=8),
)
def test_decode_leaves_the_packet_as_pyrads_constructor_would(
    accounting: bool, ident: int, authenticator: bytes, attributes: list[bytes]
) -> None:
    """``decode`` sets the packet's state itself instead of calling pyrad's constructor:
    every attribute of the object and every decoded value is what the constructor gives."""
    from netops.radius.protocol import Malformed, decode

    body = b"".join(attributes)
    code = 4 if accounting else 1
    data = struct.pack("!BBH", code, ident, 20 + len(body)) + authenticator + body
    dictionary = load_dictionary()
    try:
        ours = decode(data, SECRET, dictionary, accounting=accounting)
    except Malformed:
        return
    cls = rp.AcctPacket if accounting else rp.AuthPacket
    theirs = cls(packet=data, secret=SECRET, dict=dictionary, id=ident, authenticator=data[4:20])
    assert vars(ours) == vars(theirs)
    assert list(OrderedDict.items(ours)) == list(OrderedDict.items(theirs))
    for key in OrderedDict.keys(theirs):
        if isinstance(key, int) and dictionary.attrindex.HasBackward(key):
            name = dictionary.attrindex.GetBackward(key)
            try:
                expected: Any = theirs[name]
            except Exception as exc:
                expected = type(exc)
            try:
                got: Any = ours[name]
            except Exception as exc:
                got = type(exc)
            assert got == expected
