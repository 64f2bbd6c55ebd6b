"""Reading spill files back: each line checked against the audit columns before any write.

A spill file is input like any other (it may have been edited, truncated or crafted), so a
record the store would refuse is reported with its file and line, never as a database
error. Messages name the field and what it must be, never its value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import MISSING, fields
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import orjson
from sqlalchemy import BigInteger, Boolean, Float, Integer, String, Table
from sqlalchemy.types import JSON

from ramparts.audit.chain import record_hash
from ramparts.audit.writer import AuditEvent
from ramparts.errors import ParseError
from ramparts.store.models import AuditRecord

_COLUMNS = cast(Table, AuditRecord.__table__).c
_INT32 = 2**31
_INT64 = 2**63
# created_at has a default (now) for the gateway, but a spilled record must keep its own.
_REQUIRED = frozenset(
    f.name for f in fields(AuditEvent) if f.default is MISSING and f.default_factory is MISSING
) | {"created_at"}
_FIELD_NAMES = frozenset(f.name for f in fields(AuditEvent))
# A tenant's chain is keyed by its tenant id, so that id must fit the key column too.
_TENANT_KEY_LENGTH = cast(String, _COLUMNS["tenant_key"].type).length


def _check_int(value: Any, bound: int) -> str | None:
    if type(value) is not int or not -bound <= value < bound:
        return f"must be a whole number from {-bound} to {bound - 1}"
    return None


def _check_float(value: Any) -> str | None:
    if type(value) not in (int, float) or not math.isfinite(value):
        return "must be a finite number"
    return None


def _check_string(value: Any, length: int | None) -> str | None:
    if type(value) is not str:
        return "must be a string"
    if length is not None and len(value) > length:
        return f"must be at most {length} characters"
    if "\x00" in value:
        return "must not contain NUL characters"
    return None


def _check_json(value: Any) -> str | None:
    if type(value) is not dict:
        return "must be a JSON object"
    try:
        orjson.dumps(value)  # what the chain hash serialises
    except TypeError:
        return "must hold only values the chain hash can serialise"
    return None


def _checker(name: str) -> Callable[[Any], str | None]:
    """The check for one field, from its column's type (so the two cannot drift apart)."""
    kind = _COLUMNS[name].type
    if name == "created_at":
        return lambda value: None  # parsed separately
    if isinstance(kind, Boolean):
        return lambda value: None if type(value) is bool else "must be true or false"
    if isinstance(kind, BigInteger):
        return lambda value: _check_int(value, _INT64)
    if isinstance(kind, Integer):
        return lambda value: _check_int(value, _INT32)
    if isinstance(kind, Float):
        return _check_float
    if isinstance(kind, String):
        length = kind.length
        if name == "tenant_id" and _TENANT_KEY_LENGTH is not None:
            length = min(length or _TENANT_KEY_LENGTH, _TENANT_KEY_LENGTH)
        return lambda value: _check_string(value, length)
    if isinstance(kind, JSON):
        return _check_json
    raise AssertionError(f"no spill check for the {type(kind).__name__} column {name}")


_CHECKS = {name: (_checker(name), _COLUMNS[name].nullable) for name in _FIELD_NAMES}


def _field_problem(data: dict[str, Any]) -> str | None:
    for name in data:
        if name not in _FIELD_NAMES:
            shown = f"{name!r} " if name.isidentifier() and len(name) <= 40 else ""
            return f"the field {shown}is not an audit record field"
    missing = sorted(_REQUIRED - data.keys())
    if missing:
        return f"the field {missing[0]!r} is missing"
    for name, value in data.items():
        check, nullable = _CHECKS[name]
        if value is None:
            if nullable:
                continue
            return f"the field {name!r} must not be null"
        problem = check(value)
        if problem is not None:
            return f"the field {name!r} {problem}"
    return None


def _parse_time(value: Any) -> datetime:
    try:
        if type(value) is str:
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError("the field 'created_at' must be an ISO date and time")


def parse_spill_line(line: bytes) -> AuditEvent:
    """One spill line as an event; ValueError (with a value-free reason) if it is not one."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON (at column {exc.colno})") from None
    if type(data) is not dict:
        raise ValueError("not a JSON object")
    if data.get("unreadable") is True:
        raise ValueError(
            "a record the gateway could not serialise (marked unreadable); remove the line"
        )
    problem = _field_problem(data)
    if problem is not None:
        raise ValueError(problem)
    data["created_at"] = _parse_time(data["created_at"])
    event = AuditEvent(**data)
    try:
        record_hash(event.as_row(), "")
    except (TypeError, ValueError):
        raise ValueError("a field holds a value the chain hash cannot serialise") from None
    return event


def read_spill(path: Path) -> Iterator[AuditEvent]:
    """The events of a spill file, in order; ParseError naming the line of the first bad one."""
    with path.open("rb") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield parse_spill_line(line)
            except ValueError as exc:
                raise ParseError(
                    f"{path}:{number}: not an audit spill record: {exc}."
                    " Fix or remove that line and import again."
                ) from None
