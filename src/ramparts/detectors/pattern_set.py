"""Many patterns, one pass: a Hyperscan database that reports where each pattern ends.

The secret detectors use it as their prefilter: one scan finds every keyword (and a
few cheap regexes) at once, in C, so clean text costs about a microsecond per
kilobyte whatever the number of rules. Python then looks only at the hits.

Hyperscan scans bytes. ASCII text (the common case) is scanned as is, so byte
and character offsets agree; other text is scanned as UTF-8 and the offsets
are mapped back. Patterns must therefore end on a whole character: literals,
or regexes whose last item is ASCII.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Sequence
from typing import Any

import hyperscan

from ramparts.detectors.compiled import compile_database

Hit = tuple[int, int]  # (pattern id, end offset in characters)


def escape(literal: str) -> str:
    """A literal as a Hyperscan regex: ASCII letters, digits and non-ASCII characters as
    they are, other ASCII characters in hex (valid with and without the UTF-8 flag)."""
    return "".join(
        f"\\x{ord(char):02x}" if char.isascii() and not char.isalnum() else char for char in literal
    )


class ThreadScratch:
    """Hyperscan scratch space for one database, one per thread: Hyperscan releases the
    GIL while it scans, and a scratch must never serve two scans at once."""

    def __init__(self, database: Any) -> None:
        self._database = database
        self._local = threading.local()

    def get(self) -> hyperscan.Scratch:
        scratch: hyperscan.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        return scratch


def _collect(pattern_id: int, _start: int, end: int, _flags: int, hits: Any) -> None:
    hits.append((pattern_id, end))


class PatternSet:
    """Hyperscan regexes; :meth:`scan` lists ``(pattern id, end)`` sorted by end.

    ``single`` marks patterns reported at most once per scan (a yes/no gate).
    Scratch space is per thread: Hyperscan releases the GIL while it scans.
    """

    def __init__(self, patterns: Sequence[str], single: Sequence[bool] | None = None) -> None:
        if not patterns:
            raise ValueError("a pattern set needs at least one pattern")
        singles = single if single is not None else [False] * len(patterns)
        flags = [hyperscan.HS_FLAG_SINGLEMATCH if one else 0 for one in singles]
        self._database = compile_database(patterns, range(len(patterns)), flags)
        self._scratch = ThreadScratch(self._database)

    def scan(self, text: str) -> list[Hit]:
        hits: list[Hit] = []
        if not text:
            return hits
        if text.isascii():
            self._database.scan(
                text.encode("ascii"), _collect, context=hits, scratch=self._scratch.get()
            )
            hits.sort(key=operator.itemgetter(1))
            return hits
        data = text.encode("utf-8", "surrogatepass")
        self._database.scan(data, _collect, context=hits, scratch=self._scratch.get())
        return _to_characters(data, hits)


def _to_characters(data: bytes, hits: list[Hit]) -> list[Hit]:
    """Map byte end offsets to character offsets, in one walk over the sorted hits."""
    hits.sort(key=operator.itemgetter(1))
    mapped: list[Hit] = []
    byte_position = character_position = 0
    for pattern_id, end in hits:
        if end != byte_position:
            chunk = data[byte_position:end]
            character_position += len(chunk.decode("utf-8", "surrogatepass"))
            byte_position = end
        mapped.append((pattern_id, character_position))
    return mapped
