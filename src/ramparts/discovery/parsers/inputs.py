"""Open log inputs: files, globs, directories or stdin; plain, gzip or zstd."""

from __future__ import annotations

import glob
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import IO, Any

import zstandard

from ramparts.discovery.parsers.record import ParseStats
from ramparts.errors import ParseError

MAX_LINE_CHARS = 65_536  # longer lines are skipped unread (counted as broken)
_CHUNK_CHARS = 65_536
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
STDIN = "-"


def expand_inputs(specs: list[str]) -> list[str]:
    """Every file named by ``specs`` (files, globs, directories, '-'), in a stable order.

    A file named twice (a directory and a file in it, ``./x`` and ``x``, a symlink to it)
    is read once, where it is first named: reading it twice would count it twice.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        key = path if path == STDIN else os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            found.append(path)

    for spec in specs:
        if spec == STDIN:
            add(STDIN)
            continue
        path = Path(spec)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    add(str(p))
        elif path.is_file():
            add(spec)
        else:
            matches = sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise ParseError(f"no log files match '{spec}': check the path or glob")
            for match in matches:
                add(match)
    return found


def open_text(spec: str) -> IO[str]:
    """A text stream over ``spec``, decompressing by magic bytes (not by file name)."""
    raw: Any
    if spec == STDIN:
        raw = sys.stdin.buffer
    else:
        try:
            raw = open(spec, "rb")  # noqa: SIM115 - returned to the caller, who closes it
        except OSError as exc:
            raise ParseError(f"cannot open log file '{spec}': {exc.strerror}") from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)
    head = buffered.peek(4)[:4]
    stream: Any = buffered
    if head.startswith(_GZIP_MAGIC):
        stream = gzip.GzipFile(fileobj=buffered)
    elif head.startswith(_ZSTD_MAGIC):
        stream = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
    # utf-8-sig: a byte-order mark (Excel, PowerShell exports) at the start is dropped,
    # so it never sticks to the first header or time; one later in the file is text.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None)


class LongLines:
    """Where :func:`bounded_lines` skipped over-long lines; reported to ``stats`` once
    the file has its parser (line numbers seen before that wait in ``pending``)."""

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.stats: ParseStats | None = None

    def skipped(self, number: int) -> None:
        if self.stats is None:
            self.pending.append(number)
        else:
            self.stats.broken_line(None, LONG_LINE, number)

    def attach(self, stats: ParseStats) -> None:
        self.stats = stats
        for number in self.pending:
            stats.broken_line(None, LONG_LINE, number)
        self.pending.clear()


LONG_LINE = f"line longer than {MAX_LINE_CHARS:,} characters, skipped unread"


def bounded_lines(
    stream: IO[str],
    long_lines: LongLines,
    failures: list[str] | None = None,
    *,
    limit: int = MAX_LINE_CHARS,
) -> Iterator[str]:
    """The lines of ``stream`` (without line ends), read in bounded chunks.

    A line longer than ``limit`` is never held whole: its text is dropped as it is read,
    an empty line stands in for it (so line numbers stay right) and ``long_lines`` is told.
    A truncated or corrupt compressed file ends the lines (its error noted in ``failures``).
    """
    # Lines are handed out a chunk at a time through chain: no Python frame per line.
    return chain.from_iterable(_chunks(stream, long_lines, failures, limit))


def _chunks(
    stream: IO[str], long_lines: LongLines, failures: list[str] | None, limit: int
) -> Iterator[list[str]]:
    number = 0  # lines handed out so far
    tail = ""  # the start of a line whose end has not been read yet
    skipping = False  # inside an over-long line: drop text up to its end
    while True:
        try:
            data = stream.read(_CHUNK_CHARS)
        except (EOFError, OSError, zlib.error, zstandard.ZstdError) as exc:
            if failures is None:
                raise
            failures.append(type(exc).__name__)
            return
        if not data:
            break
        pieces = data.split("\n")
        if skipping:
            if len(pieces) == 1:
                continue
            skipping = False
            pieces[0] = ""
            long_lines.skipped(number + 1)
        else:
            pieces[0] = tail + pieces[0]
        tail = pieces.pop()
        if pieces and max(map(len, pieces)) > limit:
            for i, piece in enumerate(pieces):
                if len(piece) > limit:
                    pieces[i] = ""
                    long_lines.skipped(number + i + 1)
        number += len(pieces)
        yield pieces
        if len(tail) > limit:
            tail, skipping = "", True
    if skipping:
        long_lines.skipped(number + 1)
        yield [""]
    elif tail:
        yield [tail]


def read_sample(stream: Iterator[str], limit: int = 20) -> tuple[list[str], Iterator[str]]:
    """The first ``limit`` lines for format sniffing, and an iterator over all lines."""
    sample: list[str] = []
    for line in stream:
        sample.append(line)
        if len(sample) >= limit:
            break

    return sample, chain(sample, stream)


def head_lines(spec: str, limit: int = 20) -> list[str]:
    """The first lines of a file, to order inputs before reading them; [] when the file
    cannot be read (reading it for real reports why)."""
    try:
        with open_text(spec) as stream:
            return read_sample(bounded_lines(stream, LongLines(), []), limit)[0]
    except (ParseError, OSError, UnicodeError):
        return []
