"""What the RADIUS server needs from the store: the part of ``netops.store.Store`` it calls.

The server is written against this protocol, so any store with these methods (the
SQLAlchemy one on SQLite or PostgreSQL) serves it. Every call is synchronous and
thread-safe; the server calls them from a thread pool.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from netops.store import AccountingRecord, AuthView, Session, Subscriber, Usage


class RadiusStore(Protocol):
    """The store methods the server calls."""

    def lookup(self, username: str) -> Subscriber | None: ...

    def auth_view(
        self,
        username: str,
        since: datetime,
        *,
        mac: str | None = None,
        nas_ip: str | None = None,
        now: datetime | None = None,
        hold_s: int = 60,
    ) -> AuthView | None: ...

    def warm(self) -> None: ...

    def mac_pseudonym(self, mac: str | None) -> str | None: ...

    def check_password(self, sub: Subscriber, password: str) -> bool: ...

    def voucher_name(self, code: str) -> str | None: ...

    def claim_voucher(self, code: str, mac: str | None, now: datetime) -> Subscriber: ...

    def usage(self, username: str, since: datetime | None = None) -> Usage: ...

    def admit(
        self,
        username: str,
        limit: int,
        *,
        mac: str | None,
        now: datetime,
        nas_ip: str | None = None,
        hold_s: int = 60,
        checked: bool = False,
    ) -> bool: ...

    def account(self, rec: AccountingRecord) -> Session: ...

    def account_with_usage(
        self, rec: AccountingRecord, since: datetime
    ) -> tuple[Session, str | None, int]: ...

    def close_nas_sessions(self, nas_ip: str, at: datetime, cause: str) -> int: ...

    def close_stale(self, now: datetime) -> list[Session]: ...

    def sessions(
        self,
        *,
        active: bool | None = None,
        username: str | None = None,
        hotspot: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Session]: ...

    def session(self, acct_session_id: str, nas_ip: str | None = None) -> Session | None: ...

    def close(self) -> None: ...
