"""Rows in and out of the store's tables: the tables themselves, what a NAS sends made
storable (text, counters, times), a new subscriber's row, and rows mapped to the
:class:`Subscriber` and :class:`Session` records callers see.

Pure functions with no I/O and no state; every part of the store shares them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table

from netops.store import codes
from netops.store.schema import AdmissionRow, SessionRow, SubscriberRow, UsageTotalRow
from netops.store.types import Session, Subscriber, SubscriberKind

SUBSCRIBERS = cast(Table, SubscriberRow.__table__)
SESSIONS = cast(Table, SessionRow.__table__)
ADMISSIONS = cast(Table, AdmissionRow.__table__)
TOTALS = cast(Table, UsageTotalRow.__table__)

# 2**48 octets (281 TB) is far beyond any Wi-Fi session, and sums over thousands of sessions
# still fit a signed 64-bit column: absurd (fuzzed) counters are clamped, never overflow.
MAX_COUNTER = 2**48 - 1
MAX_SESSION_TIME = 2**32 - 1  # Acct-Session-Time is a 32-bit RADIUS integer
MAX_INTERVAL = 2**31 - 1
NAME = 253  # RADIUS text attributes carry at most 253 octets
ADDRESS = 45
SHORT = 64


# --- values from outside, made storable -------------------------------------------------------


def utc(value: datetime, what: str) -> datetime:
    """An aware time in UTC; a naive one is refused (the store never guesses a zone)."""
    if value.tzinfo is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, not {value!r}")
    return value.astimezone(UTC)


def counter(value: int) -> int:
    """A NAS counter clamped to 0 … :data:`MAX_COUNTER`."""
    return max(0, min(int(value), MAX_COUNTER))


def clean(text: str | None, size: int) -> str | None:
    """Text from a NAS made storable: no NUL, valid UTF-8, cut to the column's size."""
    if text is None:
        return None
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:size]


def storable(username: str) -> bool:
    """Whether a subscriber could have this name at all."""
    return 0 < len(username) <= NAME and clean(username, NAME) == username


@lru_cache(maxsize=8192)
def candidates(username: str, mac_key: bytes) -> tuple[str, ...]:
    """The stored spellings ``username`` may stand for: itself, as a MAC (its pseudonym
    under ``mac_key``), as a voucher code (the voucher's derived name under ``mac_key``)."""
    found = [username]
    mac = codes.mac_pseudonym(username, mac_key)
    if mac is not None and mac not in found:
        found.append(mac)
    voucher = codes.voucher_name(username, mac_key)
    if voucher is not None and voucher not in found:
        found.append(voucher)
    return tuple(found)


# --- records → rows ---------------------------------------------------------------------------


def subscriber_values(
    username: str,
    *,
    kind: SubscriberKind,
    plan: str,
    now: datetime,
    password_enc: str | None = None,
    password_hash: str | None = None,
    bound_mac: str | None = None,
    shared: bool = False,
    validity_s: int | None = None,
    valid_until: datetime | None = None,
    hotspot: str | None = None,
    batch: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The ``subscribers`` row of a new subscriber."""
    return {
        "username": username,
        "kind": kind,
        "plan": plan,
        "enabled": True,
        "password_enc": password_enc,
        "password_hash": password_hash,
        "bound_mac": bound_mac,
        "shared": shared,
        "validity_s": validity_s,
        "first_used_at": None,
        "valid_until": valid_until,
        "hotspot": hotspot,
        "batch": batch,
        "note": note,
        "created_at": now,
        "revoked_at": None,
    }


# --- rows → records ---------------------------------------------------------------------------


def to_subscriber(row: Any, clear: str | None) -> Subscriber:
    """The :class:`Subscriber` of a ``subscribers`` row (SQLAlchemy row or the hot path's
    named tuple, times already aware) with ``clear`` as its clear password."""
    kind = cast(SubscriberKind, row.kind)
    return Subscriber(
        username=row.username,
        kind=kind,
        plan=row.plan,
        enabled=bool(row.enabled),
        chap_capable=kind in ("voucher", "mac") or row.password_enc is not None,
        clear_password=clear,
        bound_mac=row.bound_mac,
        shared=bool(row.shared),
        first_used_at=row.first_used_at,
        valid_until=row.valid_until,
        hotspot=row.hotspot,
        batch=row.batch,
        created_at=row.created_at,
        note=row.note,
        password_hash=row.password_hash,
    )


def to_session(row: Any) -> Session:
    """The :class:`Session` of an ``acct_sessions`` row (times already aware)."""
    return Session(
        id=int(row.id),
        username=row.username,
        nas_ip=row.nas_ip,
        nas_identifier=row.nas_identifier,
        hotspot=row.hotspot,
        acct_session_id=row.acct_session_id,
        mac=row.mac,
        ip=row.ip,
        started_at=row.started_at,
        updated_at=row.updated_at,
        stopped_at=row.stopped_at,
        session_time=int(row.session_time),
        input_octets=int(row.input_octets),
        output_octets=int(row.output_octets),
        terminate_cause=row.terminate_cause,
        input_packets=int(row.input_packets),
        output_packets=int(row.output_packets),
        interim_interval=int(row.interim_interval),
    )
