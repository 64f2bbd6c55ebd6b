"""Tool-call arguments as the output guard scans them: raw JSON and decoded values.

Scanning only the raw JSON text lets escapes (``\\u002d``, ``\\u0028``) hide a canary or
a link from the detectors, while the tool (or the client) sees the decoded value.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from ramparts.detectors.base import Finding
from ramparts.detectors.engine import Engine

_JSON_ESCAPE = re.compile(
    r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u([0-9a-f]{4})|\\(.)",
    re.IGNORECASE | re.DOTALL,
)
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape(match: re.Match[str]) -> str:
    high, low, single, other = match.groups()
    if high is not None:
        return chr(0x10000 + ((int(high, 16) - 0xD800) << 10) + (int(low, 16) - 0xDC00))
    if single is not None:
        return chr(int(single, 16))
    return _SIMPLE_ESCAPES.get(other, other)


def _json_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.append(key)
            _json_strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _json_strings(item, out)


def _decoded_arguments(arguments: str) -> str:
    try:
        strings: list[str] = []
        _json_strings(orjson.loads(arguments), strings)
        return "\n".join(strings)
    except orjson.JSONDecodeError:
        return _JSON_ESCAPE.sub(_unescape, arguments)


def scan_tool_arguments(engine: Engine, arguments: str) -> list[Finding]:
    """Scan tool-call arguments as raw JSON and as their decoded string values.

    Scanning only the raw text lets JSON escapes (``\\u002d``, ``\\u0028``) hide a canary or
    a link from the detectors, while the tool (or the client) sees the decoded value.
    Unparsable arguments (a truncated stream) are scanned with their escapes decoded.
    """
    found: list[Finding] = engine.scan(arguments, origin="assistant")
    if "\\" not in arguments:
        return found  # nothing escaped: the raw text already shows every value
    seen = {(f.detector, f.kind, f.fingerprint) for f in found}
    for f in engine.scan(_decoded_arguments(arguments), origin="assistant"):
        if (f.detector, f.kind, f.fingerprint) not in seen:
            seen.add((f.detector, f.kind, f.fingerprint))
            found.append(f)
    return found
