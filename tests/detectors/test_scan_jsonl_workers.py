"""``scan --jsonl`` with worker processes: same output, same order, as one process."""

from __future__ import annotations

import io
import json

import orjson
import pytest
from typer.testing import CliRunner

from ramparts.cli.main import build_app
from ramparts.detectors import scanning
from ramparts.detectors.engine import Engine
from ramparts.detectors.pii.email import EmailDetector
from ramparts.detectors.pii.national_id import UsSsnDetector
from ramparts.detectors.registry import Registry


def _engine() -> Engine:
    return Engine(registry=Registry([EmailDetector, UsSsnDetector]))


def _lines(count: int) -> list[bytes]:
    lines = []
    for number in range(count):
        if number % 7 == 3:
            lines.append(b"not json\n")
        elif number % 11 == 5:
            lines.append(b"\n")  # blank: skipped, but still counted for line numbers
        else:
            text = f"row {number}: mail u{number}@example.com" if number % 2 else "nothing"
            lines.append(orjson.dumps({"id": f"r{number}", "text": text}) + b"\n")
    return lines


def _run(lines: list[bytes], workers: int) -> tuple[bytes, tuple[int, int]]:
    out = io.BytesIO()
    counts = scanning.scan_jsonl(_engine(), lines, out, workers=workers, make_engine=_engine)
    return out.getvalue(), counts


def test_workers_give_the_same_output_in_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 5)  # many batches, several in flight
    lines = _lines(200)
    serial, serial_counts = _run(lines, workers=1)
    parallel, parallel_counts = _run(lines, workers=3)
    assert parallel == serial
    assert parallel_counts == serial_counts
    records = [orjson.loads(line) for line in serial.splitlines()]
    assert len(records) == serial_counts[0] == 200 - sum(1 for line in lines if not line.strip())
    assert records[1]["id"] == "r1"
    assert records[1]["verdict"] == "flagged"
    assert records[3] == {"id": None, "line": 4, "error": "line is not valid JSON"}


def test_batches_respect_the_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_BYTES", 100)
    batches = list(scanning._jsonl_batches(_lines(50)))
    assert len(batches) > 5
    assert all(sum(len(line) for _, line in batch) < 100 + 80 for batch in batches)
    numbers = [number for batch in batches for number, _ in batch]
    assert numbers == sorted(numbers)


def test_a_small_input_is_scanned_without_starting_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_pool(*args: object, **kwargs: object) -> tuple[int, int]:
        raise AssertionError("started worker processes for one batch")

    monkeypatch.setattr(scanning, "_scan_batches_parallel", no_pool)
    assert _run(_lines(20), workers=4)[1][0] > 0


def test_cli_workers_option_keeps_order() -> None:
    count = 2100  # more than one batch, so workers really run
    stdin = "".join(
        json.dumps({"id": number, "text": f"mail u{number}@example.com" if number % 3 else "hi"})
        + "\n"
        for number in range(count)
    )
    args = ["scan", "--jsonl", "--fail-on", "never", "--only", "email", "--workers", "2"]
    result = CliRunner().invoke(build_app(), args, input=stdin)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["id"] for record in records] == list(range(count))
    assert [record["verdict"] for record in records[:3]] == ["clean", "flagged", "flagged"]
