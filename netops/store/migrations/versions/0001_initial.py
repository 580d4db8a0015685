"""Create subscribers, accounting sessions and Simultaneous-Use admissions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(253), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("password_enc", sa.Text(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("bound_mac", sa.String(17), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("validity_s", sa.Integer(), nullable=True),
        _when("first_used_at", True),
        _when("valid_until", True),
        sa.Column("hotspot", sa.String(64), nullable=True),
        sa.Column("batch", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _when("created_at", False),
        _when("revoked_at", True),
        sa.PrimaryKeyConstraint("id", name="pk_subscribers"),
        sa.UniqueConstraint("username", name="uq_subscribers_username"),
    )
    op.create_index("ix_subscribers_kind_batch", "subscribers", ["kind", "batch"])
    op.create_index("ix_subscribers_bound_mac", "subscribers", ["bound_mac"])

    op.create_table(
        "acct_sessions",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(253), nullable=False),
        sa.Column("nas_ip", sa.String(45), nullable=False),
        sa.Column("nas_identifier", sa.String(253), nullable=True),
        sa.Column("hotspot", sa.String(64), nullable=True),
        sa.Column("acct_session_id", sa.String(253), nullable=False),
        sa.Column("mac", sa.String(17), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        _when("started_at", False),
        _when("updated_at", False),
        _when("stopped_at", True),
        _when("stale_at", False),
        sa.Column("session_time", sa.BigInteger(), nullable=False),
        sa.Column("input_octets", sa.BigInteger(), nullable=False),
        sa.Column("output_octets", sa.BigInteger(), nullable=False),
        sa.Column("input_packets", sa.BigInteger(), nullable=False),
        sa.Column("output_packets", sa.BigInteger(), nullable=False),
        sa.Column("terminate_cause", sa.String(64), nullable=True),
        sa.Column("interim_interval", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_acct_sessions"),
        sa.UniqueConstraint("nas_ip", "acct_session_id", "username", name="uq_acct_sessions_key"),
    )
    op.create_index(
        "ix_acct_sessions_username_stopped_at", "acct_sessions", ["username", "stopped_at"]
    )
    op.create_index(
        "ix_acct_sessions_stopped_at_stale_at", "acct_sessions", ["stopped_at", "stale_at"]
    )
    op.create_index(
        "ix_acct_sessions_hotspot_started_at", "acct_sessions", ["hotspot", "started_at"]
    )
    op.create_index("ix_acct_sessions_started_at", "acct_sessions", ["started_at"])
    op.create_index("ix_acct_sessions_acct_session_id", "acct_sessions", ["acct_session_id"])

    op.create_table(
        "admissions",
        sa.Column("id", RowId, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(253), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("nas_ip", sa.String(45), nullable=True),
        _when("created_at", False),
        _when("expires_at", False),
        sa.PrimaryKeyConstraint("id", name="pk_admissions"),
        sa.UniqueConstraint("username", "device", name="uq_admissions_key"),
    )


def downgrade() -> None:
    op.drop_table("admissions")
    op.drop_table("acct_sessions")
    op.drop_table("subscribers")
