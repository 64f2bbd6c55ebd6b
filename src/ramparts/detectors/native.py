"""The optional compiled kernels (``_native.c``), or ``None`` when they are absent.

The C extension is built by the install (``hatch_build.py``); when it is missing
(no compiler, a failed build) or ``RAMPARTS_NATIVE=0`` is set, every caller uses
its pure-Python code, which gives the same results (tests compare the two).
See docs/native.md.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ramparts.detectors._native import NgramWeights

ENV = "RAMPARTS_NATIVE"


def _load(name: str = "_native") -> tuple[object | None, str]:
    if os.environ.get(ENV, "").strip() == "0":
        return None, f"disabled by {ENV}=0"
    try:
        return importlib.import_module(f"ramparts.detectors.{name}"), "loaded"
    except ImportError as error:  # not built: the pure-Python code serves
        return None, f"not built ({error})"


_MODULE, STATUS = _load()
LOADED = _MODULE is not None
# The source digest the loaded library was built from (tests catch a stale build).
SOURCE_SHA256: str | None = getattr(_MODULE, "SOURCE_SHA256", None)
tokenize: Callable[[str], list[str]] | None = getattr(_MODULE, "tokenize", None)
ngram_weights: type[NgramWeights] | None = getattr(_MODULE, "NgramWeights", None)

# The capitalised-word runs of pii._tokens, a second module of the same build
# (_native_runs.c), with its own status and source digest.
_RUNS_MODULE, RUNS_STATUS = _load("_native_runs")
RUNS_LOADED = _RUNS_MODULE is not None
RUNS_SOURCE_SHA256: str | None = getattr(_RUNS_MODULE, "SOURCE_SHA256", None)
capitalized_runs: Callable[[str], tuple[tuple[tuple[int, int], ...], ...]] | None = getattr(
    _RUNS_MODULE, "capitalized_runs", None
)
