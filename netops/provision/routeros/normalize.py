"""Value normalisation: the spelling RouterOS accepts is not the spelling it shows back.

The API answers ``25M`` as ``25000000``, ``1d`` as ``1d`` or ``24h`` or ``1d00:00:00``
(v6), ``yes`` as ``true`` and reorders some comma lists. Before two values are compared,
both go through :func:`normalize` with the field's type; a value the type does not parse
is compared as it is written (never an error: the device is the authority on its values).
This follows the idea of ``value_sanitizer`` in Ansible's ``community.routeros``
(``plugins/module_utils/_api_data.py``), which makes ``api_modify`` idempotent against the
forms RouterOS stores.
"""

from __future__ import annotations

import re
from typing import Literal

FieldType = Literal[
    "text", "bool", "duration", "rate", "rate-limit", "int", "mac", "list", "set", "prefix"
]

_TRUE = {"yes", "true", "on"}
_FALSE = {"no", "false", "off"}
_DURATION = re.compile(
    r"^(?:(?P<w>\d+)w)?(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m(?!s))?"
    r"(?:(?P<s>\d+)s)?(?:(?P<ms>\d+)ms)?"
    r"(?:(?P<hh>\d+):(?P<mm>\d{2}):(?P<ss>\d{2})(?:\.(?P<frac>\d{1,3}))?)?$"
)
_UNIT_MS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_RATE = re.compile(r"^(\d+(?:\.\d+)?)([kKmMgG]?)$")
_RATE_POWER = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


def duration_ms(text: str) -> int | None:
    """Milliseconds in a RouterOS duration (``1d``, ``24h``, ``1d00:00:00``, ``00:05:00``,
    ``1w2d3h``, ``300ms``, ``90`` seconds), else None."""
    text = text.strip()
    if text.isdigit():
        return int(text) * 1000
    match = _DURATION.match(text)
    if not match or not text:
        return None
    parts = match.groupdict()
    total = sum(int(parts[u]) * ms for u, ms in _UNIT_MS.items() if parts[u])
    if parts["hh"] is not None:
        total += (int(parts["hh"]) * 3600 + int(parts["mm"]) * 60 + int(parts["ss"])) * 1000
        if parts["frac"]:
            total += int(parts["frac"].ljust(3, "0"))
    return total


def rate_bps(text: str) -> int | None:
    """Bits per second in a RouterOS rate (``25M``, ``512k``, ``25000000``), else None."""
    match = _RATE.match(text.strip())
    if not match:
        return None
    number, unit = match.groups()
    value = float(number) * _RATE_POWER[unit.lower()]
    return int(value) if value == int(value) else None


def _rate_limit(text: str) -> str:
    """``rx/tx [rx-burst/tx-burst [rx-threshold/tx-threshold [rx-time/tx-time [prio
    [rx-min/tx-min]]]]]``: rates and times each normalised, pairs kept in rx/tx order."""
    words = text.split()
    out = []
    for index, word in enumerate(words):
        halves = []
        for half in word.split("/"):
            if index == 3:
                ms = duration_ms(half)
                halves.append(half if ms is None else f"{ms}ms")
            elif index == 4:
                halves.append(half.lstrip("0") or "0" if half.isdigit() else half)
            else:
                bps = rate_bps(half)
                halves.append(half if bps is None else str(bps))
        out.append("/".join(halves))
    return " ".join(out)


def normalize(value: str, kind: FieldType = "text") -> str:
    """The comparable form of ``value`` for a field of type ``kind`` (idempotent)."""
    text = str(value).strip()
    if kind == "bool":
        low = text.lower()
        return "true" if low in _TRUE else "false" if low in _FALSE else text
    if kind == "duration":
        if text.lower() in ("none", ""):
            return text.lower()
        ms = duration_ms(text)
        return text if ms is None else f"{ms}ms"
    if kind == "rate":
        bps = rate_bps(text)
        return text if bps is None else str(bps)
    if kind == "rate-limit":
        return _rate_limit(text)
    if kind == "int":
        return str(int(text)) if text.isdigit() else text
    if kind == "mac":
        return text.upper().replace("-", ":") if _MAC.match(text) else text
    if kind == "list":
        return ",".join(item.strip() for item in text.split(",") if item.strip())
    if kind == "set":
        return ",".join(sorted({item.strip() for item in text.split(",") if item.strip()}))
    if kind == "prefix":
        for host in ("/32", "/128"):
            if text.endswith(host):
                return text[: -len(host)]
        return text
    return text
