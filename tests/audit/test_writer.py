"""What write_batch stores: every event field as given, numbered and hash-chained per tenant."""

from __future__ import annotations

import enum
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, select

from ramparts.audit.chain import GENESIS, HASHED_FIELDS, _canonical_value, record_hash
from ramparts.audit.writer import AuditEvent, write_batch
from ramparts.store.db import session_factory
from ramparts.store.models import AuditHead, AuditRecord

GUARDRAILS = {
    "policy": {"source": "builtin", "version": None, "mode": "enforce"},
    "input": {"verdict": "redact", "findings": [{"score": 0.95, "kind": "email"}], "z": "é"},
}


def event(n: int, tenant: str | None) -> AuditEvent:
    return AuditEvent(
        request_id=f"req-{n}",
        api="openai",
        endpoint="/v1/chat/completions",
        status="blocked" if n % 3 == 0 else "success",
        http_status=403 if n % 3 == 0 else 200,
        created_at=datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        tenant_id=tenant,
        team_id="team-1",
        key_id="key-1",
        model="echo",
        provider="local",
        error_code="blocked" if n % 3 == 0 else None,
        stream=n % 2 == 1,
        latency_ms=1.2345678 * n,
        ttft_ms=None if n % 2 == 0 else 0.25,
        input_tokens=n,
        output_tokens=2 * n,
        cost_usd=1e-7 * n,
        attempts=1,
        guardrails=GUARDRAILS if n % 2 else {},
        content={"messages": ["hi"]} if n == 4 else None,
    )


def test_rows_hold_the_events_numbered_and_chained_per_tenant(engine: Engine) -> None:
    sessions = session_factory(engine)
    tenants = ["ten_a", "ten_b", None]
    written = [event(n, tenants[n % 3]) for n in range(9)]
    write_batch(sessions, written[:5])  # new heads
    write_batch(sessions, written[5:])  # existing heads, moved on
    with sessions() as session:
        stored = list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))
        heads = {h.tenant_key: (h.seq, h.hash) for h in session.scalars(select(AuditHead))}
    by_request = {r.request_id: r for r in stored}
    assert len(stored) == 9
    for sent in written:
        row = by_request[sent.request_id]
        for name, value in sent.as_row().items():
            expected = value.replace(tzinfo=None) if name == "created_at" else value
            got = getattr(row, name)
            assert (got.replace(tzinfo=None) if name == "created_at" else got) == expected, name
    for tenant_key in ("ten_a", "ten_b", "_none"):
        chain = [r for r in stored if r.tenant_key == tenant_key]
        assert [r.seq for r in chain] == list(range(1, len(chain) + 1))
        prev = GENESIS
        for record in chain:
            fields = {name: getattr(record, name) for name in HASHED_FIELDS}
            assert record.prev_hash == prev
            assert record.hash == record_hash(fields, prev)
            prev = record.hash
        assert heads[tenant_key] == (chain[-1].seq, chain[-1].hash)


class Level(enum.IntEnum):
    HIGH = 3


class Label(str):
    pass


def test_record_hash_canonicalises_every_value_like_before() -> None:
    fields: dict[str, Any] = {name: None for name in HASHED_FIELDS}
    fields.update(
        tenant_key=Label("ten_a"),
        seq=Level.HIGH,
        created_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        stream=True,
        latency_ms=1.23456789,
        cost_usd=2.0000004,
        input_tokens=7,
        guardrails={"b": [1.5, {"z": None}], "a": "x"},
    )
    # Hash format 1 (records written before format 2) keeps hashing as it did.
    payload = {name: _canonical_value(fields.get(name), 1) for name in HASHED_FIELDS}
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    expected = hashlib.sha256(GENESIS.encode("ascii") + body).hexdigest()
    assert record_hash(fields, GENESIS, hash_format=1) == expected
