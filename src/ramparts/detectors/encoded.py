"""Encoded blobs (base64 runs, ``data:`` URI payloads) hidden from word-level detectors.

An image pasted as a data URI is tens of kilobytes of random letters: read as
words it holds short capitalised runs ("Na", "Yu") that look like names and
phrases such as "hiv", so without care every file with an inline image is
reported as personal or health data. The engine hands the personal-data and
business detectors the text with such blobs replaced by spaces (same length, so
offsets hold); secret detectors still see them (a key may be base64).
"""

from __future__ import annotations

import re

# Shorter runs are left alone: a SHA-256 in hex is 64, PEM and MIME lines 64 and 76.
MIN_RUN = 64
# A Hyperscan pattern that matches wherever blob_spans() can find something.
BLOB_TRIGGER = f"[A-Za-z0-9+/]{{{MIN_RUN}}}|;base64,"
# The URI and its payload up to the first line break (wrapped lines are long runs).
_DATA_URI = re.compile(
    r"data:[A-Za-z0-9/+.\-]{1,100}(?:;[A-Za-z0-9=\-]{1,40}){0,3};base64,[A-Za-z0-9+/=]*+"
)
_RUN = re.compile(rf"[A-Za-z0-9+/]{{{MIN_RUN},}}+=*")
# Random base64 has a "+" or "/" every 32 characters on average; a path of short
# segments ("/home/ana/src/...") has many more and is left alone.
_MAX_SEPARATOR_SHARE = 1 / 8


def blob_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, merged spans of data URIs and long base64-like runs in ``text``."""
    spans = [match.span() for match in _DATA_URI.finditer(text)] if "base64," in text else []
    for match in _RUN.finditer(text):
        run = match.group()
        if (run.count("/") + run.count("+")) <= len(run) * _MAX_SEPARATOR_SHARE:
            spans.append(match.span())
    if not spans:
        return spans
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def blanked(text: str) -> str:
    """``text`` with its blobs replaced by spaces; ``text`` itself when it has none."""
    spans = blob_spans(text)
    if not spans:
        return text
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        pieces.append(text[position:start])
        pieces.append(" " * (end - start))
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
