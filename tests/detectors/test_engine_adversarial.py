"""The whole default engine on adversarial input: linear time, bounded memory, same answers.

``test_robustness.py`` covers the personal-data and business detectors; this
file runs every default input detector (secrets and prompt attacks included)
on long digit runs, huge tokens and deep nesting, and checks that the engine's
windowing keeps memory flat whatever the input size.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.detectors.engine import Engine
from ramparts.detectors.overlaps import resolve_overlaps
from ramparts.detectors.pii.email import EmailDetector
from ramparts.detectors.registry import Registry
from ramparts.detectors.scanning import scan_stream
from support.timing import best_cpu_seconds

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digit_run": lambda n: "7" * n,
    "other_script_digits": lambda n: "\u0663" * n,
    "spaced_digits": lambda n: "1 " * (n // 2),
    "dotted_digits": lambda n: "1." * (n // 2),
    "plus_digits": lambda n: "+1 " * (n // 3),
    "huge_token": lambda n: "a" * n,
    "huge_base64": lambda n: "QUJD" * (n // 4),
    "nested_brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "nested_json": lambda n: '{"a": ' * (n // 7) + "1" + "}" * (n // 7),
    "nested_parentheses": lambda n: "(" * (n // 3) + "1" * (n // 3) + ")" * (n // 3),
    "html_tags": lambda n: "<a " * (n // 3),
    "assignments": lambda n: "a=" * (n // 2),
    "newlines": lambda n: "\n" * n,
}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _cpu(engine: Engine, text: str) -> float:
    return best_cpu_seconds(lambda: engine.scan(text), repeats=2)


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_every_default_detector_scales_linearly(engine: Engine, name: str) -> None:
    make = ADVERSARIAL[name]
    engine.scan(make(1_000))  # warm caches
    small, large = _cpu(engine, make(1_000)), _cpu(engine, make(100_000))
    # 100x the input may cost up to 300x (noise, caches), never quadratic (10,000x).
    ratio = large / max(small, 1e-4)
    assert ratio < 300, f"{name}: {ratio:.0f}x the CPU time for 100x the input"


def _chunks(total: int) -> Iterator[str]:
    line = "Reach me at bob@example.com or at the office tomorrow.\n"
    piece = line * (65_536 // len(line))
    for _ in range(total // len(piece)):
        yield piece


def _peak_bytes(engine: Engine, total: int) -> tuple[int, int]:
    tracemalloc.start()
    try:
        found = sum(1 for _ in scan_stream(engine, _chunks(total)))
        return tracemalloc.get_traced_memory()[1], found
    finally:
        tracemalloc.stop()


def test_streamed_memory_stays_flat_whatever_the_input_size() -> None:
    engine = Engine(registry=Registry([EmailDetector]))
    small_peak, small_found = _peak_bytes(engine, 1 << 19)
    large_peak, large_found = _peak_bytes(engine, 1 << 21)
    assert large_found > 3 * small_found > 0
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)


# --- resolve_overlaps: the faster version keeps the old answers -----------------


def _reference_resolve(findings: list[Finding]) -> list[Finding]:
    """resolve_overlaps as it was written before it was tuned (the specification)."""
    ordered = sorted(findings, key=lambda finding: (finding.start, -finding.end))
    kept: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in ordered:
        if cluster and finding.start >= cluster_end:
            kept.extend(_reference_cluster(cluster))
            cluster = []
        cluster.append(finding)
        cluster_end = max(cluster_end, finding.end) if len(cluster) > 1 else finding.end
    if cluster:
        kept.extend(_reference_cluster(cluster))
    return kept


def _reference_cluster(cluster: list[Finding]) -> list[Finding]:
    if len(cluster) == 1:
        return cluster
    survivors = [
        inner
        for inner in cluster
        if not any(
            outer is not inner
            and outer.start <= inner.start
            and inner.end <= outer.end
            and (outer.end - outer.start) > (inner.end - inner.start)
            and inner.score < outer.score + 0.3
            for outer in cluster
        )
    ]
    survivors.sort(key=lambda finding: (-finding.score, finding.start - finding.end))
    accepted: list[Finding] = []
    for finding in survivors:
        if all(finding.end <= other.start or other.end <= finding.start for other in accepted):
            accepted.append(finding)
    return accepted


_SPANS = st.lists(
    st.tuples(
        st.integers(0, 40), st.integers(1, 12), st.sampled_from([0.5, 0.6, 0.8, 0.9, 0.95, 1.0])
    ),
    max_size=25,
)


@settings(max_examples=400, deadline=None)
@given(_SPANS)
def test_resolve_overlaps_matches_its_reference(spans: list[tuple[int, int, float]]) -> None:
    findings = [
        Finding(f"d{index % 3}", "k", start, start + size, score, "", Sensitivity.INTERNAL, "")
        for index, (start, size, score) in enumerate(spans)
    ]
    assert resolve_overlaps(findings) == _reference_resolve(findings)
