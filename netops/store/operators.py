"""Who runs the console and what they did: operator accounts, their API tokens, console
sign-ins, and the append-only audit trail.

Passwords are scrypt hashes (:func:`~netops.store.credentials.hash_password`); API tokens and
console sign-in ids are kept only as their SHA-256, so a copy of the database holds nothing a
request could be made with. TOTP secrets are encrypted under the store key like CHAP
passwords.

The audit trail is a hash chain: each row carries ``hash = SHA-256(previous row's hash +
the row's canonical content)``, so editing or deleting a row breaks the chain at that row
(:meth:`Operators.verify_audit`). The retention purge (:meth:`Operators.purge_audit`) deletes
the oldest rows only, leaving an anchor (the last deleted row's id and hash, when, how many,
sealed with an HMAC under the store key) that verification starts from, and records itself
as a row of the chain. Rows are appended under a lock (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL) so two writers never chain to the same row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, cast, get_args

from sqlalchemy import Boolean, Index, String, Table, Text, delete, func, select, text, update
from sqlalchemy.orm import Mapped, mapped_column

from netops.errors import StoreError
from netops.store.base import StoreBase
from netops.store.credentials import hash_password, load_key, verify_hash
from netops.store.schema import Base, RowId, UTCDateTime

Role = Literal["viewer", "helpdesk", "operator", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
GENESIS = "0" * 64
#: Operator API tokens start with this, so a leaked one is easy to search for.
TOKEN_PREFIX = "nto_"
#: pg_advisory_xact_lock key for appending to the audit chain ("audit" as an integer)
AUDIT_LOCK = 0x6175646974
OPERATOR_NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
MIN_PASSWORD = 12


class OperatorRow(Base):
    """A named console / API account with a role and, optionally, the sites it may see."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    sites: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str | None] = mapped_column(Text)
    totp_enc: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OperatorTokenRow(Base):
    """An API token of an operator: only its SHA-256 and a short prefix to recognise it."""

    __tablename__ = "operator_tokens"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    operator: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_operator_tokens_operator", "operator"),)


class ConsoleSessionRow(Base):
    """A console sign-in, by the SHA-256 of the id its cookie carries."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_console_sessions_expires_at", "expires_at"),)


class AuditRow(Base):
    """One operator action, chained to the row before it."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(253))
    detail: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_operator", "operator"),
        Index("ix_audit_log_action_at", "action", "at"),
    )


