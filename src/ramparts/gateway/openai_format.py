"""The OpenAI Chat Completions shape: parse it into the neutral model and render it back.

Used both ways: for callers of ``/v1/chat/completions`` and for providers that
speak the OpenAI protocol upstream.
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from ramparts.errors import InvalidRequestError, UpstreamError
from ramparts.gateway import validate as v
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    Choice,
    DocumentPart,
    EmbeddingRequest,
    Finish,
    FinishReason,
    ImagePart,
    Message,
    Part,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolResult,
    ToolSpec,
    Usage,
    UsageUpdate,
)

KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stop",
        "stream",
        "stream_options",
        "n",
        "response_format",
        "user",
    }
)
_FINISH_IN: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}
_FINISH_OUT = {"stop_sequence": "stop"}


# --- inbound: OpenAI body -> ChatRequest --------------------------------------


def _content_parts(content: Any, where: str) -> list[TextPart | ImagePart]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise InvalidRequestError(f"'{where}' must be a string or an array of parts", param=where)
    parts: list[TextPart | ImagePart] = []
    for i, raw in enumerate(content):
        part = v.as_object(raw, f"{where}[{i}]")
        kind = part.get("type")
        if kind == "text":
            parts.append(TextPart(v.require(part, "text", str, f"{where}[{i}].")))
        elif kind == "image_url":
            image = v.as_object(part.get("image_url"), f"{where}[{i}].image_url")
            url = v.require(image, "url", str, f"{where}[{i}].image_url.")
            parts.append(_image_from_url(url, v.optional(image, "detail", str)))
        else:
            raise InvalidRequestError(
                f"unsupported content part type {kind!r} at '{where}[{i}]'"
                " (supported: text, image_url)",
                param=f"{where}[{i}].type",
            )
    return parts


def _image_from_url(url: str, detail: str | None) -> ImagePart:
    if url.startswith("data:") and ";base64," in url:
        header, data = url[5:].split(";base64,", 1)
        return ImagePart(data=data, media_type=header or None, detail=detail)
    return ImagePart(url=url, detail=detail)


def _tool_calls(raw: Any, where: str) -> list[ToolCall]:
    calls = []
    for here, call in v.objects(raw, where):
        function = v.as_object(call.get("function"), f"{here}.function")
        calls.append(
            ToolCall(
                id=v.require(call, "id", str, f"{here}."),
                name=v.require(function, "name", str, f"{here}.function."),
                arguments=v.optional(function, "arguments", str) or "{}",
            )
        )
    return calls


def _parse_message(raw: Any, i: int, system: list[TextPart]) -> Message | None:
    where = f"messages[{i}]"
    message = v.as_object(raw, where)
    role = v.require(message, "role", str, f"{where}.")
    content = message.get("content")
    if role in ("system", "developer"):
        system.extend(
            p for p in _content_parts(content, f"{where}.content") if isinstance(p, TextPart)
        )
        return None
    if role == "user":
        if content is None:
            raise InvalidRequestError(f"missing required parameter '{where}.content'", param=where)
        parts: list[Part] = list(_content_parts(content, f"{where}.content"))
        return Message("user", parts, name=v.optional(message, "name", str))
    if role == "assistant":
        parts = [] if content is None else list(_content_parts(content, f"{where}.content"))
        if message.get("tool_calls") is not None:
            parts.extend(_tool_calls(message["tool_calls"], f"{where}.tool_calls"))
        return Message("assistant", parts, name=v.optional(message, "name", str))
    if role == "tool":
        call_id = v.require(message, "tool_call_id", str, f"{where}.")
        result_parts = [] if content is None else _content_parts(content, f"{where}.content")
        return Message("user", [ToolResult(call_id, result_parts)])
    raise InvalidRequestError(
        f"'{where}.role' must be one of system, developer, user, assistant, tool; got {role!r}",
        param=f"{where}.role",
    )


def _merge_tool_results(messages: list[Message]) -> list[Message]:
    """Consecutive tool messages become one user turn, as Anthropic expects."""
    merged: list[Message] = []
    for message in messages:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and message.role == "user"
            and previous.role == "user"
            and all(isinstance(p, ToolResult) for p in message.parts)
            and all(isinstance(p, ToolResult) for p in previous.parts)
        ):
            previous.parts.extend(message.parts)
        else:
            merged.append(message)
    return merged


def _parse_tools(raw: Any) -> list[ToolSpec]:
    tools = []
    for here, tool in v.objects(raw, "tools"):
        if tool.get("type", "function") != "function":
            raise InvalidRequestError(
                f"unsupported tool type {tool.get('type')!r} at '{here}' (supported: function)",
                param=f"{here}.type",
            )
        function = v.as_object(tool.get("function"), f"{here}.function")
        tools.append(
            ToolSpec(
                name=v.require(function, "name", str, f"{here}.function."),
                description=v.optional(function, "description", str),
                parameters=v.optional(function, "parameters", dict) or {"type": "object"},
            )
        )
    return tools


def _parse_tool_choice(raw: Any) -> str | dict[str, str] | None:
    if raw is None:
        return None
    if raw in ("auto", "none", "required"):
        return str(raw)
    if isinstance(raw, dict) and isinstance(raw.get("function"), dict):
        name = raw["function"].get("name")
        if isinstance(name, str):
            return {"name": name}
    raise InvalidRequestError(
        "'tool_choice' must be 'auto', 'none', 'required' or"
        ' {"type": "function", "function": {"name": ...}}',
        param="tool_choice",
    )


def parse_chat_request(body: Any) -> ChatRequest:
    """Validate an OpenAI Chat Completions body and turn it into a :class:`ChatRequest`."""
    body = v.as_object(body, "body")
    model = v.require(body, "model", str)
    raw_messages = v.require(body, "messages", list)
    if not raw_messages:
        raise InvalidRequestError("'messages' must not be empty", param="messages")
    system: list[TextPart] = []
    messages = [m for i, raw in enumerate(raw_messages) if (m := _parse_message(raw, i, system))]
    stream_options = v.optional(body, "stream_options", dict) or {}
    n = v.positive_int(body, "n", 128) or 1
    return ChatRequest(
        model=model,
        messages=_merge_tool_results(messages),
        system=system,
        tools=_parse_tools(body.get("tools")),
        tool_choice=_parse_tool_choice(body.get("tool_choice")),
        parallel_tool_calls=v.optional(body, "parallel_tool_calls", bool),
        max_tokens=v.positive_int(body, "max_completion_tokens")
        or v.positive_int(body, "max_tokens"),
        temperature=v.number(body, "temperature", 0.0, 2.0),
        top_p=v.number(body, "top_p", 0.0, 1.0),
        stop=v.string_list(body.get("stop"), "stop", 4),
        stream=bool(v.optional(body, "stream", bool)),
        include_usage=bool(stream_options.get("include_usage")),
        n=n,
        response_format=v.optional(body, "response_format", dict),
        user=v.optional(body, "user", str),
        extra={k: val for k, val in body.items() if k not in KNOWN_FIELDS},
        shape="openai",
    )


def parse_embedding_request(body: Any) -> EmbeddingRequest:
    body = v.as_object(body, "body")
    model = v.require(body, "model", str)
    raw = body.get("input")
    if isinstance(raw, str):
        inputs = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(x, str) for x in raw):
        inputs = list(raw)
    else:
        raise InvalidRequestError(
            "'input' must be a string or a non-empty array of strings", param="input"
        )
    return EmbeddingRequest(
        model=model,
        inputs=inputs,
        encoding_format=v.optional(body, "encoding_format", str),
        dimensions=v.positive_int(body, "dimensions", 65536),
        extra={
            k: val
            for k, val in body.items()
            if k not in {"model", "input", "encoding_format", "dimensions"}
        },
    )


# --- outbound: ChatRequest -> OpenAI body (for OpenAI-compatible upstreams) -----


def _as_text(part: TextPart) -> str:
    if isinstance(part, DocumentPart):  # OpenAI has no document part: mark it in the text
        return f"\n\n[Document: {part.title or 'untitled'}]\n{part.text}\n"
    return part.text


def _render_content(parts: list[TextPart | ImagePart]) -> str | list[dict[str, Any]]:
    if any(isinstance(p, DocumentPart) for p in parts):
        parts = [TextPart(_as_text(p)) if isinstance(p, TextPart) else p for p in parts]
    if all(isinstance(p, TextPart) for p in parts):
        return "".join(p.text for p in parts if isinstance(p, TextPart))
    out: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            out.append({"type": "text", "text": part.text})
        else:
            url = part.url or f"data:{part.media_type or 'image/png'};base64,{part.data}"
            image: dict[str, Any] = {"url": url}
            if part.detail:
                image["detail"] = part.detail
            out.append({"type": "image_url", "image_url": image})
    return out


def _render_message(message: Message) -> list[dict[str, Any]]:
    results = [p for p in message.parts if isinstance(p, ToolResult)]
    calls = [p for p in message.parts if isinstance(p, ToolCall)]
    content = [p for p in message.parts if isinstance(p, TextPart | ImagePart)]
    out: list[dict[str, Any]] = [
        {"role": "tool", "tool_call_id": r.tool_call_id, "content": _render_content(r.parts)}
        for r in results
    ]
    if message.role == "assistant":
        rendered: dict[str, Any] = {
            "role": "assistant",
            "content": _render_content(content) if content else None,
        }
        if calls:
            rendered["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in calls
            ]
        out.append(rendered)
    elif content:
        user: dict[str, Any] = {"role": "user", "content": _render_content(content)}
        if message.name:
            user["name"] = message.name
        out.append(user)
    return out


def build_chat_body(request: ChatRequest, upstream_model: str) -> dict[str, Any]:
    """The body to send an OpenAI-compatible upstream for ``request``."""
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": "\n\n".join(p.text for p in request.system)})
    for message in request.messages:
        messages.extend(_render_message(message))
    body: dict[str, Any] = dict(request.extra) if request.shape == "openai" else {}
    body["model"] = upstream_model
    body["messages"] = messages
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    **({"description": t.description} if t.description else {}),
                    "parameters": t.parameters,
                },
            }
            for t in request.tools
        ]
    if request.tool_choice is not None:
        choice = request.tool_choice
        body["tool_choice"] = (
            choice if isinstance(choice, str) else {"type": "function", "function": choice}
        )
    optional_fields = {
        "parallel_tool_calls": request.parallel_tool_calls,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p,
        "response_format": request.response_format,
        "user": request.user,
    }
    body.update({k: val for k, val in optional_fields.items() if val is not None})
    if request.stop:
        body["stop"] = request.stop
    if request.n != 1:
        body["n"] = request.n
    if request.stream:
        body["stream"] = True
        # Always ask for usage upstream: the audit trail needs tokens for streams too.
        body["stream_options"] = {"include_usage": True}
    return body


# --- upstream OpenAI body -> ChatResponse / events ----------------------------


# More tokens than any request has: a count above this is not believed.
MAX_REPORTED_TOKENS = 100_000_000


def reported_tokens(value: Any) -> int:
    """An upstream's token count, or 0 (missing: the gateway estimates it, gateway/usage.py)
    when it is not a whole number from 0 to MAX_REPORTED_TOKENS. A negative count would
    meter a negative cost (and the metrics counter refuses it); a boolean, text or
    fraction is no count."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value if 0 <= value <= MAX_REPORTED_TOKENS else 0


