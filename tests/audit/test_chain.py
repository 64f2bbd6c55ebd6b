"""The audit trail's hash chain catches altered, deleted and reordered records."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Engine, delete, select, update

from ramparts.audit.trail import export_records, import_spill, verify_trail
from ramparts.audit.writer import AuditEvent, AuditWriter, write_batch
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.models import AuditHead, AuditRecord


def events(tenant: str, count: int) -> list[AuditEvent]:
    return [
        AuditEvent(
            request_id=f"{tenant}-{i}",
            api="openai",
            endpoint="/v1/chat/completions",
            status="success",
            http_status=200,
            tenant_id=tenant,
            model="echo",
            input_tokens=i,
            latency_ms=1.5,
        )
        for i in range(count)
    ]


def seed(engine: Engine) -> None:
    sessions = session_factory(engine)
    write_batch(sessions, events("ten_a", 3) + events("ten_b", 2))
    write_batch(sessions, events("ten_a", 2))


def test_an_untouched_trail_verifies(engine: Engine) -> None:
    seed(engine)
    result = verify_trail(engine)
    assert result.ok, result.problems
    assert (result.records, result.tenants) == (7, 2)
    with session_factory(engine)() as session:
        seqs = session.scalars(
            select(AuditRecord.seq)
            .where(AuditRecord.tenant_key == "ten_a")
            .order_by(AuditRecord.id)
        )
        assert list(seqs) == [1, 2, 3, 4, 5]


def test_altered_record_is_detected(engine: Engine) -> None:
    seed(engine)
    with session_factory(engine).begin() as session:
        session.execute(
            update(AuditRecord)
            .where(AuditRecord.tenant_key == "ten_a", AuditRecord.seq == 2)
            .values(output_tokens=999)
        )
    result = verify_trail(engine)
    assert [str(p) for p in result.problems] == ["tenant ten_a, record #2: contents were altered"]


def test_deleted_record_is_detected(engine: Engine) -> None:
    seed(engine)
    with session_factory(engine).begin() as session:
        session.execute(
            delete(AuditRecord).where(AuditRecord.tenant_key == "ten_b", AuditRecord.seq == 1)
        )
    problems = [str(p) for p in verify_trail(engine).problems]
    assert any("ten_b, record #2: expected #1" in p for p in problems)
    assert any("ten_b, record #2: link to the previous record is broken" in p for p in problems)


def test_deleted_tail_is_detected_by_the_head(engine: Engine) -> None:
    seed(engine)
    with session_factory(engine).begin() as session:
        session.execute(
            delete(AuditRecord).where(AuditRecord.tenant_key == "ten_a", AuditRecord.seq == 5)
        )
    problems = [str(p) for p in verify_trail(engine).problems]
    assert problems == [
        "tenant ten_a, chain head: head says #5 is newest but the chain ends at #4"
        " (records deleted or altered at the end)"
    ]


def test_reordered_records_are_detected(engine: Engine) -> None:
    seed(engine)
    with session_factory(engine).begin() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.tenant_key == "ten_a").order_by(AuditRecord.seq)
        ).all()
        first, second = rows[0], rows[1]
        # Swap the contents of #1 and #2 while keeping the storage order.
        fields = ["request_id", "input_tokens", "seq", "prev_hash", "hash"]
        a = {f: getattr(first, f) for f in fields}
        b = {f: getattr(second, f) for f in fields}
        session.execute(update(AuditRecord).where(AuditRecord.id == first.id).values(seq=-1))
        session.flush()
        session.execute(update(AuditRecord).where(AuditRecord.id == second.id).values(**a))
        session.flush()
        session.execute(update(AuditRecord).where(AuditRecord.id == first.id).values(**b))
    problems = verify_trail(engine).problems
    assert problems and all(p.tenant_key == "ten_a" for p in problems)
    assert any("reordered" in p.problem for p in problems)


def test_deleted_head_is_detected(engine: Engine) -> None:
    seed(engine)
    with session_factory(engine).begin() as session:
        session.execute(delete(AuditHead).where(AuditHead.tenant_key == "ten_b"))
    assert [str(p) for p in verify_trail(engine).problems] == [
        "tenant ten_b, chain head: chain head is missing"
    ]


def test_export_streams_every_record_as_json_lines(engine: Engine) -> None:
    seed(engine)
    lines = list(export_records(engine))
    assert len(lines) == 7 and all(line.endswith(b"\n") for line in lines)
    assert b'"request_id":"ten_a-0"' in lines[0]
    assert len(list(export_records(engine, tenant_id="ten_b"))) == 2


def test_writer_spills_to_disk_when_the_store_is_gone_and_import_restores(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gone.db'}"
    good = create_store_engine(url)
    migrate(good)

    async def run() -> None:
        broken = create_store_engine(f"sqlite:///{tmp_path / 'missing-dir-file.db'}")  # no tables
        writer = AuditWriter(broken, spill_dir=tmp_path / "spill", flush_interval=0.01)
        await writer.start()
        for event in events("ten_s", 4):
            writer.submit(event)
        assert await writer.flush() is False
        assert writer.store_failing and writer.pending == 4  # kept for retry, reported
        await writer.close()
        broken.dispose()

    asyncio.run(run())
    [spill] = list((tmp_path / "spill").glob("audit-spill-*.jsonl"))
    assert len(spill.read_text().splitlines()) == 4
    assert import_spill(good, spill).imported == 4
    result = verify_trail(good)
    assert result.ok and result.records == 4
    good.dispose()
