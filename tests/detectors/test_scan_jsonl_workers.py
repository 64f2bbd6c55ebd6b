"""``scan --jsonl`` with worker processes: same output, same order, as one process."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import pathlib

import orjson
import pytest
from typer.testing import CliRunner

from ramparts.cli.main import build_app
from ramparts.detectors import scanning
from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
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


def _run(lines: list[bytes], workers: int) -> tuple[bytes, scanning.JsonlCounts]:
    out = io.BytesIO()
    counts = scanning.scan_jsonl(_engine(), lines, out, workers=workers, make_engine=_engine)
    return out.getvalue(), counts


# Workers are forked, or spawned when other threads run (py4j's, once the Spark tests
# ran): both kinds are child processes and both inherit the environment.
_CRASH_ONCE_ENV = "RAMPARTS_TEST_CRASH_ONCE_FLAG"  # set by a test before workers start


def _in_worker() -> bool:
    return multiprocessing.parent_process() is not None


@pytest.fixture(autouse=True)
def _importable_in_spawned_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    # A spawned worker unpickles this module's engine factories by importing
    # ``tests.detectors...``: it gets the parent's sys.path, which needs the repo root.
    monkeypatch.syspath_prepend(str(pathlib.Path(__file__).resolve().parents[2]))


class _Sabotage(Detector):
    """Kills its worker process on "die", once if a flag file is set; raises on "raise"."""

    name = "sabotage"
    kinds = ("sabotage",)
    description = "test detector that fails on purpose"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if "raise" in text:
            raise ValueError(f"cannot scan {text}")  # the message quotes the input
        if "die" in text and _in_worker():
            flag = os.environ.get(_CRASH_ONCE_ENV)
            if flag is None:
                os._exit(17)
            if not pathlib.Path(flag).exists():
                pathlib.Path(flag).touch()
                os._exit(17)
        return []


def _sabotaged_engine() -> Engine:
    return Engine(registry=Registry([EmailDetector, _Sabotage]))


def _mail_lines(count: int, special: dict[int, str]) -> list[bytes]:
    """Lines numbered from 1; line n's text is special[n] if given."""
    return [
        orjson.dumps({"id": n, "text": special.get(n, f"mail u{n}@example.com" if n % 2 else "hi")})
        + b"\n"
        for n in range(1, count + 1)
    ]


def _run_sabotaged(
    lines: list[bytes], workers: int
) -> tuple[list[dict[str, object]], scanning.JsonlCounts]:
    out = io.BytesIO()
    counts = scanning.scan_jsonl(
        _sabotaged_engine(), lines, out, workers=workers, make_engine=_sabotaged_engine
    )
    return [orjson.loads(line) for line in out.getvalue().splitlines()], counts


def test_workers_give_the_same_output_in_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 5)  # many batches, several in flight
    lines = _lines(200)
    serial, serial_counts = _run(lines, workers=1)
    parallel, parallel_counts = _run(lines, workers=3)
    assert parallel == serial
    assert parallel_counts == serial_counts
    records = [orjson.loads(line) for line in serial.splitlines()]
    assert len(records) == serial_counts.read == 200 - sum(1 for line in lines if not line.strip())
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
    assert _run(_lines(20), workers=4)[1].read > 0


def test_a_dead_worker_costs_only_the_line_that_kills_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 10)
    lines = _mail_lines(200, {55: "die here"})
    records, counts = _run_sabotaged(lines, workers=2)
    expected, _ = _run_sabotaged(_mail_lines(200, {55: "fine"}), workers=1)
    assert [record["id"] for record in records] == list(range(1, 201))
    assert records[54] == {"id": 55, "line": 55, "error": "scan failed (worker process died)"}
    assert records[:54] + records[55:] == expected[:54] + expected[55:]
    assert counts == scanning.JsonlCounts(
        read=200, flagged=99, errors=1, highest=Sensitivity.CONFIDENTIAL
    )


def test_lines_that_kill_workers_first_in_a_batch_still_get_error_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Three killers at the head of a batch look like workers that cannot start; a
    # fresh worker answering an empty batch shows they can, so the lines are at fault.
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 10)
    killers = {51: "die 1", 52: "die 2", 53: "die 3"}
    records, counts = _run_sabotaged(_mail_lines(100, killers), workers=2)
    expected, _ = _run_sabotaged(_mail_lines(100, {}), workers=1)
    assert [record["id"] for record in records] == list(range(1, 101))
    for number in killers:
        assert records[number - 1] == {
            "id": number,
            "line": number,
            "error": "scan failed (worker process died)",
        }
    assert records[:50] + records[53:] == expected[:50] + expected[53:]
    assert counts.errors == 3


def test_an_id_beyond_64_bits_gets_an_error_record_not_a_rounded_id() -> None:
    line = b'{"id": 123456789012345678901234567890, "text": "mail bob@example.com"}'
    record = scanning.jsonl_record(_engine(), line, 4)
    assert record == {
        "id": None,
        "line": 4,
        "error": "'id' is an integer beyond 64 bits: send it as a string",
    }
    fine = scanning.jsonl_record(_engine(), b'{"id": 2.5, "text": "hi"}', 5)
    assert fine["id"] == 2.5


def test_batches_lost_with_a_worker_are_scanned_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 10)
    monkeypatch.setenv(_CRASH_ONCE_ENV, str(tmp_path / "crashed"))
    lines = _mail_lines(200, {55: "die once"})
    records, counts = _run_sabotaged(lines, workers=2)
    expected, expected_counts = _run_sabotaged(lines, workers=1)  # the parent never dies
    assert (tmp_path / "crashed").exists()
    assert records == expected
    assert counts == expected_counts
    assert counts.errors == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_a_detector_that_raises_costs_only_its_line(
    monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 10)
    lines = _mail_lines(60, {7: "raise 123-45-6789", 42: "raise again"})
    records, counts = _run_sabotaged(lines, workers=workers)
    assert [record["id"] for record in records] == list(range(1, 61))
    assert records[6] == {"id": 7, "line": 7, "error": "scan failed (ValueError)"}
    assert records[41] == {"id": 42, "line": 42, "error": "scan failed (ValueError)"}
    assert "123-45-6789" not in json.dumps(records)
    assert (counts.read, counts.errors) == (60, 2)


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


def _engine_that_kills_workers() -> Engine:
    if _in_worker():
        os._exit(18)  # as when workers cannot start or load the engine at all
    return _sabotaged_engine()


def test_workers_that_cannot_start_leave_the_scan_to_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(scanning, "JSONL_BATCH_LINES", 10)
    lines = _mail_lines(60, {})
    out = io.BytesIO()
    counts = scanning.scan_jsonl(
        _sabotaged_engine(), lines, out, workers=2, make_engine=_engine_that_kills_workers
    )
    expected, expected_counts = _run_sabotaged(lines, workers=1)
    assert [orjson.loads(line) for line in out.getvalue().splitlines()] == expected
    assert counts == expected_counts
    assert counts.errors == 0
