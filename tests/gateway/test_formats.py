"""Parsing and rendering both API shapes, including arbitrary (fuzzed) input."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.errors import InvalidRequestError
from ramparts.gateway import anthropic_format, anthropic_stream, openai_format
from ramparts.gateway.types import (
    Finish,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "model",
                    "messages",
                    "role",
                    "content",
                    "type",
                    "text",
                    "tools",
                    "max_tokens",
                    "n",
                    "stream",
                    "tool_calls",
                    "function",
                    "name",
                    "source",
                    "image_url",
                    "url",
                    "system",
                ]
            )
            | st.text(max_size=8),
            children,
            max_size=6,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_openai_parser_never_crashes(body: Any) -> None:
    try:
        openai_format.parse_chat_request(body)
    except InvalidRequestError as exc:
        error = exc
    else:
        return
    assert error.http_status == 400 and error.message


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_anthropic_parser_never_crashes(body: Any) -> None:
    try:
        anthropic_format.parse_messages_request(body)
    except InvalidRequestError as exc:
        error = exc
    else:
        return
    assert error.http_status == 400 and error.message


def _sse_events(raw: bytes) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], orjson.loads(lines["data"])))
    return out


def test_anthropic_renderer_opens_and_closes_blocks_in_order() -> None:
    renderer = anthropic_stream.AnthropicStreamRenderer("m", "rid")
    events: list[StreamEvent] = [
        TextDelta("Let me "),
        TextDelta("check."),
        ToolCallDelta(0, "", "call_1", "lookup"),
        ToolCallDelta(0, '{"q": '),
        ToolCallDelta(0, '"x"}'),
        ToolCallDelta(1, '{"q": "y"}', "call_2", "lookup"),
        Finish("tool_calls"),
    ]
    raw = renderer.start(5) + b"".join(renderer.event(e) or b"" for e in events)
    raw += renderer.close(Usage(5, 12))
    kinds = [kind for kind, _ in _sse_events(raw)]
    assert kinds == [
        "message_start", "ping",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
        "content_block_start", "content_block_delta", "content_block_stop",
        "message_delta", "message_stop",
    ]  # fmt: skip
    parsed = _sse_events(raw)
    assert parsed[6][1]["content_block"] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "lookup",
        "input": {},
    }
    assert parsed[13][1]["delta"]["stop_reason"] == "tool_use"
    assert parsed[13][1]["usage"] == {"input_tokens": 5, "output_tokens": 12}


def test_openai_renderer_marks_the_first_delta_with_the_role() -> None:
    renderer = openai_format.OpenAIStreamRenderer("m", "rid", include_usage=True)
    frames = [
        renderer.event(TextDelta("a")),
        renderer.event(TextDelta("b")),
        renderer.event(Finish("length")),
    ]
    chunks = [orjson.loads(f[6:]) for f in frames if f]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "a"}
    assert chunks[1]["choices"][0]["delta"] == {"content": "b"}
    assert chunks[2]["choices"][0]["finish_reason"] == "length"
    tail = renderer.close(Usage(3, 4)).split(b"\n\n")
    assert orjson.loads(tail[0][6:])["usage"] == {
        "prompt_tokens": 3,
        "completion_tokens": 4,
        "total_tokens": 7,
    }
    assert tail[1] == b"data: [DONE]"


def test_unknown_openai_fields_pass_through_only_to_openai_upstreams() -> None:
    request = openai_format.parse_chat_request(
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "seed": 7, "logprobs": True}
    )
    assert openai_format.build_chat_body(request, "up")["seed"] == 7
    assert "seed" not in anthropic_format.build_messages_body(request, "up")


def test_json_schema_response_format_becomes_an_instruction_for_anthropic() -> None:
    request = openai_format.parse_chat_request(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "x"}],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"schema": {"type": "object"}},
            },
        }
    )
    body = anthropic_format.build_messages_body(request, "up")
    assert "JSON Schema" in body["system"] and '{"type":"object"}' in body["system"]
