"""Which console sign-ins are live: the server-side half of the console's cookie.

The console's cookie is signed, so nobody can make one, but a signature alone cannot be
taken back: a cookie copied before "Keluar" would work until it expires. So each sign-in
gets a random id, the cookie carries it, and this registry says whether that id is still
live. Sign-out revokes the id; expiry is checked here, not only against the cookie's own
issue time.

:class:`ConsoleSessions` is the seam. :class:`MemoryConsoleSessions` keeps the ids in the
portal process: a restart signs every operator out, and a second portal process does not
know the first one's sign-ins (its console asks to sign in again).
:class:`TableConsoleSessions` keeps them in a table every portal process shares; the portal
uses it as soon as its store offers :class:`ConsoleSessionTable` (see :func:`for_store` and
``docs/portal.md``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


class ConsoleSessions(Protocol):
    """Live console sign-ins, by an id that only the signed cookie carries."""

    def open(self, now: float, lifetime: float) -> str:
        """A new live session id, valid ``lifetime`` seconds from ``now``."""
        ...

    def live(self, session_id: str, now: float) -> bool:
        """Whether ``session_id`` was opened, is not revoked and has not expired."""
        ...

    def revoke(self, session_id: str) -> bool:
        """End ``session_id`` (sign-out); True when it was live."""
        ...


def session_key(session_id: str) -> str:
    """What a registry stores for an id: its SHA-256, so a copy of the registry (a backup,
    a database dump) holds nothing a cookie could be made from."""
    return hashlib.sha256(session_id.encode()).hexdigest()


class MemoryConsoleSessions:
    """:class:`ConsoleSessions` in this process's memory; thread-safe and bounded.

    Expired ids are dropped when a new one is opened; beyond ``max_sessions`` live ids the
    oldest sign-in is ended.
    """

    def __init__(self, max_sessions: int = 10_000) -> None:
        if max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")
        self.max_sessions = max_sessions
        self._expiry: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self, now: float, lifetime: float) -> str:
        session_id = secrets.token_urlsafe(24)
        with self._lock:
            for key in [k for k, until in self._expiry.items() if until <= now]:
                del self._expiry[key]
            while len(self._expiry) >= self.max_sessions:
                del self._expiry[next(iter(self._expiry))]
            self._expiry[session_key(session_id)] = now + lifetime
        return session_id

    def live(self, session_id: str, now: float) -> bool:
        with self._lock:
            until = self._expiry.get(session_key(session_id))
        return until is not None and now < until

    def revoke(self, session_id: str) -> bool:
        with self._lock:
            return self._expiry.pop(session_key(session_id), None) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)


@runtime_checkable
class ConsoleSessionTable(Protocol):
    """What a store offers to keep console sign-ins for every portal process: a table
    ``console_sessions`` (``id`` = :func:`session_key`, ``created_at``, ``expires_at``,
    ``revoked_at``), rows purged once expired."""

    def open_console_session(self, key: str, created_at: datetime, expires_at: datetime) -> None:
        """Record a new sign-in."""
        ...

    def console_session_live(self, key: str, now: datetime) -> bool:
        """Whether the sign-in exists, is not revoked and ``now`` is before its expiry."""
        ...

    def revoke_console_session(self, key: str, at: datetime) -> bool:
        """Mark the sign-in revoked at ``at``; True when it was live."""
        ...


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class TableConsoleSessions:
    """:class:`ConsoleSessions` kept in a :class:`ConsoleSessionTable` (the shared store)."""

    def __init__(self, table: ConsoleSessionTable) -> None:
        self.table = table

    def open(self, now: float, lifetime: float) -> str:
        session_id = secrets.token_urlsafe(24)
        key = session_key(session_id)
        self.table.open_console_session(key, _moment(now), _moment(now + lifetime))
        return session_id

    def live(self, session_id: str, now: float) -> bool:
        return self.table.console_session_live(session_key(session_id), _moment(now))

    def revoke(self, session_id: str) -> bool:
        # The clock of the revocation matters only for the record; expiry is checked on use.
        now = datetime.now(UTC)
        return self.table.revoke_console_session(session_key(session_id), now)


def for_store(store: object) -> ConsoleSessions:
    """The shared registry when ``store`` keeps console sign-ins, else this process's."""
    if isinstance(store, ConsoleSessionTable):
        return TableConsoleSessions(store)
    return MemoryConsoleSessions()
