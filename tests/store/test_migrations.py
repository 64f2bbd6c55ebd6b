"""Migrations build exactly the schema the table definitions describe, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ramparts.store.base import Base
from ramparts.store.db import create_store_engine, load_tables, migrate, pending_migrations
from support.databases import database


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migrations_match_the_models_and_are_idempotent(kind: str, tmp_path: Path) -> None:
    load_tables()
    with database(kind, tmp_path) as url:
        engine = create_store_engine(url)
        try:
            migrate(engine)
            migrate(engine)  # a second run changes nothing
            assert pending_migrations(engine) == []
            with engine.connect() as connection:
                drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            assert drift == []
        finally:
            engine.dispose()
