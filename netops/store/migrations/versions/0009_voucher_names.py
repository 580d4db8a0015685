"""Know each voucher by a name derived from its code, never by the code itself.

A voucher's ``username`` was its code, so the code travelled to the gateway as the RADIUS
User-Name and sat in accounting rows, admissions and usage totals. Every voucher becomes
``v-`` + a keyed HMAC-SHA256 of its code (:func:`netops.store.codes.voucher_name`, the key of
MAC pseudonyms); the code is kept only encrypted (``password_enc``, for printing cards again)
and the rows that named the code are renamed. A downgrade puts the codes back as names.

Revision ID: 0009_voucher_names
Revises: 0008_notice_acceptance
Create Date: 2026-12-05
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

from netops.store import codes
from netops.store.credentials import NO_KEYS, Cipher, StoreKeys, load_key, mac_key
from netops.store.renames import rename_users

revision = "0009_voucher_names"
down_revision = "0008_notice_acceptance"
branch_labels = None
depends_on = None

_NAMED = ("subscribers", "acct_sessions", "admissions", "usage_totals")


def _keys() -> tuple[bytes, Cipher]:
    """The MAC-pseudonym key and the store cipher: the keys the store was opened with (the
    operator's ``NETOPS_STORE_KEY`` / ``NETOPS_MAC_KEY``), else the lab key file."""
    attributes = context.config.attributes
    key_file = Path(attributes.get("key_file") or Path("var") / "netops-store.key")
    keys: StoreKeys = attributes.get("keys") or NO_KEYS
    store_key, origin = load_key(key_file, keys)
    return mac_key(key_file, keys)[0], Cipher(store_key, origin)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, username FROM subscribers WHERE kind = 'voucher'")
    ).all()
    todo = [r for r in rows if not codes.is_voucher_name(r.username)]
    if not todo:
        return  # a fresh database, or already done: no key needed
    pseudonym_key, cipher = _keys()
    for row in todo:
        code = codes.normalise_code(row.username)
        name = codes.voucher_name(code, pseudonym_key)
        if name is None:
            continue  # not shaped like a code: left as it is
        rename_users(conn, [(row.username, name)], _NAMED)
        conn.execute(
            sa.text("UPDATE subscribers SET password_enc = :enc WHERE id = :id"),
            {"enc": cipher.encrypt(name, code), "id": row.id},
        )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, username, password_enc FROM subscribers WHERE kind = 'voucher'")
    ).all()
    todo = [r for r in rows if codes.is_voucher_name(r.username) and r.password_enc]
    if not todo:
        return
    cipher = _keys()[1]
    for row in todo:
        code = cipher.decrypt(row.username, row.password_enc)
        rename_users(conn, [(row.username, code)], _NAMED)
        conn.execute(
            sa.text("UPDATE subscribers SET password_enc = NULL WHERE id = :id"), {"id": row.id}
        )
