"""The Anthropic Messages event stream, both ways: parsing an upstream's, rendering the caller's."""

from __future__ import annotations

from typing import Any

import orjson

from ramparts.errors import UpstreamError
from ramparts.gateway.anthropic_format import FINISH_IN, FINISH_OUT
from ramparts.gateway.openai_format import reported_tokens
from ramparts.gateway.types import (
    Finish,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageUpdate,
)


class AnthropicStreamParser:
    """Turns upstream Messages stream events into neutral events."""

    def __init__(self) -> None:
        self._tool_index: dict[int, int] = {}
        self._input_tokens = 0

    def feed(self, event: Any) -> list[StreamEvent]:
        try:
            kind = event["type"]
            if kind == "message_start":
                usage = event["message"].get("usage") or {}
                self._input_tokens = reported_tokens(usage.get("input_tokens"))
                output_so_far = reported_tokens(usage.get("output_tokens"))
                return [UsageUpdate(Usage(self._input_tokens, output_so_far), final=False)]
            if kind == "content_block_start":
                block = event["content_block"]
                if block["type"] == "tool_use":
                    tool_index = len(self._tool_index)
                    self._tool_index[event["index"]] = tool_index
                    return [ToolCallDelta(tool_index, "", block["id"], block["name"])]
                if block["type"] == "text" and block.get("text"):
                    return [TextDelta(block["text"])]
                return []
            if kind == "content_block_delta":
                delta = event["delta"]
                if delta["type"] == "text_delta":
                    return [TextDelta(delta["text"])]
                if delta["type"] == "input_json_delta":
                    return [ToolCallDelta(self._tool_index[event["index"]], delta["partial_json"])]
                return []
            if kind == "message_delta":
                delta = event.get("delta") or {}
                usage = event.get("usage") or {}
                events: list[StreamEvent] = []
                if delta.get("stop_reason"):
                    reason = FINISH_IN.get(delta["stop_reason"], "stop")
                    events.append(Finish(reason, 0, delta.get("stop_sequence")))
                input_tokens = reported_tokens(usage.get("input_tokens")) or self._input_tokens
                events.append(
                    UsageUpdate(Usage(input_tokens, reported_tokens(usage.get("output_tokens"))))
                )
                return events
            if kind == "error":
                error = event.get("error") or {}
                retryable = error.get("type") in ("overloaded_error", "api_error")
                raise UpstreamError(
                    "the upstream reported an error mid-stream", retryable=retryable
                )
            return []
        except (KeyError, TypeError, AttributeError, ValueError):
            raise UpstreamError("the upstream sent a malformed stream event") from None


def _sse(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class AnthropicStreamRenderer:
    """Turns neutral stream events into the Messages event sequence, block by block."""

    def __init__(self, model: str, request_id: str) -> None:
        self._model = model
        self._id = f"msg_{request_id}"
        self._block = -1
        self._open: str | None = None  # "text" or "tool:<n>"
        self._finish: Finish | None = None

    def start(self, input_tokens: int = 0) -> bytes:
        message: dict[str, Any] = {
            "id": self._id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": 0},
        }
        return _sse("message_start", {"type": "message_start", "message": message}) + _sse(
            "ping", {"type": "ping"}
        )

    def _close_block(self) -> bytes:
        if self._open is None:
            return b""
        self._open = None
        return _sse("content_block_stop", {"type": "content_block_stop", "index": self._block})

    def _open_block(self, key: str, block: dict[str, Any]) -> bytes:
        out = self._close_block()
        self._block += 1
        self._open = key
        return out + _sse(
            "content_block_start",
            {"type": "content_block_start", "index": self._block, "content_block": block},
        )

    def event(self, event: StreamEvent) -> bytes | None:
        if isinstance(event, UsageUpdate) or event.index != 0:
            return None  # Anthropic has one choice; extra choices cannot be shown
        if isinstance(event, TextDelta):
            out = (
                b""
                if self._open == "text"
                else self._open_block("text", {"type": "text", "text": ""})
            )
            return out + _sse(
                "content_block_delta",
                {
                    "type": "content_block_delta",
                    "index": self._block,
                    "delta": {"type": "text_delta", "text": event.text},
                },
            )
        if isinstance(event, ToolCallDelta):
            key = f"tool:{event.tool_index}"
            out = b""
            if self._open != key:
                block = {
                    "type": "tool_use",
                    "id": event.id or "",
                    "name": event.name or "",
                    "input": {},
                }
                out = self._open_block(key, block)
            if event.arguments:
                out += _sse(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": self._block,
                        "delta": {"type": "input_json_delta", "partial_json": event.arguments},
                    },
                )
            return out or None
        if isinstance(event, Finish):
            self._finish = event
        return None

    def close(self, usage: Usage) -> bytes:
        finish = self._finish or Finish("stop")
        delta = {
            "stop_reason": FINISH_OUT.get(finish.reason, "end_turn"),
            "stop_sequence": finish.stop_sequence,
        }
        return (
            self._close_block()
            + _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": delta,
                    "usage": {
                        "input_tokens": usage.input_tokens,
                        "output_tokens": usage.output_tokens,
                    },
                },
            )
            + _sse("message_stop", {"type": "message_stop"})
        )

    @staticmethod
    def error(message: str, kind: str = "api_error") -> bytes:
        return _sse("error", {"type": "error", "error": {"type": kind, "message": message}})
