"""Small, fast field checks for request bodies, raising errors that name the parameter."""

from __future__ import annotations

from typing import Any, TypeVar

from ramparts.errors import InvalidRequestError

T = TypeVar("T")

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
}


def _describe(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def _matches(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # True is an int in Python, never in JSON
    if float in kinds and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, kinds)


def require(body: dict[str, Any], key: str, kind: type[T], where: str = "") -> T:
    path = f"{where}{key}"
    if key not in body or body[key] is None:
        raise InvalidRequestError(f"missing required parameter '{path}'", param=path)
    value = body[key]
    if not _matches(value, kind):
        raise InvalidRequestError(
            f"'{path}' must be {_describe(kind)}, got {type(value).__name__}", param=path
        )
    return value  # type: ignore[no-any-return]


def optional(body: dict[str, Any], key: str, kind: type[T], where: str = "") -> T | None:
    value = body.get(key)
    if value is None:
        return None
    if not _matches(value, kind):
        path = f"{where}{key}"
        raise InvalidRequestError(
            f"'{path}' must be {_describe(kind)}, got {type(value).__name__}", param=path
        )
    return value  # type: ignore[no-any-return]


def number(body: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = optional(body, key, float)
    if value is not None and not low <= value <= high:
        raise InvalidRequestError(f"'{key}' must be between {low} and {high}", param=key)
    return None if value is None else float(value)


def positive_int(body: dict[str, Any], key: str, high: int = 10_000_000) -> int | None:
    value = optional(body, key, int)
    if value is not None and not 1 <= value <= high:
        raise InvalidRequestError(f"'{key}' must be between 1 and {high}", param=key)
    return value


def string_list(value: Any, key: str, limit: int = 16) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        if len(value) > limit:
            raise InvalidRequestError(f"'{key}' takes at most {limit} entries", param=key)
        return list(value)
    raise InvalidRequestError(f"'{key}' must be a string or an array of strings", param=key)


def as_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"'{path}' must be an object, got {type(value).__name__}", param=path
        )
    return value


def objects(value: Any, path: str) -> list[tuple[str, dict[str, Any]]]:
    """An optional array of objects, each with the path to name it in errors."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequestError(f"'{path}' must be an array", param=path)
    return [(f"{path}[{i}]", as_object(item, f"{path}[{i}]")) for i, item in enumerate(value)]
