"""A record the store refuses is set aside; it never stops the audit trail of anyone else."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import orjson
import pytest
from sqlalchemy import Engine, select

from ramparts.audit.trail import verify_trail
from ramparts.audit.writer import AuditEvent, AuditWriter
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.models import AuditRecord
from support.databases import database


@pytest.fixture(params=["sqlite", "postgres"])
def kind_and_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    with database(request.param, tmp_path) as url:
        store = create_store_engine(url)
        migrate(store)
        yield request.param, store
        store.dispose()


def event(request_id: str, tenant: str, **changes: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "request_id": request_id,
        "api": "openai",
        "endpoint": "/v1/chat/completions",
        "status": "success",
        "http_status": 200,
        "tenant_id": tenant,
        "model": "echo",
    }
    values.update(changes)
    return AuditEvent(**values)


def poisoned(kind: str) -> list[AuditEvent]:
    """Records this store refuses: a missing required value or an unserialisable one
    anywhere, NUL and overlong strings on PostgreSQL (SQLite stores those as they are)."""
    bad = [
        event("bad-null", "ten_a", api=cast(str, None)),
        # Not even the chain hash (nor the spill file) can serialise a lone surrogate.
        event("bad-surrogate", "ten_b", guardrails={"note": "\ud800"}),
    ]
    if kind == "postgres":
        bad.append(event("bad-nul", "ten_a", model="echo\x00"))
        bad.append(event("bad-long", "ten_a", model="z" * 201))
    return bad


def stored_ids(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        query = select(AuditRecord.request_id).order_by(AuditRecord.id)
        return list(session.scalars(query))


def test_a_refused_record_is_set_aside_and_every_other_record_written(
    kind_and_engine: tuple[str, Engine], tmp_path: Path
) -> None:
    kind, engine = kind_and_engine
    spill = tmp_path / "data"

    async def run() -> AuditWriter:
        writer = AuditWriter(engine, spill_dir=spill, flush_interval=0.01)
        writer.submit(event("a-1", "ten_a"))
        for bad in poisoned(kind):
            writer.submit(bad)
        writer.submit(event("a-2", "ten_a"))
        writer.submit(event("b-1", "ten_b"))
        assert await writer.flush()
        writer.submit(event("b-2", "ten_b"))  # later batches are not held up either
        assert await writer.flush()
        await writer.close()
        return writer

    writer = asyncio.run(run())
    bad_ids = {bad.request_id for bad in poisoned(kind)}
    assert sorted(stored_ids(engine)) == ["a-1", "a-2", "b-1", "b-2"]
    assert writer.rejected == len(bad_ids)
    assert writer.pending == 0 and not writer.store_failing
    result = verify_trail(engine)
    assert result.ok, [str(p) for p in result.problems]
    assert result.records == 4
    [path] = spill.glob("audit-rejected-*.jsonl")
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert {row["request_id"] for row in rows} == bad_ids
    assert not list(spill.glob("audit-spill-*.jsonl"))


def test_an_unreachable_store_still_keeps_records_queued(tmp_path: Path) -> None:
    engine = create_store_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")

    async def run() -> AuditWriter:
        writer = AuditWriter(engine, spill_dir=tmp_path / "data")
        writer.submit(event("a-1", "ten_a"))
        assert not await writer.flush()
        return writer

    writer = asyncio.run(run())
    assert writer.pending == 1 and writer.store_failing and writer.rejected == 0
    assert not list((tmp_path / "data").glob("*.jsonl")) if (tmp_path / "data").exists() else True
    engine.dispose()
