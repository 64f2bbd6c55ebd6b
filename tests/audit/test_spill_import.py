"""Importing a spill file adds each record once, however often it is run."""

from __future__ import annotations

from pathlib import Path

import orjson
from sqlalchemy import Engine, func, select

from ramparts.audit.trail import import_spill, verify_trail
from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import session_factory
from ramparts.store.models import AuditRecord
from support.audit import audit_event


def event(request_id: str) -> AuditEvent:
    return audit_event(request_id, "ten_s")


def spilled(request_id: str) -> bytes:
    """One line of a spill file, as the writer writes it."""
    return orjson.dumps(event(request_id).as_row()) + b"\n"


def count(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count()).select_from(AuditRecord)) or 0


def test_a_spill_file_imported_twice_adds_its_records_once(engine: Engine, tmp_path: Path) -> None:
    spill = tmp_path / "audit-spill-1.jsonl"
    spill.write_bytes(spilled("s1") + spilled("s2"))
    first = import_spill(engine, spill)
    done = tmp_path / "audit-spill-1.jsonl.imported"
    assert (first.imported, first.skipped, first.moved_to) == (2, 0, done)
    assert not spill.exists() and done.exists()

    rerun = import_spill(engine, spill)  # the same command again
    assert (rerun.imported, rerun.skipped, rerun.already_imported) == (0, 0, True)
    assert rerun.moved_to == done

    again = import_spill(engine, done)  # the renamed file, or a copy kept elsewhere
    assert (again.imported, again.skipped, again.moved_to) == (0, 2, None)
    assert done.exists()
    assert count(engine) == 2
    assert verify_trail(engine).ok


def test_only_records_not_yet_in_the_trail_are_imported(engine: Engine, tmp_path: Path) -> None:
    write_batch(session_factory(engine), [event("s1")])
    spill = tmp_path / "audit-spill-2.jsonl"
    spill.write_bytes(spilled("s1") + spilled("s2") + spilled("s3"))
    result = import_spill(engine, spill)
    assert (result.imported, result.skipped) == (2, 1)
    with session_factory(engine)() as session:
        ids = list(session.scalars(select(AuditRecord.request_id).order_by(AuditRecord.id)))
    assert ids == ["s1", "s2", "s3"]
    assert verify_trail(engine).ok


def test_a_large_spill_is_checked_in_chunks(engine: Engine, tmp_path: Path) -> None:
    spill = tmp_path / "audit-spill-3.jsonl"
    spill.write_bytes(b"".join(spilled(f"r{i}") for i in range(1200)))
    assert import_spill(engine, spill).imported == 1200
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes((tmp_path / "audit-spill-3.jsonl.imported").read_bytes() + spilled("new"))
    result = import_spill(engine, copy)
    assert (result.imported, result.skipped) == (1, 1200)
    assert count(engine) == 1201
