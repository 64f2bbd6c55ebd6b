"""Digit-run anchors: where number-shaped values can start.

Most identifiers start at (or a fixed distance before) a run of digits. Finding
the runs is one fast C-level pass; each detector then tries its pattern only
there with ``pattern.match`` instead of at every character. Cached per text so
the detectors of one scan share the pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

_DIGITS = re.compile(r"\d+")


def _starts(text: str) -> tuple[tuple[int, ...], int]:
    starts: list[int] = []
    digits = 0
    for match in _DIGITS.finditer(text):
        starts.append(match.start())
        digits += match.end() - match.start()
    return tuple(starts), digits


# Detectors of one scan run one after another on the same text: a few slots suffice,
# and only the last few texts are kept alive.
@functools.lru_cache(maxsize=4)
def _cached_starts(text: str) -> tuple[tuple[int, ...], int]:
    return _starts(text)


def digit_starts(text: str) -> tuple[int, ...]:
    """Offsets where a run of digits starts."""
    return _cached_starts(text)[0]


def digit_count(text: str) -> int:
    """How many digits the text holds (shares the cached pass)."""
    return _cached_starts(text)[1]


def anchored(
    pattern: re.Pattern[str],
    text: str,
    *,
    back: str = "",
    back_by: tuple[int, ...] = (),
    min_digits: int = 1,
) -> Iterator[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` that start at a digit run.

    ``back`` lists characters that may open the value just before the digits
    ("+", "("); ``back_by`` lists fixed distances before the digits to try as
    well (a two-letter prefix, say). Texts with fewer than ``min_digits``
    digits in all cannot hold the value and are skipped outright.
    """
    if digit_count(text) < min_digits:
        return
    pos = 0
    match_at = pattern.match
    if not back and not back_by:
        for start in digit_starts(text):
            if start >= pos:
                match = match_at(text, start)
                if match:
                    pos = match.end()
                    yield match
        return
    for start in digit_starts(text):
        if start < pos:
            continue
        for distance in back_by:
            if start - distance >= pos:
                match = match_at(text, start - distance)
                if match:
                    break
        else:
            match = None
        if match is None and back and start > pos and text[start - 1] in back:
            match = match_at(text, start - 1)
        if match is None:
            match = match_at(text, start)
        if match:
            pos = match.end()
            yield match
