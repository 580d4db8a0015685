"""Sign-up by phone: one-time codes, the sends that limit their cost, blocked numbers.

Revision ID: 0006_phone_signup
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_phone_signup"
down_revision = "0005_operators_audit"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "phone_codes",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries_left", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_phone_codes"),
        sa.UniqueConstraint("number_hash", name="uq_phone_codes_number_hash"),
    )
    op.create_table(
        "phone_sends",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("hotspot", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_phone_sends"),
    )
    op.create_index("ix_phone_sends_number_hash_sent_at", "phone_sends", ["number_hash", "sent_at"])
    op.create_index("ix_phone_sends_device_sent_at", "phone_sends", ["device", "sent_at"])
    op.create_index("ix_phone_sends_hotspot_sent_at", "phone_sends", ["hotspot", "sent_at"])
    op.create_table(
        "phone_blocks",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("number_hash", sa.String(64), nullable=False),
        sa.Column("hint", sa.String(24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_phone_blocks"),
        sa.UniqueConstraint("number_hash", name="uq_phone_blocks_number_hash"),
    )


def downgrade() -> None:
    op.drop_table("phone_blocks")
    op.drop_index("ix_phone_sends_hotspot_sent_at", table_name="phone_sends")
    op.drop_index("ix_phone_sends_device_sent_at", table_name="phone_sends")
    op.drop_index("ix_phone_sends_number_hash_sent_at", table_name="phone_sends")
    op.drop_table("phone_sends")
    op.drop_table("phone_codes")
