"""The PySpark job in local mode gives the same per-service, per-user numbers as the
local pipeline."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from ramparts.discovery.catalog import Catalog
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.spark import discover, main, normalise, parse_text


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    # Python workers must run this interpreter (the venv) so they can import ramparts.
    previous = os.environ.get("PYSPARK_PYTHON")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[1]")
        .appName("ramparts-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.execution.pythonUDF.arrow.enabled", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()
    if previous is None:
        os.environ.pop("PYSPARK_PYTHON", None)
    else:
        os.environ["PYSPARK_PYTHON"] = previous


def local_pairs(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(s, u["user"]) for u in report["users"] for s in u["services"]}


def test_text_logs_match_the_local_pipeline(
    spark: SparkSession, tmp_path: Path, known_traffic: Any, catalog: Catalog
) -> None:
    log = known_traffic.write(tmp_path / "access.log")
    local = run_discovery([str(log)], catalog, RunOptions(vectorised=False))
    rows = discover(parse_text(spark, [str(log)], "squid-native"), catalog).collect()
    evidence = {(r.service_id, r.user): r for r in rows if r.strength == "evidence"}
    assert set(evidence) == local_pairs(local)
    by_service = {s["id"]: s for s in local["services"]}
    for (service_id, _user), row in evidence.items():
        expected = by_service[service_id]  # one user per service in this scenario
        assert (row.requests, row.active_days, row.bytes_down, row.upload_unknown) == (
            expected["requests"],
            expected["active_days"],
            expected["bytes_down"],
            expected["upload_unknown_requests"],
        )
    weak = [(r.service_id, r.requests) for r in rows if r.strength == "weak"]
    assert weak == [("microsoft-copilot", 1)]


def test_tables_with_a_column_mapping_and_the_job_entry_point(
    spark: SparkSession, tmp_path: Path, catalog: Catalog
) -> None:
    table = spark.createDataFrame(
        [
            (1767225600.0, "ann", "claude.ai", "/api", 100, 10),
            (1767312000.0, "ann", "claude.ai", "/api", 50, 10),
            (1767312000.0, "ben", "www.bing.com", "/search", 1, 1),
            (1767312000.0, "ben", "api.mistral.ai", "/v1", None, 5),
        ],
        ["time", "login", "dest", "uri", "sent", "received"],
    )
    mapping = {
        "ts": "time",
        "user": "login",
        "host": "dest",
        "path": "uri",
        "bytes_up": "sent",
        "bytes_down": "received",
    }
    rows = discover(normalise(table, mapping), catalog).collect()
    got = {
        (r.service_id, r.user): (r.requests, r.active_days, r.bytes_up, r.upload_unknown)
        for r in rows
    }
    assert got == {
        ("anthropic-claude", "ann"): (2, 2, 150, 0),
        ("mistral-api", "ben"): (1, 1, 0, 1),
    }
    src = tmp_path / "in.parquet"
    table.write.parquet(str(src))
    out = tmp_path / "out"
    main(
        [
            "--input",
            str(src),
            "--map",
            ",".join(f"{k}={v}" for k, v in mapping.items()),
            "--output",
            str(out),
        ],
        spark,
    )
    assert spark.read.parquet(str(out)).count() == 2
