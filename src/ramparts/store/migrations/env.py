"""Alembic environment: runs on the engine Ramparts hands over (no alembic.ini)."""

from __future__ import annotations

from alembic import context

import ramparts.store.models  # noqa: F401  (registers the core tables)
from ramparts.store.base import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
