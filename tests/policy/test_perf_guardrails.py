"""Work the guardrails stage skips or does once, with what it produces unchanged: the
conversation scope is computed only for a request that is redacted (from the turns as
they came in), and the streamed output guard's reference patterns are built once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from ramparts.config import load_settings
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.openai_format import parse_chat_request
from ramparts.gateway.routing import Route
from ramparts.policy import stage
from ramparts.policy.book import PolicyBook
from ramparts.policy.open_references import OpenEscapedReferences, escaped_reference_pattern
from ramparts.policy.redaction import MemoryVault, conversation_scope
from ramparts.policy.stage import STATE_KEY, GuardrailStage, RequestState
from ramparts.policy.store import StoredPolicy
from ramparts.store.identity import KeyIdentity

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"mock": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [{"name": "m", "provider": "mock"}],
        "guardrails": {"default_policy": "builtin"},
    },
)
IDENTITY = KeyIdentity("key_1", "ten_1", None, None, None, None)
SECRET = b"s" * 32
SYSTEM = "You answer billing questions."
PII = "Mail jane.doe@example.com about card 4111 1111 1111 1111."


class NoPolicies:
    """A policy store without tenant policies: the built-in default applies."""

    def latest_version(self, tenant_id: str) -> None:
        return None

    def get(self, tenant_id: str, version: int) -> StoredPolicy | None:
        return None


def _stage(vault: MemoryVault) -> GuardrailStage:
    book = PolicyBook(SETTINGS, NoPolicies(), SECRET)  # type: ignore[arg-type]
    return GuardrailStage(SETTINGS, book, vault, SECRET)


def _run(guard: GuardrailStage, user_text: str, user: str | None = None) -> Exchange:
    body: dict[str, Any] = {
        "model": "m",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user_text}],
    }
    if user is not None:
        body["user"] = user
    request = parse_chat_request(body)
    exchange = Exchange("r", "openai", "/v1/chat/completions")
    exchange.identity = IDENTITY
    model = SETTINGS.models[0]
    exchange.route = Route(model, model.provider)

    async def go() -> None:
        assert await guard.before_upstream(exchange, request) is None

    asyncio.run(go())
    exchange.state["request"] = request
    return exchange


@pytest.fixture
def scopes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The conversation scopes the stage computes, by their arguments."""
    calls: list[tuple[Any, ...]] = []

    def counting(*args: Any) -> str:
        calls.append(args)
        return conversation_scope(*args)

    monkeypatch.setattr(stage, "conversation_scope", counting)
    return calls


def test_a_request_nothing_is_redacted_in_computes_no_conversation_scope(
    scopes: list[tuple[Any, ...]],
) -> None:
    exchange = _run(_stage(MemoryVault(60)), "What is the capital of France?")
    assert exchange.guardrails["input"]["verdict"] in ("allow", "alert")
    assert scopes == []
    state = exchange.state[STATE_KEY]
    assert isinstance(state, RequestState)
    assert state.sent == {}


def test_a_redacted_request_is_scoped_by_its_turns_as_they_came_in(
    scopes: list[tuple[Any, ...]],
) -> None:
    vault = MemoryVault(60)
    exchange = _run(_stage(vault), PII, user="alice")
    assert exchange.guardrails["input"]["redacted"] == 2
    # Once, from the unredacted opening turns and the end user, as before.
    expected = conversation_scope(SECRET, "ten_1", "key_1", [SYSTEM, PII], "alice")
    assert len(scopes) == 1
    state = exchange.state[STATE_KEY]
    assert isinstance(state, RequestState)
    assert state.scope == expected
    # The vault numbered the values under that scope: the next turn gets the same tokens.
    assert dict(vault.mapping(expected)) == state.sent
    sent_text = exchange.state["request"].messages[-1].parts[0].text  # type: ignore[attr-defined]
    assert "jane.doe@example.com" not in sent_text
    assert all(token in sent_text for token in state.sent)


def test_the_same_conversation_gets_the_same_placeholders_on_every_turn() -> None:
    vault = MemoryVault(60)
    guard = _stage(vault)
    first = _run(guard, PII).state[STATE_KEY]
    second = _run(guard, PII).state[STATE_KEY]
    assert isinstance(first, RequestState)
    assert isinstance(second, RequestState)
    assert first.scope == second.scope != ""
    assert first.sent == second.sent


def test_escaped_reference_trackers_do_not_build_patterns_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    OpenEscapedReferences()  # the patterns for the default limits exist from now on
    compiled: list[str] = []
    real = re.compile

    def counting(pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled.append(pattern)
        return real(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    trackers = [OpenEscapedReferences() for _ in range(3)]
    assert compiled == []
    assert trackers[0]._pattern.pattern == escaped_reference_pattern().pattern
    # Other limits still get their own patterns.
    other = OpenEscapedReferences(label=5, spaces=2, url=9)
    assert other._pattern.pattern == escaped_reference_pattern(5, 2, 9).pattern
    assert other._pattern is not trackers[0]._pattern
