"""The secrets evaluation on the CredSweeper fixtures: numbers, disagreements, no leaked values."""

from __future__ import annotations

import json
import pathlib

import pytest

from ramparts.detectors.evaluate.secrets import evaluate, read_text

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "secrets"


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    # The shared data always lies beside the checkout (as in CI); its absence is a failure.
    assert (DATA / "expected_output.json").is_file(), f"shared fixtures missing at {DATA}"
    return evaluate(DATA)


def test_report_shape_and_provider_targets(report: dict[str, object]) -> None:
    assert report["dataset"] == "secrets"
    rows = {row["subset"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    provider = rows["provider formats"]
    assert provider["expected"] > 200
    assert provider["recall"] >= 0.94
    assert provider["precision"] >= 0.95
    assert rows["provider formats (adjudicated)"]["recall"] >= 0.95
    assert {"all", "generic (password, token, key...)"} <= set(rows)


def test_every_disagreement_is_listed_without_values(report: dict[str, object]) -> None:
    disagreements = report["disagreements"]
    assert isinstance(disagreements, list)
    rows = {row["subset"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    missed = [d for d in disagreements if d["type"] == "missed"]
    assert len(missed) == rows["all"]["missed"]
    assert all(
        {"file", "line", "theirs", "ours", "length", "fingerprint"} <= set(d) for d in missed
    )
    dumped = json.dumps(report)
    expected = json.loads((DATA / "expected_output.json").read_text(encoding="utf-8"))
    values = {d["value"] for e in expected for d in e["line_data_list"] if len(d["value"]) >= 12}
    assert values
    assert not [v for v in values if v in dumped]


def test_binary_fixtures_are_skipped_and_text_is_read(tmp_path: pathlib.Path) -> None:
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01PK\x03\x04" * 10)
    utf16 = tmp_path / "utf16.patch"
    utf16.write_bytes("password = 'x1Y2z3W4'".encode("utf-16"))
    assert read_text(binary) is None
    assert read_text(utf16) == "password = 'x1Y2z3W4'"
