"""Persistence for subscribers and accounting: SQLite (WAL) by default, PostgreSQL at scale.

The RADIUS server and the captive portal use it only through :class:`Store` and the records
below; see ``docs/store.md``.
"""

from __future__ import annotations

from netops.errors import StoreError
from netops.store.codes import normalise_code, normalise_mac
from netops.store.store import Store
from netops.store.types import (
    AccountingRecord,
    AuthView,
    NewUser,
    Purged,
    Session,
    Subscriber,
    SubscriberKind,
    Usage,
    VoucherRenames,
)

__all__ = [
    "AccountingRecord",
    "AuthView",
    "NewUser",
    "Purged",
    "Session",
    "Store",
    "StoreError",
    "Subscriber",
    "SubscriberKind",
    "Usage",
    "VoucherRenames",
    "normalise_code",
    "normalise_mac",
]
