"""Scanning files, directories, streams and JSON-lines batches with the engine.

Large inputs are read in chunks with a small overlap, so memory stays flat
whatever the input size and a value that straddles a chunk edge is still seen
once. Binary files are skipped and reported. Findings carry line and column;
the matched values themselves are never kept.
"""

from __future__ import annotations

import collections
import concurrent.futures
import itertools
import multiprocessing
import os
import pathlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import IO, Any

import orjson

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.detectors.engine import Engine

CHUNK_CHARS = 1 << 18
OVERLAP_CHARS = 8192  # longer than any single value we detect (PEM keys, addresses)
_SNIFF_BYTES = 8192
_SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv"})


@dataclass(frozen=True)
class Located:
    """A finding with its line and column (1-based) in the scanned source."""

    finding: Finding
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return self.finding.to_dict() | {"line": self.line, "column": self.column}


@dataclass
class SourceResult:
    path: str
    findings: list[Located] = field(default_factory=list)
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "findings": [item.to_dict() for item in self.findings],
        }
        if self.skipped:
            data["skipped"] = self.skipped
        return data


def iter_files(paths: Iterable[str]) -> Iterator[pathlib.Path]:
    """Files named directly, and files under directories (skipping VCS and caches)."""
    for raw in paths:
        path = pathlib.Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
                for name in sorted(files):
                    yield pathlib.Path(root) / name
        else:
            yield path


def looks_binary(head: bytes) -> bool:
    return b"\x00" in head


def iter_chunks(stream: IO[str], chunk_chars: int = CHUNK_CHARS) -> Iterator[str]:
    while True:
        chunk = stream.read(chunk_chars)
        if not chunk:
            return
        yield chunk


def scan_stream(
    engine: Engine,
    chunks: Iterable[str],
    *,
    on_progress: Callable[[int], None] | None = None,
    overlap: int = OVERLAP_CHARS,
) -> Iterator[Located]:
    """Findings over a text given in pieces, with offsets relative to the whole text."""
    carry = ""
    offset = 0  # absolute offset of ``carry``'s first character
    line = 1  # line number at ``offset``
    line_start = 0  # absolute offset where that line starts
    pending: Iterator[str] = iter(chunks)
    chunk = next(pending, None)
    while chunk is not None:
        following = next(pending, None)
        window = carry + chunk
        final = following is None
        # Findings starting in the overlap tail are reported by the next window, which
        # starts after the last reported finding so a value is never seen twice.
        limit = len(window) if final else _cut(window, overlap)
        findings = [finding for finding in engine.scan(window) if finding.start < limit]
        if findings:
            limit = max(limit, *(finding.end for finding in findings))
        # Findings come sorted by start: count newlines incrementally, not from zero each time.
        newlines, counted_to, last_newline = 0, 0, -1
        for finding in findings:
            if finding.start > counted_to:
                added = window.count("\n", counted_to, finding.start)
                if added:
                    newlines += added
                    last_newline = window.rfind("\n", counted_to, finding.start)
                counted_to = finding.start
            if newlines:
                column = finding.start - last_newline
            else:
                column = offset + finding.start - line_start + 1
            yield Located(_shift(finding, offset), line + newlines, column)
        line += window.count("\n", 0, limit)
        last_newline = window.rfind("\n", 0, limit)
        if last_newline >= 0:
            line_start = offset + last_newline + 1
        carry = window[limit:]
        offset += limit
        if on_progress is not None:
            on_progress(len(chunk))
        chunk = following


