"""The OpenAI SDK against a real gateway, to the echo model and to both upstream kinds."""

from __future__ import annotations

import json

import openai
import pytest

from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def client(gateway: RunningGateway, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0, timeout=20)


def test_echo_answers_with_the_text_it_received(gateway: RunningGateway, api_key: str) -> None:
    raw = client(gateway, api_key).chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": "Hello, Ramparts"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Hello, Ramparts"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "echo"
    assert (
        completion.usage is not None and completion.usage.completion_tokens == 3
    )  # Hello , Ramparts
    request_id = raw.headers["x-request-id"]
    [record] = gateway.audit(request_id)
    assert (record.status, record.http_status, record.model, record.provider) == (
        "success",
        200,
        "echo",
        "local",
    )
    assert record.api == "openai" and record.output_tokens == 3


def test_echo_streams_the_same_text_with_usage(gateway: RunningGateway, api_key: str) -> None:
    stream = client(gateway, api_key).chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "one two three four"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "one two three four"
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
    assert chunks[-1].choices == []


def test_stream_without_include_usage_sends_no_usage_chunk(
    gateway: RunningGateway, api_key: str
) -> None:
    chunks = list(
        client(gateway, api_key).chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "hi"}], stream=True
        )
    )
    assert all(c.usage is None for c in chunks)


def test_openai_upstream_gets_the_request_and_usage_is_metered(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tenant, key = gateway.new_key()
    raw = client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "marker-openai-1"},
        ],
        temperature=0.2,
        max_tokens=50,
        response_format={"type": "json_object"},
        n=2,
    )
    completion = raw.parse()
    assert [c.message.content for c in completion.choices] == [
        ANSWER_PREFIX + "marker-openai-1"
    ] * 2
    sent = [b for b in upstream.bodies("gpt-ok") if "marker-openai-1" in json.dumps(b)][-1]
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent["n"] == 2 and sent["temperature"] == 0.2 and sent["max_tokens"] == 50
    assert sent["response_format"] == {"type": "json_object"}
    header = upstream.headers[upstream.received.index(sent)]
    assert header["Authorization"] == "Bearer sk-fake-openai-credential-123"
    [record] = gateway.audit(raw.headers["x-request-id"])
    assert (record.input_tokens, record.output_tokens) == (11, 7)
    assert record.cost_usd == pytest.approx((11 * 1.0 + 7 * 2.0) / 1e6)
    assert record.tenant_id == tenant


def test_image_parts_reach_the_upstream(gateway: RunningGateway, upstream: FakeUpstream) -> None:
    _, key = gateway.new_key()
    content = [
        {"type": "text", "text": "marker-image-2 what is this?"},
        {
            "type": "image_url",
            "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
        },
    ]
    client(gateway, key).chat.completions.create(
        model="gpt-ok",
        messages=[{"role": "user", "content": content}],
    )
    sent = [b for b in upstream.bodies("gpt-ok") if "marker-image-2" in json.dumps(b)][-1]
    assert sent["messages"][0]["content"][1] == content[1]


def test_tool_calls_round_trip_openai_upstream(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    messages = [{"role": "user", "content": "weather in Paris?"}]
    completion = client(gateway, key).chat.completions.create(
        model="gpt-tools",
        messages=messages,
        tools=[WEATHER_TOOL],
    )
    call = completion.choices[0].message.tool_calls[0]
    assert completion.choices[0].finish_reason == "tool_calls"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_abc123",
        "get_weather",
        {"city": "Paris"},
    )


def test_streamed_tool_call_arguments_arrive_whole(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    stream = client(gateway, key).chat.completions.create(
        model="gpt-tools",
        messages=[{"role": "user", "content": "weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    arguments = ""
    names = []
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                arguments += call.function.arguments or ""
                if call.function and call.function.name:
                    names.append(call.function.name)
            finish = choice.finish_reason or finish
    assert names == ["get_weather"] and json.loads(arguments) == {"city": "Paris"}
    assert finish == "tool_calls"


def test_embeddings_from_echo_and_upstream(gateway: RunningGateway, api_key: str) -> None:
    sdk = client(gateway, api_key)
    local = sdk.embeddings.create(model="echo-embed", input=["a", "b", "a"])
    vectors = [d.embedding for d in local.data]
    assert len(vectors) == 3 and len(vectors[0]) == 64
    assert vectors[0] == vectors[2] != vectors[1]
    remote = sdk.embeddings.create(model="gpt-embed", input="hello")
    assert remote.data[0].embedding == pytest.approx([0.1, 0.2, 0.3])
    assert remote.usage.prompt_tokens == 5


def test_models_lists_only_what_the_key_may_use(gateway: RunningGateway) -> None:
    _, everything = gateway.new_key()
    _, limited = gateway.new_key(allowed_models=["echo", "gpt-ok"])
    all_ids = {m.id for m in client(gateway, everything).models.list()}
    assert {"echo", "gpt-ok", "claude-ok"} <= all_ids
    assert {m.id for m in client(gateway, limited).models.list()} == {"echo", "gpt-ok"}
