"""Usage counts an upstream gets wrong (negative, fractional, booleans, absurd) are taken as
missing and estimated: the client gets its answer, the audit meters no negative tokens or
cost, and the chain verifies. Through a real ``ramparts serve`` and a scripted upstream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from ramparts.audit.trail import verify_trail
from ramparts.store.db import create_store_engine
from ramparts.store.models import AuditRecord

from .conftest import RunningGateway, sqlite_gateway
from .test_anthropic_sdk import client as anthropic_client
from .test_openai_sdk import client as openai_client
from .test_review5_guardrails import ScriptedUpstream

PROMPT = "Tell me about the tides, please."


@pytest.fixture(scope="module")
def scripted(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningGateway, ScriptedUpstream]]:
    tmp = tmp_path_factory.mktemp("negative-usage")
    upstream = ScriptedUpstream()
    try:
        with sqlite_gateway(tmp, "usage", upstream.port) as gateway:
            yield gateway, upstream
    finally:
        upstream.stop()


def openai_answer(usage: dict[str, Any]) -> dict[str, Any]:
    message = {"role": "assistant", "content": "The tides follow the moon."}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": usage,
    }


def anthropic_answer(usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-ok",
        "content": [{"type": "text", "text": "The tides follow the moon."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def only_record(gateway: RunningGateway, tenant: str) -> AuditRecord:
    deadline = time.monotonic() + 15
    while not (records := gateway.tenant_audit(tenant)) and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = records
    return record


def assert_estimated(record: AuditRecord) -> None:
    assert record.status == "success"
    assert record.input_tokens > 0 and record.output_tokens > 0
    assert record.cost_usd >= 0
    assert record.guardrails["usage"] == {
        "estimated": True,
        "input": "estimated",
        "output": "estimated",
    }


def assert_chain_verifies(gateway: RunningGateway) -> None:
    engine = create_store_engine(gateway.database_url)
    try:
        result = verify_trail(engine)
    finally:
        engine.dispose()
    assert result.ok, [str(p) for p in result.problems]


@pytest.mark.parametrize(
    ("model", "usage"),
    [
        # Unpriced: the cost came out as -0.0, which SQLite stores as 0.0 (verify failed).
        ("gpt-tools", {"prompt_tokens": -3, "completion_tokens": -2, "total_tokens": -5}),
        ("gpt-ok", {"prompt_tokens": -3, "completion_tokens": -2, "total_tokens": -5}),
        ("gpt-ok", {"prompt_tokens": True, "completion_tokens": 2.5}),
        ("gpt-ok", {"prompt_tokens": 10**12, "completion_tokens": "7"}),
    ],
)
def test_bad_openai_usage_is_estimated(
    scripted: tuple[RunningGateway, ScriptedUpstream], model: str, usage: dict[str, Any]
) -> None:
    gateway, upstream = scripted
    tenant, key = gateway.new_key()
    upstream.script["openai"] = lambda body: openai_answer(usage)
    answer = openai_client(gateway, key).chat.completions.create(
        model=model, messages=[{"role": "user", "content": PROMPT}]
    )
    assert answer.choices[0].message.content == "The tides follow the moon."
    # The caller sees the metered usage, not the upstream's.
    assert answer.usage is not None and answer.usage.prompt_tokens > 0
    assert_estimated(only_record(gateway, tenant))
    assert_chain_verifies(gateway)


def test_bad_anthropic_usage_is_estimated(
    scripted: tuple[RunningGateway, ScriptedUpstream],
) -> None:
    gateway, upstream = scripted
    tenant, key = gateway.new_key()
    upstream.script["anthropic"] = lambda body: anthropic_answer(
        {"input_tokens": -13, "output_tokens": -9}
    )
    message = anthropic_client(gateway, key).messages.create(
        model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    )
    assert message.usage.input_tokens > 0
    assert_estimated(only_record(gateway, tenant))
    assert_chain_verifies(gateway)


def test_bad_anthropic_stream_usage_is_estimated(
    scripted: tuple[RunningGateway, ScriptedUpstream],
) -> None:
    gateway, upstream = scripted
    tenant, key = gateway.new_key()
    start = anthropic_answer({"input_tokens": -13, "output_tokens": -1})
    start["content"] = []
    block = {"type": "text", "text": ""}
    delta = {"type": "text_delta", "text": "The tides follow the moon."}
    end = {"stop_reason": "end_turn", "stop_sequence": None}
    upstream.script["anthropic"] = lambda body: [
        {"type": "message_start", "message": start},
        {"type": "content_block_start", "index": 0, "content_block": block},
        {"type": "content_block_delta", "index": 0, "delta": delta},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": end, "usage": {"output_tokens": -9}},
        {"type": "message_stop"},
    ]
    with anthropic_client(gateway, key).messages.stream(
        model="claude-ok", max_tokens=100, messages=[{"role": "user", "content": PROMPT}]
    ) as answer:
        assert "".join(answer.text_stream) == "The tides follow the moon."
    assert_estimated(only_record(gateway, tenant))
    assert_chain_verifies(gateway)


COUNTS = [(7, 7), (7.0, 7), (0, 0), (None, 0), (-1, 0), (-0.0, 0), (True, 0), (False, 0)]
COUNTS += [(2.5, 0), ("7", 0), (10**12, 0), (100_000_000, 100_000_000), ([3], 0)]


@pytest.mark.parametrize(("value", "count"), COUNTS)
def test_reported_tokens_takes_whole_counts_only(value: Any, count: int) -> None:
    from ramparts.gateway.openai_format import reported_tokens

    assert reported_tokens(value) == count


# --- embeddings: the provider reads its usage the same way ---------------------------------


@pytest.mark.parametrize("reported", [-3, "12abc", 1e30, True, 2.5])
async def test_embeddings_token_counts_that_are_no_count_read_as_missing(reported: Any) -> None:
    from ramparts.config import ModelSettings, ProviderSettings
    from ramparts.gateway.providers.openai_compat import OpenAICompatibleProvider
    from ramparts.gateway.types import EmbeddingRequest

    provider = OpenAICompatibleProvider(
        "up", ProviderSettings(type="openai-compatible", base_url="http://127.0.0.1:9")
    )

    async def post_json(path: str, body: dict[str, Any], model: ModelSettings) -> Any:
        return {
            "data": [{"index": 0, "embedding": [0.1, 0.2]}],
            "usage": {"prompt_tokens": reported},
        }

    provider.post_json = post_json  # type: ignore[method-assign]
    model = ModelSettings(name="emb", provider="up", embeddings=True)
    response = await provider.embed(EmbeddingRequest(model="emb", inputs=["hello"]), model)
    assert response.usage.input_tokens == 0  # missing: metered from an estimate, never negative
    assert response.vectors == [[0.1, 0.2]]
