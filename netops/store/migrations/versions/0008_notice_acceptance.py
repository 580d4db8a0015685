"""Citizens' acceptances of the terms, with the version of the privacy notice they were shown.

Revision ID: 0008_notice_acceptance
Revises: 0005_operators_audit
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_notice_acceptance"
down_revision = "0007_nat_mappings"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notice_acceptances",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("accepted_at", When, nullable=False),
        sa.Column("device", sa.String(64), nullable=True),
        sa.Column("hotspot", sa.String(64), nullable=True),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notice_acceptances"),
    )
    op.create_index("ix_notice_acceptances_accepted_at", "notice_acceptances", ["accepted_at"])
    op.create_index("ix_notice_acceptances_device", "notice_acceptances", ["device"])


def downgrade() -> None:
    op.drop_table("notice_acceptances")
