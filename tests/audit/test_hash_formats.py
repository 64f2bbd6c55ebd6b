"""Hash format 2: floats hashed exactly as stored (so sub-microdollar edits show), -0.0 as
0.0 (SQLite stores it so), and no legacy time reading of a format-2 record; chains of
format-1 records keep verifying and take format-2 records after them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert, update

from ramparts.audit.chain import GENESIS, record_hash
from ramparts.audit.trail import verify_trail
from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.models import AuditHead, AuditRecord
from support.databases import database

from .test_time_zones import EngineIn, engine_in  # noqa: F401 (a fixture)

WHEN = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


def event(i: int, **fields: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "request_id": f"r{i}",
        "api": "openai",
        "endpoint": "/v1/chat/completions",
        "status": "success",
        "http_status": 200,
        "tenant_id": "ten_h",
        "created_at": WHEN + timedelta(seconds=i),
    }
    return AuditEvent(**{**values, **fields})


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Engine]:
    with database("sqlite", tmp_path) as url:
        engine = create_store_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()


def problems(engine: Engine, **options: Any) -> list[str]:
    return [str(p) for p in verify_trail(engine, **options).problems]


def test_a_cost_edit_below_six_decimals_is_detected(sqlite: Engine) -> None:
    write_batch(session_factory(sqlite), [event(1, cost_usd=round(3 * 0.15 / 1e6, 8))])
    assert problems(sqlite) == []
    with sqlite.begin() as connection:
        connection.execute(update(AuditRecord).values(cost_usd=0.0))
    assert problems(sqlite) == ["tenant ten_h, record #1: contents were altered"]


def test_a_latency_nudge_below_six_decimals_is_detected(sqlite: Engine) -> None:
    write_batch(session_factory(sqlite), [event(1, latency_ms=12.5)])
    with sqlite.begin() as connection:
        connection.execute(update(AuditRecord).values(latency_ms=12.5 + 4e-7))
    assert problems(sqlite) == ["tenant ten_h, record #1: contents were altered"]


def test_a_negative_zero_cost_verifies_after_the_store_round_trip(sqlite: Engine) -> None:
    """SQLite stores -0.0 as 0.0: a record hashed over "-0.0" read as altered."""
    write_batch(session_factory(sqlite), [event(1, cost_usd=-0.0, latency_ms=-0.0)])
    assert problems(sqlite) == []


def old_rows(count: int) -> list[dict[str, Any]]:
    """Records as the writer hashed them in format 1 (floats rounded to 6 decimals)."""
    rows, prev = [], GENESIS
    for seq in range(1, count + 1):
        row = {**event(seq, cost_usd=1.23456789e-3).as_row(), "tenant_key": "ten_h", "seq": seq}
        row["prev_hash"] = prev
        row["hash"] = prev = record_hash(row, prev, hash_format=1)
        rows.append(row)
    return rows


def store_rows(engine: Engine, rows: list[dict[str, Any]]) -> None:
    with session_factory(engine).begin() as session:
        session.execute(insert(AuditRecord), rows)
        head = {"tenant_key": "ten_h", "seq": rows[-1]["seq"], "hash": rows[-1]["hash"]}
        session.execute(insert(AuditHead), [head])


def test_format_1_records_still_verify_and_new_records_extend_them(sqlite: Engine) -> None:
    store_rows(sqlite, old_rows(2))
    assert problems(sqlite) == []
    write_batch(session_factory(sqlite), [event(3, cost_usd=4.5e-7)])
    result = verify_trail(sqlite)
    assert result.ok and result.records == 3
    with sqlite.begin() as connection:
        connection.execute(update(AuditRecord).where(AuditRecord.seq == 1).values(status="error"))
    assert problems(sqlite) == ["tenant ten_h, record #1: contents were altered"]


def test_a_format_2_record_is_not_read_with_fewer_decimals(sqlite: Engine) -> None:
    """A format-2 hash matches no format-1 reading, so rounding cannot hide an edit."""
    row = {**event(1, cost_usd=4.5e-7).as_row(), "tenant_key": "ten_h", "seq": 1}
    format_2 = record_hash(row, GENESIS)
    assert format_2 != record_hash(row, GENESIS, hash_format=1)
    assert record_hash({**row, "cost_usd": 0.0}, GENESIS, hash_format=1) == record_hash(
        row, GENESIS, hash_format=1
    )  # what format 1 could not see
    assert record_hash({**row, "cost_usd": 0.0}, GENESIS) != format_2


def test_a_current_record_with_a_shifted_time_is_altered_in_any_zone(
    engine_in: EngineIn,  # noqa: F811
) -> None:
    """Shifting a new record's time by the session zone's offset (or any --legacy-zone's)
    matched the pre-UTC legacy reading: it must not."""
    writer = engine_in("Europe/Berlin")
    write_batch(session_factory(writer), [event(i) for i in (1, 2, 3)])
    with writer.begin() as connection:  # Berlin is UTC+1 in January
        moved = WHEN + timedelta(seconds=2) - timedelta(hours=1)
        connection.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(created_at=moved))
        moved = WHEN + timedelta(seconds=3) - timedelta(hours=9)
        connection.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(created_at=moved))
    expected = [
        "tenant ten_h, record #2: contents were altered",
        "tenant ten_h, record #3: contents were altered",
    ]
    assert problems(engine_in("Europe/Berlin")) == expected
    assert problems(engine_in("UTC"), legacy_zone=ZoneInfo("Asia/Tokyo")) == expected


def test_a_legacy_time_after_utc_records_is_reported(engine_in: EngineIn) -> None:  # noqa: F811
    """Format-1 records: writers hashed local wall clocks only before they hashed UTC, so
    a record that matches only in local time after UTC-hashed ones was shifted."""
    berlin = ZoneInfo("Europe/Berlin")
    rows, prev = [], GENESIS
    for seq, local in ((1, True), (2, False), (3, True)):
        row = {**event(seq).as_row(), "tenant_key": "ten_h", "seq": seq, "prev_hash": prev}
        when = row["created_at"]
        hashed = when.astimezone(berlin).replace(tzinfo=None) if local else when
        row["hash"] = prev = record_hash({**row, "created_at": hashed}, prev, hash_format=1)
        rows.append(row)
    store_rows(engine_in("UTC"), rows)
    reader = engine_in("Europe/Berlin")
    result = verify_trail(reader)
    if reader.dialect.name == "sqlite":
        # SQLite has no session zone, so no writer ever hashed a local time there: both
        # local-time records are plain alterations.
        assert [str(p) for p in result.problems] == [
            "tenant ten_h, record #1: contents were altered",
            "tenant ten_h, record #3: contents were altered",
        ]
        return
    assert [str(p) for p in result.problems] == [
        "tenant ten_h, record #3: its hash matches only with its time read in a local zone"
        " (the pre-UTC form), but earlier records of this chain were hashed in UTC: its"
        " created_at may have been shifted (or an old gateway wrote it during an upgrade)"
    ]
    assert result.legacy_time_records == 1  # record #1, before any UTC-hashed record
