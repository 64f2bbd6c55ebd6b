"""Scanning files, directories, streams and JSON-lines batches with the engine.

Large inputs are read in chunks with a small overlap, so memory stays flat
whatever the input size and a value that straddles a chunk edge is still seen
once. Findings carry line and column; the matched values themselves are never
kept. Which files are read, and how bytes become text: :mod:`scanning_files`.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from typing import IO, Any

import orjson

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.detectors.engine import CONTEXT_CHARS, Engine
from ramparts.detectors.windowing import reported, reporting_cap

CHUNK_CHARS = 1 << 18
OVERLAP_CHARS = 8192  # longer than any single value we detect (PEM keys, addresses)
# Skip reasons that are notes, not failures to scan (the verdict is complete without them).
BINARY_FILE = "binary file"
BROKEN_LINK = "broken symbolic link"  # in a walked directory
LINK_LOOP = "symbolic link loop"  # in a walked directory
NOT_REGULAR = "not a regular file"  # a FIFO, socket or device in a walked directory
_NOTES = frozenset({BINARY_FILE, BROKEN_LINK, LINK_LOOP})


@dataclass(frozen=True)
class Located:
    """A finding with its line and column (1-based) in the scanned source."""

    finding: Finding
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        return self.finding.to_dict() | {"line": self.line, "column": self.column}


def is_failure(skipped: str | None) -> bool:
    """Whether a skip reason means a source meant to be scanned could not be (missing...)."""
    return not (skipped is None or skipped in _NOTES or skipped.startswith(NOT_REGULAR))


def display_path(path: str) -> str:
    """A path safe to print or put in JSON: bytes that are not UTF-8 as ``\\xNN``.

    Paths from the OS carry such bytes as lone surrogates, which no UTF-8 output takes.
    """
    try:
        raw = os.fsencode(path)
    except UnicodeError:
        raw = path.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8", "backslashreplace")


@dataclass
class SourceResult:
    """A scanned source: ``path`` as the OS spells it (``-`` for stdin), findings, notes.

    ``encoding`` is how the text was decoded (None when it was not read).
    """

    path: str
    findings: list[Located] = field(default_factory=list)
    skipped: str | None = None
    encoding: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": display_path(self.path),
            "findings": [item.to_dict() for item in self.findings],
        }
        if self.encoding:
            data["encoding"] = self.encoding
        if self.skipped:
            data["skipped"] = self.skipped
        return data


def scan_stream(
    engine: Engine,
    chunks: Iterable[str],
    *,
    on_progress: Callable[[int], None] | None = None,
    overlap: int = OVERLAP_CHARS,
) -> Iterator[Located]:
    """Findings over a text given in pieces, with offsets relative to the whole text.

    Each window is the look-back context (up to ``CONTEXT_CHARS`` already
    reported), the text not yet reported, and the next chunk; see
    :mod:`ramparts.detectors.windowing` for which findings it reports.
    """
    context = ""  # text before ``offset``, already reported: context words only
    carry = ""  # text from ``offset`` on, not reported yet
    offset = 0  # absolute offset of ``carry``'s first character
    lines = _LineCounter()
    pending: Iterator[str] = iter(chunks)
    chunk = next(pending, None)
    while chunk is not None:
        following = next(pending, None)
        window = context + carry + chunk
        first = len(context)
        final = following is None
        nominal = len(window) if final else max(_cut(window, overlap), first)
        cap = reporting_cap(nominal, len(window), final)
        findings, limit = reported(engine.scan(window), first, nominal, cap)
        base = offset - first  # absolute offset of ``window``'s first character
        for finding in findings:
            line, column = lines.position(window, base, finding.start)
            yield Located(_shift(finding, base), line, column)
        lines.advance(window, base, limit)
        context = window[max(0, limit - CONTEXT_CHARS) : limit]
        carry = window[limit:]
        offset = base + limit
        if on_progress is not None:
            on_progress(len(chunk))
        chunk = following


class _LineCounter:
    """Line and column (1-based) of absolute offsets, counted once over the text."""

    def __init__(self) -> None:
        self.counted_to = 0  # absolute offset up to which newlines are counted
        self.line = 1  # line number at ``counted_to``
        self.line_start = 0  # absolute offset where that line starts

    def position(self, window: str, base: int, start: int) -> tuple[int, int]:
        """Position of ``window[start]``, which is at or after everything counted so far."""
        self.advance(window, base, start)
        return self.line, base + start - self.line_start + 1

    def advance(self, window: str, base: int, to: int) -> None:
        """Count the newlines of ``window`` (at absolute ``base``) up to window offset ``to``."""
        since = self.counted_to - base
        if to <= since:
            return
        added = window.count("\n", since, to)
        if added:
            self.line += added
            self.line_start = base + window.rfind("\n", since, to) + 1
        self.counted_to = base + to


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


def highest(findings: Iterable[Finding]) -> Sensitivity | None:
    return max((finding.sensitivity for finding in findings), default=None)


# --- JSON lines -----------------------------------------------------------------

Batch = list[tuple[int, bytes]]  # (line number, line)


@dataclass
class JsonlCounts:
    """What a JSON-lines scan saw: lines answered, flagged, not scanned, highest level."""

    read: int = 0
    flagged: int = 0
    errors: int = 0  # invalid lines and failed scans: every such line has an error record
    highest: Sensitivity | None = None

    def add(self, other: JsonlCounts) -> None:
        self.read += other.read
        self.flagged += other.flagged
        self.errors += other.errors
        if other.highest is not None and (self.highest is None or other.highest > self.highest):
            self.highest = other.highest


def jsonl_record(engine: Engine, line: bytes, number: int) -> dict[str, Any]:
    """The answer for one input line: id, findings (no values) and a verdict, or an error."""
    try:
        item = _loads(line)
    except ValueError:
        return _error_record(None, number, "line is not valid JSON")
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return _error_record(None, number, "expected an object with a string 'text'")
    identifier = item.get("id", number)
    if _beyond_64_bits(identifier, line):
        return _error_record(None, number, "'id' is an integer beyond 64 bits: send it as a string")
    try:
        findings = engine.scan(item["text"])
    except Exception as exc:  # one line's failure must not cost the other lines their answers
        # The type only: an exception's message may quote the input.
        return _error_record(identifier, number, f"scan failed ({type(exc).__name__})")
    level = highest(findings)
    return {
        "id": identifier,
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


# A \uD800-\uDFFF escape: JSON allows it alone (Python's json.dumps writes one for a
# lone surrogate, which the engine scans like any character), orjson rejects it.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _loads(line: bytes) -> Any:
    """The line's JSON value; raises ValueError when it is not valid JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        if not _SURROGATE_ESCAPE.search(line):
            raise
    return json.loads(line, parse_constant=_no_constant)  # rare: orjson's strictness otherwise


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _beyond_64_bits(identifier: Any, line: bytes) -> bool:
    """Whether the id is an integer literal too big for 64 bits (orjson reads a float)."""
    if isinstance(identifier, float):  # the exact parser runs only for float ids, which are rare
        return isinstance(json.loads(line).get("id"), int)
    return type(identifier) is int and not -(2**63) <= identifier < 2**64


