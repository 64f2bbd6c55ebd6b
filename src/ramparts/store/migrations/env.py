"""Alembic environment: runs on the engine Ramparts hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from ramparts.store.base import Base
from ramparts.store.db import load_tables

load_tables()

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
