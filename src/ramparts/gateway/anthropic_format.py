"""The Anthropic Messages shape: parse it into the neutral model and render it back.

Used both ways: for callers of ``/v1/messages`` and for the ``anthropic`` provider.
"""

from __future__ import annotations

from typing import Any

import orjson

from ramparts.errors import InvalidRequestError, UpstreamError
from ramparts.gateway import validate as v
from ramparts.gateway.openai_format import reported_tokens
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    Choice,
    DocumentPart,
    FinishReason,
    ImagePart,
    Message,
    Part,
    TextPart,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)

KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "system",
        "max_tokens",
        "tools",
        "tool_choice",
        "temperature",
        "top_p",
        "stop_sequences",
        "stream",
        "metadata",
    }
)
DEFAULT_MAX_TOKENS = 4096
FINISH_IN: dict[str, FinishReason] = {
    "end_turn": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "stop_sequence": "stop_sequence",
    "refusal": "content_filter",
}
FINISH_OUT = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "stop_sequence": "stop_sequence",
    "content_filter": "refusal",
}


# --- inbound: Anthropic body -> ChatRequest -----------------------------------


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = v.as_object(block.get("source"), f"{where}.source")
    if source.get("type") == "base64":
        return ImagePart(
            data=v.require(source, "data", str, f"{where}.source."),
            media_type=v.require(source, "media_type", str, f"{where}.source."),
        )
    if source.get("type") == "url":
        return ImagePart(url=v.require(source, "url", str, f"{where}.source."))
    raise InvalidRequestError(
        f"'{where}.source.type' must be 'base64' or 'url'", param=f"{where}.source.type"
    )


def _document(block: dict[str, Any], where: str) -> DocumentPart:
    source = v.as_object(block.get("source"), f"{where}.source")
    if source.get("type") != "text":
        raise InvalidRequestError(
            f"'{where}.source.type' must be 'text': only plain-text documents are supported",
            param=f"{where}.source.type",
        )
    return DocumentPart(
        v.require(source, "data", str, f"{where}.source."), v.optional(block, "title", str)
    )


def _simple_blocks(content: Any, where: str) -> list[TextPart | ImagePart]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise InvalidRequestError(f"'{where}' must be a string or an array of blocks", param=where)
    parts: list[TextPart | ImagePart] = []
    for i, raw in enumerate(content):
        block = v.as_object(raw, f"{where}[{i}]")
        if block.get("type") == "text":
            parts.append(TextPart(v.require(block, "text", str, f"{where}[{i}].")))
        elif block.get("type") == "image":
            parts.append(_image(block, f"{where}[{i}]"))
        else:
            raise InvalidRequestError(
                f"unsupported block type {block.get('type')!r} at '{where}[{i}]'"
                " (supported here: text, image)",
                param=f"{where}[{i}].type",
            )
    return parts


def _blocks(content: Any, where: str) -> list[Part]:
    if isinstance(content, str):
        return [TextPart(content)]
    if not isinstance(content, list):
        raise InvalidRequestError(f"'{where}' must be a string or an array of blocks", param=where)
    parts: list[Part] = []
    for i, raw in enumerate(content):
        here = f"{where}[{i}]"
        block = v.as_object(raw, here)
        kind = block.get("type")
        if kind == "text":
            parts.append(TextPart(v.require(block, "text", str, f"{here}.")))
        elif kind == "image":
            parts.append(_image(block, here))
        elif kind == "document":
            parts.append(_document(block, here))
        elif kind == "tool_use":
            arguments = orjson.dumps(block.get("input") or {}).decode()
            parts.append(
                ToolCall(
                    v.require(block, "id", str, f"{here}."),
                    v.require(block, "name", str, f"{here}."),
                    arguments,
                )
            )
        elif kind == "tool_result":
            inner = block.get("content")
            parts.append(
                ToolResult(
                    v.require(block, "tool_use_id", str, f"{here}."),
                    [] if inner is None else _simple_blocks(inner, f"{here}.content"),
                    bool(block.get("is_error")),
                )
            )
        else:
            raise InvalidRequestError(
                f"unsupported block type {kind!r} at '{here}'"
                " (supported: text, image, document, tool_use, tool_result)",
                param=f"{here}.type",
            )
    return parts


