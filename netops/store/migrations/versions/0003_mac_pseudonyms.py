"""Store MAC addresses as keyed pseudonyms instead of in clear (PDP data minimisation).

Every MAC the store holds (MAC allow-list names, voucher bindings, click-through allowances
and their user names, accounting sessions, admissions) becomes ``mac~`` + a keyed
HMAC-SHA256 of it (:func:`netops.store.codes.mac_pseudonym`), with the key of
``NETOPS_MAC_KEY`` or one derived from the store key. Click-through passwords, bound to their
user name, are re-encrypted under the new name. There is no way back: a downgrade leaves the
pseudonyms in place.

Revision ID: 0003_mac_pseudonyms
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from netops.store import codes
from netops.store.credentials import NO_KEYS, Cipher, StoreKeys, load_key, mac_key
from netops.store.renames import rename_users

revision = "0003_mac_pseudonyms"
down_revision = "0002"
branch_labels = None
depends_on = None

_NAMED = ("acct_sessions", "admissions", "usage_totals")


class _Keys:
    """The keys, loaded only when a row needs them (a fresh database needs none)."""

    def __init__(self, key_file: Path, keys: StoreKeys) -> None:
        self.key_file = key_file
        self.keys = keys
        self._mac: bytes | None = None
        self._cipher: Cipher | None = None

    def pseudonym(self, mac: str) -> str | None:
        if self._mac is None:
            self._mac = mac_key(self.key_file, self.keys)[0]
        return codes.mac_pseudonym(mac, self._mac)

    def cipher(self) -> Cipher:
        if self._cipher is None:
            key, origin = load_key(self.key_file, self.keys)
            self._cipher = Cipher(key, origin)
        return self._cipher


def upgrade() -> None:
    conn = op.get_bind()
    key_file = context.config.attributes.get("key_file") or Path("var") / "netops-store.key"
    keys = _Keys(Path(key_file), context.config.attributes.get("keys") or NO_KEYS)
    subscribers = conn.execute(
        sa.text("SELECT id, username, kind, password_enc, bound_mac FROM subscribers")
    ).all()
    for row in subscribers:
        changes: dict[str, Any] = {}
        if row.bound_mac and not codes.is_mac_pseudonym(row.bound_mac):
            changes["bound_mac"] = keys.pseudonym(row.bound_mac)
        new_name: str | None = None
        if row.kind == "mac" and not codes.is_mac_pseudonym(row.username):
            new_name = keys.pseudonym(row.username)
        elif row.kind == "clickthrough" and row.username.startswith("ct-"):
            parts = row.username.split("-")
            device = keys.pseudonym(parts[1]) if len(parts) == 3 else None
            if device is not None and not codes.is_mac_pseudonym(parts[1]):
                new_name = f"ct-{device[len(codes.PSEUDONYM_PREFIX) :]}-{parts[2]}"
                changes["bound_mac"] = device
                if row.password_enc:
                    cipher = keys.cipher()
                    clear = cipher.decrypt(row.username, row.password_enc)
                    changes["password_enc"] = cipher.encrypt(new_name, clear)
        if new_name is not None:
            changes["username"] = new_name
            rename_users(conn, [(row.username, new_name)], _NAMED)
        if changes:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            conn.execute(
                sa.text(f"UPDATE subscribers SET {assignments} WHERE id = :id"),
                {**changes, "id": row.id},
            )
    for (mac,) in conn.execute(
        sa.text("SELECT DISTINCT mac FROM acct_sessions WHERE mac IS NOT NULL")
    ).all():
        if not codes.is_mac_pseudonym(mac):
            conn.execute(
                sa.text("UPDATE acct_sessions SET mac = :new WHERE mac = :old"),
                {"new": keys.pseudonym(mac), "old": mac},
            )
    for (device,) in conn.execute(sa.text("SELECT DISTINCT device FROM admissions")).all():
        pseudonym = None if codes.is_mac_pseudonym(device) else keys.pseudonym(device)
        if pseudonym is not None:
            conn.execute(
                sa.text("UPDATE admissions SET device = :new WHERE device = :old"),
                {"new": pseudonym, "old": device},
            )


def downgrade() -> None:
    """Pseudonyms cannot be turned back into MAC addresses: they stay."""
