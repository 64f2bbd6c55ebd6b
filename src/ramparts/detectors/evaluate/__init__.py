"""Reproducible measurements of the detectors on the labelled sets in ``shared/data``.

Each module (``pii``, ``secrets``, ``injection``) exposes
``evaluate(data_dir: pathlib.Path) -> dict`` returning JSON-able
``{"dataset": str, "rows": [dict, ...], ...}``; ``ramparts eval`` prints them.
"""

from __future__ import annotations

SUITES = ("pii", "secrets", "injection")
