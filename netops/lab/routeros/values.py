"""RouterOS value formats the lab device reads and prints: durations, dates, quoting."""

from __future__ import annotations

import re
from datetime import date, datetime

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$")
_CLOCK = re.compile(r"^(?:(\d+)d)?\s*(\d{1,3}):(\d{2}):(\d{2})$")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def parse_duration(text: str) -> int:
    """Seconds in a RouterOS time interval: ``1d2h3m4s``, ``5m``, ``00:05:00``, ``90``.

    Raises ValueError for anything else.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    clock = _CLOCK.match(text)
    if clock:
        days, h, m, s = clock.groups()
        return int(days or 0) * 86400 + int(h) * 3600 + int(m) * 60 + int(s)
    match = _DURATION.match(text)
    if not text or not match or not any(match.groups()):
        raise ValueError(f"not a time interval: {text!r}")
    w, d, h, m, s = (int(g or 0) for g in match.groups())
    return w * 604800 + d * 86400 + h * 3600 + m * 60 + s


def format_duration(seconds: int) -> str:
    """RouterOS's own spelling of an interval: ``1d2h``, ``5m``, ``0s``."""
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in _UNITS.items():
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(out)


def parse_date(text: str) -> date:
    """A RouterOS date, 7 style (``2026-12-05``) or 6 style (``dec/05/2026``)."""
    text = text.strip().lower()
    if "/" in text:
        mon, day, year = text.split("/")
        return date(int(year), _MONTHS.index(mon) + 1, int(day))
    return date.fromisoformat(text)


def format_date(day: date, major: str) -> str:
    if major == "6":
        return f"{_MONTHS[day.month - 1]}/{day.day:02d}/{day.year}"
    return day.isoformat()


def format_datetime(moment: datetime, major: str) -> str:
    if major == "6":
        return f"{format_date(moment.date(), major)} {moment:%H:%M:%S}"
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def parse_clock(text: str) -> tuple[int, int, int]:
    parts = text.strip().split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a time of day: {text!r}")
    h, m, s = (int(p) for p in parts)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return h, m, s


_PLAIN = re.compile(r'^[^\s"\\$;\[\]{}?=#\']+$')


def cli_quote(value: str) -> str:
    """A value as ``/export`` writes it: bare when safe, else in double quotes, escaped."""
    if value and _PLAIN.match(value):
        return value
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("$", "\\$")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def cli_split(line: str) -> list[str]:
    """Split one console line into words, honouring double quotes and backslash escapes."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    quoted = False
    i = 0
    escapes = {"n": "\n", "r": "\r", "t": "\t"}
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == "\\" and i + 1 < len(line):
                nxt = line[i + 1]
                current.append(escapes.get(nxt, nxt))
                i += 2
                continue
            if ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif ch == '"':
            quoted = True
            in_word = True
        elif ch.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        else:
            current.append(ch)
            in_word = True
        i += 1
    if quoted:
        raise ValueError("unterminated quote")
    if in_word:
        words.append("".join(current))
    return words
