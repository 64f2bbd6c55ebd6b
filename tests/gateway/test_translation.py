"""Either client shape reaches any provider: OpenAI callers on Anthropic models and the reverse."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import WEATHER_TOOL as ANTHROPIC_TOOL
from .test_anthropic_sdk import client as anthropic_client
from .test_openai_sdk import WEATHER_TOOL as OPENAI_TOOL
from .test_openai_sdk import client as openai_client


def test_openai_caller_on_anthropic_model(gateway: RunningGateway, upstream: FakeUpstream) -> None:
    _, key = gateway.new_key()
    completion = openai_client(gateway, key).chat.completions.create(
        model="claude-ok",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "marker-x1"},
        ],
        stop=["END"],
        max_tokens=77,
    )
    assert completion.choices[0].message.content == ANSWER_PREFIX + "marker-x1"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (13, 9)
    sent = [b for b in upstream.bodies("claude-ok") if "marker-x1" in json.dumps(b)][-1]
    assert sent["system"] == "Be brief."
    assert sent["stop_sequences"] == ["END"] and sent["max_tokens"] == 77
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "marker-x1"}]}
    ]


def test_openai_caller_streams_from_anthropic_model(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    chunks = list(
        openai_client(gateway, key).chat.completions.create(
            model="claude-ok",
            messages=[{"role": "user", "content": "stream x2"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() == ANSWER_PREFIX + "stream x2"
    assert chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (13, 9)


def test_openai_caller_gets_anthropic_tool_use_as_tool_calls(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    sdk = openai_client(gateway, key)
    completion = sdk.chat.completions.create(
        model="claude-tools",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[OPENAI_TOOL],
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content == "Let me check."
    call = choice.message.tool_calls[0]
    assert call.id == "toolu_01" and json.loads(call.function.arguments) == {"city": "Paris"}
    streamed_args = ""
    finish = None
    for chunk in sdk.chat.completions.create(
        model="claude-tools",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[OPENAI_TOOL],
        stream=True,
    ):
        for c in chunk.choices:
            for tool_call in c.delta.tool_calls or []:
                streamed_args += tool_call.function.arguments or ""
            finish = c.finish_reason or finish
    assert json.loads(streamed_args) == {"city": "Paris"} and finish == "tool_calls"


def test_openai_tool_results_become_anthropic_tool_result_blocks(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = gateway.new_key()
    openai_client(gateway, key).chat.completions.create(
        model="claude-ok",
        messages=[
            {"role": "user", "content": "weather? marker-x3"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
        ],
        tools=[OPENAI_TOOL],
        tool_choice="required",
    )
    sent = [b for b in upstream.bodies("claude-ok") if "marker-x3" in json.dumps(b)][-1]
    assert sent["messages"][1]["content"][0] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "get_weather",
        "input": {"city": "Oslo"},
    }
    result = sent["messages"][2]["content"][0]
    assert result["type"] == "tool_result" and result["tool_use_id"] == "call_1"
    assert sent["tool_choice"] == {"type": "any"}
    assert sent["tools"][0]["input_schema"] == OPENAI_TOOL["function"]["parameters"]


def test_anthropic_caller_on_openai_model(gateway: RunningGateway, upstream: FakeUpstream) -> None:
    _, key = gateway.new_key()
    message = anthropic_client(gateway, key).messages.create(
        model="gpt-ok",
        max_tokens=40,
        system="Answer in French.",
        messages=[{"role": "user", "content": "marker-x4"}],
    )
    assert message.content[0].text == ANSWER_PREFIX + "marker-x4"
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 7)
    sent = [b for b in upstream.bodies("gpt-ok") if "marker-x4" in json.dumps(b)][-1]
    assert sent["messages"][0] == {"role": "system", "content": "Answer in French."}
    assert sent["max_tokens"] == 40


def test_anthropic_caller_streams_openai_tool_calls(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    with anthropic_client(gateway, key).messages.stream(
        model="gpt-tools",
        max_tokens=100,
        tools=[ANTHROPIC_TOOL],
        messages=[{"role": "user", "content": "weather?"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool_use = next(b for b in final.content if b.type == "tool_use")
    assert tool_use.id == "call_abc123"
    assert tool_use.input == {"city": "Paris"}
    assert final.usage.output_tokens == 7


def test_anthropic_caller_streams_text_from_openai_model(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    with anthropic_client(gateway, key).messages.stream(
        model="gpt-ok", max_tokens=100, messages=[{"role": "user", "content": "x5 words"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.strip() == ANSWER_PREFIX + "x5 words"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 7)


def test_anthropic_image_reaches_openai_upstream_as_data_url(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = gateway.new_key()
    anthropic_client(gateway, key).messages.create(
        model="gpt-ok",
        max_tokens=10,
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": "image/png",
                            "data": "iVBORw0KGgo=",
                        },
                    },
                    {"type": "text", "text": "marker-x6"},
                ],
            }
        ],
    )
    sent = [b for b in upstream.bodies("gpt-ok") if "marker-x6" in json.dumps(b)][-1]
    parts = sent["messages"][0]["content"]
    assert parts[0] == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="},
    }


def test_errors_keep_the_callers_shape_across_providers(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    with pytest.raises(anthropic.BadRequestError) as anthropic_error:
        anthropic_client(gateway, key).messages.create(
            model="gpt-400", max_tokens=10, messages=[{"role": "user", "content": "x"}]
        )
    body = anthropic_error.value.body
    assert body["type"] == "error"
    assert "max_tokens is too large" in body["error"]["message"]
    with pytest.raises(openai.BadRequestError) as openai_error:
        openai_client(gateway, key).chat.completions.create(
            model="gpt-400", messages=[{"role": "user", "content": "x"}]
        )
    assert openai_error.value.code == "upstream_rejected"


def test_text_documents_reach_both_kinds_of_upstream(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = gateway.new_key()
    document = {
        "type": "document",
        "title": "notes.txt",
        "source": {"type": "text", "media_type": "text/plain", "data": "marker-doc-1 the notes"},
    }
    for model in ("claude-ok", "gpt-ok"):
        anthropic_client(gateway, key).messages.create(
            model=model,
            max_tokens=10,
            messages=[
                {"role": "user", "content": [document, {"type": "text", "text": "summarise"}]}
            ],
        )
    to_anthropic = [b for b in upstream.bodies("claude-ok") if "marker-doc-1" in json.dumps(b)][-1]
    assert to_anthropic["messages"][0]["content"][0] == {**document}
    to_openai = [b for b in upstream.bodies("gpt-ok") if "marker-doc-1" in json.dumps(b)][-1]
    assert "[Document: notes.txt]\nmarker-doc-1 the notes" in to_openai["messages"][0]["content"]
    pdf = {
        **document,
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
    }
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client(gateway, key).messages.create(
            model="gpt-ok", max_tokens=10, messages=[{"role": "user", "content": [pdf]}]
        )
    assert "only plain-text documents" in caught.value.body["error"]["message"]
