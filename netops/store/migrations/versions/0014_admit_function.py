"""The Simultaneous-Use admission as one function call on PostgreSQL.

An Access-Request of a device that holds no slot locks the subscriber, drops the lapsed
holds and takes a slot if there is room. Sent as five statements in one pipeline (``BEGIN``,
the lock, the delete, the insert, ``COMMIT``) that is one round trip, but each statement
still costs its protocol messages on both sides; one call of this function costs one. Its
statements are the subscriber's lock (``SELECT … FOR UPDATE``) and those of
``netops.store.hotpath`` (``DROP_LAPSED``, ``ADMIT_IF_ROOM``) with named parameters
(tests/integration/store/test_hot_path_plans.py checks they have not drifted apart). As a
VOLATILE function in READ COMMITTED each statement takes a fresh snapshot, so the insert
sees every hold committed before the lock was granted: two servers cannot both take the
last slot. SQLite keeps the statements: ``BEGIN IMMEDIATE`` already excludes other writers.

Revision ID: 0014_admit_function
Revises: 0013_shared_guards
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014_admit_function"
down_revision = "0013_shared_guards"
branch_labels = None
depends_on = None

CREATE = """
CREATE OR REPLACE FUNCTION netops_admit(
    p_name text, p_key text, p_device text, p_nas_ip text,
    p_at timestamptz, p_until timestamptz, p_limit bigint
) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM 1 FROM subscribers WHERE username = p_name FOR UPDATE;
    DELETE FROM admissions WHERE username = p_name AND expires_at <= p_at;
    INSERT INTO admissions (username, device, nas_ip, created_at, expires_at)
    SELECT s.username, p_key, p_nas_ip, p_at, p_until FROM subscribers s
    WHERE s.username = p_name AND (
        EXISTS (SELECT 1 FROM admissions a WHERE a.username = p_name AND a.device = p_key)
        OR EXISTS (SELECT 1 FROM acct_sessions x WHERE x.username = p_name
                   AND x.mac = p_device AND x.stopped_at IS NULL)
        OR (SELECT COUNT(*) FROM (
                SELECT COALESCE(NULLIF(x.mac, ''), 'session:' || x.id) AS d
                FROM acct_sessions x WHERE x.username = p_name AND x.stopped_at IS NULL
                UNION SELECT a.device FROM admissions a WHERE a.username = p_name
            ) held) < p_limit)
    ON CONFLICT (username, device) DO UPDATE
    SET expires_at = excluded.expires_at, nas_ip = excluded.nas_ip;
    RETURN FOUND;
END
$$
"""
DROP = (
    "DROP FUNCTION IF EXISTS netops_admit(text, text, text, text, timestamptz, timestamptz, bigint)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP)
