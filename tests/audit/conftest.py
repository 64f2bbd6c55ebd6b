"""A migrated store on each real database kind, for the audit tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ramparts.store.db import create_store_engine, migrate
from support.databases import database


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database(request.param, tmp_path) as url:
        store = create_store_engine(url)
        migrate(store)
        yield store
        store.dispose()
