"""CHAP answers for MikroTik http-chap and CoovaChilli UAM."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netops.portal.chap import (
    ChapFormatError,
    chap_verify,
    coova_challenge,
    coova_response,
    escape_mikrotik,
    mikrotik_chap_response,
    unescape_mikrotik,
)


@given(st.binary(min_size=1, max_size=64))
def test_mikrotik_octal_escapes_round_trip(data: bytes) -> None:
    assert unescape_mikrotik(escape_mikrotik(data)) == data


def test_mikrotik_unescape_keeps_literal_characters_between_escapes() -> None:
    assert unescape_mikrotik("a\\101b\\0") == b"aAb\x00"


def test_mikrotik_unescape_refuses_values_larger_than_a_byte() -> None:
    with pytest.raises(ChapFormatError, match="larger than a byte"):
        unescape_mikrotik("\\777")


@given(
    ident=st.integers(0, 255),
    challenge=st.binary(min_size=16, max_size=16),
    password=st.text(min_size=1, max_size=40),
)
def test_mikrotik_response_is_the_rfc1994_answer_a_radius_server_checks(
    ident: int, challenge: bytes, password: str
) -> None:
    answer = mikrotik_chap_response(
        escape_mikrotik(bytes([ident])), password, escape_mikrotik(challenge)
    )
    assert chap_verify(ident, password, challenge, bytes.fromhex(answer))
    assert not chap_verify(ident, password + "x", challenge, bytes.fromhex(answer))


def test_mikrotik_response_matches_routeros_hexmd5_of_the_concatenation() -> None:
    # login.html: hexMD5('\357' + 'secret' + '\001\002…') over the bytes the escapes name.
    chap_id, challenge = "\\357", "\\001\\002\\003\\004"
    expected = hashlib.md5(b"\xef" + b"secret" + b"\x01\x02\x03\x04").hexdigest()
    assert mikrotik_chap_response(chap_id, "secret", challenge) == expected


def test_mikrotik_response_needs_a_one_byte_id_and_a_challenge() -> None:
    with pytest.raises(ChapFormatError, match="one byte"):
        mikrotik_chap_response("\\001\\002", "pw", "\\001")
    with pytest.raises(ChapFormatError, match="empty"):
        mikrotik_chap_response("\\001", "pw", "")


def test_coova_challenge_is_md5_of_challenge_and_uam_secret() -> None:
    raw = bytes(range(16))
    assert coova_challenge(raw.hex(), "uamsecret") == hashlib.md5(raw + b"uamsecret").digest()
    assert coova_challenge(raw.hex(), None) == raw


@given(st.binary(min_size=16, max_size=16), st.text(min_size=1, max_size=30))
def test_coova_response_verifies_as_chap_with_identifier_zero(raw: bytes, password: str) -> None:
    answer = coova_response(raw.hex(), password, "uamsecret")
    challenge = coova_challenge(raw.hex(), "uamsecret")
    assert chap_verify(0, password, challenge, bytes.fromhex(answer))


def test_coova_challenge_must_be_32_hex_digits() -> None:
    with pytest.raises(ChapFormatError, match="32 hexadecimal"):
        coova_challenge("abc", "s")
