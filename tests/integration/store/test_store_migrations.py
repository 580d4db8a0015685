"""The packaged Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from netops.errors import StoreError
from netops.store import Store
from netops.store.migrate import alembic_config, head_revision
from netops.store.schema import Base

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert context.get_current_revision() == head_revision()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_nothing_and_up_again(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_engine(store_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    with Store.open(store_url) as store:
        store.add_user("alice", "pw", "gratis")
        assert store.lookup("alice") is not None


def test_a_schema_newer_than_this_netops_is_a_clear_error(store_url: str) -> None:
    Store.open(store_url).close()
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match="schema is at revision 9999, which this netops"):
        Store.open(store_url)
