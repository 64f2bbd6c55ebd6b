"""The secrets evaluation on the CredSweeper fixtures: numbers, disagreements, no leaked values."""

from __future__ import annotations

import json
import pathlib

import pytest

from ramparts.detectors.evaluate.secrets import evaluate, load_reviews, read_text

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
    # Issue 3's target, on the raw expected file (before any adjudication).
    assert provider["recall"] >= 0.95
    assert provider["precision"] >= 0.90
    assert rows["provider formats (adjudicated)"]["recall"] >= 0.95
    for subset in ("provider formats", "generic (password, token, key...)", "all"):
        assert {subset, f"{subset} (adjudicated)"} <= set(rows)


def test_every_disagreement_has_a_current_review(report: dict[str, object]) -> None:
    """The checked-in review file covers each disagreement, and nothing else."""
    assert report["unreviewed"] == 0, [
        (d["type"], d["file"], d["line"], d["theirs"], d["ours"])
        for d in report["disagreements"]  # type: ignore[attr-defined]
        if d["verdict"] == "unreviewed"
    ]
    assert report["stale_reviews"] == []
    for row in report["disagreements"]:  # type: ignore[attr-defined]
        assert row["verdict"] in ("ours", "theirs")
        assert len(row["reason"]) > 10


def test_adjudication_moves_only_reviewed_rows(report: dict[str, object]) -> None:
    rows = {row["subset"]: row for row in report["rows"]}  # type: ignore[attr-defined]
    disagreements = report["disagreements"]
    assert isinstance(disagreements, list)
    not_secrets = sum(1 for d in disagreements if d["type"] == "missed" and d["verdict"] == "ours")
    real = sum(1 for d in disagreements if d["type"] == "extra" and d["verdict"] == "ours")
    raw, adjudicated = rows["all"], rows["all (adjudicated)"]
    assert adjudicated["false_positives"] == raw["false_positives"] - real
    assert adjudicated["true_positives"] == raw["true_positives"] + real
    assert adjudicated["missed"] <= raw["missed"] - not_secrets


def test_review_file_needs_a_verdict_and_a_reason(tmp_path: pathlib.Path) -> None:
    review = tmp_path / "reviews.toml"
    review.write_text(
        '[[missed]]\nfile = "a"\nline = 1\ntheirs = "Key"\nverdict = "maybe"\nreason = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="verdict"):
        load_reviews(review)
    review.write_text(
        '[[extra]]\nfile = "a"\nline = 1\nours = "x:y"\nverdict = "ours"\nreason = "real"\n' * 2,
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="twice"):
        load_reviews(review)


def test_a_value_reported_on_another_line_still_matches(tmp_path: pathlib.Path) -> None:
    """CredSweeper may give a multi-line value the line of its parent element."""
    (tmp_path / "samples").mkdir()
    token = "glpat-" + "8d5ri2n9g85LAnC9YW85"
    (tmp_path / "samples" / "conf.xml").write_text(f"<a>\n  <b>\n    {token}\n", "utf-8")
    expected = [
        {
            "rule": "GitLab PAT",
            "line_data_list": [{"path": "./conf.xml", "line_num": 2, "value": token}],
        }
    ]
    (tmp_path / "expected_output.json").write_text(json.dumps(expected), "utf-8")
    (tmp_path / "reviews.toml").write_text("", "utf-8")
    result = evaluate(tmp_path, tmp_path / "reviews.toml")
    rows = {row["subset"]: row for row in result["rows"]}
    assert rows["provider formats"]["found"] == 1
    assert rows["provider formats"]["false_positives"] == 0
    assert result["disagreements"] == []


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
