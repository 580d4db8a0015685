"""Alembic environment: run by :func:`netops.store.migrate.upgrade` on an open connection.

The connection arrives in ``config.attributes["connection"]`` already inside a transaction
(holding the migration lock), so migrations and the lock commit together.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from netops.store.schema import Base

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("netops store migrations run through Store.open, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