def _parse_tools(raw: Any) -> list[ToolSpec]:
    return [
        ToolSpec(
            name=v.require(tool, "name", str, f"{here}."),
            description=v.optional(tool, "description", str),
            parameters=v.require(tool, "input_schema", dict, f"{here}."),
        )
        for here, tool in v.objects(raw, "tools")
    ]


def _parse_tool_choice(raw: Any) -> tuple[str | dict[str, str] | None, bool | None]:
    if raw is None:
        return None, None
    choice = v.as_object(raw, "tool_choice")
    kind = choice.get("type")
    parallel = False if choice.get("disable_parallel_tool_use") else None
    if kind == "auto":
        return "auto", parallel
    if kind == "any":
        return "required", parallel
    if kind == "none":
        return "none", parallel
    if kind == "tool":
        return {"name": v.require(choice, "name", str, "tool_choice.")}, parallel
    raise InvalidRequestError(
        "'tool_choice.type' must be one of auto, any, tool, none", param="tool_choice.type"
    )


def parse_messages_request(body: Any) -> ChatRequest:
    """Validate an Anthropic Messages body and turn it into a :class:`ChatRequest`."""
    body = v.as_object(body, "body")
    model = v.require(body, "model", str)
    max_tokens = v.require(body, "max_tokens", int)
    if max_tokens < 1:
        raise InvalidRequestError("'max_tokens' must be at least 1", param="max_tokens")
    raw_messages = v.require(body, "messages", list)
    if not raw_messages:
        raise InvalidRequestError("'messages' must not be empty", param="messages")
    messages = []
    for i, raw in enumerate(raw_messages):
        message = v.as_object(raw, f"messages[{i}]")
        role = v.require(message, "role", str, f"messages[{i}].")
        if role not in ("user", "assistant"):
            raise InvalidRequestError(
                f"'messages[{i}].role' must be 'user' or 'assistant'; got {role!r}",
                param=f"messages[{i}].role",
            )
        content: Any = message.get("content")
        if content is None:
            raise InvalidRequestError(
                f"missing required parameter 'messages[{i}].content'",
                param=f"messages[{i}].content",
            )
        messages.append(
            Message(
                "user" if role == "user" else "assistant",
                _blocks(content, f"messages[{i}].content"),
            )
        )
    system_raw = body.get("system")
    system = [
        p
        for p in ([] if system_raw is None else _simple_blocks(system_raw, "system"))
        if isinstance(p, TextPart)
    ]
    tool_choice, parallel = _parse_tool_choice(body.get("tool_choice"))
    metadata = v.optional(body, "metadata", dict) or {}
    return ChatRequest(
        model=model,
        messages=messages,
        system=system,
        tools=_parse_tools(body.get("tools")),
        tool_choice=tool_choice,
        parallel_tool_calls=parallel,
        max_tokens=max_tokens,
        temperature=v.number(body, "temperature", 0.0, 1.0),
        top_p=v.number(body, "top_p", 0.0, 1.0),
        stop=v.string_list(body.get("stop_sequences"), "stop_sequences", 64),
        stream=bool(v.optional(body, "stream", bool)),
        include_usage=True,
        user=metadata.get("user_id") if isinstance(metadata.get("user_id"), str) else None,
        extra={k: val for k, val in body.items() if k not in KNOWN_FIELDS},
        shape="anthropic",
    )


# --- outbound: ChatRequest -> Anthropic body -----------------------------------


def _render_image(part: ImagePart) -> dict[str, Any]:
    source: dict[str, Any]
    if part.data is not None:
        source = {"type": "base64", "media_type": part.media_type or "image/png", "data": part.data}
    else:
        source = {"type": "url", "url": part.url}
    return {"type": "image", "source": source}


def _render_block(part: Part) -> dict[str, Any]:
    if isinstance(part, DocumentPart):
        document: dict[str, Any] = {
            "type": "document",
            "source": {"type": "text", "media_type": "text/plain", "data": part.text},
        }
        if part.title:
            document["title"] = part.title
        return document
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return _render_image(part)
    if isinstance(part, ToolCall):
        try:
            arguments = orjson.loads(part.arguments or "{}")
        except orjson.JSONDecodeError:
            raise InvalidRequestError(
                f"tool call '{part.id}' has arguments that are not JSON;"
                " Anthropic models need JSON",
                param="messages",
            ) from None
        return {"type": "tool_use", "id": part.id, "name": part.name, "input": arguments}
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": part.tool_call_id,
        "content": [_render_block(p) for p in part.parts],
    }
    if part.is_error:
        block["is_error"] = True
    return block


