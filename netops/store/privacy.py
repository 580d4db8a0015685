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

from sqlalchemy import Index, String, Table, and_, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from netops.errors import StoreError
from netops.store.base import StoreBase
from netops.store.devices import device_records, erase_device_records
from netops.store.operators import AUDIT
from netops.store.rows import ADMISSIONS, SESSIONS, SUBSCRIBERS, TOTALS, utc
from netops.store.schema import Base, PrivacyRequestRow, RowId, UTCDateTime

REQUESTS = cast(Table, PrivacyRequestRow.__table__)


class NoticeAcceptanceRow(Base):
    """A citizen's acceptance of the terms on the portal, with the version of the privacy
    notice they were shown (UU 27/2022 art. 24: the controller shows the consent was
    given). The device is kept as its MAC pseudonym, never a clear MAC."""

    __tablename__ = "notice_acceptances"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str | None] = mapped_column(String(64))
    hotspot: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_notice_acceptances_accepted_at", "accepted_at"),
        Index("ix_notice_acceptances_device", "device"),
    )


ACCEPTANCES = cast(Table, NoticeAcceptanceRow.__table__)
# Audit-trail actions that are privacy events, by the name the metrics give them.
FAILED_SIGN_IN = "sign_in_failed"
#: The audit actions of failed operator sign-ins (console; API tokens are not audited).
SIGN_IN_FAILURES = (f"console.{FAILED_SIGN_IN}", f"api.{FAILED_SIGN_IN}")

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
            accepted = (
                conn.execute(
                    select(ACCEPTANCES)
                    .where(ACCEPTANCES.c.device == subject.device)
                    .order_by(ACCEPTANCES.c.id)
                ).all()
                if subject.device is not None
                else []
            )
        hidden = ("password_enc", "password_hash")
        return {
            "subscribers": [_row(r, hidden) for r in subscribers],
            "acct_sessions": [_row(r) for r in sessions],
            "usage_totals": [_row(r) for r in totals],
            "admissions": [_row(r) for r in admissions],
            "privacy_requests": [_row(r) for r in requests],
            "notice_acceptances": [_row(r) for r in accepted],
            **device_records(self, subject.names, subject.device),
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
            if subject.device is not None:
                deleted["notice_acceptances"] = conn.execute(
                    delete(ACCEPTANCES).where(ACCEPTANCES.c.device == subject.device)
                ).rowcount
            deleted.update(erase_device_records(conn, subject.names, subject.device))
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

    # --- the privacy notice ------------------------------------------------------------------

    def record_acceptance(
        self,
        *,
        mac: str | None,
        hotspot: str | None,
        version: str,
        lang: str,
        at: datetime,
    ) -> int:
        """Record that the device ``mac`` (kept as its pseudonym) accepted the terms under
        the privacy notice ``version``; returns the record's number."""
        device = self.mac_pseudonym(mac) if mac else None
        with self._tx(write=True) as conn:
            result = conn.execute(
                ACCEPTANCES.insert().values(
                    accepted_at=utc(at, "at"),
                    device=device,
                    hotspot=hotspot,
                    version=version[:32],
                    lang=lang[:8],
                )
            )
            key = result.inserted_primary_key
            if key is None:
                raise StoreError(f"{self.where} did not number the acceptance")
            return int(key[0])

    def acceptances(self, *, mac: str | None = None) -> list[dict[str, Any]]:
        """Recorded acceptances, oldest first; only the device ``mac``'s when given."""
        query = select(ACCEPTANCES).order_by(ACCEPTANCES.c.id)
        if mac is not None:
            query = query.where(ACCEPTANCES.c.device == self.mac_pseudonym(mac))
        with self._tx() as conn:
            return [_row(r) for r in conn.execute(query).all()]

    def privacy_action_counts(self, since: datetime | None = None) -> dict[str, int]:
        """How many privacy-relevant actions the store has recorded (since ``since``):
        data subject requests by kind (``export``, ``erase``, …), failed operator sign-ins
        (``sign_in_failed``) and audit-trail actions named ``privacy.<what>`` (``trace``, …),
        whatever process recorded them."""
        counts: dict[str, int] = {}
        with self._tx() as conn:
            query = select(REQUESTS.c.kind, func.count()).group_by(REQUESTS.c.kind)
            if since is not None:
                query = query.where(REQUESTS.c.received_at >= utc(since, "since"))
            for kind, count in conn.execute(query).all():
                counts[str(kind)] = counts.get(str(kind), 0) + int(count)
            # Exact names and a prefix range, so ix_audit_log_action_at answers without
            # reading the rest of the trail (a LIKE '%…' would scan every row).
            audit = select(AUDIT.c.action, func.count()).where(
                or_(
                    AUDIT.c.action.in_(SIGN_IN_FAILURES),
                    and_(AUDIT.c.action >= "privacy.", AUDIT.c.action < "privacy/"),
                )
            )
            if since is not None:
                audit = audit.where(AUDIT.c.at >= utc(since, "since"))
            for action, count in conn.execute(audit.group_by(AUDIT.c.action)).all():
                name = str(action)
                key = FAILED_SIGN_IN if name.endswith(FAILED_SIGN_IN) else name.split(".", 1)[1]
                counts[key] = counts.get(key, 0) + int(count)
        return counts

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

    def purge_acceptances(self, before: datetime) -> int:
        """Delete records of terms accepted before ``before``."""
        before = utc(before, "before")
        with self._tx(write=True) as conn:
            return int(
                conn.execute(delete(ACCEPTANCES).where(ACCEPTANCES.c.accepted_at < before)).rowcount
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
