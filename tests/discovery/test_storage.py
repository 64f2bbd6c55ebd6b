from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session

from ramparts.discovery.catalog import Catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.storage import (
    TABLES,
    DiscoveryFinding,
    DiscoveryServiceUsage,
    known_services,
    last_window_end,
    open_store,
    save_run,
)

MIGRATION = (
    Path(__file__).resolve().parents[2] / "src/ramparts/store/migrations/versions/0002_discovery.py"
)


@pytest.fixture
def report(tmp_path: Path, known_traffic: Any, catalog: Catalog) -> dict[str, Any]:
    log = known_traffic.write(tmp_path / "access.log")
    return run_discovery(
        [str(log)], catalog, RunOptions(generated_at=datetime(2026, 1, 15, tzinfo=UTC))
    )


def test_save_and_read_back(report: dict[str, Any]) -> None:
    engine = open_store("sqlite:///:memory:")
    assert known_services(engine, "default") is None
    assert last_window_end(engine, "default") is None
    run_id = save_run(engine, report)
    with Session(engine) as session:
        rows = session.scalars(
            select(DiscoveryServiceUsage).where(DiscoveryServiceUsage.run_id == run_id)
        ).all()
        assert {r.service_id: r.requests for r in rows} == {
            "openai-chatgpt": 30,
            "anthropic-claude": 5,
            "deepseek-chat": 4,
            "microsoft-copilot": 1,
        }
        kinds = session.scalars(select(DiscoveryFinding.kind)).all()
        assert "high_risk_unsanctioned" in kinds
    assert known_services(engine, "default") == {
        "openai-chatgpt",
        "anthropic-claude",
        "deepseek-chat",
        "microsoft-copilot",
    }
    assert known_services(engine, "other-tenant") is None
    assert (
        last_window_end(engine, "default")
        == datetime(2026, 1, 10, 0, 3, 20, tzinfo=UTC).timestamp()
    )


def test_history_changes_what_counts_as_new(
    tmp_path: Path, known_traffic: Any, catalog: Catalog
) -> None:
    log = known_traffic.write(tmp_path / "access.log")
    first = run_discovery([str(log)], catalog, RunOptions(known_services=set()))
    # New = first seen in the last 7 days of traffic and not known from earlier runs.
    new = {f["service_id"] for f in first["findings"] if f["kind"] == "new_service"}
    assert new == {"anthropic-claude", "deepseek-chat"}
    again = run_discovery([str(log)], catalog, RunOptions(known_services={"deepseek-chat"}))
    assert {f["service_id"] for f in again["findings"] if f["kind"] == "new_service"} == {
        "anthropic-claude"
    }


def test_sqlite_file_store_is_created(tmp_path: Path, report: dict[str, Any]) -> None:
    url = f"sqlite:///{tmp_path}/data/ramparts.db"
    save_run(open_store(url), report)
    assert (tmp_path / "data" / "ramparts.db").exists()


def test_migration_creates_the_same_tables_as_the_models() -> None:
    spec = importlib.util.spec_from_file_location("m0002", MIGRATION)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.revision, module.down_revision) == ("0002_discovery", "0001_initial")
    engine = create_engine("sqlite:///:memory:")
    with engine.begin() as conn:
        with Operations.context(MigrationContext.configure(conn)):
            module.upgrade()
        found = inspect(conn)
        for table in TABLES:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        with Operations.context(MigrationContext.configure(conn)):
            module.downgrade()
        assert not set(inspect(conn).get_table_names()) & {t.name for t in TABLES}


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata

    from ramparts.store.base import Base

    engine = open_store(f"sqlite:///{tmp_path}/m.db")  # runs the whole migration chain
    names = {t.name for t in TABLES}
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)

    def table_of(diff: Any) -> str | None:
        item = diff[0] if isinstance(diff, list) else diff
        for part in item[1:]:
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None and getattr(table, "name", None) in names:
                return str(table.name)
            if name in names:
                return str(name)
            if isinstance(part, str) and part in names:
                return part
        return None

    assert [d for d in diffs if table_of(d)] == []
