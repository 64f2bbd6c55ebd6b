"""Review 8: a value split over two messages of one role never reaches the upstream.

The Anthropic renderer merges consecutive messages of one role into one turn of adjacent
text blocks (and skips empty messages between them), so the input guard scans their text
as one, in both API shapes and whichever model serves.
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest

from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import client as anthropic_client
from .test_guardrails import (
    AWS_KEY,
    EMAIL,
    POLICY,
    sent_bodies,
    tenant_with_policy,
    unique_tag,
)
from .test_openai_sdk import client as openai_client


def _messages(first: str, second: str, empty_between: bool) -> list[dict[str, Any]]:
    between = [{"role": "user", "content": []}] if empty_between else []
    return [{"role": "user", "content": first}, *between, {"role": "user", "content": second}]


@pytest.mark.parametrize("empty_between", [False, True])
@pytest.mark.parametrize("model", ["claude-ok", "gpt-ok"])
def test_a_credential_split_over_two_messages_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream, model: str, empty_between: bool
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    messages = _messages(f"{tag} deploy with {AWS_KEY[:8]}", f"{AWS_KEY[8:]} please", False)
    with pytest.raises(anthropic.BadRequestError):
        anthropic_client(gateway, key).messages.create(
            model=model,
            max_tokens=20,
            messages=_messages(messages[0]["content"], messages[1]["content"], empty_between),  # type: ignore[arg-type]
        )
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model=model,
            messages=messages,  # type: ignore[arg-type]
        )
    assert caught.value.code == "policy_blocked"
    assert sent_bodies(upstream, tag) == []


@pytest.mark.parametrize("model", ["claude-ok", "gpt-ok"])
def test_an_email_split_over_two_messages_is_redacted_and_restored(
    gateway: RunningGateway, upstream: FakeUpstream, model: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    raw = anthropic_client(gateway, key).messages.with_raw_response.create(
        model=model,
        max_tokens=50,
        messages=_messages(f"{tag} mail {EMAIL[:7]}", f"{EMAIL[7:]} today", False),  # type: ignore[arg-type]
    )
    assert raw.headers["x-ramparts-redacted"] == "1"
    [body] = [json.loads(b) for b in sent_bodies(upstream, tag)]
    sent = json.dumps(body)
    assert "[EMAIL_1]" in sent and EMAIL[:7] not in sent and EMAIL[7:] not in sent
    answer = raw.parse().content[0].text
    assert "[EMAIL_1]" not in answer
    if model == "claude-ok":  # one merged turn, echoed whole and restored
        assert answer == f"{ANSWER_PREFIX}{tag} mail {EMAIL} today"


# --- the vault's numbering is not shared between the end users of one app ---------------------


def test_placeholder_numbers_tell_one_end_user_nothing_about_another(
    gateway: RunningGateway,
) -> None:
    """Two end users of one app share a key, a system prompt and opening turns. With the
    app naming its users, a literal placeholder in one user's prompt is restored the same
    whether or not a guessed value was sent by the other user."""
    _, key = tenant_with_policy(gateway, POLICY)
    sdk = anthropic_client(gateway, key)
    opening: list[dict[str, Any]] = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
    ]

    def ask(user: str, text: str) -> str:
        message = sdk.messages.create(
            model="claude-ok",
            max_tokens=80,
            system="You are the Acme support bot.",
            metadata={"user_id": user},
            messages=[*opening, {"role": "user", "content": text}],  # type: ignore[list-item]
        )
        text_out: str = message.content[0].text
        return text_out

    ask("alice", "mine is alice.victim@corp.example and my boss is carol@corp.example")
    probe = " [EMAIL_1] [EMAIL_2] [EMAIL_3]"
    # Each probe from a fresh end user: a guess of a value Alice never sent and one she did.
    wrong = ask("mallory-1", "is it mallory@corp.example?" + probe)
    right = ask("mallory-2", "is it carol@corp.example?" + probe)
    assert wrong.replace("mallory@corp.example", "X") == right.replace("carol@corp.example", "X")
    assert "alice.victim@" not in wrong + right
