"""Source-NAT mappings from the gateways' syslog, for lawful traces (netops privacy trace).

Revision ID: 0007_nat_mappings
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_nat_mappings"
down_revision = "0006_phone_signup"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "nat_mappings",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("nas", sa.String(45), nullable=False),
        sa.Column("proto", sa.SmallInteger(), nullable=False),
        sa.Column("private_ip", sa.String(45), nullable=False),
        sa.Column("private_port", sa.Integer(), nullable=False),
        sa.Column("public_ip", sa.String(45), nullable=False),
        sa.Column("public_port", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nat_mappings"),
    )
    op.create_index("ix_nat_mappings_public_ip_at", "nat_mappings", ["public_ip", "at"])


def downgrade() -> None:
    op.drop_index("ix_nat_mappings_public_ip_at", table_name="nat_mappings")
    op.drop_table("nat_mappings")