def _cut(window: str, overlap: int) -> int:
    """Where to end this window's reporting: at a line or word break before the overlap."""
    cut = max(len(window) - overlap, 1)
    floor = max(cut - overlap // 2, 1)
    for separator in ("\n", " "):
        found = window.rfind(separator, floor, cut)
        if found >= 0:
            return found + 1
    return cut


def _shift(finding: Finding, offset: int) -> Finding:
    if not offset:
        return finding
    return replace(finding, start=finding.start + offset, end=finding.end + offset)


def file_findings(
    engine: Engine,
    path: pathlib.Path,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[str | None, Iterator[Located]]:
    """(why the file is skipped, or None; its findings, produced lazily as it is read)."""
    try:
        with path.open("rb") as raw:
            if looks_binary(raw.read(_SNIFF_BYTES)):
                return "binary file", iter(())
        stream = path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        return f"unreadable ({exc.strerror or type(exc).__name__})", iter(())
    return None, _closing(stream, scan_stream(engine, iter_chunks(stream), on_progress=on_progress))


def _closing(stream: IO[str], items: Iterator[Located]) -> Iterator[Located]:
    with stream:
        yield from items


def scan_file(
    engine: Engine,
    path: pathlib.Path,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> SourceResult:
    """Scan one file into a result (all findings in memory; see ``file_findings``)."""
    skipped, findings = file_findings(engine, path, on_progress=on_progress)
    try:
        return SourceResult(str(path), findings=list(findings), skipped=skipped)
    except OSError as exc:
        return SourceResult(str(path), skipped=f"unreadable ({exc.strerror or 'read error'})")


def highest(findings: Iterable[Finding]) -> Sensitivity | None:
    return max((finding.sensitivity for finding in findings), default=None)


# --- JSON lines -----------------------------------------------------------------


def jsonl_record(engine: Engine, line: bytes, number: int) -> dict[str, Any]:
    """The answer for one input line: id, findings (no values) and a verdict."""
    try:
        item = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {"id": None, "line": number, "error": "line is not valid JSON"}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"id": None, "line": number, "error": "expected an object with a string 'text'"}
    findings = engine.scan(item["text"])
    level = highest(findings)
    return {
        "id": item.get("id", number),
        "findings": [
            {
                "detector": finding.detector,
                "kind": finding.kind,
                "span": [finding.start, finding.end],
                "score": round(finding.score, 4),
                "sensitivity": str(finding.sensitivity),
            }
            for finding in findings
        ],
        "verdict": "flagged" if findings else "clean",
        "sensitivity": None if level is None else str(level),
    }


# Lines go to worker processes in batches this big (bytes or lines, whichever comes first).
JSONL_BATCH_BYTES = 1 << 18
JSONL_BATCH_LINES = 2048


def _jsonl_batches(lines: Iterable[bytes]) -> Iterator[list[tuple[int, bytes]]]:
    """(line number, line) batches, blank lines left out; numbers count every line."""
    batch: list[tuple[int, bytes]] = []
    size = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        batch.append((number, line))
        size += len(line)
        if size >= JSONL_BATCH_BYTES or len(batch) >= JSONL_BATCH_LINES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def jsonl_batch(engine: Engine, batch: list[tuple[int, bytes]]) -> tuple[bytes, int, int]:
    """(output lines, lines read, lines flagged) for one batch."""
    flagged = 0
    out: list[bytes] = []
    for number, line in batch:
        record = jsonl_record(engine, line, number)
        flagged += record.get("verdict") == "flagged"
        out.append(orjson.dumps(record))
    out.append(b"")
    return b"\n".join(out), len(batch), flagged


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def scan_jsonl(
    engine: Engine,
    lines: Iterable[bytes],
    out: IO[bytes],
    *,
    workers: int = 1,
    make_engine: Callable[[], Engine] | None = None,
) -> tuple[int, int]:
    """Scan one JSON object per line; returns (lines read, lines flagged).

    With ``workers`` > 1 and a picklable ``make_engine``, an input of more than
    one batch is scanned by that many processes, each with its own engine (built
    by ``make_engine``). Output keeps the input order, and at most two batches per
    worker are in flight, so memory stays bounded whatever the input size.
    """
    batches = _jsonl_batches(lines)
    head = list(itertools.islice(batches, 2))
    stream = itertools.chain(head, batches)
    if len(head) < 2 or workers <= 1 or make_engine is None:
        return _scan_batches(engine, stream, out)  # one batch is not worth starting processes
    return _scan_batches_parallel(make_engine, stream, out, workers)


def _scan_batches(
    engine: Engine, batches: Iterable[list[tuple[int, bytes]]], out: IO[bytes]
) -> tuple[int, int]:
    read = flagged = 0
    for batch in batches:
        data, batch_read, batch_flagged = jsonl_batch(engine, batch)
        out.write(data)
        read += batch_read
        flagged += batch_flagged
    return read, flagged


_worker_engine: Engine | None = None


def _start_worker(make_engine: Callable[[], Engine]) -> None:
    global _worker_engine  # one engine per worker process
    _worker_engine = make_engine()


def _worker_batch(batch: list[tuple[int, bytes]]) -> tuple[bytes, int, int]:
    assert _worker_engine is not None, "worker started without an engine"
    return jsonl_batch(_worker_engine, batch)


def _scan_batches_parallel(
    make_engine: Callable[[], Engine],
    batches: Iterable[list[tuple[int, bytes]]],
    out: IO[bytes],
    workers: int,
) -> tuple[int, int]:
    read = flagged = 0
    methods = multiprocessing.get_all_start_methods()
    # fork shares the parent's loaded modules and compiled patterns; spawn elsewhere.
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending: collections.deque[concurrent.futures.Future[tuple[bytes, int, int]]]
    pending = collections.deque()
    with concurrent.futures.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(make_engine,)
    ) as pool:
        for batch in batches:
            if len(pending) >= 2 * workers:
                read, flagged = _write_result(pending.popleft(), out, read, flagged)
            pending.append(pool.submit(_worker_batch, batch))
        while pending:
            read, flagged = _write_result(pending.popleft(), out, read, flagged)
    return read, flagged


def _write_result(
    future: concurrent.futures.Future[tuple[bytes, int, int]],
    out: IO[bytes],
    read: int,
    flagged: int,
) -> tuple[int, int]:
    data, batch_read, batch_flagged = future.result()
    out.write(data)
    return read + batch_read, flagged + batch_flagged
