"""Open log inputs: files, globs, directories or stdin; plain, gzip or zstd."""

from __future__ import annotations

import glob
import gzip
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import zstandard

from ramparts.errors import ParseError

_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
STDIN = "-"


def expand_inputs(specs: list[str]) -> list[str]:
    """Every file named by ``specs`` (files, globs, directories, '-'), in a stable order."""
    found: list[str] = []
    for spec in specs:
        if spec == STDIN:
            found.append(STDIN)
            continue
        path = Path(spec)
        if path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            found.append(spec)
        else:
            matches = sorted(p for p in glob.glob(spec, recursive=True) if Path(p).is_file())
            if not matches:
                raise ParseError(f"no log files match '{spec}': check the path or glob")
            found.extend(matches)
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
    return io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None)


def read_sample(stream: Iterator[str], limit: int = 20) -> tuple[list[str], Iterator[str]]:
    """The first ``limit`` lines for format sniffing, and an iterator over all lines."""
    sample: list[str] = []
    for line in stream:
        sample.append(line)
        if len(sample) >= limit:
            break

    def _all() -> Iterator[str]:
        yield from sample
        yield from stream

    return sample, _all()
