"""``ramparts eval`` with a data folder that lacks a suite's files: a clear error, exit 2."""

from __future__ import annotations

import pathlib

import pytest

from support.cli import Run


@pytest.mark.parametrize(
    ("suite", "names"),
    [
        ("secrets", "expected_output.json"),  # was a FileNotFoundError traceback
        ("injection", "*.jsonl"),  # was exit 0 with no rows
        ("pii", "pii"),
    ],
)
def test_eval_without_the_suites_data_exits_2_naming_what_is_missing(
    run: Run, tmp_path: pathlib.Path, suite: str, names: str
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("eval", suite, "--data-dir", str(empty), expect=2)
    assert "Traceback" not in result.stderr
    assert names in result.stderr
    assert str(empty) in result.stderr


def test_eval_secrets_names_a_missing_samples_folder(run: Run, tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "expected_output.json").write_text("[]")
    result = run("eval", "secrets", "--data-dir", str(data), expect=2)
    assert str(data / "samples") in result.stderr
