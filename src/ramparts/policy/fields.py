"""The strings a request forwards outside its message text, gathered for the input guard.

Tool definitions, ``response_format`` schemas, stop sequences, the ``user`` field,
fields the gateway does not model but forwards (``extra``), names and document
titles all reach the provider, and most reach the model. Each group becomes one
text, its strings one per line (one scan instead of dozens of tiny ones), with
every string's span in that text, where it sits (for messages, never its value)
and, where a placeholder can cleanly stand in for it, how to put a rewritten
string back. Strings are scanned as they are, not as JSON: an escaped newline
(``\\n``) right before a key would otherwise glue the two and hide the key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Any

from ramparts.gateway.types import ChatRequest, DocumentPart, EmbeddingRequest, ToolCall

Setter = Callable[[Any], None]

# Request parameters that are numbers (or maps of token ids to numbers) by the APIs'
# definitions; random values in them (a 63-bit seed) can look like card numbers.
_NUMERIC_FIELDS = frozenset(
    {
        "seed",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "top_k",
        "frequency_penalty",
        "presence_penalty",
        "n",
    }
)
# A field name is shown in messages only when it looks like a real API field; anything
# else may be a value the caller pasted by mistake, and messages never echo values.
_PLAIN_NAME = re.compile(r"[a-z][a-z_]{0,31}")


@dataclass(slots=True)
class Leaf:
    """One string inside a gathered text: its span, where it sits in the request, and
    how to put a rewritten version back (None: a placeholder cannot stand in for it)."""

    start: int
    end: int
    place: str
    replace: Callable[[str], None] | None
    # An opaque identifier (the ``user`` field, ids in ``metadata``): random ids look like
    # high-entropy secrets, so only the named credential formats count there.
    identifier: bool = False


@dataclass(slots=True)
class Gathered:
    """One group's text, and its strings as :class:`Leaf` objects, built again on demand
    (from the request as it still is): only a finding in the text needs them, and building
    them with every request cost about 8 us a tool definition."""

    origin: str
    text: str
    leaves: Callable[[], list[Leaf]]


def _set_attr(obj: Any, name: str) -> Setter:
    def setter(value: Any) -> None:
        setattr(obj, name, value)

    return setter


def _set_item(container: Any, key: Any) -> Setter:
    def setter(value: Any) -> None:
        container[key] = value

    return setter


def field_place(name: str) -> str:
    return f"the request field '{name}'" if _PLAIN_NAME.fullmatch(name) else "a request field"


class Strings:
    """Strings joined one per line into a single text; with ``record``, each also
    remembered as a :class:`Leaf` (with its setter, when it can be rewritten)."""

    def __init__(self, record: bool = False) -> None:
        self.pieces: list[str] = []
        self.leaves: list[Leaf] = []
        self._record = record
        self._size = 0

    def add(self, text: str, place: str, replace: Setter | None, identifier: bool = False) -> None:
        if not text:
            return
        if self._record:
            start = self._size + 1 if self.pieces else 0
            self.leaves.append(Leaf(start, start + len(text), place, replace, identifier))
            self._size = start + len(text)
        self.pieces.append(text)

    def add_json(
        self, value: Any, place: str, replace: Setter | None, identifier: bool = False
    ) -> None:
        """Every string, key and number in ``value``, in document order. Strings in values
        can be rewritten (when ``replace`` is given); keys and numbers cannot: renaming a
        property changes the schema, and a placeholder is not a number."""
        if not self._record:
            _texts(value, self.pieces)
            return
        setters = replace is not None
        # Iterative: a deeply nested body must not exhaust the interpreter's stack. The same
        # strings, in the same order, as ``_texts``.
        stack: list[tuple[Any, Setter | None]] = [(value, replace)]
        while stack:
            item, setter = stack.pop()
            if isinstance(item, str):
                self.add(item, place, setter, identifier)
            elif isinstance(item, bool) or item is None:
                continue
            elif isinstance(item, int | float):
                self.add(str(item), place, None)
            elif isinstance(item, dict):
                children: list[tuple[Any, Setter | None]] = []
                for key, child in item.items():
                    children.append((key, None))
                    children.append((child, _set_item(item, key) if setters else None))
                stack.extend(reversed(children))
            elif isinstance(item, list):
                stack.extend(
                    (child, _set_item(item, i) if setters else None)
                    for i, child in reversed(list(enumerate(item)))
                )


def _texts(value: Any, out: list[str]) -> None:
    """The strings :meth:`Strings.add_json` adds, without leaves: the per-request path."""
    stack: list[Iterator[Any]] = [iter((value,))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, str):
                if item:
                    out.append(item)
            elif isinstance(item, dict):
                stack.append(chain.from_iterable(item.items()))  # key, value, key...
                break
            elif isinstance(item, list):
                stack.append(iter(item))
                break
            elif isinstance(item, int | float) and not isinstance(item, bool):
                out.append(str(item))
        else:
            stack.pop()


def _gather(origin: str, build: Callable[[Strings], None]) -> Gathered | None:
    out = Strings()
    build(out)
    if not out.pieces:
        return None

    def leaves() -> list[Leaf]:
        again = Strings(record=True)
        build(again)
        return again.leaves

    return Gathered(origin, "\n".join(out.pieces), leaves)


def _definitions(request: ChatRequest, out: Strings) -> None:
    """What the application developer wrote around the conversation: it reaches the model
    like a system prompt does, so it is scanned with the origin ``system``."""
    for i, tool in enumerate(request.tools):
        # By index: the name itself may be what was found.
        place = f"the definition of tools[{i}]"
        out.add(tool.name, place, None)  # tool calls name it: a placeholder would break them
        if tool.description:
            out.add(tool.description, place, _set_attr(tool, "description"))
        out.add_json(tool.parameters, place, _set_attr(tool, "parameters"))
    if request.response_format is not None:
        out.add_json(
            request.response_format, "the response_format", _set_attr(request, "response_format")
        )
    stop = "stop_sequences" if request.shape == "anthropic" else "stop"
    for sequence in request.stop:
        # A placeholder would change where the model stops, and Anthropic echoes the
        # sequence that matched in the answer, where it would not be restored.
        out.add(sequence, f"the request field '{stop}'", None)
    if isinstance(request.tool_choice, dict):
        out.add(request.tool_choice.get("name", ""), "the request field 'tool_choice'", None)
    if request.user:
        user = "metadata.user_id" if request.shape == "anthropic" else "user"
        out.add(request.user, f"the request field '{user}'", _set_attr(request, "user"), True)
    _forwarded_fields(request.extra, out, rewritable=True)


def _forwarded_fields(extra: dict[str, Any], out: Strings, *, rewritable: bool) -> None:
    """Fields the gateway forwards without modelling them, chat and embeddings alike: the
    same numeric-field skip and identifier exemption, so a request passes or fails both
    ways. ``rewritable``: a placeholder may stand in for a string value (not embeddings)."""
    for name, value in extra.items():
        out.add(name, "the name of a request field", None)
        if name in _NUMERIC_FIELDS:
            continue  # numbers by the API's definition: a seed is not a card number
        # ``user`` reaches here on embeddings (chat models it as ChatRequest.user).
        identifier = name in ("user", "metadata") or name.endswith("id")
        setter = _set_item(extra, name) if rewritable else None
        out.add_json(value, field_place(name), setter, identifier)


def _names(request: ChatRequest, origin: str, out: Strings) -> None:
    """Names and titles in the conversation whose turn has ``origin``."""
    for message in request.messages:
        if message.name and message.role == origin:
            out.add(message.name, "the 'name' of a message", None)
        for part in message.parts:
            if isinstance(part, ToolCall) and origin == "assistant":
                out.add(part.name, "the name of a tool call", None)
            elif isinstance(part, DocumentPart) and part.title and origin == "document":
                out.add(part.title, "the title of a document", _set_attr(part, "title"))


def _name_origins(request: ChatRequest) -> list[str]:
    found: set[str] = set()
    for message in request.messages:
        if message.name:
            found.add(message.role)
        for part in message.parts:
            if isinstance(part, ToolCall):
                found.add("assistant")
            elif isinstance(part, DocumentPart) and part.title:
                found.add("document")
    return sorted(found)


def _has_definitions(request: ChatRequest) -> bool:
    return bool(
        request.tools
        or request.response_format is not None
        or request.stop
        or request.tool_choice
        or request.user
        or request.extra
    )


def request_strings(request: ChatRequest) -> list[Gathered]:
    """The strings of ``request`` outside its message text, grouped by origin.

    Not gathered: images (no OCR), and the ids of tool calls and results, which are
    opaque tokens the provider issued (random enough to look like credentials).
    """
    groups: list[Gathered | None] = []
    if _has_definitions(request):
        groups.append(_gather("system", partial(_definitions, request)))
    for origin in _name_origins(request):
        groups.append(_gather(origin, partial(_names, request, origin)))
    return [g for g in groups if g is not None]


def embedding_strings(request: EmbeddingRequest) -> list[Gathered]:
    """Each embeddings input as user text, and the fields forwarded with them. Nothing
    here can be rewritten: a placeholder would change the embedding."""
    groups = [_gather("user", partial(_one_input, text)) for text in request.inputs]
    if request.extra:
        groups.append(
            _gather("system", partial(_forwarded_fields, request.extra, rewritable=False))
        )
    return [g for g in groups if g is not None]


def _one_input(text: str, out: Strings) -> None:
    out.add(text, "the embeddings input", None)
