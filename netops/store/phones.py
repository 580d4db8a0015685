"""Sign-up by phone: one-time codes sent by SMS, the sends that limit their cost, blocks.

A number is never stored in the clear in these tables: each row carries a keyed hash of the
E.164 number (HMAC-SHA256 under a key derived from the store key), and a code only as a
keyed hash of (number, code). A verified number becomes an ordinary ``user`` subscriber
whose name is the number (the RADIUS log pseudonymises phone-number-like names).

Issuing a code and checking one are each a single write transaction: the limits on sends
(per number, per device, per hotspot) are counted and the send recorded under the same lock
(``BEGIN IMMEDIATE`` on SQLite, a per-number advisory lock on PostgreSQL).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from sqlalchemy import (
    ColumnElement,
    Index,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from netops.errors import StoreError
from netops.store.base import StoreBase
from netops.store.credentials import load_key
from netops.store.rows import SUBSCRIBERS, subscriber_values
from netops.store.schema import Base, RowId, UTCDateTime

CODE_DIGITS = 6
CheckResult = Literal["ok", "wrong", "expired", "none", "spent", "blocked"]
Refusal = Literal["blocked", "number", "device", "hotspot"]


class PhoneCodeRow(Base):
    """The one live code of a number: its keyed hash, expiry and the tries left."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tries_left: Mapped[int] = mapped_column(Integer)


class PhoneSendRow(Base):
    """One SMS sent (or being sent): what the send limits count."""

    __tablename__ = "phone_sends"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number_hash: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(64))
    hotspot: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_phone_sends_number_hash_sent_at", "number_hash", "sent_at"),
        Index("ix_phone_sends_device_sent_at", "device", "sent_at"),
        Index("ix_phone_sends_hotspot_sent_at", "hotspot", "sent_at"),
    )


class PhoneBlockRow(Base):
    """A number an operator blocked: no code is sent to it and none is accepted from it."""

    __tablename__ = "phone_blocks"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


CODES = cast(Table, PhoneCodeRow.__table__)
SENDS = cast(Table, PhoneSendRow.__table__)
BLOCKS = cast(Table, PhoneBlockRow.__table__)


@dataclass(frozen=True)
class PhoneLimits:
    """How many codes may be sent, and how long a code lives. See docs/portal.md."""

    per_number_hour: int = 3
    per_number_day: int = 5
    per_device_hour: int = 3
    per_hotspot_hour: int = 120
    code_ttl_s: int = 300
    tries: int = 3


@dataclass(frozen=True)
class PhoneIssue:
    """A fresh code to send (``code``, ``send_id``), or why none was made (``refused``) and
    in how many seconds the exhausted limit frees up (``retry_after_s``)."""

    code: str | None = None
    send_id: int | None = None
    refused: Refusal | None = None
    retry_after_s: int = 0


@dataclass(frozen=True)
class PhoneBlock:
    """A blocked number as an operator may see it: masked, with the note and the time."""

    hint: str
    note: str | None
    created_at: datetime


