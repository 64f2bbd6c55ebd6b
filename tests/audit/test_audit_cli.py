"""`ramparts audit export --since` and `import-spill`, run as the real command."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import orjson
import pytest
from sqlalchemy import insert, update

from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.models import AuditHead, AuditRecord
from support.audit import audit_event
from support.databases import database
from support.gateway_process import RAMPARTS

from .test_time_zones import golden_events, old_rows


def event(request_id: str, created_at: datetime) -> AuditEvent:
    return audit_event(request_id, "ten_c", created_at=created_at)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database; PostgreSQL sessions run in Berlin time, not UTC."""
    with database(request.param, tmp_path) as base:
        zoned = base
        if request.param == "postgres":
            zoned = f"{base}?options={quote('-c timezone=Europe/Berlin')}"
        engine = create_store_engine(zoned)
        migrate(engine)
        engine.dispose()
        yield zoned


def ramparts(
    url: str, tmp_path: Path, *args: str, code: int = 0
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RAMPARTS_DATA_DIR": str(tmp_path / "data"),
        "RAMPARTS_DATABASE_URL": url,
        "COLUMNS": "250",
    }
    result = subprocess.run(
        [str(RAMPARTS), *args], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert result.returncode == code, result.stdout + result.stderr
    return result


def test_export_since_and_verify_whatever_the_session_zone(url: str, tmp_path: Path) -> None:
    engine = create_store_engine(url)
    early, late = datetime(2026, 1, 2, 3, 0, tzinfo=UTC), datetime(2026, 1, 2, 5, 0, tzinfo=UTC)
    write_batch(session_factory(engine), [event("early", early), event("late", late)])
    engine.dispose()

    assert "2 records in 1 chains verified" in ramparts(url, tmp_path, "audit", "verify").stdout
    for since in ("2026-01-02T04:00:00", "2026-01-02T06:00:00+02:00"):
        out = ramparts(url, tmp_path, "audit", "export", "--since", since).stdout
        records = [orjson.loads(line) for line in out.splitlines()]
        assert [(r["request_id"], r["created_at"]) for r in records] == [
            ("late", "2026-01-02T05:00:00+00:00")
        ], since


def test_import_spill_twice_imports_once(url: str, tmp_path: Path) -> None:
    spill = tmp_path / "audit-spill-x.jsonl"
    at = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    spill.write_bytes(b"".join(orjson.dumps(event(r, at).as_row()) + b"\n" for r in ("a", "b")))

    first = ramparts(url, tmp_path, "audit", "import-spill", str(spill)).stdout
    assert "imported 2 records" in first and "skipped 0" in first
    done = tmp_path / "audit-spill-x.jsonl.imported"
    assert not spill.exists() and done.exists()

    rerun = ramparts(url, tmp_path, "audit", "import-spill", str(spill)).stdout
    assert "already imported" in rerun
    again = ramparts(url, tmp_path, "audit", "import-spill", str(done)).stdout
    assert "imported 0 records" in again and "skipped 2" in again

    out = ramparts(url, tmp_path, "audit", "export").stdout
    assert [orjson.loads(line)["request_id"] for line in out.splitlines()] == ["a", "b"]
    assert "2 records in 1 chains verified" in ramparts(url, tmp_path, "audit", "verify").stdout


def test_problems_quoting_markup_are_printed_as_data(url: str, tmp_path: Path) -> None:
    tenant = "t[/x][link=https://evil.example]y"
    engine = create_store_engine(url)
    at = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
    write_batch(session_factory(engine), [event("m1", at)])
    with session_factory(engine).begin() as session:  # a record moved to another chain
        session.execute(update(AuditRecord).values(tenant_key=tenant))
    engine.dispose()
    out = ramparts(url, tmp_path, "audit", "verify", code=1).stdout
    assert f"tenant {tenant}, record #1: contents were altered" in out
    assert "Traceback" not in out


def test_a_bad_spill_line_is_one_error_line(url: str, tmp_path: Path) -> None:
    row = orjson.loads(orjson.dumps(event("a", datetime(2026, 1, 2, tzinfo=UTC)).as_row()))
    spill = tmp_path / "audit-spill-bad.jsonl"
    spill.write_bytes(orjson.dumps({**row, "http_status": "abc-secret"}) + b"\n")
    result = ramparts(url, tmp_path, "audit", "import-spill", str(spill), code=2)
    assert result.stderr.strip().splitlines() == [
        f"error: {spill}:1: not an audit spill record: the field 'http_status' must be a whole"
        " number from -2147483648 to 2147483647. Fix or remove that line and import again."
    ]
    assert "abc-secret" not in result.stderr + result.stdout


def test_old_records_verify_with_a_note(url: str, tmp_path: Path) -> None:
    """Records the previous version wrote from a Berlin session: naive UTC, hashed as such."""
    rows = old_rows(golden_events())
    engine = create_store_engine(url)  # sessions in Berlin time, like the old writer's
    with session_factory(engine).begin() as session:
        session.execute(insert(AuditRecord), rows)
        session.execute(
            insert(AuditHead), [{"tenant_key": "ten_g", "seq": 2, "hash": rows[-1]["hash"]}]
        )
    engine.dispose()
    out = ramparts(url, tmp_path, "audit", "verify").stdout
    assert "2 records in 1 chains verified" in out
    if url.startswith("postgresql"):
        assert "note: 2 records matched only with their time read" in out
        utc = url.replace("Europe/Berlin", "UTC")
        assert "contents were altered" in ramparts(utc, tmp_path, "audit", "verify", code=1).stdout
        named = ramparts(utc, tmp_path, "audit", "verify", "--legacy-zone", "Europe/Berlin")
        assert "note: 2 records" in named.stdout and "verified" in named.stdout
    bad_zone = ramparts(url, tmp_path, "audit", "verify", "--legacy-zone", "Mars/Base", code=2)
    assert "is not a time zone name" in bad_zone.stderr
