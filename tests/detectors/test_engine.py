from __future__ import annotations

from typing import ClassVar

import pytest

from ramparts.detectors.base import (
    Detector,
    Finding,
    ScanContext,
    Sensitivity,
    lowered_text,
    scanned_texts_held,
)
from ramparts.detectors.engine import Engine, EngineConfig
from ramparts.detectors.overlaps import resolve_overlaps
from ramparts.detectors.registry import Registry
from ramparts.errors import DetectorError


class _Expensive(Detector):
    name = "test_expensive"
    cost = "expensive"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        return [
            self.finding(
                context, text, 0, len(text), kind="whole", score=0.9, explanation="always",
                sensitivity=Sensitivity.INTERNAL,
            )
        ]  # fmt: skip


def _finding(start: int, end: int, score: float, detector: str = "d") -> Finding:
    return Finding(detector, "k", start, end, score, "why", Sensitivity.INTERNAL, "f")


def test_unknown_detector_lists_known_ones(own_registry: Registry) -> None:
    with pytest.raises(DetectorError) as excinfo:
        EngineConfig.from_dict({"detectors": {"emial": True}}, registry=own_registry)
    message = str(excinfo.value)
    assert "unknown detector 'emial'" in message
    assert "email" in message
    assert "street_address" in message


@pytest.mark.parametrize(
    "data",
    [
        {"threshold": 2},
        {"threshold": True},
        {"detectors": {"email": "yes"}},
        {"detectors": {"email": {"enabled": "no"}}},
        {"detectors": {"email": {"threshold": -0.1}}},
        {"detectors": []},
        {"bogus": 1},
        {"detectors": {"tenant_terms": {"terms": "not a list"}}},
    ],
)
def test_bad_settings_are_detector_errors(own_registry: Registry, data: dict[str, object]) -> None:
    with pytest.raises(DetectorError):
        EngineConfig.from_dict(data, registry=own_registry)


def test_cheap_run_by_default_and_expensive_only_when_asked(own_registry: Registry) -> None:
    registry = Registry([*own_registry, _Expensive])
    assert "test_expensive" not in Engine(registry=registry).detector_names
    asked = Engine.from_dict({"detectors": {"test_expensive": True}}, registry=registry)
    assert "test_expensive" in asked.detector_names
    off = Engine.from_dict({"detectors": {"email": False}}, registry=registry)
    assert "email" not in off.detector_names


def test_thresholds_filter_findings(own_registry: Registry) -> None:
    text = "Call 905-674-3793 now"  # phone score 0.85
    default = Engine(registry=own_registry).scan(text)
    assert [f.detector for f in default] == ["phone"]
    strict = Engine.from_dict({"detectors": {"phone": {"threshold": 0.9}}}, registry=own_registry)
    assert strict.scan(text) == []
    assert Engine.from_dict({"threshold": 0.95}, registry=own_registry).scan(text) == []


def test_overlaps_keep_container_and_most_confident() -> None:
    address, place = _finding(0, 40, 0.8), _finding(20, 27, 0.55)
    assert resolve_overlaps([place, address]) == [address]
    ssn, phone = _finding(5, 16, 0.95, "us_ssn"), _finding(5, 16, 0.85, "phone")
    assert resolve_overlaps([phone, ssn]) == [ssn]
    left, right = _finding(0, 10, 0.6), _finding(8, 20, 0.9)
    assert resolve_overlaps([left, right]) == [right]
    apart = [_finding(0, 5, 0.5), _finding(5, 9, 0.5)]
    assert resolve_overlaps(apart) == apart


def test_tenant_terms_from_policy(own_registry: Registry) -> None:
    engine = Engine.from_dict(
        {"detectors": {"tenant_terms": {"terms": {"project": ["Nightjar"]}}}},
        registry=own_registry,
    )
    findings = engine.scan("status of nightjar?")
    assert [(f.detector, f.start, f.end) for f in findings] == [("tenant_terms", 10, 18)]
    assert engine.scan("status of nightjar?", origin="tool") == findings


def test_fingerprints_are_keyed(own_registry: Registry) -> None:
    text = "mail bob@example.com"
    one = Engine(registry=own_registry, fingerprint_key=b"tenant-one").scan(text)
    two = Engine(registry=own_registry, fingerprint_key=b"tenant-two").scan(text)
    again = Engine(registry=own_registry, fingerprint_key=b"tenant-one").scan(text)
    assert one[0].fingerprint != two[0].fingerprint
    assert one[0].fingerprint == again[0].fingerprint


def test_finding_repr_and_dict_never_hold_the_value(own_engine: Engine) -> None:
    secret = "4111 1111 1111 1111"
    text = f"CONFIDENTIAL card {secret} for bob@example.com"
    findings = own_engine.scan(text)
    assert {f.detector for f in findings} >= {"payment_card", "email", "classification_marking"}
    for finding in findings:
        dumped = repr(finding) + str(finding.to_dict())
        assert secret not in dumped
        assert "bob@example.com" not in dumped
        assert "4111" not in dumped


class _Probe(Detector):
    name = "probe"
    kinds: ClassVar[tuple[str, ...]] = ()

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        return []


def test_empty_text_scans_to_nothing(own_engine: Engine) -> None:
    assert own_engine.scan("") == []


def test_long_texts_are_scanned_in_windows(
    own_registry: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "mail bob@example.com, SSN 123-45-6789, card 4111 1111 1111 1111.\n"
    text = line * 300
    whole = [(f.detector, f.start, f.end) for f in Engine(registry=own_registry).scan(text)]
    monkeypatch.setattr("ramparts.detectors.engine.WINDOW_CHARS", 1000)
    monkeypatch.setattr("ramparts.detectors.engine.OVERLAP_CHARS", 200)
    windowed = [(f.detector, f.start, f.end) for f in Engine(registry=own_registry).scan(text)]
    assert windowed == whole
    assert len(whole) == 900


def test_no_scanned_text_outlives_its_scan_in_the_detectors_caches() -> None:
    text = "Sarah Connor lives at 12 Main Street, call 415 555 0100"
    lowered_text(text)  # a detector called directly fills a per-scan cache
    assert scanned_texts_held() >= 1
    assert Engine().scan(text)
    assert scanned_texts_held() == 0


def test_a_lone_surrogate_in_a_value_still_gets_a_fingerprint() -> None:
    # Encoding errors would abort the scan with an exception holding the value.
    context = ScanContext()
    print_ = context.fingerprint("mail\ud800x@example.com")
    assert len(print_) == 16
    assert print_ != context.fingerprint("mailx@example.com")
