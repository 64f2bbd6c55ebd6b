"""JSON columns are written with orjson, and nothing orjson refuses is lost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, MetaData, Table, select

from ramparts.store.db import create_store_engine, dump_json


def test_dump_json_matches_the_standard_library_on_what_audit_records_hold() -> None:
    record = {"input": {"status": "ran", "score": 0.8125, "findings": [{"kind": "email"}]}}
    assert json.loads(dump_json(record)) == record


def test_dump_json_falls_back_for_what_orjson_refuses() -> None:
    assert json.loads(dump_json({"big": 2**70, 7: "int key"})) == {"big": 2**70, "7": "int key"}


def test_json_columns_round_trip_through_sqlite(tmp_path: Path) -> None:
    table = Table("t", MetaData(), Column("v", JSON))
    engine = create_store_engine(f"sqlite:///{tmp_path}/j.db")
    value = {"guardrails": {"score": 0.75, "rules": ["r1"]}, "big": 2**70 + 1}
    try:
        table.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(table.insert(), [{"v": value}])
            assert connection.execute(select(table.c.v)).scalar_one() == value
    finally:
        engine.dispose()


def test_rows_written_by_the_fallback_read_back_exactly(tmp_path: Path) -> None:
    # orjson would read 2**64 + 1 as a float and refuse the NaN the fallback writes.
    table = Table("t", MetaData(), Column("v", JSON))
    engine = create_store_engine(f"sqlite:///{tmp_path}/j.db")
    rows: list[dict[str, Any]] = [
        {"v": {"ok": 1}},
        {"v": {"n": 2**64 + 1, "x": float("nan")}},
        {"v": {"é": "ü"}},
    ]
    try:
        table.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(table.insert(), rows)
            ok, odd, text = connection.execute(select(table.c.v)).scalars().all()
    finally:
        engine.dispose()
    assert ok == {"ok": 1} and text == {"é": "ü"}
    assert odd["n"] == 2**64 + 1 and isinstance(odd["n"], int)
    assert odd["x"] != odd["x"]  # NaN
