"""Bring a database to the newest schema with the migrations packaged in ``migrations/``.

No ``alembic.ini`` is needed: the configuration is built here. Two processes opening a fresh
database at once are serialised (an advisory lock on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so only one of them creates the tables.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from netops.errors import StoreError
from netops.store.credentials import NO_KEYS, StoreKeys
from netops.store.engine import WRITE

MIGRATIONS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock key: "netops" as an integer
LOCK_KEY = 0x6E65746F7073


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, key_file: Path | None = None, keys: StoreKeys = NO_KEYS) -> None:
    """Run every migration not yet applied, inside one locked transaction. ``keys`` and
    ``key_file`` (the lab store key file) are the store's keys (migrations that
    pseudonymise MACs need the MAC key)."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    known = {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
    if current is not None and current not in known:
        raise StoreError(
            f"the database schema is at revision {current}, which this netops does not know "
            f"(its newest is {head}): upgrade netops or point --db at another database"
        )
    config = alembic_config()
    with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        config.attributes["connection"] = conn
        config.attributes["key_file"] = key_file or Path("var") / "netops-store.key"
        config.attributes["keys"] = keys
        command.upgrade(config, "head")
