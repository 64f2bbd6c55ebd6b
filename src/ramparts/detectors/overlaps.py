"""Overlapping findings of one detector family, resolved so one span is reported once.

A finding inside a larger, nearly as confident one is dropped (it survives only if it
is :data:`CONTAINMENT_MARGIN` more confident than its container); then the most
confident of any partial overlap wins, the longest on a tie. Findings are grouped into
clusters of transitively overlapping spans; small clusters are compared pairwise, and
large ones (a flood in a model answer) in O(n log n) with the same result.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable

from ramparts.detectors.base import Finding

CONTAINMENT_MARGIN = 0.3


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep one finding per overlapping region (see the module docstring)."""
    # By start, longest first; two stable C-level sorts beat one with a Python key.
    ordered = sorted(findings, key=_END, reverse=True)
    ordered.sort(key=_START)
    kept: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in ordered:
        if finding.start >= cluster_end:
            if len(cluster) == 1:  # the usual case: nothing overlaps it
                kept.append(cluster[0])
            elif cluster:
                kept.extend(_resolve_cluster(cluster))
            cluster = [finding]
            cluster_end = finding.end
        else:
            cluster.append(finding)
            if finding.end > cluster_end:
                cluster_end = finding.end
    kept.extend(_resolve_cluster(cluster) if len(cluster) > 1 else cluster)
    return kept


_START = operator.attrgetter("start")
_END = operator.attrgetter("end")


def _confidence(finding: Finding) -> tuple[float, int]:
    """Most confident first, then longest first."""
    return (-finding.score, finding.start - finding.end)


def _resolve_cluster(cluster: list[Finding]) -> list[Finding]:
    if len(cluster) == 1:
        return cluster
    if len(cluster) > _SMALL_CLUSTER:
        return _resolve_large_cluster(cluster)
    # Plain loops rather than any()/all() over generators: clusters are small (two
    # or three findings) and there are a few per dense text, so set-up costs dominate.
    survivors: list[Finding] = []
    for inner in cluster:
        start, end, score = inner.start, inner.end, inner.score
        size = end - start
        for outer in cluster:
            if (
                outer.start <= start
                and end <= outer.end
                and (outer.end - outer.start) > size
                and score < outer.score + CONTAINMENT_MARGIN
                and outer is not inner
            ):
                break  # inside a larger, nearly as confident finding
        else:
            survivors.append(inner)
    if len(survivors) < 2:
        return survivors
    survivors.sort(key=_confidence)
    accepted: list[Finding] = []
    for finding in survivors:
        start, end = finding.start, finding.end
        for other in accepted:
            if not (end <= other.start or other.end <= start):
                break  # overlaps a more confident one
        else:
            accepted.append(finding)
    return accepted


# Past this size a cluster is resolved in O(n log n) rather than pairwise: a model answer
# can chain thousands of overlapping findings (each "](https://x/" of a flood spans the
# LABEL_REACH chars before it), and pairwise that was seconds per 100 KB.
_SMALL_CLUSTER = 24


def _resolve_large_cluster(cluster: list[Finding]) -> list[Finding]:
    """What the pairwise loops of :func:`_resolve_cluster` keep, in the same order."""
    survivors = _uncontained(cluster)
    survivors.sort(key=_confidence)
    accepted: list[Finding] = []
    # The accepted spans, sorted. They never overlap one another, so in this order
    # their ends never decrease either: the one before the first span starting at or
    # after ``end`` reaches furthest of all that start before it.
    spans: list[tuple[int, int]] = []
    for finding in survivors:
        start, end = finding.start, finding.end
        index = bisect.bisect_left(spans, (end,))  # spans that start before ``end``
        if index and spans[index - 1][1] > start:
            continue  # overlaps a more confident one
        bisect.insort(spans, (start, end))
        accepted.append(finding)
    return accepted


def _uncontained(cluster: list[Finding]) -> list[Finding]:
    """The findings of ``cluster`` not inside a larger, nearly as confident one, in
    cluster order. A sweep by start (then longest first): each span is compared with the
    best score of those seen so far that end at or after it, kept as a staircase of
    (end, best score) pairs, ends rising and scores falling."""
    order = sorted(range(len(cluster)), key=lambda i: (cluster[i].start, -cluster[i].end))
    contained = [False] * len(cluster)
    ends: list[int] = []
    bests: list[float] = []
    at = 0
    while at < len(order):
        first = cluster[order[at]]
        span = (first.start, first.end)
        group_end = at
        while group_end < len(order) and _span(cluster[order[group_end]]) == span:
            group_end += 1
        group = order[at:group_end]
        # Every span seen starts no later and, if it starts at the same place, ends
        # later: with an end at or after this one, it is strictly larger.
        index = bisect.bisect_left(ends, span[1])
        if index < len(ends):
            best = bests[index]
            for i in group:
                contained[i] = cluster[i].score < best + CONTAINMENT_MARGIN
        _raise_staircase(ends, bests, span[1], max(cluster[i].score for i in group))
        at = group_end
    return [finding for i, finding in enumerate(cluster) if not contained[i]]


def _span(finding: Finding) -> tuple[int, int]:
    return finding.start, finding.end


def _raise_staircase(ends: list[int], bests: list[float], end: int, score: float) -> None:
    """Add (end, score) to the staircase, dropping the pairs it outdoes."""
    index = bisect.bisect_left(ends, end)
    if index < len(ends) and bests[index] >= score:
        return  # one that ends at or after ``end`` scores as well
    stop = index + 1 if index < len(ends) and ends[index] == end else index
    first = index
    while first > 0 and bests[first - 1] <= score:
        first -= 1
    ends[first:stop] = [end]
    bests[first:stop] = [score]
