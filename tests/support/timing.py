"""CPU time for linearity tests: other processes on the machine barely move it."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_cpu_seconds(work: Callable[[], object], repeats: int = 3) -> float:
    """The least process CPU time ``work()`` took over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best