def _usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=reported_tokens(raw.get("prompt_tokens")),
        output_tokens=reported_tokens(raw.get("completion_tokens")),
    )


def parse_chat_response(body: Any) -> ChatResponse:
    """Read an upstream OpenAI completion; anything malformed is an :class:`UpstreamError`."""
    try:
        choices: list[Choice] = []
        for raw in body["choices"]:
            message = raw.get("message") or {}
            parts: list[TextPart | ToolCall] = []
            content = message.get("content")
            if isinstance(content, str) and content:
                parts.append(TextPart(content))
            for call in message.get("tool_calls") or []:
                function = call["function"]
                parts.append(
                    ToolCall(call["id"], function["name"], function.get("arguments") or "")
                )
            finish = _FINISH_IN.get(raw.get("finish_reason") or "stop", "stop")
            choices.append(Choice(int(raw.get("index", len(choices))), parts, finish))
        return ChatResponse(
            id=str(body.get("id") or ""),
            model=str(body.get("model") or ""),
            choices=choices,
            usage=_usage(body.get("usage")),
            created=int(body.get("created") or time.time()),
        )
    except (KeyError, TypeError, AttributeError, ValueError):
        raise UpstreamError("the upstream returned a malformed chat completion") from None


def parse_stream_chunk(chunk: Any) -> list[StreamEvent]:
    """Events carried by one upstream ``chat.completion.chunk``."""
    events: list[StreamEvent] = []
    try:
        for choice in chunk.get("choices") or []:
            index = int(choice.get("index", 0))
            delta = choice.get("delta") or {}
            text = delta.get("content")
            if text:
                events.append(TextDelta(text, index))
            for call in delta.get("tool_calls") or []:
                function = call.get("function") or {}
                events.append(
                    ToolCallDelta(
                        tool_index=int(call.get("index", 0)),
                        arguments=function.get("arguments") or "",
                        id=call.get("id"),
                        name=function.get("name"),
                        index=index,
                    )
                )
            if choice.get("finish_reason"):
                events.append(Finish(_FINISH_IN.get(choice["finish_reason"], "stop"), index))
        if chunk.get("usage"):
            events.append(UsageUpdate(_usage(chunk["usage"])))
    except (TypeError, AttributeError, ValueError):
        raise UpstreamError("the upstream sent a malformed stream chunk") from None
    return events


