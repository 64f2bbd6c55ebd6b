"""Two imports of one spill file at once add its records once, even for a new tenant."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
from sqlalchemy import Engine, func, select, update

from ramparts.audit.trail import SpillImport, import_spill, verify_trail
from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import session_factory
from ramparts.store.models import AuditRecord
from support.audit import audit_event


def event(request_id: str, tenant: str) -> AuditEvent:
    return audit_event(request_id, tenant)


def spill_file(path: Path, tenant: str, count: int) -> Path:
    lines = (orjson.dumps(event(f"{tenant}-{i}", tenant).as_row()) + b"\n" for i in range(count))
    path.write_bytes(b"".join(lines))
    return path


def import_at_once(engine: Engine, paths: list[Path]) -> list[SpillImport | BaseException]:
    start = threading.Barrier(len(paths))
    results: list[SpillImport | BaseException] = [RuntimeError("not run")] * len(paths)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = import_spill(engine, paths[index])
        except BaseException as exc:  # reported by the test, not lost in the thread
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def request_ids(engine: Engine) -> tuple[int, int]:
    with session_factory(engine)() as session:
        total = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
        distinct = session.scalar(select(func.count(AuditRecord.request_id.distinct()))) or 0
    return total, distinct


def test_concurrent_imports_of_one_file_add_each_record_once(
    engine: Engine, tmp_path: Path
) -> None:
    write_batch(session_factory(engine), [event("old", "ten_old")])
    for tenant in ("ten_old", "ten_new"):  # a chain with a head, and one without
        original = spill_file(tmp_path / f"audit-spill-{tenant}.jsonl", tenant, 1500)
        copies = [tmp_path / f"copy-{tenant}-{i}.jsonl" for i in range(3)]
        for copy in copies:
            copy.write_bytes(original.read_bytes())
        results = import_at_once(engine, copies)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        imports = [r for r in results if isinstance(r, SpillImport)]
        assert sorted(r.imported for r in imports) == [0, 0, 1500], tenant
        assert all(r.imported + r.skipped == 1500 for r in imports)
    assert request_ids(engine) == (3001, 3001)
    result = verify_trail(engine)
    assert result.ok and result.records == 3001, [str(p) for p in result.problems]


def test_a_record_repeated_in_the_file_is_imported_once(engine: Engine, tmp_path: Path) -> None:
    line = orjson.dumps(event("twice", "ten_d").as_row()) + b"\n"
    other = orjson.dumps(event("once", "ten_d").as_row()) + b"\n"
    spill = tmp_path / "audit-spill-d.jsonl"
    spill.write_bytes(line + other + line)
    result = import_spill(engine, spill)
    assert (result.imported, result.skipped) == (2, 1)
    assert request_ids(engine) == (2, 2)
    assert verify_trail(engine).ok


def test_an_import_with_nothing_new_leaves_no_empty_head(engine: Engine, tmp_path: Path) -> None:
    """A head locked for a tenant whose records were all known is not left behind."""
    write_batch(session_factory(engine), [event("known", "ten_k")])
    with session_factory(engine).begin() as session:  # a trail whose head was lost
        session.execute(update(AuditRecord).values(tenant_key="ten_k2"))
    spill = tmp_path / "audit-spill-k.jsonl"
    spill.write_bytes(orjson.dumps(event("known", "ten_k2").as_row()) + b"\n")
    assert import_spill(engine, spill).imported == 0
    problems = [str(p) for p in verify_trail(engine).problems]
    assert "tenant ten_k2, chain head: chain head is missing" in problems
