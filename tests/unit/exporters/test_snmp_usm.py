"""SNMPv3 USM: RFC key localization vectors, authentication, AES privacy, bad input."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netops.exporters import ber, usm

ENGINE = bytes.fromhex("000000000000000000000002")


def test_key_localization_matches_rfc_3414_appendix_a3() -> None:
    assert usm.localize("md5", "maplesyrup", ENGINE).hex() == "526f5eed9fcce26f8964c2930787d82b"
    assert (
        usm.localize("sha", "maplesyrup", ENGINE).hex()
        == "6695febc9288e36282235fc7151f128497b38f3f"
    )


def _keys(auth: str = "sha", priv: bool = True) -> usm.Keys:
    return usm.Keys(
        auth,
        usm.localize(auth, "labauthpass", ENGINE),
        usm.localize(auth, "labprivpass", ENGINE) if priv else b"",
    )


@pytest.mark.parametrize("auth", sorted(usm.AUTH))
@pytest.mark.parametrize("priv", [True, False])
def test_messages_round_trip_authenticated_and_encrypted(auth: str, priv: bool) -> None:
    keys = _keys(auth, priv)
    oids = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 10), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)]
    pdu = ber.encode_pdu(ber.GETBULK, 4242, oids, 0, 25)
    wire = usm.encode(4242, ENGINE, 7, 123456, b"netops", keys, pdu, b"\x00" * 7 + b"\x01")
    message = usm.decode(wire)
    assert (message.msg_id, message.engine_id, message.boots, message.time) == (
        4242,
        ENGINE,
        7,
        123456,
    )
    assert message.user == b"netops"
    assert message.flags & usm.FLAG_AUTH
    assert bool(message.flags & usm.FLAG_PRIV) is priv
    assert (message.encrypted is not None) is priv
    if priv:
        assert pdu not in wire  # the scoped PDU travels encrypted
    assert message.verify(keys)
    decoded = message.pdu(keys)
    assert (decoded.pdu_type, decoded.request_id, decoded.error_index) == (ber.GETBULK, 4242, 25)
    assert [oid for oid, _ in decoded.varbinds] == oids


def test_a_tampered_message_fails_verification() -> None:
    keys = _keys()
    wire = bytearray(
        usm.encode(1, ENGINE, 1, 1, b"netops", keys, ber.encode_pdu(ber.GET, 1, []), bytes(8))
    )
    wire[-1] ^= 0x01
    assert not usm.decode(bytes(wire)).verify(keys)


def test_a_message_checked_with_another_password_fails_verification_and_decryption() -> None:
    keys = _keys()
    wire = usm.encode(
        9, ENGINE, 1, 1, b"netops", keys,
        ber.encode_pdu(ber.GET, 9, [(1, 3, 6, 1, 2, 1, 1, 5, 0)]), bytes(8),
    )  # fmt: skip
    other = usm.Keys(
        "sha",
        usm.localize("sha", "not-the-password", ENGINE),
        usm.localize("sha", "not-the-privkey", ENGINE),
    )
    message = usm.decode(wire)
    assert not message.verify(other)
    with pytest.raises(ber.BerError):
        message.pdu(other)


def test_discovery_messages_are_plain_and_unauthenticated() -> None:
    wire = usm.encode(5, b"", 0, 0, b"", usm.Keys(None), ber.encode_pdu(ber.GET, 5, []))
    message = usm.decode(wire)
    assert message.flags == usm.FLAG_REPORTABLE
    assert message.engine_id == b"" and message.encrypted is None
    assert not message.verify(_keys())
    assert message.pdu(usm.Keys(None)).varbinds == []


def test_profiles_the_fast_path_supports() -> None:
    assert (
        usm.supported("sha", "aes") and usm.supported("sha256", None) and usm.supported(None, None)
    )
    assert not usm.supported("sha", "des") and not usm.supported("sha", "aes256")


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        usm.password_key("sha", "")


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_arbitrary_bytes_never_raise_anything_but_ber_error(data: bytes) -> None:
    with contextlib.suppress(ber.BerError):
        usm.decode(data)
