"""Rate limits every portal process shares: failed attempts as rows, counted in one place.

The portal's limits (wrong codes per phone and per hotspot, new click-through allowances,
wrong console passwords per source, per account and overall) are sliding windows. Kept in
process memory, two ``netops portal serve`` processes behind one name would each allow the
full count; kept here, in the store both use, every process counts the same attempts.

A limit is a ``scope`` (which limit: ``phone``, ``hotspot``, ``console-source`` …) and a
``key`` (whom it counts: a phone's key, a gateway, an address, an operator). The key is kept
only as a keyed hash (HMAC-SHA256 under a key derived from the store key), so the table
holds no MAC, address or name. Each counted attempt is one row; a key never holds more rows
than its limit (the attempt past the limit is refused, not recorded), and rows leave the
table once their window is over (:meth:`Limits.purge_limit_hits`, also run now and then by
:meth:`Limits.limit_hit` itself).

The same module keeps what the RADIUS servers learnt about each NAS for BlastRADIUS
(``nas_guards``, see :class:`netops.radius.protocol.Hardening`): one decision per NAS for
every worker, both servers and a restarted one.

Counting an attempt is one write transaction: the rows in the window are read and the new
one inserted under a lock on the key (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped
advisory lock on PostgreSQL), so two processes counting at the same moment never both take
the last free place.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Boolean, Index, String, Table, delete, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from netops.store.base import StoreBase
from netops.store.credentials import load_key
from netops.store.schema import Base, RowId, UTCDateTime

#: Counted attempts between two purges of every key's expired rows, per process.
PURGE_EVERY = 500


class LimitHitRow(Base):
    """One counted attempt: which limit, whose (keyed hash), when, and when it stops counting."""

    __tablename__ = "limit_hits"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(24))
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_limit_hits_scope_key_hash_at", "scope", "key_hash", "at"),
        Index("ix_limit_hits_expires_at", "expires_at"),
    )


class NasGuardRow(Base):
    """What ``auto`` learnt about a NAS: since when it sends Message-Authenticator (it must
    from then on), and whether Proxy-State without one is dropped (None: not decided)."""

    __tablename__ = "nas_guards"

    nas: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_authenticator_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    limit_proxy_state: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


HITS = cast(Table, LimitHitRow.__table__)
GUARDS = cast(Table, NasGuardRow.__table__)


class Limits(StoreBase):
    """Shared sliding-window limits (see the module's docstring) and the portal's signing key."""

    _limit_key: bytes | None = None
    _limit_key_lock = threading.Lock()
    _limit_calls = itertools.count(1)

    def _limit_mac(self) -> bytes:
        with self._limit_key_lock:
            if self._limit_key is None:
                key, _origin = load_key(self._key_file, self._keys)
                self._limit_key = hmac.new(key, b"netops rate limits v1", "sha256").digest()
            return self._limit_key

    def limit_key_hash(self, scope: str, key: str) -> str:
        """What the table holds for ``key``: the same in every process on this store key."""
        message = f"{scope}\0{key}".encode()
        return hmac.new(self._limit_mac(), message, hashlib.sha256).hexdigest()[:40]

    def portal_signing_key(self) -> bytes:
        """The key the portal signs its cookies and CSRF tokens with when no
        ``NETOPS_PORTAL_SECRET`` is set: derived from the store key, so every portal process
        on this store signs alike (a form from one is accepted by the other) and a restart
        keeps every cookie valid."""
        key, _origin = load_key(self._key_file, self._keys)
        return hmac.new(key, b"netops portal signing v1", hashlib.sha256).digest()

    def _recent(
        self, conn: Connection, scope: str, key_hash: str, limit: int, since: datetime
    ) -> list[datetime]:
        """The newest ``limit`` counted attempts after ``since``, newest first."""
        rows = conn.execute(
            select(HITS.c.at)
            .where(HITS.c.scope == scope, HITS.c.key_hash == key_hash, HITS.c.at > since)
            .order_by(HITS.c.at.desc())
            .limit(limit)
        ).all()
        return [row.at for row in rows]

    @staticmethod
    def _wait(recent: list[datetime], limit: int, window: timedelta, now: datetime) -> float:
        if len(recent) < limit:
            return 0.0
        return max(0.0, (recent[limit - 1] + window - now).total_seconds())

    def limit_wait(self, scope: str, key: str, limit: int, window_s: float, now: datetime) -> float:
        """Seconds until ``key`` may try again under ``limit`` attempts per ``window_s``
        (0 when it may try now)."""
        window = timedelta(seconds=window_s)
        key_hash = self.limit_key_hash(scope, key)
        with self._tx() as conn:
            recent = self._recent(conn, scope, key_hash, limit, now - window)
        return self._wait(recent, limit, window, now)

    def limit_used(self, scope: str, key: str, window_s: float, now: datetime) -> int:
        """How many attempts of ``key`` count in the window ending ``now``."""
        key_hash = self.limit_key_hash(scope, key)
        since = now - timedelta(seconds=window_s)
        with self._tx() as conn:
            found = conn.scalar(
                select(func.count())
                .select_from(HITS)
                .where(HITS.c.scope == scope, HITS.c.key_hash == key_hash, HITS.c.at > since)
            )
        return int(found or 0)

    def limit_hit(self, scope: str, key: str, limit: int, window_s: float, now: datetime) -> float:
        """Count one attempt of ``key`` unless the limit is already reached (then nothing is
        recorded); the seconds until ``key`` may try again afterwards (0: it may)."""
        window = timedelta(seconds=window_s)
        key_hash = self.limit_key_hash(scope, key)
        with self._tx(write=True) as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                    {"k": f"limit:{scope}:{key_hash}"},
                )
            recent = self._recent(conn, scope, key_hash, limit, now - window)
            if len(recent) < limit:
                conn.execute(
                    HITS.insert().values(
                        scope=scope, key_hash=key_hash, at=now, expires_at=now + window
                    )
                )
                recent.insert(0, now)
            conn.execute(
                delete(HITS).where(
                    HITS.c.scope == scope, HITS.c.key_hash == key_hash, HITS.c.at <= now - window
                )
            )
        if next(self._limit_calls) % PURGE_EVERY == 0:
            self.purge_limit_hits(now)
        return self._wait(recent, limit, window, now)

    def limit_reset(self, scope: str, key: str) -> int:
        """Forget every counted attempt of ``key`` (a successful login); how many."""
        key_hash = self.limit_key_hash(scope, key)
        where = (HITS.c.scope == scope, HITS.c.key_hash == key_hash)
        with self._tx() as conn:  # most logins have nothing to forget: no write then
            if conn.execute(select(HITS.c.id).where(*where).limit(1)).first() is None:
                return 0
        with self._tx(write=True) as conn:
            done = conn.execute(delete(HITS).where(*where))
        return int(done.rowcount)

    def purge_limit_hits(self, now: datetime) -> int:
        """Delete the rows whose window is over, for every key; how many."""
        with self._tx(write=True) as conn:
            done = conn.execute(delete(HITS).where(HITS.c.expires_at <= now))
        return int(done.rowcount)

    def limit_hit_count(self) -> int:
        """How many counted attempts the table holds (for status and tests)."""
        with self._tx() as conn:
            return int(conn.scalar(select(func.count()).select_from(HITS)) or 0)

    # --- BlastRADIUS decisions per NAS (netops.radius.handler.Handler.harden) ---------------

    def nas_guard(self, nas: str) -> tuple[bool, bool | None]:
        """(must the NAS send Message-Authenticator, is Proxy-State limited) as learnt."""
        with self._tx() as conn:
            row = conn.execute(
                select(GUARDS.c.message_authenticator_since, GUARDS.c.limit_proxy_state).where(
                    GUARDS.c.nas == nas
                )
            ).first()
        if row is None:
            return False, None
        return row.message_authenticator_since is not None, row.limit_proxy_state

    def note_nas_guard(
        self, nas: str, *, require: bool, limit: bool | None, at: datetime | None = None
    ) -> None:
        """Keep what was learnt about ``nas``, never loosening it: the requirement once set
        stays, and the first Proxy-State decision wins."""
        at = at or datetime.now(UTC)
        since = at if require else None
        insert = self._insert()(GUARDS).values(
            nas=nas, message_authenticator_since=since, limit_proxy_state=limit, updated_at=at
        )
        excluded = insert.excluded
        with self._tx(write=True) as conn:
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[GUARDS.c.nas],
                    set_={
                        "message_authenticator_since": func.coalesce(
                            GUARDS.c.message_authenticator_since,
                            excluded.message_authenticator_since,
                        ),
                        "limit_proxy_state": func.coalesce(
                            GUARDS.c.limit_proxy_state, excluded.limit_proxy_state
                        ),
                        "updated_at": excluded.updated_at,
                    },
                )
            )
