"""Index the Simultaneous-Use holds by NAS: an Accounting-On drops a NAS's holds, and without
the index it read every hold in the table, in the middle of a reconnect storm.

Revision ID: 0012_admissions_nas_ip
Revises: 0011_device_rebinds
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0012_admissions_nas_ip"
down_revision = "0011_device_rebinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_admissions_nas_ip", "admissions", ["nas_ip"])


def downgrade() -> None:
    op.drop_index("ix_admissions_nas_ip", table_name="admissions")
