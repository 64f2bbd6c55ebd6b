"""Review 8, input guard: text of consecutive messages of one role is scanned as one, since
the Anthropic renderer merges those messages into one turn of adjacent blocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ramparts.gateway.anthropic_format import build_messages_body
from ramparts.gateway.openai_format import build_chat_body
from ramparts.policy.book import CompiledPolicy, compile_policy
from ramparts.policy.guard import scan_units, text_units
from ramparts.policy.model import parse_policy
from ramparts.policy.redaction import restore

from .test_review5_guard_units import (
    AWS_KEY,
    REDACT_ALL,
    anthropic_request,
    guard,
    openai_request,
)


@pytest.fixture(scope="module")
def compiled() -> CompiledPolicy:
    return compile_policy(parse_policy(REDACT_ALL), "t", 1, b"k" * 32)


def _split(first: str, second: str, between: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": first}, *between, {"role": "user", "content": second}]


EMPTY_BETWEEN: list[dict[str, Any]] = [{"role": "user", "content": []}]


@pytest.mark.parametrize("between", [[], EMPTY_BETWEEN], ids=["adjacent", "empty-between"])
def test_a_credential_split_over_two_user_messages_is_found(
    compiled: CompiledPolicy, between: list[dict[str, Any]]
) -> None:
    assert compiled.input_engine is not None
    messages = _split("deploy with " + AWS_KEY[:8], AWS_KEY[8:] + " please", between)
    for request in (anthropic_request(messages), openai_request(messages)):
        units = text_units(request)
        assert [u.text for u in units] == ["deploy with " + AWS_KEY + " please"]
        found = scan_units(compiled.input_engine, units)
        assert any(located.finding.detector.startswith("secrets.") for located in found)


@pytest.mark.parametrize("cut", [3, 8, 15])
def test_an_email_split_over_two_messages_is_redacted_whole(
    compiled: CompiledPolicy, cut: int
) -> None:
    value = "bob@example.com"
    messages = _split("mail " + value[:cut], value[cut:] + " today", [])
    for request in (anthropic_request(messages), openai_request(messages)):
        _, sent = guard(compiled, request)
        assert list(sent.values()) == [value]
        for body in (build_chat_body(request, "m"), build_messages_body(request, "m")):
            dumped = json.dumps(body)
            assert value[:3] not in dumped and value[-4:] not in dumped, body
        [turn] = build_messages_body(request, "m")["messages"]
        joined = "".join(block["text"] for block in turn["content"])
        assert restore(joined, sent) == f"mail {value} today"


def test_roles_still_end_a_run() -> None:
    request = openai_request(
        [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": "b"},
            {"role": "user", "content": "c"},
            {"role": "user", "content": "d"},
        ]
    )
    assert [(u.origin, u.text) for u in text_units(request)] == [
        ("user", "a"),
        ("assistant", "b"),
        ("user", "cd"),
    ]
