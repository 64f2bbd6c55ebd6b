"""Which findings a window of a long text reports, so pieces add up to a whole-text scan.

Long texts (the engine's own windows, and ``ramparts scan`` reading a file in
chunks) are scanned piecewise. Each window is scanned with some text before it
(context words such as "passport" or "SSN" that detectors look back for) and
some after it (values that straddle its nominal end). A window reports the
findings that start in its own part and before its nominal end, and also every
finding that starts inside one it reports: findings of different families may
overlap (an email inside a connection string), and the next window starts
after the last character this one reported, so it could not report them.

A reported finding moves the next window's start no further than the middle
of the text after the nominal end (the ``cap``): some findings run to the
edge of the text they were given (an injection over a whole window, a
business category from its first phrase to its last), and starting the next
window there would cut a value that crosses that edge.
"""

from __future__ import annotations

from collections.abc import Sequence

from ramparts.detectors.base import Finding


def reported(
    findings: Sequence[Finding], first: int, limit: int, cap: int
) -> tuple[list[Finding], int]:
    """The findings of one window to report, and where the next window's own part starts.

    ``findings`` are the window's findings sorted by start, in window offsets;
    ``first`` is where the window's own part starts (what precedes it is context
    only, and was reported by the previous window); ``limit`` is its nominal end;
    ``cap`` (at least ``limit``) is the furthest the next window's start may move.
    The returned start is between ``limit`` and ``cap``, and after the start of
    every reported finding.
    """
    kept: list[Finding] = []
    for finding in findings:
        if finding.start < first:
            continue
        if finding.start >= limit:
            break  # sorted by start: everything after starts later still
        kept.append(finding)
        if finding.end > limit:
            limit = min(finding.end, cap)
    return kept, limit


def reporting_cap(nominal_end: int, text_end: int, final: bool) -> int:
    """The ``cap`` of :func:`reported`: halfway from the nominal end to the text's end."""
    return text_end if final else max(nominal_end, (nominal_end + text_end) // 2)
