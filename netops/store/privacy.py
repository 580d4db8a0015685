"""What the store holds about one data subject, and its retention housekeeping (UU 27/2022).

:class:`DataSubjects` finds everything tied to a person (a registered user, a phone number
used as a user name, a device's MAC address through its pseudonym), erases it except what a
lawful retention period holds, records each request with the deadline it must meet, and
applies the retention periods the store's own :meth:`purge` does not cover (connection
details, inactive accounts, old request records).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import Table, and_, delete, func, or_, select, update

from netops.errors import StoreError
from netops.store.base import StoreBase
from netops.store.rows import ADMISSIONS, SESSIONS, SUBSCRIBERS, TOTALS, utc
from netops.store.schema import PrivacyRequestRow

REQUESTS = cast(Table, PrivacyRequestRow.__table__)

SubjectKind = Literal["user", "mac", "phone"]
RequestKind = Literal["export", "erase"]
_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{6,20}$")


@dataclass(frozen=True)
class Subject:
    """Whom a request is about, as the store can find them: ``names`` are subscriber user
    names, ``device`` a MAC pseudonym; ``label`` is what a request record keeps (never a
    clear MAC or phone number)."""

    kind: SubjectKind
    label: str
    names: tuple[str, ...] = ()
    device: str | None = None


@dataclass(frozen=True)
class Erased:
    """What :meth:`DataSubjects.erase` deleted (counts per table) and what it kept under a
    lawful hold (``held``: table → count, ``held_until``: the latest moment a held record
    may be kept to)."""

    deleted: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    held_until: datetime | None = None


@dataclass(frozen=True)
class PrivacyRequest:
    """One recorded data subject request."""

    id: int
    kind: str
    subject_kind: str
    subject: str
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    outcome: str | None
    held: str | None

    def overdue(self, now: datetime) -> bool:
        """Not answered and past its deadline."""
        return self.completed_at is None and now > self.due_at


def phone_spellings(phone: str) -> tuple[str, ...]:
    """The spellings an Indonesian mobile number may be stored under as a user name:
    ``0812…``, ``62812…``, ``+62812…``. Raises StoreError for anything else."""
    if not _PHONE.fullmatch(phone.strip()):
        raise StoreError(f"{phone!r} is not a phone number (write it like 0812-3456-7890)")
    digits = re.sub(r"[^0-9]", "", phone)
    if digits.startswith("62"):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = digits
    return (f"0{national}", f"62{national}", f"+62{national}")


def _row(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row._mapping.items():
        if key in skip:
            continue
        out[key] = value
    return out


class DataSubjects(StoreBase):
    """Data subject requests (find, export, erase, record) and retention housekeeping."""

    # --- finding a subject --------------------------------------------------------------------

    def subject(
        self, *, user: str | None = None, mac: str | None = None, phone: str | None = None
    ) -> Subject:
        """The subject named by exactly one of a user name, a MAC address or a phone number."""
        given = [v for v in (user, mac, phone) if v is not None]
        if len(given) != 1:
            raise StoreError("name exactly one subject: a user name, a MAC address or a phone")
        if mac is not None:
            device = self.mac_pseudonym(mac)
            if device is None:
                raise StoreError(f"{mac!r} is not a MAC address (write it like aa:bb:cc:dd:ee:ff)")
            with self._tx() as conn:
                names = conn.scalars(
                    select(SUBSCRIBERS.c.username).where(
                        or_(SUBSCRIBERS.c.username == device, SUBSCRIBERS.c.bound_mac == device)
                    )
                ).all()
            return Subject("mac", device, tuple(names), device)
        if phone is not None:
            spellings = phone_spellings(phone)
            with self._tx() as conn:
                names = conn.scalars(
                    select(SUBSCRIBERS.c.username).where(SUBSCRIBERS.c.username.in_(spellings))
                ).all()
            digest = hmac.new(self._mac_key_(), spellings[1].encode(), hashlib.sha256)
            return Subject("phone", f"phone~{digest.hexdigest()[:13]}", tuple(names))
        assert user is not None
        with self._tx() as conn:
            name = self._canonical(conn, user)
        return Subject("user", name, (name,))

    def _where_sessions(self, subject: Subject) -> Any:
        clauses: list[Any] = [SESSIONS.c.username.in_(subject.names)] if subject.names else []
        if subject.device is not None:
            clauses.append(SESSIONS.c.mac == subject.device)
        return or_(*clauses) if clauses else SESSIONS.c.id.is_(None)

    def _where_admissions(self, subject: Subject) -> Any:
        clauses: list[Any] = [ADMISSIONS.c.username.in_(subject.names)] if subject.names else []
        if subject.device is not None:
            clauses.append(ADMISSIONS.c.device == subject.device)
        return or_(*clauses) if clauses else ADMISSIONS.c.id.is_(None)

    # --- export -------------------------------------------------------------------------------

    def subject_data(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        """Every row the store holds about ``subject``, per table. Password columns are left
        out (stored encrypted or hashed, they are credentials, not information about the
        person); times are timezone-aware UTC."""
        with self._tx() as conn:
            subscribers = conn.execute(
                select(SUBSCRIBERS).where(SUBSCRIBERS.c.username.in_(subject.names))
            ).all()
            sessions = conn.execute(
                select(SESSIONS).where(self._where_sessions(subject)).order_by(SESSIONS.c.id)
            ).all()
            totals = conn.execute(select(TOTALS).where(TOTALS.c.username.in_(subject.names))).all()
            admissions = conn.execute(
                select(ADMISSIONS).where(self._where_admissions(subject))
            ).all()
            requests = conn.execute(
                select(REQUESTS).where(REQUESTS.c.subject == subject.label).order_by(REQUESTS.c.id)
            ).all()
        hidden = ("password_enc", "password_hash")
        return {
            "subscribers": [_row(r, hidden) for r in subscribers],
            "acct_sessions": [_row(r) for r in sessions],
            "usage_totals": [_row(r) for r in totals],
            "admissions": [_row(r) for r in admissions],
            "privacy_requests": [_row(r) for r in requests],
        }

    # --- erasure ------------------------------------------------------------------------------

    def erase(self, subject: Subject, *, hold_after: datetime) -> Erased:
        """Delete what the store holds about ``subject``, in one transaction, except the
        connection records (sessions) that ended at or after ``hold_after`` or are still open:
        those are under their lawful retention and stay until it runs out (the purge deletes
        them then). The subscriber rows, usage totals and admissions go."""
        hold_after = utc(hold_after, "hold_after")
        held_clause = or_(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stopped_at >= hold_after)
        with self._tx(write=True) as conn:
            sessions = self._where_sessions(subject)
            held = int(
                conn.scalar(select(func.count()).select_from(SESSIONS).where(sessions, held_clause))
                or 0
            )
            latest = conn.scalar(
                select(func.max(func.coalesce(SESSIONS.c.stopped_at, SESSIONS.c.updated_at))).where(
                    sessions, held_clause
                )
            )
            deleted = {
                "acct_sessions": conn.execute(
                    delete(SESSIONS).where(sessions, ~held_clause)
                ).rowcount,
                "usage_totals": conn.execute(
                    delete(TOTALS).where(TOTALS.c.username.in_(subject.names))
                ).rowcount,
                "admissions": conn.execute(
                    delete(ADMISSIONS).where(self._where_admissions(subject))
                ).rowcount,
                "subscribers": conn.execute(
                    delete(SUBSCRIBERS).where(SUBSCRIBERS.c.username.in_(subject.names))
                ).rowcount,
            }
        until = None
        if held and latest is not None:
            latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
            until = latest + (datetime.now(UTC) - hold_after)
        return Erased(
            {k: int(v) for k, v in deleted.items()},
            {"acct_sessions": held} if held else {},
            until,
        )

    # --- requests -----------------------------------------------------------------------------

    def record_request(
        self, kind: RequestKind, subject: Subject, received_at: datetime, due_at: datetime
    ) -> int:
        """Record a request as it arrives; returns its number."""
        with self._tx(write=True) as conn:
            result = conn.execute(
                REQUESTS.insert().values(
                    kind=kind,
                    subject_kind=subject.kind,
                    subject=subject.label,
                    received_at=utc(received_at, "received_at"),
                    due_at=utc(due_at, "due_at"),
                )
            )
            key = result.inserted_primary_key
            if key is None:
                raise StoreError(f"{self.where} did not number the request")
            return int(key[0])

    def complete_request(self, number: int, outcome: str, held: str | None, at: datetime) -> None:
        """Mark request ``number`` answered at ``at`` with what was done and what was kept."""
        with self._tx(write=True) as conn:
            conn.execute(
                update(REQUESTS)
                .where(REQUESTS.c.id == number)
                .values(completed_at=utc(at, "at"), outcome=outcome, held=held)
            )

    def privacy_requests(self) -> list[PrivacyRequest]:
        """Every recorded request, newest first."""
        with self._tx() as conn:
            rows = conn.execute(select(REQUESTS).order_by(REQUESTS.c.id.desc())).all()
        return [PrivacyRequest(**_row(r)) for r in rows]

    # --- retention ----------------------------------------------------------------------------

    def forget_connections(self, before: datetime) -> int:
        """Clear the connection details (client IP, MAC pseudonym) of sessions that ended
        before ``before``; their usage counters stay for reports and quotas. Returns how
        many sessions lost them."""
        before = utc(before, "before")
        with self._tx(write=True) as conn:
            return int(
                conn.execute(
                    update(SESSIONS)
                    .where(
                        SESSIONS.c.stopped_at.is_not(None),
                        SESSIONS.c.stopped_at < before,
                        or_(SESSIONS.c.ip.is_not(None), SESSIONS.c.mac.is_not(None)),
                    )
                    .values(ip=None, mac=None)
                ).rowcount
            )

    def purge_inactive_users(self, before: datetime) -> int:
        """Delete registered user accounts created before ``before`` with no session since
        (no open session, none that ended later), with their usage totals. MAC allow-list
        entries (the city's own devices) are kept."""
        before = utc(before, "before")
        recent = select(SESSIONS.c.username).where(
            or_(SESSIONS.c.stopped_at.is_(None), SESSIONS.c.stopped_at >= before)
        )
        with self._tx(write=True) as conn:
            names = conn.scalars(
                select(SUBSCRIBERS.c.username).where(
                    SUBSCRIBERS.c.kind == "user",
                    SUBSCRIBERS.c.created_at < before,
                    SUBSCRIBERS.c.username.not_in(recent),
                )
            ).all()
            if not names:
                return 0
            conn.execute(delete(TOTALS).where(TOTALS.c.username.in_(names)))
            return int(
                conn.execute(
                    delete(SUBSCRIBERS).where(
                        and_(SUBSCRIBERS.c.kind == "user", SUBSCRIBERS.c.username.in_(names))
                    )
                ).rowcount
            )

    def purge_requests(self, before: datetime) -> int:
        """Delete answered request records answered before ``before``."""
        before = utc(before, "before")
        with self._tx(write=True) as conn:
            return int(
                conn.execute(
                    delete(REQUESTS).where(
                        REQUESTS.c.completed_at.is_not(None), REQUESTS.c.completed_at < before
                    )
                ).rowcount
            )
