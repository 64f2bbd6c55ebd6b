"""With several choices (``n`` > 1), a violation ends only its own choice in a stream."""

from __future__ import annotations

import json
from typing import Any

from .conftest import RunningGateway
from .test_guardrails import tenant_with_policy
from .test_openai_sdk import client as openai_client
from .test_review5_guardrails import CANARY, CANARY_POLICY, scripted

__all__ = ["scripted"]  # the fixture, used by name

CLEAN = ["All ", "good ", "here, ", "nothing ", "to ", "hide."]


def chunk(index: int, content: str | None = None, finish: str | None = None) -> dict[str, Any]:
    delta = {"content": content} if content is not None else {}
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-ok",
        "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
    }


def two_choices(leaky: list[int]) -> Any:
    """Both choices stream the same words in turn; those in ``leaky`` also leak the canary."""

    def answer(body: dict[str, Any]) -> Any:
        events = []
        for word in CLEAN[:3]:
            events += [chunk(i, word) for i in (0, 1)]
        events += [chunk(i, f"{CANARY} " if i in leaky else "then ") for i in (0, 1)]
        for word in CLEAN[3:]:
            events += [chunk(i, word) for i in (0, 1)]
        return events + [chunk(i, finish="stop") for i in (0, 1)]

    return answer


def stream(gateway: RunningGateway, key: str) -> tuple[dict[int, str], dict[int, str], str]:
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok", messages=[{"role": "user", "content": "say it twice"}], n=2, stream=True
    )
    texts: dict[int, str] = {0: "", 1: ""}
    finishes: dict[int, str] = {}
    chunks: list[Any] = list(raw.parse())
    assert CANARY not in json.dumps([c.model_dump() for c in chunks])
    for c in chunks:
        for choice in c.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    return texts, finishes, raw.headers["x-request-id"]


def test_a_leak_in_one_choice_ends_only_that_choice(scripted: tuple[RunningGateway, Any]) -> None:
    gateway, upstream = scripted
    _, key = tenant_with_policy(gateway, CANARY_POLICY)
    upstream.script["openai"] = two_choices(leaky=[1])
    texts, finishes, request_id = stream(gateway, key)
    assert finishes == {0: "stop", 1: "content_filter"}
    assert texts[0] == "".join(CLEAN[:3]) + "then " + "".join(CLEAN[3:])
    [record] = gateway.audit(request_id)
    output = record.guardrails["output"]
    assert output["verdict"] == "block" and output["cut_choices"] == [1]
    assert record.status == "success"  # choice 0 was delivered whole


def test_the_stream_stops_once_every_choice_is_cut(scripted: tuple[RunningGateway, Any]) -> None:
    gateway, upstream = scripted
    _, key = tenant_with_policy(gateway, CANARY_POLICY)
    upstream.script["openai"] = two_choices(leaky=[0, 1])
    _, finishes, request_id = stream(gateway, key)
    assert finishes == {0: "content_filter", 1: "content_filter"}
    [record] = gateway.audit(request_id)
    assert record.status == "blocked" and record.guardrails["output"]["cut_choices"] == [0, 1]


def test_fewer_choices_than_asked_all_cut_is_a_block(
    scripted: tuple[RunningGateway, Any],
) -> None:
    gateway, upstream = scripted
    _, key = tenant_with_policy(gateway, CANARY_POLICY)

    def one_choice(body: dict[str, Any]) -> Any:  # n=2 asked, the upstream sends one
        return [chunk(0, "hello "), chunk(0, f"{CANARY} "), chunk(0, "bye"), chunk(0, None, "stop")]

    upstream.script["openai"] = one_choice
    _, finishes, request_id = stream(gateway, key)
    assert finishes == {0: "content_filter"}
    [record] = gateway.audit(request_id)
    assert record.status == "blocked" and record.guardrails["output"]["cut_choices"] == [0]