def _dumps(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(record)
    except orjson.JSONEncodeError:  # an id with a lone surrogate: echoed as its escape
        return json.dumps(record, separators=(",", ":")).encode("ascii")


def _error_record(identifier: Any, number: int, error: str) -> dict[str, Any]:
    return {"id": identifier, "line": number, "error": error}


def _line_id(line: bytes, number: int) -> Any:
    """The id a line's answer carries (None when the line is not a usable object)."""
    try:
        item = _loads(line)
    except ValueError:
        return None
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return None
    return item.get("id", number)


# Lines go to worker processes in batches this big (bytes or lines, whichever comes first).
JSONL_BATCH_BYTES = 1 << 18
JSONL_BATCH_LINES = 2048
MAX_DEFAULT_WORKERS = 8  # more rarely pays: each worker holds its own engine and caches
_UTF8_BOM = b"\xef\xbb\xbf"  # some editors start a file with it; not part of line 1's JSON


def _jsonl_batches(lines: Iterable[bytes]) -> Iterator[Batch]:
    """(line number, line) batches, blank lines left out; numbers count every line."""
    batch: Batch = []
    size = 0
    for number, line in enumerate(lines, start=1):
        if number == 1 and line.startswith(_UTF8_BOM):
            line = line[len(_UTF8_BOM) :]
        if not line.strip():
            continue
        batch.append((number, line))
        size += len(line)
        if size >= JSONL_BATCH_BYTES or len(batch) >= JSONL_BATCH_LINES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def jsonl_batch(engine: Engine, batch: Batch) -> tuple[bytes, JsonlCounts]:
    """(output lines, counts) for one batch; every input line gets exactly one output line."""
    counts = JsonlCounts(read=len(batch))
    out: list[bytes] = []
    for number, line in batch:
        record = jsonl_record(engine, line, number)
        _count(counts, record)
        out.append(_dumps(record))
    out.append(b"")
    return b"\n".join(out), counts


def _count(counts: JsonlCounts, record: dict[str, Any]) -> None:
    if "error" in record:
        counts.errors += 1
    elif record["verdict"] == "flagged":
        counts.flagged += 1
        level = Sensitivity.parse(record["sensitivity"])
        if counts.highest is None or level > counts.highest:
            counts.highest = level


def default_workers() -> int:
    """The CPUs this process may use, at most ``MAX_DEFAULT_WORKERS``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def scan_jsonl(
    engine: Engine,
    lines: Iterable[bytes],
    out: IO[bytes],
    *,
    workers: int = 1,
    make_engine: Callable[[], Engine] | None = None,
) -> JsonlCounts:
    """Scan one JSON object per line; every non-blank line gets one output line, in order.

    A line that is not a usable object, or whose scan raises, gets an error record
    (``{"id", "line", "error"}``, the exception's type but never its message) and
    counts in ``errors``.

    With ``workers`` > 1 and a picklable ``make_engine``, an input of more than
    one batch is scanned by that many processes, each with its own engine (built
    by ``make_engine``). Output keeps the input order, and at most two batches per
    worker are in flight, so memory stays bounded whatever the input size. If a
    worker dies (killed, out of memory, a crash in native code), the batches it
    took down are scanned again in a fresh worker, line by line if need be, and a
    line that kills a worker every time gets an error record. If fresh workers die
    before answering any line (they cannot start), the rest is scanned in process.

    Workers are forked, so they share the parent's loaded detectors and
    gazetteers (loaded here by one scan first) instead of loading their own. This
    is meant for the CLI, a single-threaded process: forking a process that runs
    other threads can deadlock a child on a lock held by one of them, so when
    other Python threads are running the workers are spawned instead (slower to
    start, each loads its own engine).
    """
    batches = _jsonl_batches(lines)
    head = list(itertools.islice(batches, 2))
    stream = itertools.chain(head, batches)
    if len(head) < 2 or workers <= 1 or make_engine is None:
        return _scan_batches(engine, stream, out)  # one batch is not worth starting processes
    _warm_up(engine)
    return _scan_batches_parallel(engine, make_engine, stream, out, workers)


def _warm_up(engine: Engine) -> None:
    # Before forking, so the workers share what it loads. A failure here is
    # reported by the lines' own scans, one error record each.
    with contextlib.suppress(Exception):
        engine.warm_up()


def _scan_batches(engine: Engine, batches: Iterable[Batch], out: IO[bytes]) -> JsonlCounts:
    counts = JsonlCounts()
    for batch in batches:
        data, batch_counts = jsonl_batch(engine, batch)
        out.write(data)
        counts.add(batch_counts)
    return counts


_worker_engine: Engine | None = None
_worker_failure: str | None = None  # why this worker has no engine


def _start_worker(make_engine: Callable[[], Engine]) -> None:
    global _worker_engine, _worker_failure  # one engine per worker process
    try:
        _worker_engine = make_engine()
    except Exception as exc:  # answered per line, not by breaking the pool
        _worker_failure = f"scan failed ({type(exc).__name__})"


def _worker_batch(batch: Batch) -> tuple[bytes, JsonlCounts]:
    if _worker_engine is None:
        error = _worker_failure or "scan failed (worker has no engine)"
        return _error_batch(batch, error)
    return jsonl_batch(_worker_engine, batch)


def _error_batch(batch: Batch, error: str) -> tuple[bytes, JsonlCounts]:
    """Error records for lines that could not be scanned at all."""
    records = [_dumps(_error_record(_line_id(line, n), n, error)) for n, line in batch]
    counts = JsonlCounts(read=len(batch), errors=len(batch))
    return b"\n".join([*records, b""]), counts


_DEAD_WORKER = "scan failed (worker process died)"
_WORKERS_BROKEN_AFTER = 3  # fresh workers dying on this many lines, none answered


def _pool(make_engine: Callable[[], Engine], workers: int) -> ProcessPoolExecutor:
    # fork shares the parent's loaded modules, gazetteers and compiled patterns; it is
    # only safe while no other thread runs (see scan_jsonl), spawn otherwise.
    forkable = "fork" in multiprocessing.get_all_start_methods()
    single_threaded = threading.active_count() == 1
    context = multiprocessing.get_context("fork" if forkable and single_threaded else "spawn")
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(make_engine,)
    )


def _scan_batches_parallel(
    engine: Engine,
    make_engine: Callable[[], Engine],
    batches: Iterable[Batch],
    out: IO[bytes],
    workers: int,
) -> JsonlCounts:
    counts = JsonlCounts()
    remaining = iter(batches)
    while lost := _scan_in_pool(make_engine, remaining, out, workers, counts):
        # A worker died and its pool's in-flight batches with it: answer those in
        # order, then go on with the rest of the input in a new pool.
        for index, batch in enumerate(lost):
            answer = _rescue(make_engine, batch)
            if answer is None:  # workers die before answering anything: do without them
                rest = itertools.chain(lost[index:], remaining)
                counts.add(_scan_batches(engine, rest, out))
                return counts
            _write(answer, out, counts)
    return counts


def _scan_in_pool(
    make_engine: Callable[[], Engine],
    batches: Iterator[Batch],
    out: IO[bytes],
    workers: int,
    counts: JsonlCounts,
) -> list[Batch]:
    """Scan batches until the input ends ([]) or the pool breaks (the unanswered batches)."""
    pending: collections.deque[tuple[Batch, Future[tuple[bytes, JsonlCounts]]]]
    pending = collections.deque()
    batch: Batch | None = None  # taken from the input, not yet submitted
    with _pool(make_engine, workers) as pool:
        try:
            for batch in batches:
                if len(pending) >= 2 * workers:
                    _write(pending[0][1].result(), out, counts)
                    pending.popleft()
                pending.append((batch, pool.submit(_worker_batch, batch)))
                batch = None
            while pending:
                _write(pending[0][1].result(), out, counts)
                pending.popleft()
        except BrokenProcessPool:
            return [item for item, _ in pending] + ([batch] if batch is not None else [])
    return []


def _rescue(make_engine: Callable[[], Engine], batch: Batch) -> tuple[bytes, JsonlCounts] | None:
    """A batch a dead worker took down: again in a fresh worker, else line by line.

    None when fresh workers die on the first lines without answering any and a
    fresh worker cannot answer even an empty batch: then the workers themselves are
    broken (they cannot start, or load the engine), not the lines.
    """
    try:
        with _pool(make_engine, 1) as pool:
            return pool.submit(_worker_batch, batch).result()
    except BrokenProcessPool:
        pass
    parts: list[bytes] = []
    counts = JsonlCounts()
    deaths = 0
    healthy = False  # a fresh worker was seen to start and answer
    pool = _pool(make_engine, 1)
    try:
        for item in batch:
            try:
                data, line_counts = pool.submit(_worker_batch, [item]).result()
            except BrokenProcessPool:
                deaths += 1
                pool.shutdown()
                if deaths == counts.read + 1 >= _WORKERS_BROKEN_AFTER and not healthy:
                    # Every line so far killed its worker: the lines, or the workers?
                    if not _worker_starts(make_engine):
                        return None
                    healthy = True
                data, line_counts = _error_batch([item], _DEAD_WORKER)
                pool = _pool(make_engine, 1)
            parts.append(data)
            counts.add(line_counts)
    finally:
        pool.shutdown()
    return b"".join(parts), counts


def _worker_starts(make_engine: Callable[[], Engine]) -> bool:
    """Whether a fresh worker starts and answers an empty batch."""
    try:
        with _pool(make_engine, 1) as pool:
            pool.submit(_worker_batch, []).result()
    except BrokenProcessPool:
        return False
    return True


def _write(result: tuple[bytes, JsonlCounts], out: IO[bytes], counts: JsonlCounts) -> None:
    data, batch_counts = result
    out.write(data)
    counts.add(batch_counts)
