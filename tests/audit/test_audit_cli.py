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

from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import create_store_engine, migrate, session_factory
from support.databases import database
from support.gateway_process import RAMPARTS


def event(request_id: str, created_at: datetime) -> AuditEvent:
    return AuditEvent(
        request_id=request_id,
        api="openai",
        endpoint="/v1/chat/completions",
        status="success",
        http_status=200,
        created_at=created_at,
        tenant_id="ten_c",
    )


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


def ramparts(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RAMPARTS_DATA_DIR": str(tmp_path / "data"),
        "RAMPARTS_DATABASE_URL": url,
        "COLUMNS": "250",
    }
    result = subprocess.run(
        [str(RAMPARTS), *args], capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
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
