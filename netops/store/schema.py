"""The store's tables as SQLAlchemy 2 models. Migrations in ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Row ids: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
RowId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in Python; ``timestamptz`` on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"the store only takes timezone-aware datetimes, not {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SubscriberRow(Base):
    """Users, vouchers, MAC allow-list entries and click-through allowances, one table."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(253), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    plan: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    password_enc: Mapped[str | None] = mapped_column(Text)
    password_hash: Mapped[str | None] = mapped_column(Text)
    bound_mac: Mapped[str | None] = mapped_column(String(17))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    validity_s: Mapped[int | None] = mapped_column(Integer)
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hotspot: Mapped[str | None] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_subscribers_kind_batch", "kind", "batch"),
        Index("ix_subscribers_bound_mac", "bound_mac"),
    )


class SessionRow(Base):
    """One accounting session, keyed by (NAS address, Acct-Session-Id, username)."""

    __tablename__ = "acct_sessions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(253))
    nas_ip: Mapped[str] = mapped_column(String(45))
    nas_identifier: Mapped[str | None] = mapped_column(String(253))
    hotspot: Mapped[str | None] = mapped_column(String(64))
    acct_session_id: Mapped[str] = mapped_column(String(253))
    mac: Mapped[str | None] = mapped_column(String(17))
    ip: Mapped[str | None] = mapped_column(String(45))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stale_at: Mapped[datetime] = mapped_column(UTCDateTime)
    session_time: Mapped[int] = mapped_column(BigInteger, default=0)
    input_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_octets: Mapped[int] = mapped_column(BigInteger, default=0)
    input_packets: Mapped[int] = mapped_column(BigInteger, default=0)
    output_packets: Mapped[int] = mapped_column(BigInteger, default=0)
    terminate_cause: Mapped[str | None] = mapped_column(String(64))
    interim_interval: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("nas_ip", "acct_session_id", "username", name="uq_acct_sessions_key"),
        Index("ix_acct_sessions_username_stopped_at", "username", "stopped_at"),
        Index("ix_acct_sessions_stopped_at_stale_at", "stopped_at", "stale_at"),
        Index("ix_acct_sessions_hotspot_started_at", "hotspot", "started_at"),
        Index("ix_acct_sessions_started_at", "started_at"),
        Index("ix_acct_sessions_acct_session_id", "acct_session_id"),
    )


class AdmissionRow(Base):
    """A login the server has just accepted and whose Accounting-Start has not come yet:
    it holds a Simultaneous-Use slot for a short while so two servers cannot both hand out
    the last one."""

    __tablename__ = "admissions"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(253))
    device: Mapped[str] = mapped_column(String(64))
    nas_ip: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("username", "device", name="uq_admissions_key"),
        Index("ix_admissions_nas_ip", "nas_ip"),
    )


class UsageTotalRow(Base):
    """What purged sessions of a subscriber added up to: :meth:`Store.purge` folds the
    sessions it deletes into this row, so a total data quota (counted over every session)
    still holds after old sessions are deleted."""

    __tablename__ = "usage_totals"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(253), unique=True)
    seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    octets: Mapped[int] = mapped_column(BigInteger, default=0)
    sessions: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PrivacyRequestRow(Base):
    """A data subject's request under UU 27/2022 (access/export, erasure): when it came,
    the 3×24-hour deadline it must meet, when it was answered and how. The subject is kept
    as the store knows it (a user name, a MAC pseudonym), never a clear MAC or phone."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(253))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    held: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_privacy_requests_received_at", "received_at"),)
