"""Helpers for detector tests: run one detector, or the pii+business engine."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ramparts.detectors import business, pii
from ramparts.detectors.base import Finding, ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.registry import Registry

OWN_DETECTORS = (*pii.DETECTORS, *business.DETECTORS)


@pytest.fixture
def own_registry() -> Registry:
    return Registry(OWN_DETECTORS)


@pytest.fixture
def own_engine(own_registry: Registry) -> Engine:
    return Engine(registry=own_registry)


@pytest.fixture
def found() -> Callable[..., list[tuple[str, str]]]:
    """``found(detector_name, text, **options)`` -> [(kind, matched text), ...]."""
    registry = Registry(OWN_DETECTORS)

    def run(name: str, text: str, **options: object) -> list[tuple[str, str]]:
        detector = registry.get(name)()
        findings: list[Finding] = detector.scan(text, ScanContext(options=dict(options)))
        return [(finding.kind, text[finding.start : finding.end]) for finding in findings]

    return run
