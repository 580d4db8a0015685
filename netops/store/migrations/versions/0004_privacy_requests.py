"""Record data subject requests (export, erasure) with the deadline each must meet.

Revision ID: 0004_privacy_requests
Revises: 0003_mac_pseudonyms
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_privacy_requests"
down_revision = "0003_mac_pseudonyms"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "privacy_requests",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(253), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("held", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_privacy_requests"),
    )
    op.create_index("ix_privacy_requests_received_at", "privacy_requests", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_requests_received_at", table_name="privacy_requests")
    op.drop_table("privacy_requests")
