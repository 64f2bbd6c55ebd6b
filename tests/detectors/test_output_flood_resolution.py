"""Overlapping output findings by the thousand (a whole answer of "](https://x/"
repeated) are resolved in about linear work, keeping what the pairwise rule keeps."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import Finding, ScanContext, Sensitivity
from ramparts.detectors.output import ExfiltrationLinkDetector
from ramparts.detectors.overlaps import resolve_overlaps

from .test_engine_resolution import _reference_resolve

_CONTEXT = ScanContext(options={"allowed_domains": ["python.org"]}, min_score=0.5)


_SCORES = [0.4, 0.5, 0.55, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 120),
            st.sampled_from([0, 1, 2, 3, 5, 8, 13, 20, 40, 90]),
            st.sampled_from(_SCORES),
        ),
        min_size=25,
        max_size=160,
    )
)
def test_large_clusters_keep_what_the_pairwise_rule_keeps(
    spans: list[tuple[int, int, float]],
) -> None:
    findings = [
        Finding(f"d{index % 3}", "k", start, start + size, score, "", Sensitivity.INTERNAL, "")
        for index, (start, size, score) in enumerate(spans)
    ]
    got, want = resolve_overlaps(findings), _reference_resolve(findings)
    assert len(got) == len(want)
    assert all(a is b for a, b in zip(got, want, strict=True))


def test_chains_and_nests_keep_what_the_pairwise_rule_keeps() -> None:
    rng = random.Random(7)
    for _ in range(40):
        findings = []
        for n in range(rng.randint(30, 300)):
            start = 3 * n + rng.randint(0, 2)
            end = start + rng.choice([1, 50, 600, 612])
            score = rng.choice(_SCORES)
            findings.append(Finding("d", "k", start, end, score, "", Sensitivity.INTERNAL, ""))
        # A few large ones over the chain, nearly as confident or not.
        for _ in range(rng.randint(0, 4)):
            start = rng.randint(0, 300)
            end = start + rng.randint(300, 1200)
            score = rng.choice(_SCORES)
            findings.append(Finding("d", "k", start, end, score, "", Sensitivity.INTERNAL, ""))
        got, want = resolve_overlaps(findings), _reference_resolve(findings)
        assert all(a is b for a, b in zip(got, want, strict=True)) and len(got) == len(want)


class _Counted:
    """A finding whose span and score reads are counted (the work of resolving)."""

    def __init__(self, finding: Finding, reads: list[int]) -> None:
        self._finding = finding
        self._reads = reads

    @property
    def start(self) -> int:
        self._reads[0] += 1
        return self._finding.start

    @property
    def end(self) -> int:
        self._reads[0] += 1
        return self._finding.end

    @property
    def score(self) -> float:
        self._reads[0] += 1
        return self._finding.score


def _resolution_reads(units: int) -> int:
    findings = ExfiltrationLinkDetector().scan("](https://x/" * units, _CONTEXT)
    # Images to a host not allowed, spanning back (but the first few, read as links).
    assert len(findings) > units - 60
    assert findings[-1].end - findings[-1].start > 500
    reads = [0]
    resolve_overlaps([_Counted(f, reads) for f in findings])  # type: ignore[misc]
    return reads[0]


def test_a_whole_destination_flood_resolves_in_about_linear_work() -> None:
    # Each "](https://x/" is an image whose label may start LABEL_REACH chars back, so
    # all of them overlap: pairwise, 4x the answer was 16x the work (seconds per 100 KB).
    small, large = _resolution_reads(500), _resolution_reads(2000)
    assert large < 6 * small, large / small
