"""Tool-call arguments as the guards scan them: with their JSON escapes decoded.

Scanning only the raw JSON text lets escapes (``\\u002d``, ``\\u0028``) hide a canary or
a link from the detectors, while the tool (or the client) sees the decoded value. The
output guard scans answers' arguments raw and decoded; the input guard scans earlier
calls' arguments decoded and redacts inside their decoded strings (``arguments_text``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson

from ramparts.detectors.base import Finding
from ramparts.detectors.engine import Engine
from ramparts.gateway.types import ToolCall
from ramparts.policy.fields import Leaf

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


# --- the input side: arguments of earlier tool calls, as the input guard scans them ------

ARGUMENTS_PLACE = "the arguments of a tool call"
_UNPARSED_PLACE = "the arguments of a tool call (not valid JSON)"
_Setter = Callable[[str], None]
# A stack entry: literal JSON punctuation, or a value with the setter that replaces it.
_Item = tuple[str, Any, _Setter | None]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity, which json.loads allows


def _parsed(arguments: str) -> tuple[bool, Any]:
    """(True, value) for JSON arguments; exact integers (``json``, not ``orjson``: a value
    put back after redaction keeps its digits)."""
    try:
        return True, json.loads(arguments, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return False, None


def _serialised(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a "\ud800" escape): keep it escaped
        return json.dumps(value)
    return text


def _render(holder: list[Any], leaves: list[Leaf] | None, rewrite: Callable[[], None]) -> str:
    """``holder[0]`` as JSON with its strings decoded and unescaped (what the model reads them
    as), so detectors see ``"password": "…"`` as an assignment and escapes hide nothing.
    With ``leaves``, each string is recorded as a :class:`Leaf`: a value's setter puts the
    new string in place and calls ``rewrite``; keys and numbers cannot be rewritten."""
    out: list[str] = []
    size = 0
    stack: list[_Item] = [("value", holder[0], _setter(holder, 0, rewrite))]
    while stack:
        kind, item, setter = stack.pop()
        if kind == "text":
            out.append(item)
            size += len(item)
        elif isinstance(item, str):
            if leaves is not None and item:
                leaves.append(Leaf(size + 1, size + 1 + len(item), ARGUMENTS_PLACE, setter))
            out.append(f'"{item}"')
            size += len(item) + 2
        elif isinstance(item, dict):
            children: list[_Item] = [("text", "{", None)]
            for n, (key, child) in enumerate(item.items()):
                children.append(("text", ", " if n else "", None))
                children.append(("value", key, None))
                children.append(("text", ": ", None))
                children.append(("value", child, _setter(item, key, rewrite)))
            children.append(("text", "}", None))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            children = [("text", "[", None)]
            for n, child in enumerate(item):
                children.append(("text", ", " if n else "", None))
                children.append(("value", child, _setter(item, n, rewrite)))
            children.append(("text", "]", None))
            stack.extend(reversed(children))
        else:  # numbers, true, false, null: as JSON writes them
            text = json.dumps(item)
            out.append(text)
            size += len(text)
    return "".join(out)


def _setter(container: Any, key: Any, rewrite: Callable[[], None]) -> _Setter:
    def put(value: str) -> None:
        container[key] = value
        rewrite()

    return put


def arguments_text(call: ToolCall) -> tuple[str, Callable[[], list[Leaf]]] | None:
    """The text the input guard scans for a tool call's arguments, and its strings as
    leaves (built on demand), or None when there are none.

    JSON arguments are scanned with their strings decoded (``\\u0040`` is an "@"), and a
    placeholder goes into a decoded string, the arguments then written again as JSON:
    redacting the raw text could split an escape (``jos\\u00e9@…``) and leave invalid
    JSON, and escapes could hide a value the upstream (Anthropic re-serialises) sees
    decoded. Arguments that are not JSON are scanned with escapes decoded, and nothing in
    them can be rewritten: a redaction there blocks the request.
    """
    raw = call.arguments
    if not raw or raw.isspace():
        return None
    valid, value = _parsed(raw)
    if not valid:
        text = _JSON_ESCAPE.sub(_unescape, raw) if "\\" in raw else raw
        return text, lambda: [Leaf(0, len(text), _UNPARSED_PLACE, None)]
    text = _render([value], None, _no_rewrite)

    def leaves() -> list[Leaf]:
        # From the arguments as they still are; every setter writes the whole value back.
        found: list[Leaf] = []
        holder = [_parsed(call.arguments)[1]]

        def rewrite() -> None:
            call.arguments = _serialised(holder[0])

        _render(holder, found, rewrite)
        return found

    return text, leaves


def _no_rewrite() -> None:
    raise AssertionError("rendered without leaves")
