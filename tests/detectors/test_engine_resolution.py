"""Overlap resolution and finding construction, against their plain reference forms."""

from __future__ import annotations

import dataclasses
import pickle
import random

import pytest

from ramparts.detectors.base import Finding, Sensitivity, new_finding
from ramparts.detectors.engine import _resolved
from ramparts.detectors.overlaps import CONTAINMENT_MARGIN, resolve_overlaps


def _reference_cluster(cluster: list[Finding]) -> list[Finding]:
    """The cluster rule as first written, with any()/all() over generators."""
    survivors = [
        inner
        for inner in cluster
        if not any(
            outer is not inner
            and outer.start <= inner.start
            and inner.end <= outer.end
            and (outer.end - outer.start) > (inner.end - inner.start)
            and inner.score < outer.score + CONTAINMENT_MARGIN
            for outer in cluster
        )
    ]
    survivors.sort(key=lambda finding: (-finding.score, finding.start - finding.end))
    accepted: list[Finding] = []
    for finding in survivors:
        if all(finding.end <= other.start or other.end <= finding.start for other in accepted):
            accepted.append(finding)
    return accepted


def _reference_resolve(findings: list[Finding]) -> list[Finding]:
    ordered = sorted(findings, key=lambda finding: (finding.start, -finding.end))
    kept: list[Finding] = []
    cluster: list[Finding] = []
    cluster_end = -1
    for finding in ordered:
        if finding.start >= cluster_end:
            kept.extend(_reference_cluster(cluster) if len(cluster) > 1 else cluster)
            cluster, cluster_end = [finding], finding.end
        else:
            cluster.append(finding)
            cluster_end = max(cluster_end, finding.end)
    kept.extend(_reference_cluster(cluster) if len(cluster) > 1 else cluster)
    return kept


def _random_findings(rng: random.Random) -> list[Finding]:
    findings = []
    for _ in range(rng.randint(0, 14)):
        start = rng.randint(0, 60)
        end = start + rng.choice([0, 1, 2, 3, 5, 8, 13, 20])
        score = rng.choice([0.4, 0.5, 0.55, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0])
        detector = rng.choice(["a", "b", "c"])
        findings.append(Finding(detector, "k", start, end, score, "why", Sensitivity.PUBLIC, "f"))
    return findings


def test_resolution_keeps_what_the_reference_keeps() -> None:
    rng = random.Random(13)
    for _ in range(5000):
        findings = _random_findings(rng)
        got, want = resolve_overlaps(findings), _reference_resolve(findings)
        assert len(got) == len(want)
        assert all(a is b for a, b in zip(got, want, strict=True))
        by_family = {"x": findings, "y": _random_findings(rng)}
        merged = [f for family in by_family.values() for f in _reference_resolve(family)]
        merged.sort(key=lambda finding: (finding.start, finding.end, finding.detector))
        assert all(a is b for a, b in zip(_resolved(by_family), merged, strict=True))


def test_new_finding_is_the_dataclass_finding() -> None:
    fields = ("email", "email", 3, 9, 0.5, "why", Sensitivity.CONFIDENTIAL, "0123456789abcdef")
    fast, plain = new_finding(*fields), Finding(*fields)
    assert fast == plain
    assert hash(fast) == hash(plain)
    assert repr(fast) == repr(plain)
    assert fast.to_dict() == plain.to_dict()
    assert dataclasses.replace(fast, start=4) == dataclasses.replace(plain, start=4)
    assert pickle.loads(pickle.dumps(fast)) == plain  # noqa: S301 - our own bytes
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.start = 1  # type: ignore[misc]
