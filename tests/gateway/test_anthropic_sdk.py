"""The Anthropic SDK against a real gateway, to echo and to both upstream kinds."""

from __future__ import annotations

import json

import anthropic

from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def client(gateway: RunningGateway, key: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=20)


def test_echo_message(gateway: RunningGateway, api_key: str) -> None:
    raw = client(gateway, api_key).messages.with_raw_response.create(
        model="echo", max_tokens=100, messages=[{"role": "user", "content": "Hello, Claude"}]
    )
    message = raw.parse()
    assert message.content[0].type == "text" and message.content[0].text == "Hello, Claude"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 3  # Hello , Claude
    [record] = gateway.audit(raw.headers["x-request-id"])
    assert record.api == "anthropic" and record.status == "success"


def test_echo_stream_full_event_sequence(gateway: RunningGateway, api_key: str) -> None:
    with client(gateway, api_key).messages.stream(
        model="echo", max_tokens=100, messages=[{"role": "user", "content": "stream me please"}]
    ) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
    assert "content_block_start" in kinds and "content_block_stop" in kinds
    assert "message_delta" in kinds
    assert final.content[0].text == "stream me please"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3


def test_max_tokens_stops_with_max_tokens(gateway: RunningGateway, api_key: str) -> None:
    message = client(gateway, api_key).messages.create(
        model="echo", max_tokens=2, messages=[{"role": "user", "content": "one two three"}]
    )
    assert message.stop_reason == "max_tokens"
    assert message.content[0].text == "one two"


def test_anthropic_upstream_with_system_prompt(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = gateway.new_key()
    message = client(gateway, key).messages.create(
        model="claude-ok",
        max_tokens=64,
        system="You are terse.",
        messages=[{"role": "user", "content": "marker-anthropic-3"}],
    )
    assert message.content[0].text == ANSWER_PREFIX + "marker-anthropic-3"
    sent = [b for b in upstream.bodies("claude-ok") if "marker-anthropic-3" in json.dumps(b)][-1]
    assert sent["system"] == "You are terse." and sent["max_tokens"] == 64
    header = upstream.headers[upstream.received.index(sent)]
    assert header["x-api-key"] == "sk-ant-fake-credential-456"
    assert header["anthropic-version"] == "2023-06-01"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (13, 9)


def test_tool_use_round_trip(gateway: RunningGateway, upstream: FakeUpstream) -> None:
    _, key = gateway.new_key()
    sdk = client(gateway, key)
    first = sdk.messages.create(
        model="claude-tools",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "weather in Paris?"}],
    )
    assert first.stop_reason == "tool_use"
    tool_use = next(b for b in first.content if b.type == "tool_use")
    assert tool_use.input == {"city": "Paris"}
    sdk.messages.create(
        model="claude-ok",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": "weather in Paris? marker-tool-4"},
            {"role": "assistant", "content": first.content},
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": tool_use.id, "content": "18C sunny"}
                ],
            },
        ],
    )
    sent = [b for b in upstream.bodies("claude-ok") if "marker-tool-4" in json.dumps(b)][-1]
    assert sent["messages"][1]["content"][1]["type"] == "tool_use"
    assert sent["messages"][2]["content"][0]["tool_use_id"] == "toolu_01"


def test_streamed_tool_use(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    with client(gateway, key).messages.stream(
        model="claude-tools",
        max_tokens=100,
        tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "weather?"}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool_use = next(b for b in final.content if b.type == "tool_use")
    assert tool_use.input == {"city": "Paris"}


def test_models_list_in_anthropic_shape(gateway: RunningGateway) -> None:
    _, key = gateway.new_key(allowed_models=["claude-ok"])
    assert [m.id for m in client(gateway, key).models.list()] == ["claude-ok"]