def new_phone_code() -> str:
    """Six random digits (``secrets``), leading zeros kept."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


class Phones(StoreBase):
    """Codes, sends, blocks and the accounts of verified numbers."""

    _phone_key: bytes | None = None
    _phone_key_lock = threading.Lock()

    # --- keyed hashes -------------------------------------------------------------------------

    def _phone_mac(self) -> bytes:
        with self._phone_key_lock:
            if self._phone_key is None:
                key, _origin = load_key(self._key_file, self._keys)
                self._phone_key = hmac.new(key, b"netops phone sign-up v1", "sha256").digest()
            return self._phone_key

    def phone_hash(self, number: str) -> str:
        """The keyed hash a number is stored as (the same for one store key)."""
        return hmac.new(self._phone_mac(), number.encode(), hashlib.sha256).hexdigest()

    def _code_hash(self, number_hash: str, code: str) -> str:
        message = f"{number_hash}:{code}".encode()
        return hmac.new(self._phone_mac(), message, hashlib.sha256).hexdigest()

    def _lock_number(self, conn: Connection, number_hash: str) -> None:
        if self.dialect == "postgresql":
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:h))"), {"h": "phone:" + number_hash}
            )

    # --- codes --------------------------------------------------------------------------------

    def issue_phone_code(
        self,
        number: str,
        *,
        device: str,
        hotspot: str,
        now: datetime,
        limits: PhoneLimits,
    ) -> PhoneIssue:
        """A new code for ``number`` (E.164) unless the number is blocked or a send limit is
        reached; the send is recorded at once (see :meth:`forget_phone_send` when the SMS
        could not be handed to the gateway). A new code replaces the number's previous one.
        ``device`` is an opaque key of the phone (the portal hashes MAC and IP)."""
        number_hash = self.phone_hash(number)
        hour, day = now - timedelta(hours=1), now - timedelta(days=1)
        with self._tx(write=True) as conn:
            self._lock_number(conn, number_hash)
            conn.execute(delete(SENDS).where(SENDS.c.sent_at < day - timedelta(days=1)))
            blocked = conn.scalar(select(BLOCKS.c.id).where(BLOCKS.c.number_hash == number_hash))
            if blocked is not None:
                return PhoneIssue(refused="blocked")
            checks: list[tuple[Refusal, ColumnElement[bool], datetime, int, timedelta]] = [
                ("number", SENDS.c.number_hash == number_hash, hour, limits.per_number_hour,
                 timedelta(hours=1)),
                ("number", SENDS.c.number_hash == number_hash, day, limits.per_number_day,
                 timedelta(days=1)),
                ("device", SENDS.c.device == device, hour, limits.per_device_hour,
                 timedelta(hours=1)),
                ("hotspot", SENDS.c.hotspot == hotspot, hour, limits.per_hotspot_hour,
                 timedelta(hours=1)),
            ]  # fmt: skip
            for refusal, where, since, allowed, window in checks:
                count, oldest = conn.execute(
                    select(func.count(), func.min(SENDS.c.sent_at)).where(
                        where, SENDS.c.sent_at > since
                    )
                ).one()
                if int(count) >= allowed:
                    first = _aware(oldest) if oldest is not None else now
                    wait = max(1, math.ceil((first + window - now).total_seconds()))
                    return PhoneIssue(refused=refusal, retry_after_s=wait)
            code = new_phone_code()
            values = {
                "code_hash": self._code_hash(number_hash, code),
                "created_at": now,
                "expires_at": now + timedelta(seconds=limits.code_ttl_s),
                "tries_left": limits.tries,
            }
            stmt = self._insert()(CODES).values(number_hash=number_hash, **values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["number_hash"], set_=values))
            send_id = conn.execute(
                SENDS.insert()
                .values(number_hash=number_hash, device=device, hotspot=hotspot, sent_at=now)
                .returning(SENDS.c.id)
            ).scalar_one()
        return PhoneIssue(code=code, send_id=int(send_id))

    def forget_phone_send(self, send_id: int, number: str) -> None:
        """Undo a send the SMS gateway did not take: it costs nothing, so it does not count
        against the limits, and its code (never delivered) is dropped."""
        number_hash = self.phone_hash(number)
        with self._tx(write=True) as conn:
            conn.execute(delete(SENDS).where(SENDS.c.id == send_id))
            conn.execute(delete(CODES).where(CODES.c.number_hash == number_hash))

    def check_phone_code(self, number: str, code: str, now: datetime) -> CheckResult:
        """Check a typed code: ``ok`` (the code is used up), ``wrong`` (one try less),
        ``spent`` (no tries left), ``expired``, ``none`` (no code was sent, or it was used)
        or ``blocked``. Compared in constant time."""
        number_hash = self.phone_hash(number)
        given = self._code_hash(number_hash, code)
        with self._tx(write=True) as conn:
            self._lock_number(conn, number_hash)
            if conn.scalar(select(BLOCKS.c.id).where(BLOCKS.c.number_hash == number_hash)):
                conn.execute(delete(CODES).where(CODES.c.number_hash == number_hash))
                return "blocked"
            row = conn.execute(
                select(CODES).where(CODES.c.number_hash == number_hash).with_for_update()
            ).one_or_none()
            if row is None:
                return "none"
            if _aware(row.expires_at) <= now:
                conn.execute(delete(CODES).where(CODES.c.id == row.id))
                return "expired"
            if row.tries_left <= 0:
                return "spent"
            if hmac.compare_digest(given, row.code_hash):
                conn.execute(delete(CODES).where(CODES.c.id == row.id))
                return "ok"
            conn.execute(
                update(CODES).where(CODES.c.id == row.id).values(tries_left=CODES.c.tries_left - 1)
            )
            return "wrong" if row.tries_left > 1 else "spent"

    # --- the account of a verified number -----------------------------------------------------

    def phone_account(self, number: str, plan: str) -> tuple[str, str]:
        """The account of a verified number: created on first sign-up (a ``user`` named by
        the number, on ``plan``), with a fresh random password on every call (the portal
        hands it to the gateway; nobody types it). Returns (username, password)."""
        username = number
        password = secrets.token_urlsafe(18)
        cipher = self._cipher_()
        enc = cipher.encrypt(username, password)
        values = subscriber_values(
            username,
            kind="user",
            plan=plan,
            now=datetime.now(UTC),
            password_enc=enc,
            note="phone sign-up",
        )
        with self._tx(write=True) as conn:
            stmt = self._insert()(SUBSCRIBERS).on_conflict_do_nothing(index_elements=["username"])
            # rowcount is -1 for INSERT … ON CONFLICT on psycopg: ask for the new row.
            if conn.execute(stmt.returning(SUBSCRIBERS.c.id), values).first() is None:
                kind = conn.scalar(
                    select(SUBSCRIBERS.c.kind).where(SUBSCRIBERS.c.username == username)
                )
                if kind != "user":
                    raise StoreError(f"the name of a phone account is taken by a {kind}")
                conn.execute(
                    update(SUBSCRIBERS)
                    .where(SUBSCRIBERS.c.username == username, SUBSCRIBERS.c.kind == "user")
                    .values(password_enc=enc, password_hash=None)
                )
        return username, password

    # --- blocks -------------------------------------------------------------------------------

    def block_phone(self, number: str, hint: str, note: str | None = None) -> bool:
        """Block ``number`` (E.164); False when it already was. Its live code is dropped."""
        number_hash = self.phone_hash(number)
        with self._tx(write=True) as conn:
            stmt = self._insert()(BLOCKS).on_conflict_do_nothing(index_elements=["number_hash"])
            values = {
                "number_hash": number_hash,
                "hint": hint,
                "note": note,
                "created_at": datetime.now(UTC),
            }
            added = conn.execute(stmt.returning(BLOCKS.c.id), values).first() is not None
            conn.execute(delete(CODES).where(CODES.c.number_hash == number_hash))
        return added

    def unblock_phone(self, number: str) -> bool:
        """Lift a block; False when the number was not blocked."""
        with self._tx(write=True) as conn:
            result = conn.execute(
                delete(BLOCKS).where(BLOCKS.c.number_hash == self.phone_hash(number))
            )
            return bool(result.rowcount)

    def phone_blocked(self, number: str) -> bool:
        with self._tx() as conn:
            found = conn.scalar(
                select(BLOCKS.c.id).where(BLOCKS.c.number_hash == self.phone_hash(number))
            )
        return found is not None

    def list_phone_blocks(self) -> list[PhoneBlock]:
        """Blocked numbers, newest first, masked."""
        with self._tx() as conn:
            rows = conn.execute(
                select(BLOCKS.c.hint, BLOCKS.c.note, BLOCKS.c.created_at).order_by(
                    BLOCKS.c.created_at.desc()
                )
            ).all()
        return [PhoneBlock(r.hint, r.note, _aware(r.created_at)) for r in rows]

    def phone_sends(self, number: str, since: datetime) -> int:
        """How many codes were sent to ``number`` since ``since`` (helpdesk, tests)."""
        with self._tx() as conn:
            count = conn.scalar(
                select(func.count()).where(
                    SENDS.c.number_hash == self.phone_hash(number), SENDS.c.sent_at > since
                )
            )
        return int(count or 0)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
