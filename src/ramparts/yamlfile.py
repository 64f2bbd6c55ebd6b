"""Reading YAML files so that later errors can point at the line a key came from.

Policies arrive over the admin API, so a document's shape is checked on the parser's
event stream (linear, no recursion) before anything follows its aliases or recurses
into it: at most :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` nodes
with every alias expanded (an "alias bomb" of a few hundred bytes would otherwise
expand to billions). Real settings and policy files stay far below both.
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

_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None


def _check_shape(text: str, source: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH or over MAX_NODES nodes once expanded."""
    expanded: dict[str, int] = {}  # anchor -> nodes its value stands for
    open_nodes: list[tuple[str | None, int]] = []  # (anchor, nodes so far) per open collection
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, _OPENS):
            if len(open_nodes) >= MAX_DEPTH:
                raise ConfigError(
                    f"the document nests deeper than {MAX_DEPTH} levels",
                    source=source,
                    line=_line(event),
                )
            open_nodes.append((event.anchor, 1))
            continue
        if isinstance(event, _CLOSES):
            anchor, size = open_nodes.pop()
        elif isinstance(event, yaml.ScalarEvent):
            anchor, size = event.anchor, 1
        elif isinstance(event, yaml.AliasEvent):
            anchor, size = None, expanded.get(event.anchor or "", 1)  # unknown: compose reports it
        else:
            continue
        if anchor is not None:
            expanded[anchor] = size
        if open_nodes:
            parent_anchor, parent_size = open_nodes[-1]
            open_nodes[-1] = (parent_anchor, parent_size + size)
            size = parent_size + size
        else:
            total += size
            size = total
        if size > MAX_NODES:
            raise ConfigError(
                f"the document has more than {MAX_NODES} values once its aliases are"
                " expanded; write the values out, or use fewer aliases",
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


def parse_yaml(text: str, source: str) -> tuple[Any, LineIndex]:
    """The document and a map from key paths to 1-based line numbers."""
    try:
        _check_shape(text, source)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except RecursionError:
        # Not expected past _check_shape's depth limit; still an answer, not a crash.
        raise ConfigError("invalid YAML: it nests too deeply", source=source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", source=source, line=line) from None
    lines: LineIndex = {}
    if node is not None:
        _index(node, (), lines)
    return data, lines


def read_yaml_mapping(path: Path) -> tuple[dict[str, Any], LineIndex]:
    """A YAML file that must hold a mapping (or nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    return yaml_mapping(text, str(path))


def yaml_mapping(text: str, source: str) -> tuple[dict[str, Any], LineIndex]:
    data, lines = parse_yaml(text, source)
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
