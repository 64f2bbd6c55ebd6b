"""Reading YAML files so that later errors can point at the line a key came from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ramparts.errors import ConfigError

LineIndex = dict[tuple[Any, ...], int]


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
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
