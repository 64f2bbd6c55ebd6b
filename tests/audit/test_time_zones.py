"""The chain and export work in UTC, whatever the PostgreSQL session's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import orjson
import pytest
from sqlalchemy import Engine, insert, select

from ramparts.audit.chain import GENESIS, legacy_times, record_hash
from ramparts.audit.trail import export_records, verify_trail
from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.models import AuditHead, AuditRecord
from support.audit import audit_event
from support.databases import database

# Engines on one database whose sessions run in the given time zone (SQLite has none).
EngineIn = Callable[[str], Engine]

ZONES = ("UTC", "Europe/Berlin", "America/Los_Angeles")


@pytest.fixture(params=["sqlite", "postgres"])
def engine_in(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EngineIn]:
    with database(request.param, tmp_path) as url:
        engines: list[Engine] = []

        def make(zone: str) -> Engine:
            zoned = url
            if request.param == "postgres":
                zoned = f"{url}?options={quote(f'-c timezone={zone}')}"
            engine = create_store_engine(zoned)
            engines.append(engine)
            return engine

        migrate(make("UTC"))
        yield make
        for engine in engines:
            engine.dispose()


def golden_events() -> list[AuditEvent]:
    return [
        AuditEvent(
            request_id="golden-1",
            api="openai",
            endpoint="/v1/chat/completions",
            status="success",
            http_status=200,
            # Half an hour before Berlin's clocks go forward.
            created_at=datetime(2026, 3, 29, 0, 30, 0, 123456, tzinfo=UTC),
            tenant_id="ten_g",
            model="echo",
            latency_ms=1.25,
            input_tokens=3,
            guardrails={"input": {"verdict": "allow"}},
        ),
        AuditEvent(
            request_id="golden-2",
            api="openai",
            endpoint="/v1/chat/completions",
            status="blocked",
            http_status=403,
            created_at=datetime(2026, 7, 1, 23, 59, 59, 999999, tzinfo=UTC),
            tenant_id="ten_g",
            cost_usd=0.0001234567,
        ),
    ]


# What the writer stored for golden_events() before times were written time-zone aware:
# records written then must keep verifying, so these may never change.
GOLDEN_HASHES = [
    "ca5744790e1ab62a54fc2bab3d4d24ffe3e34a151fb1a286a6a0755e5a8d81d8",
    "6a4a5c00b371868d9abdcb68526f61b72358db464683849c6c678fdb6326c706",
]
# What the writer stores for them in hash format 2 (exact floats), which it writes now.
GOLDEN_HASHES_FORMAT_2 = [
    "9acf206d0c7dc12cc5827e179762d32bbb716cca5617487d5701956e6bf08276",
    "0492a6027f3d6c2c8aef20f8dc91fbad236e8ec851cd3cfc1487e57cc599e5c6",
]


def stored_hashes(engine: Engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(AuditRecord.hash).order_by(AuditRecord.id)))


@pytest.mark.parametrize("zone", ZONES)
def test_chain_written_in_any_session_zone_verifies_in_every_other(
    engine_in: EngineIn, zone: str
) -> None:
    write_batch(session_factory(engine_in(zone)), golden_events())
    assert stored_hashes(engine_in("UTC")) == GOLDEN_HASHES_FORMAT_2
    for reader in ZONES:
        result = verify_trail(engine_in(reader))
        assert result.ok and result.records == 2, (reader, [str(p) for p in result.problems])
    with session_factory(engine_in("Europe/Berlin"))() as session:
        stored = list(session.scalars(select(AuditRecord.created_at).order_by(AuditRecord.id)))
    # The instant is kept, not just the wall-clock digits (SQLite returns naive UTC).
    assert [t if t.tzinfo else t.replace(tzinfo=UTC) for t in stored] == [
        e.created_at for e in golden_events()
    ]


def old_rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Rows as the writer built them before: created_at naive UTC, hashed as such (in hash
    format 1)."""
    rows, prev = [], GENESIS
    for seq, event in enumerate(events, 1):
        row = {**event.as_row(), "tenant_key": "ten_g", "seq": seq, "prev_hash": prev}
        row["created_at"] = event.created_at.replace(tzinfo=None)
        row["hash"] = prev = record_hash(row, prev, hash_format=1)
        rows.append(row)
    return rows


def test_records_written_by_the_old_writer_still_verify(engine_in: EngineIn) -> None:
    rows = old_rows(golden_events())
    assert [row["hash"] for row in rows] == GOLDEN_HASHES
    with session_factory(engine_in("UTC")).begin() as session:  # the old writer's sessions
        session.execute(insert(AuditRecord), rows)
        session.execute(
            insert(AuditHead), [{"tenant_key": "ten_g", "seq": 2, "hash": rows[-1]["hash"]}]
        )
    for reader in ZONES:
        result = verify_trail(engine_in(reader))
        assert result.ok and result.records == 2, (reader, [str(p) for p in result.problems])
    # New records extend the old chain.
    more = audit_event("golden-3", "ten_g", endpoint="/v1/x")
    write_batch(session_factory(engine_in("Europe/Berlin")), [more])
    assert verify_trail(engine_in("America/Los_Angeles")).ok


