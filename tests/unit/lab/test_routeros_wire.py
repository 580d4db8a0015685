"""The lab RouterOS's word and sentence encoding, checked against librouteros's own encoder.

MikroTik API documentation (https://help.mikrotik.com/docs/display/ROS/API, "API words"):
lengths below 0x80 take one byte, below 0x4000 two (| 0x8000), below 0x200000 three
(| 0xC00000), below 0x10000000 four (| 0xE0000000), else 0xF0 and four bytes; a first
byte of 0xF8 or more is a reserved control byte; empty sentences are ignored.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from librouteros.protocol import encode_length as lr_encode_length
from librouteros.protocol import encode_sentence as lr_encode_sentence

from netops.lab.routeros.wire import (
    WireError,
    decode_length,
    decode_sentences,
    encode_length,
    encode_sentence,
    extra_length_bytes,
    read_sentence,
)

BOUNDARIES = [0, 1, 0x7F, 0x80, 0x3FFF, 0x4000, 0x1FFFFF, 0x200000, 0xFFFFFFF]


@pytest.mark.parametrize("length", BOUNDARIES)
def test_lengths_up_to_four_bytes_match_librouteros(length: int) -> None:
    encoded = encode_length(length)
    assert encoded == lr_encode_length(length)
    assert decode_length(encoded) == length


@pytest.mark.parametrize(
    ("length", "size"),
    [(0x7F, 1), (0x80, 2), (0x3FFF, 2), (0x4000, 3), (0x1FFFFF, 3), (0x200000, 4)],
)
def test_prefix_size_changes_at_the_documented_boundaries(length: int, size: int) -> None:
    assert len(encode_length(length)) == size


def test_five_byte_length_for_words_of_256_mib_and_more() -> None:
    encoded = encode_length(0x10000000)
    assert encoded == b"\xf0\x10\x00\x00\x00"
    assert decode_length(encoded) == 0x10000000


@pytest.mark.parametrize("first", [0xF8, 0xFF])
def test_reserved_control_bytes_are_refused(first: int) -> None:
    with pytest.raises(WireError):
        extra_length_bytes(first)


def test_sentence_encoding_matches_librouteros() -> None:
    words = ["/ip/pool/add", "=name=hs-pool", "=ranges=10.5.50.2-10.5.50.254", ".tag=7"]
    assert encode_sentence(words) == lr_encode_sentence(*words, encoding="utf-8")


def test_decode_sentences_keeps_a_partial_tail() -> None:
    data = encode_sentence(["!re", "=x=1"]) + encode_sentence(["!done"])
    sentences, rest = decode_sentences(data + b"\x05!do")
    assert sentences == [["!re", "=x=1"], ["!done"]]
    assert rest == b"\x05!do"


def _read_all(data: bytes) -> list[list[str] | None]:
    async def run() -> list[list[str] | None]:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        out: list[list[str] | None] = []
        while True:
            sentence = await read_sentence(reader)
            out.append(sentence)
            if sentence is None:
                return out

    return asyncio.run(run())


def test_empty_sentences_are_ignored_and_long_words_survive() -> None:
    long_value = "x" * 20000
    data = b"\x00" + encode_sentence(["/login", f"=name={long_value}"]) + b"\x00\x00"
    assert _read_all(data) == [["/login", f"=name={long_value}"], None]


def test_stream_ending_inside_a_sentence_is_a_wire_error() -> None:
    with pytest.raises(WireError):
        _read_all(b"\x06/login")


@given(st.lists(st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=6), max_size=5))
def test_any_sentences_round_trip(sentences: list[list[str]]) -> None:
    data = b"".join(encode_sentence(s) for s in sentences)
    decoded, rest = decode_sentences(data)
    assert decoded == sentences and rest == b""


def test_word_limit_is_enforced_before_reading_the_word() -> None:
    async def run() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(encode_length(5000) + b"x" * 10)
        reader.feed_eof()
        await read_sentence(reader, max_word=4096)

    with pytest.raises(WireError, match="4096"):
        asyncio.run(run())
