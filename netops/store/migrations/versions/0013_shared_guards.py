"""Rate limits every portal process shares (one row per counted attempt), and what the
RADIUS servers learnt about each NAS for BlastRADIUS (one row per NAS).

Revision ID: 0013_shared_guards
Revises: 0012_admissions_nas_ip
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_shared_guards"
down_revision = "0012_admissions_nas_ip"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "limit_hits",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(24), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("expires_at", When, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_limit_hits"),
    )
    op.create_index("ix_limit_hits_scope_key_hash_at", "limit_hits", ["scope", "key_hash", "at"])
    op.create_index("ix_limit_hits_expires_at", "limit_hits", ["expires_at"])
    op.create_table(
        "nas_guards",
        sa.Column("nas", sa.String(64), nullable=False),
        sa.Column("message_authenticator_since", When, nullable=True),
        sa.Column("limit_proxy_state", sa.Boolean(), nullable=True),
        sa.Column("updated_at", When, nullable=False),
        sa.PrimaryKeyConstraint("nas", name="pk_nas_guards"),
    )


def downgrade() -> None:
    op.drop_table("nas_guards")
    op.drop_table("limit_hits")
