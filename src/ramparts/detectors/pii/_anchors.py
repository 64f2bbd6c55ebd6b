"""Digit-run anchors: where number-shaped values can start.

Most identifiers start at (or a fixed distance before) a run of digits. Finding
the runs is one fast C-level pass; each detector then tries its pattern only
there with ``pattern.match`` instead of at every character. Cached per text so
the detectors of one scan share the pass.

Runs separated by at most three of `` .-()+`` form a *cluster* ("+44 (20)
7946-0958" is one). Every value a number-shaped detector reports has its
required digits inside one cluster, so a detector that needs twelve digits
(a card) only tries the runs of clusters that hold twelve or more: in ordinary
prose ("in 2023, 3 of 10") that is none at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ramparts.detectors.base import per_scan_cache

# Written ``\d\d*+`` rather than ``\d++``: the same matches, but a pattern that opens
# with a plain class lets the regex engine skip non-digits faster (about a quarter).
_DIGITS = re.compile(r"\d\d*+")
# Digit runs joined by at most three of the separators number-shaped values allow;
# the group holds what follows the first run (empty for a lone run).
_CLUSTER = re.compile(r"\d\d*+((?:[ .\-()+]{1,3}\d++)*+)")


@dataclass(slots=True)
class _DigitRuns:
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    digits: int
    # (digits in the cluster, offsets of its runs), in text order
    clusters: tuple[tuple[int, tuple[int, ...]], ...]
    by_size: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    clusters_by_size: dict[int, tuple[tuple[int, tuple[int, ...]], ...]] = field(
        default_factory=dict
    )
    sizes: dict[int, int] | None = None  # run length by start, once asked for


def cluster_trigger(min_digits: int) -> str:
    """A Hyperscan trigger matching wherever a cluster holds ``min_digits`` digits.

    Runs joined by one to three separators share a cluster, so such a cluster
    holds this pattern and the pattern lies inside one cluster: it fires exactly
    when ``anchored(..., min_digits=min_digits, clustered=True)`` has anything to try.
    """
    return rf"[0-9](?:[ .\-()+]{{0,3}}[0-9]){{{min_digits - 1}}}"


def _scan(text: str) -> _DigitRuns:
    starts: list[int] = []
    ends: list[int] = []
    clusters: list[tuple[int, tuple[int, ...]]] = []
    digits = 0
    for cluster in _CLUSTER.finditer(text):
        end, tail = cluster.span(1)
        if end == tail:  # the usual case: a lone run ("2023")
            start = cluster.start()
            starts.append(start)
            ends.append(end)
            digits += end - start
            clusters.append((end - start, (start,)))
            continue
        members = []
        size = 0
        for run in _DIGITS.finditer(text, cluster.start(), tail):
            members.append(run.start())
            ends.append(run.end())
            size += run.end() - run.start()
        starts.extend(members)
        digits += size
        clusters.append((size, tuple(members)))
    return _DigitRuns(tuple(starts), tuple(ends), digits, tuple(clusters))


@per_scan_cache
def _runs(text: str) -> _DigitRuns:
    return _scan(text)


def digit_starts(text: str) -> tuple[int, ...]:
    """Offsets where a run of digits starts."""
    return _runs(text).starts


def digit_runs(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every run of digits."""
    runs = _runs(text)
    return zip(runs.starts, runs.ends, strict=True)


def digit_count(text: str) -> int:
    """How many digits the text holds (shares the cached pass)."""
    return _runs(text).digits


def cluster_starts(text: str, min_digits: int, min_runs: int = 1) -> tuple[int, ...]:
    """Offsets of the digit runs whose cluster holds ``min_digits`` digits in ``min_runs`` runs."""
    runs = _runs(text)
    key = (min_digits, min_runs)
    found = runs.by_size.get(key)
    if found is None:
        found = tuple(
            start
            for size, members in runs.clusters
            if size >= min_digits and len(members) >= min_runs
            for start in members
        )
        runs.by_size[key] = found
    return found


def clusters_with(text: str, min_digits: int) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """``(digits, run offsets)`` of each cluster holding ``min_digits`` digits, in text
    order: for a detector trying several patterns over the same clusters."""
    runs = _runs(text)
    found = runs.clusters_by_size.get(min_digits)
    if found is None:
        found = tuple(cluster for cluster in runs.clusters if cluster[0] >= min_digits)
        runs.clusters_by_size[min_digits] = found
    return found


def run_sizes(text: str) -> dict[int, int]:
    """The length of the digit run starting at each offset of :func:`digit_starts`."""
    runs = _runs(text)
    if runs.sizes is None:
        runs.sizes = {start: end - start for start, end in zip(runs.starts, runs.ends, strict=True)}
    return runs.sizes


def has_run_sequence(text: str, lengths: tuple[int, ...], gap: int) -> bool:
    """Whether consecutive digit runs have exactly ``lengths``, ``gap`` characters apart.

    A cheap necessary condition for values that interleave digits with single
    letters (an Italian fiscal code holds runs of 2, 2 and 3 digits one letter
    apart), checked on the cached runs instead of with a regex pass.
    """
    runs = _runs(text)
    starts, ends = runs.starts, runs.ends
    first, count = lengths[0], len(lengths)
    for index in range(len(starts) - count + 1):
        if ends[index] - starts[index] != first:
            continue
        for offset in range(1, count):
            at = index + offset
            if starts[at] - ends[at - 1] != gap or ends[at] - starts[at] != lengths[offset]:
                break
        else:
            return True
    return False


def anchored(
    pattern: re.Pattern[str],
    text: str,
    *,
    back: str = "",
    back_by: tuple[int, ...] = (),
    min_digits: int = 1,
    clustered: bool = False,
    min_runs: int = 1,
) -> Iterator[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` that start at a digit run.

    ``back`` lists characters that may open the value just before the digits
    ("+", "("); ``back_by`` lists fixed distances before the digits to try as
    well (a two-letter prefix, say). Texts with fewer than ``min_digits``
    digits in all cannot hold the value and are skipped outright. With
    ``clustered``, the value's ``min_digits`` digits must sit in one cluster
    (joined by at most three of `` .-()+``), and only such clusters are tried;
    ``min_runs`` further asks for that many runs in the cluster (an IPv4
    address is four runs joined by dots).
    """
    runs = _runs(text)
    if runs.digits < min_digits:
        return
    starts = cluster_starts(text, min_digits, min_runs) if clustered else runs.starts
    pos = 0
    match_at = pattern.match
    if not back and not back_by:
        for start in starts:
            if start >= pos:
                match = match_at(text, start)
                if match:
                    pos = match.end()
                    yield match
        return
    for start in starts:
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


def slash_led(pattern: re.Pattern[str], text: str, width: int) -> Iterator[re.Match[str]]:
    """Non-overlapping matches of ``pattern`` that start ``width`` digits before a slash.

    Slashes do not join digit clusters (dates would make clusters of every
    "12/05/2024"), so values whose groups slashes join ("4111/1111/...") are
    looked for here, at the few slashes with enough digits before them.
    """
    pos = 0
    at = text.find("/")
    while at != -1:
        start = at - width
        if start >= pos and text[start:at].isdigit():
            match = pattern.match(text, start)
            if match:
                pos = match.end()
                yield match
                at = text.find("/", pos)
                continue
        at = text.find("/", at + 1)
