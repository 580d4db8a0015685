"""The audit trail's purge anchor, and an index for counting privacy actions.

``audit_anchor`` holds where the hash chain starts once the retention purge has deleted its
oldest rows (the last deleted row's id and hash, when, how many, sealed with an HMAC under
the store key). ``ix_audit_log_action_at`` lets the portal's privacy metrics count a few
actions without reading the whole trail at every scrape.

Revision ID: 0010_audit_anchor
Revises: 0009_voucher_names
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_audit_anchor"
down_revision = "0009_voucher_names"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_anchor",
        sa.Column("id", RowId, nullable=False),
        sa.Column("last_id", RowId, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("purged_at", When, nullable=False),
        sa.Column("purged_rows", RowId, nullable=False),
        sa.Column("seal", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_anchor"),
    )
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.drop_table("audit_anchor")
