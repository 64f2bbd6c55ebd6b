"""Reading per-tenant detector options, with errors that say what to fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ramparts.errors import DetectorError


def string_set(
    options: Mapping[str, Any], key: str, detector: str, *, known: Iterable[str] | None = None
) -> frozenset[str]:
    """A list-of-strings option as a set; unknown values are an error when ``known`` is given."""
    raw = options.get(key)
    if raw is None:
        return frozenset()
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        raise DetectorError(f"{detector}: option '{key}' must be a list of strings")
    values = frozenset(raw)
    if not all(isinstance(v, str) for v in values):
        raise DetectorError(f"{detector}: option '{key}' must be a list of strings")
    if known is not None:
        allowed = set(known)
        unknown = sorted(values - allowed)
        if unknown:
            raise DetectorError(
                f"{detector}: option '{key}' names unknown ids {unknown}; "
                f"see the rule catalog in docs/secrets-and-output.md"
            )
    return values


def number(options: Mapping[str, Any], key: str, detector: str, default: float) -> float:
    """A numeric option (int or float, not bool)."""
    raw = options.get(key, default)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise DetectorError(
            f"{detector}: option '{key}' must be a number, got {type(raw).__name__}"
        )
    return float(raw)
