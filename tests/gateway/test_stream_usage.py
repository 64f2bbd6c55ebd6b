"""Usage the upstream never reported is estimated, metered and marked so in the audit.

A stream cut by the output guard, left by its client, or failed by its upstream ends
before the upstream's usage; some upstreams leave usage out altogether. The upstream
was paid all the same, so the gateway estimates each missing direction (the prompt as
sent, the output as received) and the audit's ``guardrails.usage`` says which it
estimated. Through the official SDKs, a real ``ramparts serve`` and a scripted upstream.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import httpx2
import openai
import pytest
from aiohttp import web

from ramparts.gateway.types import (
    ChatRequest,
    Message,
    TextDelta,
    TextPart,
    ToolCallDelta,
    Usage,
    UsageUpdate,
)
from ramparts.gateway.usage import StreamMeter, count_tokens
from ramparts.store.models import AuditRecord

from .conftest import RunningGateway, sqlite_gateway
from .test_anthropic_sdk import client as anthropic_client
from .test_guardrails import QUIET, tenant_with_policy
from .test_openai_sdk import client as openai_client
from .test_review5_guardrails import CANARY, ScriptedUpstream

EMAIL = "bob@example.com"
POLICY = (
    QUIET
    + "rules:\n  - {id: redact-email, match: {detectors: [email]}, action: redact}\n"
    + f"guards:\n  output: {{window_tokens: 16, canaries: [{CANARY}]}}\n"
)
PROMPT = f"Write to {EMAIL} about the tides, at length please."
WORDS = [f"wave{i} " for i in range(30)]
OPENAI_USAGE = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
PRICES = {"gpt-ok": (1.0, 2.0), "claude-ok": (3.0, 15.0)}  # per million, in gateway_config


class PacedUpstream(ScriptedUpstream):
    """A scripted upstream whose streams may pause (a float in the script, in seconds),
    as a model generating slowly does. Keeps the body of each request it answers."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        super().__init__()

    async def _answer(self, request: web.Request, shape: str) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        answer = self.script[shape](body)
        if isinstance(answer, dict):
            return web.json_response(answer)
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        try:
            for event in answer:
                if isinstance(event, float):
                    await asyncio.sleep(event)
                elif shape == "anthropic":
                    await response.write(
                        f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
                    )
                else:
                    await response.write(f"data: {json.dumps(event)}\n\n".encode())
            if shape == "openai":
                await response.write(b"data: [DONE]\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the gateway hung up
        return response


@pytest.fixture(scope="module")
def paced(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningGateway, PacedUpstream]]:
    tmp = tmp_path_factory.mktemp("stream-usage")
    upstream = PacedUpstream()
    try:
        with sqlite_gateway(tmp, "usage", upstream.port) as gateway:
            yield gateway, upstream
    finally:
        upstream.stop()


# --- upstream answers ------------------------------------------------------------------


def openai_chunk(
    content: str | None = None, finish: str | None = None, index: int = 0
) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-ok",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def openai_tool_chunk(arguments: str, name: str | None = None) -> dict[str, Any]:
    call: dict[str, Any] = {"index": 0, "function": {"arguments": arguments}}
    if name is not None:
        call.update(id="call_1", type="function")
        call["function"]["name"] = name
    chunk = openai_chunk()
    chunk["choices"][0]["delta"] = {"tool_calls": [call]}
    return chunk


def openai_stream(words: list[str], pause: float = 0.0) -> list[Any]:
    """The words, then a finish and the upstream's usage."""
    events: list[Any] = []
    for word in words:
        events += [openai_chunk(word), pause] if pause else [openai_chunk(word)]
    usage = {**openai_chunk(), "choices": [], "usage": OPENAI_USAGE}
    return [*events, openai_chunk(finish="stop"), usage]


def anthropic_head() -> list[Any]:
    message: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-ok",
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        # The input is known at the start; the output here is a running count, not final.
        "usage": {"input_tokens": 13, "output_tokens": 1},
    }
    block = {"type": "text", "text": ""}
    return [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": block},
    ]


def anthropic_text(word: str) -> dict[str, Any]:
    delta = {"type": "text_delta", "text": word}
    return {"type": "content_block_delta", "index": 0, "delta": delta}


