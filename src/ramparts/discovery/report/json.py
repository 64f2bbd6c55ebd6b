"""The JSON report: the report document as-is, indented, keys in a stable order."""

from __future__ import annotations

from typing import Any

import orjson


def render_json(report: dict[str, Any]) -> str:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
