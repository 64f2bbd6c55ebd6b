"""Embedded media: base64 payloads of ``data:`` URIs (images pasted into prompts).

Their base64 is random-looking and long, and may contain any short prefix by
chance (``EAAC``, ``sk-``...), so secret detectors skip it.
"""

from __future__ import annotations

import bisect
import re
import sys

_DATA_URI = re.compile(
    r"data:[A-Za-z0-9/+.\-]{1,100}(?:;[A-Za-z0-9=\-]{1,40}){0,3};base64,[A-Za-z0-9+/=\s]*+"
)


def data_uri_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans of ``data:...;base64,...`` URIs."""
    if "base64," not in text:
        return []
    return [m.span() for m in _DATA_URI.finditer(text)]


def inside(spans: list[tuple[int, int]], position: int) -> bool:
    """True when ``position`` falls in one of the sorted ``spans``."""
    index = bisect.bisect_right(spans, (position, sys.maxsize)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]