def anthropic_stream(words: list[str], pause: float = 0.0) -> list[Any]:
    events = anthropic_head()
    for word in words:
        events += [anthropic_text(word), pause] if pause else [anthropic_text(word)]
    end = {"stop_reason": "end_turn", "stop_sequence": None}
    return [
        *events,
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": end, "usage": {"output_tokens": 9}},
        {"type": "message_stop"},
    ]


# --- helpers ---------------------------------------------------------------------------


def only_record(gateway: RunningGateway, tenant: str, timeout: float = 15.0) -> AuditRecord:
    deadline = time.monotonic() + timeout
    while not (records := gateway.tenant_audit(tenant)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = records
    return record


def sent_prompt_tokens(upstream: PacedUpstream) -> int:
    """The estimate for the last request's prompt, as the upstream received it."""
    [message] = upstream.bodies[-1]["messages"]
    content = message["content"]
    text = content if isinstance(content, str) else "".join(b["text"] for b in content)
    return count_tokens(text)


def cost(model: str, record: AuditRecord) -> float:
    price_in, price_out = PRICES[model]
    return (record.input_tokens * price_in + record.output_tokens * price_out) / 1e6


def assert_estimated(record: AuditRecord, model: str, *, input_from_upstream: bool) -> None:
    assert record.input_tokens > 0 and record.output_tokens > 0
    assert record.guardrails["usage"] == {
        "estimated": True,
        "input": "upstream" if input_from_upstream else "estimated",
        "output": "estimated",
    }
    assert record.cost_usd == pytest.approx(cost(model, record))


# --- the upstream reported usage: kept exactly, not marked ---------------------------


def test_a_whole_stream_keeps_the_upstreams_usage(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["openai"] = lambda body: openai_stream(WORDS)
    stream = openai_client(gateway, key).chat.completions.create(
        model="gpt-ok", messages=[{"role": "user", "content": PROMPT}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "".join(WORDS)
    record = only_record(gateway, tenant)
    assert (record.input_tokens, record.output_tokens) == (11, 7)
    assert "usage" not in record.guardrails

    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["anthropic"] = lambda body: anthropic_stream(WORDS)
    with anthropic_client(gateway, key).messages.stream(
        model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    ) as answer:
        assert "".join(answer.text_stream) == "".join(WORDS)
    record = only_record(gateway, tenant)
    assert (record.input_tokens, record.output_tokens) == (13, 9)
    assert "usage" not in record.guardrails
    assert record.cost_usd == pytest.approx((13 * 3.0 + 9 * 15.0) / 1e6)


# --- (a) the output guard cuts the stream ------------------------------------------------


def test_an_openai_stream_cut_by_the_guard_is_metered_by_estimate(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["openai"] = lambda body: openai_stream([*WORDS[:10], f"{CANARY} ", *WORDS[10:]])
    chunks = list(
        openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
    )
    received = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert chunks[-1].choices[0].finish_reason == "content_filter"
    record = only_record(gateway, tenant)
    assert record.status == "blocked"
    assert_estimated(record, "gpt-ok", input_from_upstream=False)
    # The prompt as sent: the address went upstream as a placeholder.
    assert record.input_tokens == sent_prompt_tokens(upstream) != count_tokens(PROMPT)
    # What the upstream sent, the withheld canary included, up to where it was stopped.
    assert (
        count_tokens(received) < count_tokens("".join(WORDS[:10]) + CANARY) <= record.output_tokens
    )
    assert record.output_tokens < count_tokens("".join(WORDS) + CANARY)
    metrics = httpx2.get(gateway.url + "/metrics").text
    series = {
        line.split(f'tenant="{tenant}"')[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if f'tenant="{tenant}"' in line and line.startswith("ramparts_")
    }
    assert (
        series['ramparts_tokens_total{direction="output",model="gpt-ok",'] == record.output_tokens
    )
    assert series['ramparts_estimated_tokens_total{direction="input",model="gpt-ok",'] == (
        record.input_tokens
    )
    assert series['ramparts_cost_usd_total{model="gpt-ok",'] == pytest.approx(record.cost_usd)


def test_an_anthropic_stream_cut_by_the_guard_keeps_the_reported_input(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["anthropic"] = lambda body: anthropic_stream(
        [*WORDS[:10], f"{CANARY} ", *WORDS[10:]]
    )
    with anthropic_client(gateway, key).messages.stream(
        model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    ) as answer:
        received = "".join(answer.text_stream)
        final = answer.get_final_message()
    assert final.stop_reason == "refusal"
    record = only_record(gateway, tenant)
    assert record.status == "blocked"
    assert_estimated(record, "claude-ok", input_from_upstream=True)
    assert record.input_tokens == 13  # from message_start; its output count was not final
    assert (
        count_tokens(received) < count_tokens("".join(WORDS[:10]) + CANARY) <= record.output_tokens
    )
    assert final.usage.output_tokens == record.output_tokens  # the caller is told the same


# --- (b) the client disconnects ------------------------------------------------------


@pytest.mark.parametrize("shape", ["openai", "anthropic"])
def test_a_client_leaving_mid_stream_is_metered_by_estimate(
    paced: tuple[RunningGateway, PacedUpstream], shape: str
) -> None:
    gateway, upstream = paced
    tenant, key = gateway.new_key()
    words = [f"swell{i} " for i in range(300)]
    received = ""
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    if shape == "openai":
        upstream.script["openai"] = lambda body: openai_stream(words, pause=0.02)
        stream = openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=messages, stream=True
        )
        for chunk in stream:
            received += chunk.choices[0].delta.content or ""
            if received.count("swell") >= 3:
                break
        stream.close()
    else:
        upstream.script["anthropic"] = lambda body: anthropic_stream(words, pause=0.02)
        with anthropic_client(gateway, key).messages.stream(
            model="claude-ok", max_tokens=100, messages=messages
        ) as answer:
            for text in answer.text_stream:
                received += text
                if received.count("swell") >= 3:
                    break
    record = only_record(gateway, tenant)
    assert record.status == "client_disconnected"
    model = "gpt-ok" if shape == "openai" else "claude-ok"
    assert_estimated(record, model, input_from_upstream=shape == "anthropic")
    if shape == "openai":
        assert record.input_tokens == sent_prompt_tokens(upstream) == count_tokens(PROMPT)
    assert count_tokens(received) <= record.output_tokens < count_tokens("".join(words))


# --- (c) the upstream fails mid-stream -------------------------------------------------


def test_an_upstream_failing_mid_stream_is_metered_by_estimate(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = gateway.new_key()
    arguments = '{"city": "Paris", "days": 3}'
    upstream.script["openai"] = lambda body: [
        *(openai_chunk(word) for word in WORDS[:5]),
        openai_tool_chunk("", name="get_weather"),
        *(openai_tool_chunk(arguments[i : i + 4]) for i in range(0, len(arguments), 4)),
        {"error": {"message": "overloaded", "type": "server_error"}},
    ]
    with pytest.raises(openai.APIError):
        for _ in openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": PROMPT}], stream=True
        ):
            pass
    record = only_record(gateway, tenant)
    assert record.status == "upstream_error"
    assert_estimated(record, "gpt-ok", input_from_upstream=False)
    # Every word and the tool call's name and arguments, split anywhere, counted as whole.
    expected = count_tokens("".join(WORDS[:5])) + count_tokens(f"get_weather {arguments}")
    assert (record.input_tokens, record.output_tokens) == (count_tokens(PROMPT), expected)

    tenant, key = gateway.new_key()
    failing = {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    upstream.script["anthropic"] = lambda body: [
        *anthropic_head(),
        *(anthropic_text(word) for word in WORDS[:5]),
        failing,
    ]
    with (
        pytest.raises(anthropic.APIError),
        anthropic_client(gateway, key).messages.stream(
            model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
        ) as answer,
    ):
        "".join(answer.text_stream)
    record = only_record(gateway, tenant)
    assert record.status == "upstream_error"
    assert_estimated(record, "claude-ok", input_from_upstream=True)
    assert (record.input_tokens, record.output_tokens) == (13, count_tokens("".join(WORDS[:5])))


# --- (d) several choices, some cut --------------------------------------------------------


def two_choices(leaky: list[int], usage: bool) -> list[Any]:
    """Choices 0 and 1 stream the same words in turn; those in ``leaky`` leak the canary."""
    events = []
    for position, word in enumerate(WORDS[:12]):
        for index in (0, 1):
            text = f"{CANARY} " if position == 6 and index in leaky else word
            events.append(openai_chunk(text, index=index))
    events += [openai_chunk(finish="stop", index=i) for i in (0, 1)]
    if usage:
        events.append({**openai_chunk(), "choices": [], "usage": OPENAI_USAGE})
    return events


def test_a_partly_cut_stream_counts_every_choice_the_upstream_sent(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["openai"] = lambda body: two_choices(leaky=[1], usage=False)
    finishes = {
        choice.index: choice.finish_reason
        for chunk in openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": PROMPT}], n=2, stream=True
        )
        for choice in chunk.choices
        if choice.finish_reason
    }
    assert finishes == {0: "stop", 1: "content_filter"}
    record = only_record(gateway, tenant)
    assert record.status == "success"
    assert_estimated(record, "gpt-ok", input_from_upstream=False)
    # The cut choice's text after the cut was still generated and sent by the upstream.
    sent = [e["choices"][0]["delta"].get("content", "") for e in two_choices([1], usage=False)]
    assert record.output_tokens == count_tokens(" ".join(sent))


def test_a_stream_whose_choices_are_all_cut_never_reads_the_upstreams_usage(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    tenant, key = tenant_with_policy(gateway, POLICY)
    upstream.script["openai"] = lambda body: two_choices(leaky=[0, 1], usage=True)
    chunks = list(
        openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": PROMPT}], n=2, stream=True
        )
    )
    assert {c.choices[0].finish_reason for c in chunks if c.choices} >= {"content_filter"}
    record = only_record(gateway, tenant)
    assert record.status == "blocked"
    assert_estimated(record, "gpt-ok", input_from_upstream=False)
    assert record.output_tokens >= 2 * count_tokens("".join(WORDS[:6]) + CANARY)


# --- whole answers without usage ----------------------------------------------------------


def test_whole_answers_without_usage_are_estimated(
    paced: tuple[RunningGateway, PacedUpstream],
) -> None:
    gateway, upstream = paced
    text, arguments = "".join(WORDS), '{"city": "Paris"}'
    tenant, key = gateway.new_key()
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }
    upstream.script["openai"] = lambda body: {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-ok",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "tool_calls": [call]},
                "finish_reason": "tool_calls",
            }
        ],
    }
    completion = openai_client(gateway, key).chat.completions.create(
        model="gpt-ok", messages=[{"role": "user", "content": PROMPT}]
    )
    record = only_record(gateway, tenant)
    assert_estimated(record, "gpt-ok", input_from_upstream=False)
    expected = count_tokens(text) + count_tokens(f"get_weather {arguments}")
    assert (record.input_tokens, record.output_tokens) == (count_tokens(PROMPT), expected)
    assert completion.usage is not None and completion.usage.completion_tokens == expected

    tenant, key = gateway.new_key()
    upstream.script["anthropic"] = lambda body: {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-ok",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
    }
    message = anthropic_client(gateway, key).messages.create(
        model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    )
    record = only_record(gateway, tenant)
    assert_estimated(record, "claude-ok", input_from_upstream=False)
    assert (record.input_tokens, record.output_tokens) == (count_tokens(PROMPT), count_tokens(text))
    assert message.usage.output_tokens == count_tokens(text)


# --- the estimate itself -------------------------------------------------------------


async def _meter(events: list[Any]) -> Usage:
    meter = StreamMeter(ChatRequest("m", [Message("user", [TextPart("hi")])]))

    async def source() -> AsyncIterator[Any]:
        for event in events:
            yield event

    async for _ in meter.tap(source()):
        pass
    return meter.usage()


def test_deltas_split_anywhere_count_as_the_joined_text() -> None:
    text = "Tides rise, fall; e.g. x2 at 10:45 — naïve Ünïcode_words (twice)!  end"
    rng = random.Random(7)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(text)), 12))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        events: list[Any] = [TextDelta(p) for p in pieces]
        events += [ToolCallDelta(0, p, name="f" if i == 0 else None) for i, p in enumerate(pieces)]
        events.append(UsageUpdate(Usage(5, 0), final=False))
        usage = asyncio.run(_meter(events))
        assert usage == Usage(5, 2 * count_tokens(text) + 1, estimated_output=True)
