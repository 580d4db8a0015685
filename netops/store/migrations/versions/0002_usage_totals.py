"""Keep what purged sessions added up to, per subscriber (total quotas survive a purge).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "usage_totals",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(253), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("octets", sa.BigInteger(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_usage_totals"),
        sa.UniqueConstraint("username", name="uq_usage_totals_username"),
    )


def downgrade() -> None:
    op.drop_table("usage_totals")
