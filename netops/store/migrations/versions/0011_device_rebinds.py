"""Bindings that follow a phone to its new private MAC, and which MACs were private.

Revision ID: 0011_device_rebinds
Revises: 0010_audit_anchor
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_device_rebinds"
down_revision = "0010_audit_anchor"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "device_rebinds",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device_rebinds"),
    )
    op.create_index("ix_device_rebinds_username_at", "device_rebinds", ["username", "at"])
    op.create_table(
        "private_macs",
        sa.Column("device", sa.String(17), nullable=False),
        sa.Column("seen_at", When, nullable=False),
        sa.PrimaryKeyConstraint("device", name="pk_private_macs"),
    )
    op.create_index("ix_private_macs_seen_at", "private_macs", ["seen_at"])


def downgrade() -> None:
    op.drop_table("private_macs")
    op.drop_table("device_rebinds")
