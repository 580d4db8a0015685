"""The v2c codec agrees with pysnmp's (pyasn1) encoder and decoder, and refuses garbage."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from netops.exporters import ber

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

oids = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12).map(
    lambda tail: (1, 3, 6, 1, *tail)
)


def _pysnmp_response(request_id: int, varbinds: list[tuple[tuple[int, ...], object]]) -> bytes:
    pdu = V2C.ResponsePDU()
    V2C.apiPDU.set_defaults(pdu)
    V2C.apiPDU.set_request_id(pdu, request_id)
    V2C.apiPDU.set_varbinds(pdu, varbinds)
    msg = V2C.Message()
    V2C.apiMessage.set_defaults(msg)
    V2C.apiMessage.set_community(msg, "public")
    V2C.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


@given(
    request_id=st.integers(-(2**31), 2**31 - 1),
    rows=st.lists(
        st.tuples(
            oids,
            st.one_of(
                st.integers(-(2**31), 2**31 - 1).map(V2C.Integer),
                st.integers(0, 2**64 - 1).map(V2C.Counter64),
                st.integers(0, 2**32 - 1).map(V2C.Counter32),
                st.integers(0, 2**32 - 1).map(V2C.Gauge32),
                st.integers(0, 2**32 - 1).map(V2C.TimeTicks),
                st.binary(max_size=300).map(V2C.OctetString),
                oids.map(V2C.ObjectIdentifier),
            ),
        ),
        max_size=30,
    ),
)
@settings(max_examples=100, deadline=None)
def test_responses_encoded_by_pysnmp_decode_to_the_same_values(
    request_id: int, rows: list[tuple[tuple[int, ...], object]]
) -> None:
    decoded = ber.decode_message(_pysnmp_response(request_id, rows))
    assert decoded.pdu_type == ber.RESPONSE
    assert decoded.request_id == request_id
    assert decoded.community == b"public"
    expected = []
    for oid, value in rows:
        if isinstance(value, V2C.OctetString):
            expected.append((oid, bytes(value.asOctets())))
        elif isinstance(value, V2C.ObjectIdentifier):
            expected.append((oid, tuple(value)))
        else:
            expected.append((oid, int(value)))  # type: ignore[call-overload]
    assert decoded.varbinds == expected


def test_exception_values_decode_to_their_markers() -> None:
    message = _pysnmp_response(
        7,
        [
            ((1, 3, 6, 1, 2), V2C.NoSuchObject("")),
            ((1, 3, 6, 1, 3), V2C.NoSuchInstance("")),
            ((1, 3, 6, 1, 4), V2C.EndOfMibView("")),
        ],
    )
    values = [v for _, v in ber.decode_message(message).varbinds]
    assert values == [ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW]


@given(
    request_id=st.integers(0, 2**31 - 1),
    requested=st.lists(oids, min_size=1, max_size=40),
    reps=st.integers(0, 200),
)
@settings(max_examples=100, deadline=None)
def test_getbulk_requests_decode_in_pysnmp_as_sent(
    request_id: int, requested: list[tuple[int, ...]], reps: int
) -> None:
    wire = ber.encode_request(b"s3cret", ber.GETBULK, request_id, requested, 0, reps)
    msg, rest = decoder.decode(wire, asn1Spec=V2C.Message())
    assert not rest
    pdu = V2C.apiMessage.get_pdu(msg)
    assert str(V2C.apiMessage.get_community(msg)) == "s3cret"
    assert int(V2C.apiBulkPDU.get_request_id(pdu)) == request_id
    assert int(V2C.apiBulkPDU.get_max_repetitions(pdu)) == reps
    assert [tuple(o) for o, _ in V2C.apiBulkPDU.get_varbinds(pdu)] == requested


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "truncated"),
        (b"\x30\x03\x02\x01", "runs past"),
        (b"\x04\x00", "not a SEQUENCE"),
        (b"\x30\x03\x02\x01\x00", "not an SNMPv2c message"),
        (b"\x30\x84\xff\xff\xff\xff", "runs past"),
        (b"\x30\x80", "bad length"),
    ],
)
def test_malformed_messages_raise_ber_errors_saying_what_is_wrong(
    data: bytes, message: str
) -> None:
    with pytest.raises(ber.BerError, match=message):
        ber.decode_message(data)


@given(st.binary(max_size=200))
@settings(max_examples=200, deadline=None)
def test_arbitrary_bytes_never_raise_anything_but_ber_error(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        ber.decode_message(data)


@given(st.binary(min_size=1, max_size=60))
@settings(max_examples=100, deadline=None)
def test_truncating_a_valid_response_is_always_detected(tail: bytes) -> None:
    message = _pysnmp_response(1, [((1, 3, 6, 1, 2, 1, 1, 5, 0), V2C.OctetString(tail))])
    for cut in range(1, len(message)):
        with pytest.raises(ber.BerError):
            ber.decode_message(message[:cut])