# --- rendering for the caller --------------------------------------------------


def render_chat_response(response: ChatResponse, model: str, request_id: str) -> dict[str, Any]:
    choices = []
    for choice in response.choices:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": choice.text if any(isinstance(p, TextPart) for p in choice.parts) else None,
            "refusal": None,
        }
        calls = choice.tool_calls
        if calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": c.arguments},
                }
                for c in calls
            ]
        reason = choice.finish_reason or "stop"
        choices.append(
            {
                "index": choice.index,
                "message": message,
                "finish_reason": _FINISH_OUT.get(reason, reason),
                "logprobs": None,
            }
        )
    usage = response.usage
    return {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion",
        "created": response.created or int(time.time()),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens,
        },
    }


class OpenAIStreamRenderer:
    """Turns neutral stream events into ``chat.completion.chunk`` SSE frames."""

    def __init__(self, model: str, request_id: str, include_usage: bool) -> None:
        self._base = {
            "id": f"chatcmpl-{request_id}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self._include_usage = include_usage
        self._started: set[int] = set()

    def _frame(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        chunk = {**self._base, "choices": choices, **extra}
        return b"data: " + orjson.dumps(chunk) + b"\n\n"

    def _delta(self, index: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
        if index not in self._started:
            self._started.add(index)
            delta = {"role": "assistant", **delta}
        return self._frame(
            [{"index": index, "delta": delta, "finish_reason": finish, "logprobs": None}]
        )

    def event(self, event: StreamEvent) -> bytes | None:
        if isinstance(event, TextDelta):
            return self._delta(event.index, {"content": event.text})
        if isinstance(event, ToolCallDelta):
            call: dict[str, Any] = {
                "index": event.tool_index,
                "function": {"arguments": event.arguments},
            }
            if event.id is not None:
                call["id"] = event.id
                call["type"] = "function"
            if event.name is not None:
                call["function"]["name"] = event.name
            return self._delta(event.index, {"tool_calls": [call]})
        if isinstance(event, Finish):
            reason = _FINISH_OUT.get(event.reason, event.reason)
            return self._delta(event.index, {}, reason)
        return None

    def close(self, usage: Usage) -> bytes:
        """The final frames: the usage chunk when the caller asked for it, then ``[DONE]``."""
        tail = b""
        if self._include_usage:
            tail = self._frame(
                [],
                usage={
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "total_tokens": usage.input_tokens + usage.output_tokens,
                },
            )
        return tail + b"data: [DONE]\n\n"

    def error(self, message: str, code: str) -> bytes:
        body = {"error": {"message": message, "type": "server_error", "code": code, "param": None}}
        return b"data: " + orjson.dumps(body) + b"\n\n"
