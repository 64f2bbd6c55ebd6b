"""Reading YAML files so that later errors can point at the line a key came from.

Policies arrive over the admin API, so a document's shape is checked on the parser's
event stream (linear, no recursion) before anything follows its aliases or recurses
into it: at most :data:`MAX_DEPTH` levels of nesting, at most ``max_nodes`` nodes
(:data:`MAX_NODES` unless the caller asks for fewer) and :data:`MAX_EXPANDED_CHARS`
characters of scalars, every alias expanded (an "alias bomb" of a few hundred bytes
would otherwise expand to billions), and no alias to a value that contains it (a
recursive structure). Real settings and policy files stay far below these.

LibYAML's parser is used when PyYAML has it (``yaml.CSafeLoader``): the pure-Python
one takes seconds for a few hundred kilobytes. The document is composed and built
once, from one loader; its nodes give the line index.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ramparts.errors import ConfigError

LineIndex = dict[tuple[Any, ...], int]

MAX_DEPTH = 100
MAX_NODES = 100_000
MAX_EXPANDED_CHARS = 1_000_000

# LibYAML when PyYAML was built with it (the wheels are); its marks carry lines too.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


class _Open:
    """A collection being read: its anchor and the nodes and characters it stands for."""

    __slots__ = ("anchor", "chars", "nodes")

    def __init__(self, anchor: str | None) -> None:
        self.anchor = anchor
        self.nodes = 1
        self.chars = 0


def _check_shape(text: str, source: str, max_nodes: int = MAX_NODES) -> None:
    """Refuse documents nested deeper than MAX_DEPTH, recursive through an alias, or over
    ``max_nodes`` nodes or MAX_EXPANDED_CHARS scalar characters once expanded."""
    expanded: dict[str, tuple[int, int]] = {}  # anchor -> (nodes, chars) its value stands for
    open_nodes: list[_Open] = []
    open_anchors: set[str] = set()
    total = _Open(None)
    total.nodes = 0  # the stream itself is no node
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _OPENS):
            if len(open_nodes) >= MAX_DEPTH:
                raise ConfigError(
                    f"the document nests deeper than {MAX_DEPTH} levels",
                    source=source,
                    line=_line(event),
                )
            open_nodes.append(_Open(event.anchor))
            if event.anchor is not None:
                open_anchors.add(event.anchor)
            continue
        if isinstance(event, _CLOSES):
            done = open_nodes.pop()
            anchor, nodes, chars = done.anchor, done.nodes, done.chars
            open_anchors.discard(anchor or "")
        elif isinstance(event, yaml.ScalarEvent):
            anchor, nodes, chars = event.anchor, 1, len(event.value)
        elif isinstance(event, yaml.AliasEvent):
            if (event.anchor or "") in open_anchors:
                raise ConfigError(
                    f"the alias *{event.anchor} refers to a value that contains it"
                    " (a recursive structure); write the values out",
                    source=source,
                    line=_line(event),
                )
            # Unknown anchors: compose reports them.
            anchor, (nodes, chars) = None, expanded.get(event.anchor or "", (1, 0))
        else:
            continue
        if anchor is not None:
            expanded[anchor] = (nodes, chars)
        parent = open_nodes[-1] if open_nodes else total
        parent.nodes += nodes
        parent.chars += chars
        if parent.nodes > max_nodes:
            raise ConfigError(
                f"the document has more than {max_nodes} values once its aliases are"
                " expanded; write the values out, or use fewer aliases",
                source=source,
                line=_line(event),
            )
        if parent.chars > MAX_EXPANDED_CHARS:
            raise ConfigError(
                f"the document's values hold more than {MAX_EXPANDED_CHARS} characters once"
                " its aliases are expanded; write the values out, or use fewer aliases",
                source=source,
                line=_line(event),
            )


def _index(node: yaml.Node, path: tuple[Any, ...], out: LineIndex) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _index(value_node, (*path, key_node.value), out)
            # A key's own line is more useful than its value's (which may be a block below).
            out[(*path, key_node.value)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), out)


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node graph and its data, composed and built by one loader."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    finally:
        loader.dispose()


def parse_yaml(text: str, source: str, *, max_nodes: int = MAX_NODES) -> tuple[Any, LineIndex]:
    """The document and a map from key paths to 1-based line numbers."""
    try:
        _check_shape(text, source, max_nodes)
        node, data = _load(text)
        lines: LineIndex = {}
        if node is not None:
            _index(node, (), lines)
    except RecursionError:
        # Not expected past _check_shape's depth and alias checks; still an answer.
        raise ConfigError("invalid YAML: it nests too deeply", source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", source=source, line=line) from None
    return data, lines


def read_yaml_mapping(path: Path) -> tuple[dict[str, Any], LineIndex]:
    """A YAML file that must hold a mapping (or nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    return yaml_mapping(text, str(path))


def yaml_mapping(
    text: str, source: str, *, max_nodes: int = MAX_NODES
) -> tuple[dict[str, Any], LineIndex]:
    data, lines = parse_yaml(text, source, max_nodes=max_nodes)
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError("the file must be a mapping of keys", source=source, line=1)
    return data, lines


def line_of(lines: LineIndex, loc: Sequence[Any]) -> int | None:
    """The line of the deepest known ancestor of ``loc``."""
    loc = tuple(loc)
    for depth in range(len(loc), -1, -1):
        if loc[:depth] in lines:
            return lines[loc[:depth]]
    return None