class AuditAnchorRow(Base):
    """Where the audit chain starts after the retention purge deleted its oldest rows: the
    last deleted row's id and hash, when the last purge ran, how many rows purges deleted
    in all, and an HMAC of those under the store key (a forged anchor does not verify).
    One row (id 1), or none while nothing was ever purged."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(RowId, primary_key=True)
    last_id: Mapped[int] = mapped_column(RowId)
    last_hash: Mapped[str] = mapped_column(String(64))
    purged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_rows: Mapped[int] = mapped_column(RowId)
    seal: Mapped[str] = mapped_column(String(64))


OPERATORS = cast(Table, OperatorRow.__table__)
TOKENS = cast(Table, OperatorTokenRow.__table__)
CONSOLE = cast(Table, ConsoleSessionRow.__table__)
AUDIT = cast(Table, AuditRow.__table__)
ANCHOR = cast(Table, AuditAnchorRow.__table__)


@dataclass(frozen=True)
class Operator:
    """An operator account as callers see it (no hash, no secret)."""

    name: str
    role: Role
    sites: frozenset[str]
    enabled: bool
    has_password: bool
    has_totp: bool
    created_at: datetime


@dataclass(frozen=True)
class OperatorToken:
    """An API token's record: never the token itself."""

    id: int
    operator: str
    label: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail."""

    id: int
    at: datetime
    operator: str
    source: str
    action: str
    target: str | None
    detail: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditAnchor:
    """Where the chain starts after a retention purge (see :class:`AuditAnchorRow`)."""

    last_id: int
    last_hash: str
    purged_at: datetime
    purged_rows: int


@dataclass(frozen=True)
class AuditCheck:
    """What :meth:`Operators.verify_audit` found: rows checked, the first broken one (its id
    and why) or None, the hash of the last row (note it down: deleting the newest rows
    is only visible against a head noted earlier), and the anchor the walk started from
    (None: from the first row ever written)."""

    rows: int
    broken_id: int | None
    problem: str | None
    head: str
    anchor: AuditAnchor | None = None


@dataclass(frozen=True)
class AuditPurge:
    """What :meth:`Operators.purge_audit` deleted: how many rows, up to which id and time."""

    rows: int
    last_id: int | None
    last_at: datetime | None


def token_digest(token: str) -> str:
    """What the store keeps of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def canonical(
    at: datetime,
    operator: str,
    source: str,
    action: str,
    target: str | None,
    detail: str | None,
) -> str:
    """A row's content as the chain hashes it: sorted-key JSON, the time in UTC ISO 8601."""
    return json.dumps(
        {
            "action": action,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "detail": detail,
            "operator": operator,
            "source": source,
            "target": target,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def anchor_seal(key: bytes, last_id: int, last_hash: str, purged_at: datetime, rows: int) -> str:
    """The HMAC-SHA256 (store key) that makes an anchor hard to forge without the key."""
    content = f"audit-anchor\0{last_id}\0{last_hash}\0{purged_at.astimezone(UTC).isoformat()}"
    return hmac.new(key, f"{content}\0{rows}".encode(), hashlib.sha256).hexdigest()


def chain_hash(prev_hash: str, content: str) -> str:
    """SHA-256 of the previous row's hash followed by this row's canonical content."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def check_name(name: str) -> None:
    if not OPERATOR_NAME.fullmatch(name):
        raise StoreError(
            f"operator name {name!r} must be 2-32 characters: lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter"
        )


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise StoreError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StoreError(f"an operator password needs at least {MIN_PASSWORD} characters")
    if len(password) > 256:
        raise StoreError("an operator password may have at most 256 characters")


def _operator(row: Any) -> Operator:
    return Operator(
        name=row.name,
        role=check_role(row.role),
        sites=frozenset(s for s in row.sites.split(",") if s),
        enabled=bool(row.enabled),
        has_password=row.password_hash is not None,
        has_totp=row.totp_enc is not None,
        created_at=row.created_at,
    )


def _token(row: Any) -> OperatorToken:
    return OperatorToken(
        id=row.id,
        operator=row.operator,
        label=row.label,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        operator=row.operator,
        source=row.source,
        action=row.action,
        target=row.target,
        detail=row.detail,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class Operators(StoreBase):
    """Operator accounts, API tokens, console sign-ins and the audit trail."""

    # --- accounts -----------------------------------------------------------------------------

    def add_operator(
        self, name: str, role: str, *, sites: frozenset[str] = frozenset(), password: str | None
    ) -> Operator:
        """Create an account (``password`` None: API tokens only, no console sign-in)."""
        check_name(name)
        role = check_role(role)
        if password is not None:
            check_password(password)
        now = datetime.now(UTC)
        values = {
            "name": name,
            "role": role,
            "sites": ",".join(sorted(sites)),
            "password_hash": hash_password(password) if password is not None else None,
            "totp_enc": None,
            "enabled": True,
            "created_at": now,
            "updated_at": now,
        }
        with self._tx(write=True) as conn:
            if conn.scalar(select(OPERATORS.c.id).where(OPERATORS.c.name == name)) is not None:
                raise StoreError(f"operator {name!r} already exists")
            conn.execute(OPERATORS.insert().values(**values))
        found = self.operator(name)
        assert found is not None
        return found

    def operator(self, name: str) -> Operator | None:
        """The account called ``name``, or None."""
        with self._tx() as conn:
            row = conn.execute(select(OPERATORS).where(OPERATORS.c.name == name)).first()
        return _operator(row) if row is not None else None

    def operators(self) -> list[Operator]:
        """Every account, by name."""
        with self._tx() as conn:
            rows = conn.execute(select(OPERATORS).order_by(OPERATORS.c.name)).all()
        return [_operator(r) for r in rows]

    def _set(self, name: str, **values: Any) -> None:
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(OPERATORS)
                .where(OPERATORS.c.name == name)
                .values(updated_at=datetime.now(UTC), **values)
            ).rowcount
        if not done:
            raise StoreError(f"operator {name!r} does not exist")

    def set_operator_enabled(self, name: str, enabled: bool) -> None:
        """Disable (no sign-in, no token works) or enable an account."""
        self._set(name, enabled=enabled)

    def set_operator_password(self, name: str, password: str) -> None:
        check_password(password)
        self._set(name, password_hash=hash_password(password))

    def set_operator_role(self, name: str, role: str, sites: frozenset[str]) -> None:
        self._set(name, role=check_role(role), sites=",".join(sorted(sites)))

    def set_operator_totp(self, name: str, secret: str | None) -> None:
        """Require a TOTP code at sign-in (``secret``: base32), or no longer (None)."""
        enc = self._cipher_().encrypt(f"totp:{name}", secret) if secret is not None else None
        self._set(name, totp_enc=enc)

    def delete_operator(self, name: str) -> None:
        """Delete an account and its tokens (the audit trail keeps its name)."""
        with self._tx(write=True) as conn:
            conn.execute(delete(TOKENS).where(TOKENS.c.operator == name))
            done = conn.execute(delete(OPERATORS).where(OPERATORS.c.name == name)).rowcount
        if not done:
            raise StoreError(f"operator {name!r} does not exist")

    def check_operator_password(self, name: str, password: str) -> Operator | None:
        """The enabled account when ``password`` is its password, else None."""
        with self._tx() as conn:
            row = conn.execute(select(OPERATORS).where(OPERATORS.c.name == name)).first()
        if row is None or row.password_hash is None:
            # Hash anyway, so a wrong name costs the same time as a wrong password.
            verify_hash(password, _dummy_hash())
            return None
        if not verify_hash(password, row.password_hash) or not row.enabled:
            return None
        return _operator(row)

    def operator_totp_secret(self, name: str) -> str | None:
        """The account's TOTP secret (base32), None when it has none."""
        with self._tx() as conn:
            enc = conn.scalar(select(OPERATORS.c.totp_enc).where(OPERATORS.c.name == name))
        return self._cipher_().decrypt(f"totp:{name}", enc) if enc else None

    # --- API tokens ---------------------------------------------------------------------------

    def add_operator_token(self, name: str, label: str, token: str) -> OperatorToken:
        """Keep ``token`` (its SHA-256) for the account ``name``."""
        if self.operator(name) is None:
            raise StoreError(f"operator {name!r} does not exist")
        if not 1 <= len(label) <= 64:
            raise StoreError("a token label needs 1-64 characters")
        with self._tx(write=True) as conn:
            conn.execute(
                TOKENS.insert().values(
                    operator=name,
                    label=label,
                    token_hash=token_digest(token),
                    prefix=token[:12],
                    created_at=datetime.now(UTC),
                    last_used_at=None,
                    revoked_at=None,
                )
            )
            row = conn.execute(
                select(TOKENS).where(TOKENS.c.token_hash == token_digest(token))
            ).one()
        return _token(row)

    def operator_tokens(self, name: str | None = None) -> list[OperatorToken]:
        query = select(TOKENS).order_by(TOKENS.c.id)
        if name is not None:
            query = query.where(TOKENS.c.operator == name)
        with self._tx() as conn:
            return [_token(r) for r in conn.execute(query).all()]

    def revoke_operator_token(self, token_id: int) -> bool:
        """Revoke a token by its id; True when it was live."""
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(TOKENS)
                .where(TOKENS.c.id == token_id, TOKENS.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            ).rowcount
        return bool(done)

    def operator_for_token(self, token: str) -> Operator | None:
        """The enabled account a live token belongs to, or None (and notes its use)."""
        digest = token_digest(token)
        with self._tx(write=True) as conn:
            row = conn.execute(
                select(OPERATORS)
                .join(TOKENS, TOKENS.c.operator == OPERATORS.c.name)
                .where(TOKENS.c.token_hash == digest, TOKENS.c.revoked_at.is_(None))
            ).first()
            if row is None or not row.enabled:
                return None
            conn.execute(
                update(TOKENS)
                .where(TOKENS.c.token_hash == digest)
                .values(last_used_at=datetime.now(UTC))
            )
        return _operator(row)

    # --- console sign-ins (netops.portal.console_sessions.ConsoleSessionTable) ----------------

    def open_console_session(self, key: str, created_at: datetime, expires_at: datetime) -> None:
        with self._tx(write=True) as conn:
            conn.execute(delete(CONSOLE).where(CONSOLE.c.expires_at <= created_at))
            conn.execute(
                CONSOLE.insert().values(
                    id=key, created_at=created_at, expires_at=expires_at, revoked_at=None
                )
            )

    def console_session_live(self, key: str, now: datetime) -> bool:
        with self._tx() as conn:
            row = conn.execute(
                select(CONSOLE.c.expires_at, CONSOLE.c.revoked_at).where(CONSOLE.c.id == key)
            ).first()
        return row is not None and row.revoked_at is None and now < row.expires_at

    def revoke_console_session(self, key: str, at: datetime) -> bool:
        with self._tx(write=True) as conn:
            done = conn.execute(
                update(CONSOLE)
                .where(
                    CONSOLE.c.id == key, CONSOLE.c.revoked_at.is_(None), CONSOLE.c.expires_at > at
                )
                .values(revoked_at=at)
            ).rowcount
        return bool(done)

    def purge_console_sessions(self, now: datetime) -> int:
        """Delete expired sign-ins; how many."""
        with self._tx(write=True) as conn:
            return int(conn.execute(delete(CONSOLE).where(CONSOLE.c.expires_at <= now)).rowcount)

    # --- the audit trail ----------------------------------------------------------------------

    def audit_pseudonym(self, kind: str, value: str) -> str:
        """``kind~<keyed hash>`` of a device's address for the audit trail: the same for
        the same device in every process (keyed by the store key), useless without the key."""
        key, _ = load_key(self._key_file, self._keys)
        digest = hmac.new(key, f"audit\0{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}~{digest[:16]}"

    def audit(
        self,
        operator: str,
        source: str,
        action: str,
        target: str | None = None,
        detail: str | None = None,
        *,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one action to the chain and return its row."""
        at = (at or datetime.now(UTC)).astimezone(UTC)
        operator, source, action = operator[:64], source[:64], action[:64]
        target = target[:253] if target is not None else None
        with self._tx(write=True) as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
            prev = conn.scalar(select(AUDIT.c.hash).order_by(AUDIT.c.id.desc()).limit(1))
            after: int | None = None
            if prev is None:  # an empty trail chains to the purge anchor, if any
                anchor = conn.execute(
                    select(ANCHOR.c.last_id, ANCHOR.c.last_hash).where(ANCHOR.c.id == 1)
                ).one_or_none()
                if anchor is not None:
                    prev, after = anchor.last_hash, anchor.last_id
            prev = prev or GENESIS
            digest = chain_hash(prev, canonical(at, operator, source, action, target, detail))
            values = {
                "at": at,
                "operator": operator,
                "source": source,
                "action": action,
                "target": target,
                "detail": detail,
                "prev_hash": prev,
                "hash": digest,
            }
            insert = AUDIT.insert().values(**values)
            if after is not None and self.dialect == "sqlite":
                # SQLite hands an empty table's next row id 1 again; ids go on past the anchor.
                insert = insert.values(id=after + 1)
            row_id = conn.execute(insert).inserted_primary_key
        assert row_id is not None
        return AuditEntry(id=int(row_id[0]), **values)  # type: ignore[arg-type]

    def audit_entries(
        self,
        *,
        since: datetime | None = None,
        operator: str | None = None,
        limit: int | None = None,
    ) -> list[AuditEntry]:
        """Rows oldest first (the newest ``limit`` of them when given)."""
        query = select(AUDIT).order_by(AUDIT.c.id.desc())
        if since is not None:
            query = query.where(AUDIT.c.at >= since)
        if operator is not None:
            query = query.where(AUDIT.c.operator == operator)
        if limit is not None:
            query = query.limit(limit)
        with self._tx() as conn:
            rows = conn.execute(query).all()
        return [_entry(r) for r in reversed(rows)]

    def verify_audit(self) -> AuditCheck:
        """Walk the chain from its first row, or from the purge anchor when the retention
        purge deleted the oldest rows: each row must name the previous row's hash and hash
        to its own content; an anchor must carry its seal and stand right before the first
        row left."""
        prev, count = GENESIS, 0
        with self._tx() as conn:
            found = conn.execute(select(ANCHOR).where(ANCHOR.c.id == 1)).one_or_none()
            anchor = None
            if found is not None:
                anchor = AuditAnchor(
                    found.last_id, found.last_hash, found.purged_at, found.purged_rows
                )
                seal = anchor_seal(
                    load_key(self._key_file, self._keys)[0],
                    anchor.last_id,
                    anchor.last_hash,
                    anchor.purged_at,
                    anchor.purged_rows,
                )
                if not hmac.compare_digest(seal, found.seal):
                    problem = "the purge anchor was forged or edited (its seal does not match)"
                    return AuditCheck(0, None, problem, prev, anchor)
                prev = anchor.last_hash
            result = conn.execution_options(yield_per=1000).execute(
                select(AUDIT).order_by(AUDIT.c.id)
            )
            for row in result:
                count += 1
                if anchor is not None and row.id <= anchor.last_id:
                    return AuditCheck(
                        count, row.id, "it is older than the purge anchor", prev, anchor
                    )
                if row.prev_hash != prev:
                    return AuditCheck(
                        count, row.id, "the row before it was deleted or edited", prev, anchor
                    )
                content = canonical(
                    row.at, row.operator, row.source, row.action, row.target, row.detail
                )
                if chain_hash(prev, content) != row.hash:
                    return AuditCheck(count, row.id, "its content was edited", prev, anchor)
                prev = row.hash
        return AuditCheck(count, None, None, prev, anchor)

    def audit_anchor(self) -> AuditAnchor | None:
        """The purge anchor the chain starts from, or None while nothing was purged."""
        with self._tx() as conn:
            row = conn.execute(select(ANCHOR).where(ANCHOR.c.id == 1)).one_or_none()
        return (
            None
            if row is None
            else AuditAnchor(row.last_id, row.last_hash, row.purged_at, row.purged_rows)
        )

    def purge_audit(self, before: datetime, *, now: datetime | None = None) -> AuditPurge:
        """Delete the oldest audit rows, those written before ``before`` up to the first row
        that is not (the chain is only ever cut at its start), move the anchor to the last
        row deleted, and append an ``audit.purge`` row saying what went. Nothing to delete:
        nothing changes."""
        before = before.astimezone(UTC)
        now = (now or datetime.now(UTC)).astimezone(UTC)
        key = load_key(self._key_file, self._keys)[0]
        with self._tx(write=True) as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
            keep = conn.scalar(select(func.min(AUDIT.c.id)).where(AUDIT.c.at >= before))
            last = select(AUDIT.c.id, AUDIT.c.hash, AUDIT.c.at).order_by(AUDIT.c.id.desc())
            if keep is not None:
                last = last.where(AUDIT.c.id < keep)
            cut = conn.execute(last.limit(1)).one_or_none()
            if cut is None:
                return AuditPurge(0, None, None)
            gone = int(conn.execute(delete(AUDIT).where(AUDIT.c.id <= cut.id)).rowcount)
            old = conn.execute(select(ANCHOR).where(ANCHOR.c.id == 1)).one_or_none()
            total = gone + (old.purged_rows if old is not None else 0)
            values = {
                "last_id": cut.id,
                "last_hash": cut.hash,
                "purged_at": now,
                "purged_rows": total,
                "seal": anchor_seal(key, cut.id, cut.hash, now, total),
            }
            if old is None:
                conn.execute(ANCHOR.insert().values(id=1, **values))
            else:
                conn.execute(update(ANCHOR).where(ANCHOR.c.id == 1).values(**values))
        done = AuditPurge(gone, int(cut.id), cut.at)
        detail = json.dumps(
            {"rows": gone, "last_id": done.last_id, "last_at": cut.at.isoformat()},
            sort_keys=True,
        )
        self.audit("netops", "purge", "audit.purge", f"audit_log<={cut.id}", detail, at=now)
        return done


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password("netops-no-such-operator")
