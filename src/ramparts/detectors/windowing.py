"""Which findings a window of a long text reports, so pieces add up to a whole-text scan.

Long texts (the engine's own windows, and ``ramparts scan`` reading a file in
chunks) are scanned piecewise. Each window is scanned with some text before it
(context words such as "passport" or "SSN" that detectors look back for) and
some after it (values that straddle its nominal end). A window reports the
findings that start in its own part and before its nominal end, and also every
finding that starts inside one it reports: findings of different families may
overlap (an email inside a connection string), and the next window starts
after the last character this one reported, so it could not report them.
"""

from __future__ import annotations

from collections.abc import Sequence

from ramparts.detectors.base import Finding


def reported(findings: Sequence[Finding], first: int, limit: int) -> tuple[list[Finding], int]:
    """The findings of one window to report, and where the next window's own part starts.

    ``findings`` are the window's findings sorted by start, in window offsets;
    ``first`` is where the window's own part starts (what precedes it is context
    only, and was reported by the previous window); ``limit`` is its nominal end.
    The returned end is at least ``limit`` and covers every reported finding.
    """
    kept: list[Finding] = []
    for finding in findings:
        if finding.start < first:
            continue
        if finding.start >= limit:
            break  # sorted by start: everything after starts later still
        kept.append(finding)
        limit = max(limit, finding.end)
    return kept, limit
