"""A crafted or damaged spill file is refused line by line before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Engine, func, select

from ramparts.audit.trail import import_spill
from ramparts.errors import ParseError
from ramparts.store.db import session_factory
from ramparts.store.models import AuditHead, AuditRecord
from support.audit import audit_event

SECRET = "sk-SECRETVALUE"


def good() -> dict[str, Any]:
    row = audit_event("good-1", "ten_v").as_row()
    read: dict[str, Any] = orjson.loads(orjson.dumps(row))  # as read back from a file
    return read


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "text status": ({"http_status": SECRET}, "'http_status' must be a whole number"),
    "numeric id": ({"request_id": 123}, "'request_id' must be a string"),
    "long id": ({"request_id": "r" * 65 + SECRET}, "'request_id' must be at most 64 characters"),
    "long tenant": ({"tenant_id": "t" * 41}, "'tenant_id' must be at most 40 characters"),
    "huge int": ({"input_tokens": 2**40}, "'input_tokens' must be a whole number"),
    "bool as int": ({"attempts": True}, "'attempts' must be a whole number"),
    "float as int": ({"output_tokens": 1.5}, "'output_tokens' must be a whole number"),
    "text latency": ({"latency_ms": SECRET}, "'latency_ms' must be a finite number"),
    "text stream": ({"stream": "yes"}, "'stream' must be true or false"),
    "null api": ({"api": None}, "'api' must not be null"),
    "list guardrails": ({"guardrails": [SECRET]}, "'guardrails' must be a JSON object"),
    "bad time": ({"created_at": SECRET}, "'created_at' must be an ISO date and time"),
    "numeric time": ({"created_at": 5}, "'created_at' must be an ISO date and time"),
    "nul": ({"model": "a\x00" + SECRET}, "'model' must not contain NUL characters"),
    "unknown field": ({"seq": 9}, "the field 'seq' is not an audit record field"),
    "odd field name": ({SECRET + " [/x]": 1}, "the field is not an audit record field"),
}


def write_lines(path: Path, *records: Any) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def nothing_written(engine: Engine) -> bool:
    with session_factory(engine)() as session:
        records = session.scalar(select(func.count()).select_from(AuditRecord))
        heads = session.scalar(select(func.count()).select_from(AuditHead))
    return records == 0 and heads == 0


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_field_is_named_with_its_line_and_no_value(
    engine: Engine, tmp_path: Path, case: str
) -> None:
    change, reason = BAD[case]
    spill = write_lines(tmp_path / "audit-spill.jsonl", good(), {**good(), **change})
    with pytest.raises(ParseError) as caught:
        import_spill(engine, spill)
    message = str(caught.value)
    assert message.startswith(f"{spill}:2: not an audit spill record: ")
    assert reason in message and "Fix or remove that line" in message
    assert SECRET not in message and "[/x]" not in message
    assert nothing_written(engine) and spill.exists()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"[1,2]", "not a JSON object"),
        (b'{"request_id": "' + SECRET.encode() + b'"', "not valid JSON"),
        (b'{"request_id": "x", "unreadable": true}', "marked unreadable"),
        (b'{"request_id": "x"}', "the field 'api' is missing"),
    ],
)
def test_a_line_that_is_not_a_record_is_refused(
    engine: Engine, tmp_path: Path, line: bytes, reason: str
) -> None:
    spill = tmp_path / "audit-spill.jsonl"
    spill.write_bytes(line + b"\n")
    with pytest.raises(ParseError, match=reason) as caught:
        import_spill(engine, spill)
    assert SECRET not in str(caught.value)
    assert nothing_written(engine)


def test_limits_come_from_the_columns(engine: Engine, tmp_path: Path) -> None:
    """Values at the limits are accepted and stored as given."""
    edge = {
        **good(),
        "request_id": "r" * 64,
        "tenant_id": "t" * 40,
        "input_tokens": 2**31 - 1,
        "latency_ms": 5,
        "content": None,
    }
    spill = write_lines(tmp_path / "audit-spill.jsonl", edge)
    assert import_spill(engine, spill).imported == 1
