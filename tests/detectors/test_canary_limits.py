"""The canary detector's bounds and compilation: long or many canaries are refused by the
engine, a canary set is compiled once however many scans ask at the same time, and the
forms are still found (the spelled-out one without a per-character pattern)."""

from __future__ import annotations

import re
import secrets
import threading
import time
from typing import Any

import pytest

from ramparts.detectors.base import ScanContext
from ramparts.detectors.engine import EngineConfig
from ramparts.detectors.output.canary import CanaryLeakDetector
from ramparts.errors import DetectorError


def load(canaries: Any) -> EngineConfig:
    return EngineConfig.from_dict({"detectors": {"output.canary_leak": {"canaries": canaries}}})


def test_the_engine_refuses_too_long_or_too_many_canaries_without_naming_them() -> None:
    secret = "S" * 129
    with pytest.raises(DetectorError) as caught:
        load(["CANARY-7f3a9c2e", secret])
    assert "longer than 128 characters" in str(caught.value) and secret not in str(caught.value)
    assert caught.value.path == ("detectors", "output.canary_leak", "canaries")  # type: ignore[attr-defined]
    with pytest.raises(DetectorError, match="at most 100 are allowed"):
        load([f"CANARY-{i:06d}" for i in range(101)])
    assert load(["S" * 128, *(f"CANARY-{i:06d}" for i in range(99))])


def test_long_canaries_compile_small_patterns_and_every_form_is_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canaries = [secrets.token_hex(64) for _ in range(100)]  # 128 characters each
    context = ScanContext(options={"canaries": canaries})
    detector = CanaryLeakDetector()
    lengths: list[int] = []
    real = re.compile

    def measured_compile(pattern: Any, flags: int = 0) -> re.Pattern[str]:
        lengths.append(len(pattern))
        return real(pattern, flags)

    monkeypatch.setattr(re, "compile", measured_compile)
    assert detector.scan("nothing to see", context) == []
    # A separator class between every character of the spelled-out form made patterns of
    # ~2,400 characters per 128-character canary (0.5-0.8 s to compile 100 of them).
    assert lengths and max(lengths) <= 2 * 128 + 64
    monkeypatch.setattr(re, "compile", real)
    leak = canaries[41]
    answer = "spelled: " + " - ".join(leak[:64]) + "-" + leak[64:] + " ok"
    [finding] = detector.scan(answer, context)
    assert "#42" in finding.explanation and "(spelled out)" in finding.explanation
    assert answer[finding.start : finding.end].replace(" - ", "").replace("-", "") == leak


def test_concurrent_first_scans_compile_a_canary_set_once(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "CANARY-" + secrets.token_hex(8)
    compiled: list[str] = []
    real = re.compile

    def slow_compile(pattern: Any, flags: int = 0) -> re.Pattern[str]:
        if pattern == re.escape(canary):  # the verbatim form's pattern
            compiled.append(pattern)
            time.sleep(0.01)  # lets the other scans in, as a long compilation does
        return real(pattern, flags)

    monkeypatch.setattr(re, "compile", slow_compile)
    context = ScanContext(options={"canaries": (canary,)})
    barrier = threading.Barrier(8)
    results: list[int] = []

    def scan() -> None:
        barrier.wait()
        results.append(len(CanaryLeakDetector().scan(f"leaked {canary}", context)))

    threads = [threading.Thread(target=scan) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 8
    once = len(compiled)
    CanaryLeakDetector().scan(f"leaked {canary}", context)
    assert len(compiled) == once  # cached for every engine
    assert once == 1  # not once per scan that missed the cache
