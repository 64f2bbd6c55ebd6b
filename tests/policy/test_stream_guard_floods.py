"""Floods a prompt-injected model may write cost the output guard about linear CPU,
streamed and whole (the guard runs on the gateway's event loop)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ramparts.policy.book import compile_policy
from ramparts.policy.guard import StreamOutputGuard
from ramparts.policy.model import parse_policy

_POLICY = "guards:\n  output: {window_tokens: 16, allowed_domains: [python.org]}\n"
# Quadratic work shows as about 16x at 4x the size; linear as about 4x. The bound is
# generous: the clock is CPU time on a shared machine, and small sizes carry overhead.
_RATIO = 9.0
_FLOODS = ["[](", "![a](", "[a](x[", "\\[", "[a](https://python.org/x) "]


def _cpu(run: Callable[[], None]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def _streamed(text: str) -> None:
    policy = compile_policy(parse_policy(_POLICY), "t", 1, b"k" * 32)
    assert policy.output_engine is not None and policy.policy is not None
    guard = StreamOutputGuard(policy.output_engine, policy.policy.guards.output, [])
    for at in range(0, len(text), 8):
        guard.feed(text[at : at + 8])
    guard.finish()
    assert not guard.violations


def _ratio(measure: Callable[[str], None], unit: str, size: int) -> float:
    small = unit * (size // len(unit))
    large = unit * (4 * size // len(unit))
    return _cpu(lambda: measure(large)) / max(_cpu(lambda: measure(small)), 1e-3)


@pytest.mark.parametrize("unit", _FLOODS)
def test_streamed_floods_scale_linearly(unit: str) -> None:
    assert _ratio(_streamed, unit, 3000) < _RATIO


# Known gap, not tested here: a whole answer of "](https://x/" repeated is quadratic,
# since each is a finding spanning LABEL_REACH back and the engine resolves overlapping
# findings pairwise (engine._resolve_cluster). Streamed, the first one stops the answer.


@pytest.mark.parametrize("unit", _FLOODS)
def test_whole_floods_scale_linearly(unit: str) -> None:
    policy = compile_policy(parse_policy(_POLICY), "t", 1, b"k" * 32)
    engine = policy.output_engine
    assert engine is not None

    def scan(text: str) -> None:
        engine.scan(text, origin="assistant")

    assert _ratio(scan, unit, 20000) < _RATIO
