"""Never crash, valid spans, no value in reprs, and linear time on adversarial input."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors.engine import Engine

_PIECES = st.sampled_from(
    [*"0123456789 -.:@+()/\\n\nabcXYZé\u200bİß", "Street", "Mr. ", "SSN ", "John ", "\\n"]
)
_TEXT = st.lists(_PIECES, max_size=80).map("".join) | st.text(max_size=200)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXT)
def test_any_text_gives_valid_spans(own_engine: Engine, text: str) -> None:
    for finding in own_engine.scan(text):
        assert 0 <= finding.start < finding.end <= len(text)
        assert 0.0 <= finding.score <= 1.0
        value = text[finding.start : finding.end]
        if len(value) >= 4:
            assert value not in repr(finding)


def _elapsed(engine: Engine, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        engine.scan(text)
        best = min(best, time.perf_counter() - start)
    return best


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digit_run": lambda n: "7" * n,
    "spaced_digits": lambda n: "1 " * (n // 2),
    "dashed_digits": lambda n: "12-" * (n // 3),
    "huge_token": lambda n: "a" * n,
    "at_signs": lambda n: "a@" * (n // 2),
    "capitalised_words": lambda n: "Abc " * (n // 4),
    "hex_colons": lambda n: "ab:" * (n // 3),
    "street_words": lambda n: "12 Main Main Main " * (n // 18),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_scale_linearly(own_engine: Engine, name: str) -> None:
    make = ADVERSARIAL[name]
    small, large = make(2_000), make(200_000)
    ratio = _elapsed(own_engine, large) / max(_elapsed(own_engine, small), 1e-6)
    # 100x the input may cost up to 300x (noise, caches), never quadratic (10,000x).
    assert ratio < 300, f"{name}: {ratio:.0f}x slower for 100x the input"
