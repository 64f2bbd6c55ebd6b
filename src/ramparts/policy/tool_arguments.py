"""Tool-call arguments as the guards scan them: with their JSON escapes decoded.

Scanning only the raw JSON text lets escapes (``\\u002d``, ``\\u0028``) hide a canary or
a link from the detectors, while the tool (or the client) sees the decoded value. The
output guard scans answers' arguments raw and decoded; the input guard scans earlier
calls' arguments decoded and redacts inside their decoded strings (``arguments_text``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any

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
        # Not orjson: it keeps the last of a key given twice, and the value before it
        # (escaped) would be scanned nowhere; such arguments are decoded as text instead.
        _json_strings(_parsed(arguments), strings)
        return "\n".join(strings)
    except (ValueError, RecursionError):
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
_REPEATED_PLACE = "the arguments of a tool call (a key given twice)"
_Setter = Callable[[str], None]
# A stack entry: literal JSON punctuation, a key, or a value (with its setter's slot).
_Item = tuple[str, Any]


class _Number:
    """A JSON number exactly as written: a rewrite puts its text back, so ``1e400`` does not
    become ``Infinity`` (not JSON) nor ``3.14159265358979323846`` lose digits."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _RepeatedKey(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity, which json.loads allows


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        # json.loads would keep the last value only: the others would go upstream unscanned.
        raise _RepeatedKey("a key is given twice")
    return value


def _parsed(arguments: str) -> Any:
    """The JSON value of ``arguments``, numbers kept as written (:class:`_Number`).
    Raises ValueError (:class:`_RepeatedKey` for a key given twice) or RecursionError."""
    return json.loads(
        arguments,
        object_pairs_hook=_object,
        parse_float=_Number,
        parse_int=_Number,
        parse_constant=_reject_constant,
    )


def _json_string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a "\ud800" escape): keep it escaped
        return json.dumps(value)
    return text


class _Rewrite:
    """The arguments as JSON text in pieces, each value string in a piece of its own, so a
    placeholder changes one piece and the text is joined again, never re-encoded.

    Every setter must leave ``call.arguments`` whole (nothing tells it which is the last),
    so the pieces are joined in blocks of about sqrt(n): a change joins its block and then
    the blocks, not all n pieces (what is left per change is one copy of the text).
    """

    def __init__(self, call: ToolCall) -> None:
        self._call = call
        self._pieces: list[str] = []
        self._fixed: list[str] = []  # the punctuation, keys and numbers since the last slot
        self._width = 1
        self._blocks: list[str] = []

    def fixed(self, text: str) -> None:
        self._fixed.append(text)

    def slot(self, value: str) -> _Setter:
        self._pieces.append("".join(self._fixed))
        self._fixed = []
        self._pieces.append(_json_string(value))
        return partial(self._put, len(self._pieces) - 1)

    def close(self) -> None:
        self._pieces.append("".join(self._fixed))
        self._fixed = []
        pieces = self._pieces
        self._width = max(16, math.isqrt(len(pieces)))
        width = self._width
        self._blocks = ["".join(pieces[at : at + width]) for at in range(0, len(pieces), width)]

    def _put(self, index: int, value: str) -> None:
        self._pieces[index] = _json_string(value)
        block = index // self._width
        at = block * self._width
        self._blocks[block] = "".join(self._pieces[at : at + self._width])
        self._call.arguments = "".join(self._blocks)


def _render(value: Any, leaves: list[Leaf] | None, rewrite: _Rewrite | None) -> str:
    """``value`` as JSON with its strings decoded and unescaped (what the model reads them
    as), so detectors see ``"password": "…"`` as an assignment and escapes hide nothing.
    With ``leaves``, each string is recorded as a :class:`Leaf`; a value's setter puts the
    new string into ``rewrite`` (keys and numbers cannot be rewritten)."""
    out: list[str] = []
    size = 0
    stack: list[_Item] = [("value", value)]
    while stack:
        kind, item = stack.pop()
        if isinstance(item, str) and kind != "text":
            setter = rewrite.slot(item) if rewrite is not None and kind == "value" else None
            if setter is None and rewrite is not None:
                rewrite.fixed(_json_string(item))
            if leaves is not None and item:
                leaves.append(Leaf(size + 1, size + 1 + len(item), ARGUMENTS_PLACE, setter))
            out.append(f'"{item}"')
            size += len(item) + 2
            continue
        if isinstance(item, dict):
            children: list[_Item] = [("text", "{")]
            for n, (key, child) in enumerate(item.items()):
                children += [("text", ", " if n else ""), ("key", key), ("text", ": ")]
                children.append(("value", child))
            children.append(("text", "}"))
            stack.extend(reversed(children))
            continue
        if isinstance(item, list):
            children = [("text", "[")]
            for n, child in enumerate(item):
                children += [("text", ", " if n else ""), ("value", child)]
            children.append(("text", "]"))
            stack.extend(reversed(children))
            continue
        if kind == "text":
            text = item
        else:  # numbers as written, true, false, null
            text = item.text if isinstance(item, _Number) else json.dumps(item)
        if rewrite is not None:
            rewrite.fixed(text)
        out.append(text)
        size += len(text)
    if rewrite is not None:
        rewrite.close()
    return "".join(out)


def _unparsed(raw: str, place: str) -> tuple[str, Callable[[], list[Leaf]]]:
    text = _JSON_ESCAPE.sub(_unescape, raw) if "\\" in raw else raw
    return text, lambda: [Leaf(0, len(text), place, None)]


def arguments_text(call: ToolCall) -> tuple[str, Callable[[], list[Leaf]]] | None:
    """The text the input guard scans for a tool call's arguments, and its strings as
    leaves (built on demand), or None when there are none.

    JSON arguments are scanned with their strings decoded (``\\u0040`` is an "@"), and a
    placeholder goes into a decoded string, the arguments then written again as JSON:
    redacting the raw text could split an escape (``jos\\u00e9@…``) and leave invalid
    JSON, and escapes could hide a value the upstream (Anthropic re-serialises) sees
    decoded. Arguments that are not JSON, or give a key twice (a parser keeps one of the
    values; the upstream gets both), are scanned with escapes decoded, and nothing in
    them can be rewritten: a redaction there blocks the request.
    """
    raw = call.arguments
    if not raw or raw.isspace():
        return None
    try:
        value = _parsed(raw)
    except _RepeatedKey:
        return _unparsed(raw, _REPEATED_PLACE)
    except (ValueError, RecursionError):
        return _unparsed(raw, _UNPARSED_PLACE)
    text = _render(value, None, None)

    def leaves() -> list[Leaf]:
        # From the arguments as they still are; a setter changes only its own string.
        found: list[Leaf] = []
        _render(_parsed(call.arguments), found, _Rewrite(call))
        return found

    return text, leaves
