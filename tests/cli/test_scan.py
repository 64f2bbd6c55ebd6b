"""The real ``ramparts scan`` command, through the assembled typer app."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import pytest
from typer.testing import CliRunner

from ramparts.cli import scan as scan_cli
from ramparts.cli.main import build_app
from ramparts.detectors import business, pii
from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.pii.email import EmailDetector
from ramparts.detectors.registry import Registry

PII_AND_BUSINESS = ",".join(cls.name for cls in (*pii.DETECTORS, *business.DETECTORS))
SECRET_TEXT = "Call 905-674-3793, SSN 123-45-6789, mail bob@example.com\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sample(tmp_path: pathlib.Path) -> pathlib.Path:
    (tmp_path / "notes.txt").write_text("hello\n" + SECRET_TEXT, encoding="utf-8")
    (tmp_path / "clean.txt").write_text("nothing to see here\n", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\x00\x00bob@example.com")
    return tmp_path


def _values_absent(output: str) -> None:
    for value in ("905-674-3793", "123-45-6789", "bob@example.com"):
        assert value not in output


def test_table_output_and_exit_code(runner: CliRunner, sample: pathlib.Path) -> None:
    result = runner.invoke(build_app(), ["scan", str(sample)])
    assert result.exit_code == 1
    assert "us_ssn" in result.stdout
    assert "skipped" in result.stdout
    assert "binary file" in result.stdout
    _values_absent(result.stdout)


def test_json_output(runner: CliRunner, sample: pathlib.Path) -> None:
    result = runner.invoke(build_app(), ["scan", str(sample / "notes.txt"), "--format", "json"])
    payload = json.loads(result.stdout)
    [entry] = payload["results"]
    kinds = {(f["detector"], f["line"]) for f in entry["findings"]}
    assert {("phone", 2), ("us_ssn", 2), ("email", 2)} <= kinds
    _values_absent(result.stdout)


def test_sarif_output(runner: CliRunner, sample: pathlib.Path) -> None:
    result = runner.invoke(build_app(), ["scan", str(sample / "notes.txt"), "-f", "sarif"])
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    ssn = next(r for r in results if r["ruleId"] == "us_ssn")
    assert ssn["level"] == "error"
    assert ssn["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    _values_absent(result.stdout)


@pytest.mark.parametrize(
    ("fail_on", "path", "code"),
    [
        ("restricted", "notes.txt", 1),
        ("never", "notes.txt", 0),
        ("internal", "clean.txt", 0),
    ],
)
def test_fail_on(
    runner: CliRunner, sample: pathlib.Path, fail_on: str, path: str, code: int
) -> None:
    args = ["scan", str(sample / path), "--fail-on", fail_on, "--only", PII_AND_BUSINESS]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == code


def test_stdin(runner: CliRunner) -> None:
    result = runner.invoke(build_app(), ["scan", "-", "-f", "json"], input=SECRET_TEXT)
    payload = json.loads(result.stdout)
    assert payload["results"][0]["path"] == "-"
    assert len(payload["results"][0]["findings"]) >= 3


def test_jsonl_bulk(runner: CliRunner) -> None:
    lines = [
        {"id": "a", "text": "nothing"},
        {"id": "b", "text": SECRET_TEXT},
        {"text": "my ssn is 123-45-6789"},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    args = ["scan", "--jsonl", "--fail-on", "never", "--only", PII_AND_BUSINESS]
    result = runner.invoke(build_app(), args, input=stdin)
    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "b", 3]
    assert [r["verdict"] for r in records] == ["clean", "flagged", "flagged"]
    assert {"detector", "kind", "span", "score", "sensitivity"} == set(records[1]["findings"][0])
    _values_absent(result.stdout)


def test_config_file_and_bad_format(runner: CliRunner, tmp_path: pathlib.Path) -> None:
    config = tmp_path / "detectors.yaml"
    config.write_text("detectors:\n  tenant_terms:\n    terms: [Nightjar]\n", encoding="utf-8")
    target = tmp_path / "doc.txt"
    target.write_text("status of nightjar\n", encoding="utf-8")
    result = runner.invoke(build_app(), ["scan", str(target), "-c", str(config), "-f", "json"])
    findings = json.loads(result.stdout)["results"][0]["findings"]
    assert [f["detector"] for f in findings] == ["tenant_terms"]
    bad = runner.invoke(build_app(), ["scan", str(target), "-f", "xml"])
    assert bad.exit_code != 0
    unknown = runner.invoke(build_app(), ["scan", str(target), "--only", "emial"])
    assert unknown.exit_code != 0
    assert "known detectors" in str(unknown.exception)


def test_missing_and_binary_files_are_noted_in_json(
    runner: CliRunner, sample: pathlib.Path
) -> None:
    args = ["scan", str(sample / "image.png"), str(sample / "nope.txt"), "-f", "json"]
    result = runner.invoke(build_app(), args)
    skipped = {
        entry["path"]: entry.get("skipped") for entry in json.loads(result.stdout)["results"]
    }
    assert skipped == {
        str(sample / "image.png"): "binary file",
        str(sample / "nope.txt"): "no such file",
    }
    assert result.exit_code == scan_cli.NOT_SCANNED_EXIT  # the answer is incomplete


def test_a_binary_file_alone_is_skipped_with_exit_0(
    runner: CliRunner, sample: pathlib.Path
) -> None:
    result = runner.invoke(build_app(), ["scan", str(sample / "image.png"), "-f", "json"])
    assert json.loads(result.stdout)["results"][0]["skipped"] == "binary file"
    assert result.exit_code == 0


@pytest.mark.parametrize("output_format", ["table", "json", "sarif"])
def test_a_missing_file_exits_3_in_every_format(
    runner: CliRunner, sample: pathlib.Path, output_format: str
) -> None:
    args = ["scan", str(sample / "notes.txt"), str(sample / "nope.txt"), "-f", output_format]
    result = runner.invoke(build_app(), args)
    assert result.exit_code == scan_cli.NOT_SCANNED_EXIT  # 3 wins over the findings' 1
    if output_format == "sarif":
        [invocation] = json.loads(result.stdout)["runs"][0]["invocations"]
        assert invocation["executionSuccessful"] is False


def test_an_unreadable_directory_is_reported_and_exits_3(
    runner: CliRunner, sample: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = sample / "locked"
    locked.mkdir()
    (locked / "inner.txt").write_text(SECRET_TEXT, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        # Tests run as root, which chmod cannot lock out: refuse the listing here instead.
        if pathlib.Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = runner.invoke(build_app(), ["scan", str(sample), "-f", "json"])
    skipped = {e["path"]: e.get("skipped") for e in json.loads(result.stdout)["results"]}
    assert skipped[str(locked)] == "unreadable directory (Permission denied)"
    assert result.exit_code == scan_cli.NOT_SCANNED_EXIT


def test_paths_with_markup_characters_print_as_they_are(
    runner: CliRunner, tmp_path: pathlib.Path
) -> None:
    odd = tmp_path / "a[" / "]b[bold].bin"  # printed as ".../a[/]b[bold].bin"
    odd.parent.mkdir()
    odd.write_bytes(b"x\x00y")
    result = runner.invoke(build_app(), ["scan", str(tmp_path)], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "[/]b[bold].bin: binary file" in result.stdout


def test_sarif_locations_are_uris(runner: CliRunner, tmp_path: pathlib.Path) -> None:
    target = tmp_path / "a b%20c.txt"
    target.write_text(SECRET_TEXT, encoding="utf-8")
    result = runner.invoke(build_app(), ["scan", str(target), "-f", "sarif"])
    [run] = json.loads(result.stdout)["runs"]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    }
    assert uris == {target.as_uri()}
    assert "%2520c.txt" in target.as_uri()  # the literal "%20" survives a decode
    assert run["columnKind"] == "unicodeCodePoints"


def _fingerprints(runner: CliRunner, path: pathlib.Path) -> set[str]:
    result = runner.invoke(build_app(), ["scan", str(path), "-f", "sarif"])
    results = json.loads(result.stdout)["runs"][0]["results"]
    return {r["partialFingerprints"]["rampartsValue/v1"] for r in results}


def test_fingerprints_use_a_random_key_unless_one_is_configured(
    runner: CliRunner, sample: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a well-known key, a report's fingerprint of an SSN could be brute-forced back.
    monkeypatch.delenv(scan_cli.FINGERPRINT_KEY_ENV, raising=False)
    public = Engine().scan(SECRET_TEXT)
    first, second = (
        _fingerprints(runner, sample / "notes.txt"),
        _fingerprints(runner, sample / "notes.txt"),
    )
    assert first and not first & second
    assert not first & {finding.fingerprint for finding in public}
    monkeypatch.setenv(scan_cli.FINGERPRINT_KEY_ENV, "ci-key")
    assert _fingerprints(runner, sample / "notes.txt") == _fingerprints(
        runner, sample / "notes.txt"
    )


def test_jsonl_exit_1_only_at_or_above_fail_on(runner: CliRunner) -> None:
    stdin = json.dumps({"text": "mail bob@example.com"}) + "\n"  # email: confidential
    for fail_on, code in (("confidential", 1), ("restricted", 0), ("never", 0)):
        args = ["scan", "--jsonl", "--only", "email", "--fail-on", fail_on]
        assert runner.invoke(build_app(), args, input=stdin).exit_code == code, fail_on


def test_jsonl_lines_that_cannot_be_scanned_exit_3(runner: CliRunner) -> None:
    args = ["scan", "--jsonl", "--only", "email", "--fail-on", "never"]
    result = runner.invoke(build_app(), args, input="not json\n[1, 2]\n")
    assert result.exit_code == scan_cli.NOT_SCANNED_EXIT == 3
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == [1, 2]
    assert "2 line(s), 0 flagged, 2 not scanned" in result.stderr
    clean = runner.invoke(build_app(), args, input='{"text": "hi"}\n')
    assert clean.exit_code == 0
    assert "1 line(s), 0 flagged, 0 not scanned" in clean.stderr


class _Raises(Detector):
    name = "raises"
    kinds = ("raises",)
    description = "test detector whose scan raises, quoting its input"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if "boom" in text:
            raise RuntimeError(f"cannot scan {text}")
        return []


def test_jsonl_a_failed_scan_is_an_error_record_and_exit_3(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def load_engine(config: object, only: object = None, key: object = None) -> Engine:
        return Engine(registry=Registry([EmailDetector, _Raises]))

    monkeypatch.setattr(scan_cli, "load_engine", load_engine)
    lines = [{"id": "a", "text": "mail bob@example.com"}, {"id": "b", "text": "boom 123-45-6789"}]
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    result = runner.invoke(build_app(), ["scan", "--jsonl"], input=stdin)
    assert result.exit_code == 3  # not 1, though line "a" is flagged: the answer is incomplete
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["verdict"] == "flagged"
    assert records[1] == {"id": "b", "line": 2, "error": "scan failed (RuntimeError)"}
    assert "123-45-6789" not in result.output
    assert "Traceback" not in result.output
    assert "2 line(s), 1 flagged, 1 not scanned" in result.stderr


def test_help_documents_the_exit_codes(runner: CliRunner) -> None:
    words = runner.invoke(build_app(), ["scan", "--help"]).stdout.replace("│", " ").split()
    text = " ".join(words)
    assert "3 something could not be scanned (a missing or unreadable file" in text
    assert "RAMPARTS_FINGERPRINT_KEY" in text