def exported(engine: Engine, since: datetime | None) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in export_records(engine, since=since)]


@pytest.mark.parametrize("zone", ZONES)
def test_export_since_compares_and_writes_utc(engine_in: EngineIn, zone: str) -> None:
    write_batch(session_factory(engine_in("UTC")), golden_events())
    engine = engine_in(zone)
    assert [r["request_id"] for r in exported(engine, None)] == ["golden-1", "golden-2"]
    assert [r["created_at"] for r in exported(engine, None)] == [
        "2026-03-29T00:30:00.123456+00:00",
        "2026-07-01T23:59:59.999999+00:00",
    ]
    # A naive --since is UTC; an aware one is converted.
    cases = {
        datetime(2026, 3, 29, 0, 30, 0, 123456): ["golden-1", "golden-2"],
        datetime(2026, 3, 29, 0, 30, 0, 123457): ["golden-2"],
        datetime.fromisoformat("2026-03-29T01:30:00.123456+01:00"): ["golden-1", "golden-2"],
        datetime.fromisoformat("2026-03-29T01:30:00.123457+01:00"): ["golden-2"],
        datetime.fromisoformat("2026-07-01T16:59:59.999999-07:00"): ["golden-2"],
        datetime(2026, 7, 2): [],
    }
    for since, expected in cases.items():
        assert [r["request_id"] for r in exported(engine, since)] == expected, since


def test_old_records_written_from_a_non_utc_session_verify_in_the_legacy_form(
    engine_in: EngineIn,
) -> None:
    """The old writer sent naive UTC, which PostgreSQL read as the session's local time."""
    rows = old_rows(golden_events())
    with session_factory(engine_in("Europe/Berlin")).begin() as session:
        session.execute(insert(AuditRecord), rows)
        session.execute(
            insert(AuditHead), [{"tenant_key": "ten_g", "seq": 2, "hash": rows[-1]["hash"]}]
        )
    sqlite = engine_in("UTC").dialect.name == "sqlite"  # no session zone: stored as sent
    berlin = verify_trail(engine_in("Europe/Berlin"))
    assert berlin.ok, [str(p) for p in berlin.problems]
    assert berlin.legacy_time_records == (0 if sqlite else 2)
    # From another zone the old verifier failed too; naming the writers' zone verifies.
    for reader in ("UTC", "America/Los_Angeles"):
        assert verify_trail(engine_in(reader)).ok == sqlite
        named = verify_trail(engine_in(reader), legacy_zone=ZoneInfo("Europe/Berlin"))
        assert named.ok and named.records == 2, (reader, [str(p) for p in named.problems])
        assert named.legacy_time_records == (0 if sqlite else 2)
    # New records extend the old chain in the new form only.
    more = audit_event("golden-3", "ten_g", endpoint="/v1/x")
    write_batch(session_factory(engine_in("UTC")), [more])
    after = verify_trail(engine_in("Europe/Berlin"))
    assert after.ok and after.records == 3
    assert after.legacy_time_records == (0 if sqlite else 2)


def test_the_legacy_form_does_not_hide_altered_contents(engine_in: EngineIn) -> None:
    rows = old_rows(golden_events())
    rows[0]["status"] = "blocked"  # altered after hashing
    with session_factory(engine_in("Europe/Berlin")).begin() as session:
        session.execute(insert(AuditRecord), rows)
        session.execute(
            insert(AuditHead), [{"tenant_key": "ten_g", "seq": 2, "hash": rows[-1]["hash"]}]
        )
    result = verify_trail(engine_in("Europe/Berlin"), legacy_zone=ZoneInfo("Europe/Berlin"))
    assert [str(p) for p in result.problems] == ["tenant ten_g, record #1: contents were altered"]


def test_legacy_times_for_a_driver_that_returns_utc() -> None:
    """Drivers returning every timestamptz in UTC need the session's zone to convert to."""
    at = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert legacy_times(at) == [datetime(2026, 7, 1, 10, 0)]
    assert legacy_times(at, [ZoneInfo("Europe/Berlin")]) == [
        datetime(2026, 7, 1, 10, 0),
        datetime(2026, 7, 1, 12, 0),
    ]
    assert legacy_times(datetime(2026, 7, 1, 10, 0), [ZoneInfo("Europe/Berlin")]) == []
