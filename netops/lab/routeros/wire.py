"""The RouterOS API wire format: length-prefixed words grouped into sentences.

A word is its byte length, encoded in 1 to 5 bytes, then its bytes; a sentence is words
ended by an empty word. Lengths below 0x80 take one byte, below 0x4000 two (with 0x8000
set), below 0x200000 three (0xC00000), below 0x10000000 four (0xE0000000), otherwise
0xF0 and four length bytes. A first byte of 0xF8 or more is a reserved control byte.
"""

from __future__ import annotations

import asyncio

MAX_WORD = 16 * 1024 * 1024
MAX_SENTENCE_WORDS = 10_000


class WireError(Exception):
    """The peer sent bytes that are not an API sentence."""


def encode_length(length: int) -> bytes:
    """The 1–5 byte prefix for a word of ``length`` bytes."""
    if length < 0:
        raise ValueError("negative length")
    if length < 0x80:
        return length.to_bytes(1, "big")
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length < 0x10000000:
        return (length | 0xE0000000).to_bytes(4, "big")
    if length <= 0xFFFFFFFF:
        return b"\xf0" + length.to_bytes(4, "big")
    raise ValueError(f"word of {length} bytes is too long")


def extra_length_bytes(first: int) -> int:
    """How many bytes follow ``first`` in a length prefix."""
    if first < 0x80:
        return 0
    if first < 0xC0:
        return 1
    if first < 0xE0:
        return 2
    if first < 0xF0:
        return 3
    if first < 0xF8:
        return 4
    raise WireError(f"reserved control byte 0x{first:02x}")


def decode_length(prefix: bytes) -> int:
    """The length a complete prefix (as :func:`encode_length` writes it) stands for."""
    first = prefix[0]
    extra = extra_length_bytes(first)
    if len(prefix) != extra + 1:
        raise WireError("length prefix of the wrong size")
    if extra == 0:
        return first
    if extra == 4:
        return int.from_bytes(prefix[1:], "big")
    value = int.from_bytes(prefix, "big")
    mask = {1: 0x8000, 2: 0xC00000, 3: 0xE0000000}[extra]
    return value ^ mask


def encode_word(word: str) -> bytes:
    data = word.encode("utf-8")
    return encode_length(len(data)) + data


def encode_sentence(words: list[str] | tuple[str, ...]) -> bytes:
    """One sentence: every word, then the empty word."""
    return b"".join(encode_word(w) for w in words) + b"\x00"


def decode_sentences(data: bytes) -> tuple[list[list[str]], bytes]:
    """Every complete sentence in ``data`` and the bytes left over (for tests and tools)."""
    sentences: list[list[str]] = []
    pos = 0
    current: list[str] = []
    start = 0
    while pos < len(data):
        extra = extra_length_bytes(data[pos])
        if pos + 1 + extra > len(data):
            break
        length = decode_length(data[pos : pos + 1 + extra])
        end = pos + 1 + extra + length
        if end > len(data):
            break
        if length == 0:
            sentences.append(current)
            current = []
            start = end
        else:
            current.append(data[pos + 1 + extra : end].decode("utf-8", errors="replace"))
        pos = end
    return sentences, data[start:]


async def read_word(reader: asyncio.StreamReader, max_word: int = MAX_WORD) -> str | None:
    """The next word, ``""`` for the end of a sentence, ``None`` at a clean end of stream."""
    try:
        first = await reader.readexactly(1)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise WireError("stream ended inside a length") from exc
        return None
    extra = extra_length_bytes(first[0])
    prefix = first + (await reader.readexactly(extra) if extra else b"")
    length = decode_length(prefix)
    if length > max_word:
        raise WireError(f"word of {length} bytes is over the {max_word}-byte limit")
    if length == 0:
        return ""
    data = await reader.readexactly(length)
    return data.decode("utf-8", errors="replace")


async def read_sentence(reader: asyncio.StreamReader, max_word: int = MAX_WORD) -> list[str] | None:
    """The next non-empty sentence, or ``None`` when the peer closed the stream.

    Empty sentences are ignored, as the API documentation says.
    """
    while True:
        words: list[str] = []
        while True:
            word = await read_word(reader, max_word)
            if word is None:
                if words:
                    raise WireError("stream ended inside a sentence")
                return None
            if word == "":
                break
            words.append(word)
            if len(words) > MAX_SENTENCE_WORDS:
                raise WireError("sentence has too many words")
        if words:
            return words
