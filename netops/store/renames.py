"""Renaming a subscriber everywhere its user name is a key.

A user name is the key of a subscriber's sessions, admissions, usage totals and binding
moves, so a rename (a migration that derives names, a MAC-key rotation that re-derives
voucher names) must change every one of those rows in the same transaction. Migrations pass
the tables as they stood at their revision; the store passes today's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

#: Every table whose ``username`` column names a subscriber, in today's schema.
USERNAME_TABLES = ("subscribers", "acct_sessions", "admissions", "usage_totals", "device_rebinds")


def rename_users(
    conn: Any, renames: Sequence[tuple[str, str]], tables: Iterable[str] = USERNAME_TABLES
) -> None:
    """Rename each user ``old`` to ``new`` of ``renames`` in ``tables``, on a connection
    inside the caller's transaction (one batch of statements per table)."""
    if not renames:
        return
    params = [{"new": new, "old": old} for old, new in renames]
    for table in tables:
        conn.execute(sa.text(f"UPDATE {table} SET username = :new WHERE username = :old"), params)
