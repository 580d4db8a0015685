"""Parsing of the human units used in inventory YAML: durations, sizes, bit rates.

All functions are pure and raise ``ValueError`` with a sentence a user can act on.
"""

from __future__ import annotations

import re
from functools import lru_cache

_DURATION = re.compile(r"(\d+)\s*(d|h|m|s)", re.IGNORECASE)
_DURATION_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$", re.IGNORECASE)
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:bps|bit/s|b/s)?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_duration(value: str | int) -> int:
    """Seconds in ``value``: an int of seconds or text like ``90s``, ``30m``, ``2h``, ``1d12h``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"duration {value} is negative")
        return value
    text = str(value).strip().replace(" ", "")
    if text.isdigit():
        return int(text)
    pos, total = 0, 0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _DURATION_SECONDS[match.group(2).lower()]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"{value!r} is not a duration (use e.g. 90s, 30m, 2h, 1d)")
    return total


def parse_size(value: str | int) -> int:
    """Bytes in ``value``: an int or text like ``500MB`` (10^6), ``1GiB`` (2^30), ``2G``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"size {value} is negative")
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size (use e.g. 500MB, 1GB, 2GiB)")
    number, prefix, binary, _ = match.groups()
    base = 1024 if binary else 1000
    return int(float(number) * base ** _POWERS[prefix.lower()])


def parse_rate(value: str | int) -> int:
    """Bits per second in ``value``: an int or text like ``512k``, ``5M``, ``1G`` (powers of 10)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a bit rate")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"rate {value} is negative")
        return value
    match = _RATE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a bit rate (use e.g. 512k, 5M, 1G)")
    number, prefix = match.groups()
    return int(float(number) * 1000 ** _POWERS[prefix.lower()])


@lru_cache(maxsize=256)
def format_rate(bps: int) -> str:
    """Shortest exact text for a rate in the ``512k`` / ``5M`` style (what RouterOS accepts)."""
    for suffix, factor in (("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bps >= factor and bps % factor == 0:
            return f"{bps // factor}{suffix}"
    return str(bps)


def format_duration(seconds: int) -> str:
    """``seconds`` as ``1d2h3m4s`` with zero parts left out (``0s`` for zero)."""
    parts = []
    for suffix, factor in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, factor)
        if amount:
            parts.append(f"{amount}{suffix}")
    return "".join(parts) or "0s"