def _json_instruction(response_format: dict[str, Any]) -> str | None:
    kind = response_format.get("type")
    if kind == "json_object":
        return "Respond with a single valid JSON object and nothing else."
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema", {})
        return (
            "Respond with a single valid JSON value that matches this JSON Schema, and nothing"
            " else:\n" + orjson.dumps(schema).decode()
        )
    return None


def build_messages_body(request: ChatRequest, upstream_model: str) -> dict[str, Any]:
    """The body to send the Anthropic Messages API for ``request``."""
    if request.n != 1:
        raise InvalidRequestError(
            "'n' greater than 1 is not supported by Anthropic models", param="n"
        )
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        blocks = [_render_block(p) for p in message.parts]
        if not blocks:
            continue
        if messages and messages[-1]["role"] == message.role:
            messages[-1]["content"].extend(blocks)  # Anthropic wants alternating turns
        else:
            messages.append({"role": message.role, "content": blocks})
    body: dict[str, Any] = dict(request.extra) if request.shape == "anthropic" else {}
    body["model"] = upstream_model
    body["messages"] = messages
    body["max_tokens"] = request.max_tokens or DEFAULT_MAX_TOKENS
    system = [p.text for p in request.system]
    if request.response_format and (instruction := _json_instruction(request.response_format)):
        system.append(instruction)
    if system:
        body["system"] = "\n\n".join(system)
    if request.tools:
        body["tools"] = [
            {
                "name": t.name,
                **({"description": t.description} if t.description else {}),
                "input_schema": t.parameters,
            }
            for t in request.tools
        ]
    choice = request.tool_choice
    if choice is not None or request.parallel_tool_calls is False:
        if isinstance(choice, dict):
            rendered: dict[str, Any] = {"type": "tool", "name": choice["name"]}
        else:
            rendered = {"type": {"required": "any"}.get(choice or "auto", choice or "auto")}
        if request.parallel_tool_calls is False and rendered["type"] != "none":
            rendered["disable_parallel_tool_use"] = True
        body["tool_choice"] = rendered
    if request.temperature is not None:
        body["temperature"] = min(request.temperature, 1.0)
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = request.stop
    if request.user:
        body["metadata"] = {"user_id": request.user}
    if request.stream:
        body["stream"] = True
    return body


# --- upstream Anthropic body -> ChatResponse / events ---------------------------


def parse_messages_response(body: Any) -> ChatResponse:
    try:
        parts: list[TextPart | ToolCall] = []
        for block in body["content"]:
            if block["type"] == "text":
                parts.append(TextPart(block["text"]))
            elif block["type"] == "tool_use":
                parts.append(
                    ToolCall(
                        block["id"], block["name"], orjson.dumps(block.get("input") or {}).decode()
                    )
                )
        usage = body.get("usage") or {}
        finish = FINISH_IN.get(body.get("stop_reason") or "end_turn", "stop")
        return ChatResponse(
            id=str(body.get("id") or ""),
            model=str(body.get("model") or ""),
            choices=[Choice(0, parts, finish, body.get("stop_sequence"))],
            usage=Usage(
                reported_tokens(usage.get("input_tokens")),
                reported_tokens(usage.get("output_tokens")),
            ),
        )
    except (KeyError, TypeError, AttributeError, ValueError):
        raise UpstreamError("the upstream returned a malformed message") from None


# --- rendering for the caller --------------------------------------------------


def render_messages_response(response: ChatResponse, model: str, request_id: str) -> dict[str, Any]:
    choice = response.choices[0] if response.choices else Choice(0, [], "stop")
    content: list[dict[str, Any]] = []
    for part in choice.parts:
        if isinstance(part, TextPart):
            content.append({"type": "text", "text": part.text})
        else:
            content.append(
                {
                    "type": "tool_use",
                    "id": part.id,
                    "name": part.name,
                    "input": _loads(part.arguments),
                }
            )
    reason = choice.finish_reason or "stop"
    return {
        "id": f"msg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": FINISH_OUT.get(reason, "end_turn"),
        "stop_sequence": choice.stop_sequence,
        "usage": {
            "input_tokens": response.usage.input_tokens,
            "output_tokens": response.usage.output_tokens,
        },
    }


def _loads(arguments: str) -> Any:
    try:
        return orjson.loads(arguments or "{}")
    except orjson.JSONDecodeError:
        return {"_raw_arguments": arguments}
