"""``/v1/embeddings`` goes through the input guard, end to end with the official SDK.

Inputs are scanned as user text. What the policy blocks is blocked in the OpenAI
error shape; what it would redact or reroute is blocked too (a placeholder would
change the embedding, and another model's vectors would not match the caller's).
"""

from __future__ import annotations

import json

import openai
import pytest

from support.upstream import FakeUpstream

from .conftest import RunningGateway
from .test_guardrails import (
    AWS_KEY,
    EMAIL,
    POLICY,
    QUIET,
    guardrails_of,
    tenant_with_policy,
    unique_tag,
)
from .test_openai_sdk import client as openai_client


def received(upstream: FakeUpstream, tag: str) -> list[str]:
    return [json.dumps(b) for b in upstream.bodies("gpt-embed") if tag in json.dumps(b)]


@pytest.mark.parametrize("as_list", [False, True])
def test_a_credential_in_an_input_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream, as_list: bool
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    text = f"{tag} deploy with {AWS_KEY}"
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).embeddings.create(
            model="gpt-embed", input=[f"{tag} fine", text] if as_list else text
        )
    error = caught.value.body
    assert caught.value.code == "policy_blocked" and error["rule_ids"] == ["no-secrets"]
    assert "in the embeddings input" in error["message"]
    assert AWS_KEY not in json.dumps(error)
    assert received(upstream, tag) == []
    [record] = gateway.audit(caught.value.response.headers["x-request-id"])
    assert record.status == "blocked" and record.guardrails["input"]["verdict"] == "block"
    [found] = record.guardrails["input"]["findings"]
    assert found["origin"] == "user" and found["kind"] and found["fingerprint"]
    assert AWS_KEY not in json.dumps(record.guardrails)


def test_a_credential_in_a_forwarded_field_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).embeddings.create(
            model="gpt-embed", input=f"{tag} hello", user=AWS_KEY
        )
    assert caught.value.code == "policy_blocked"
    assert "the request field 'user'" in caught.value.body["message"]
    assert received(upstream, tag) == []


def test_values_the_policy_redacts_are_blocked_instead(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).embeddings.create(
            model="gpt-embed", input=f"{tag} write to {EMAIL}"
        )
    error = caught.value.body
    assert error["rule_ids"] == ["redact-contacts"]
    assert "placeholder cannot stand in" in error["message"]
    assert "Remove the value from the embeddings input" in error["message"]
    assert EMAIL not in json.dumps(error)
    assert received(upstream, tag) == []
    request_id = caught.value.response.headers["x-request-id"]
    assert guardrails_of(gateway, request_id)["input"]["verdict"] == "block"


def test_a_reroute_verdict_is_blocked_instead(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    policy = QUIET + "rules:\n  - {id: to-claude, match: {detectors: [email]}, action: reroute}\n"
    _, key = tenant_with_policy(gateway, policy)
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).embeddings.create(model="gpt-embed", input=f"{tag} {EMAIL}")
    assert caught.value.body["rule_ids"] == ["to-claude"]
    assert "embeddings request cannot change models" in caught.value.body["message"]
    assert received(upstream, tag) == []


def test_clean_inputs_pass_unchanged_and_are_audited(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    inputs = [f"{tag} the weather in Paris", "line one\nline two"]
    raw = openai_client(gateway, key).embeddings.with_raw_response.create(
        model="gpt-embed", input=inputs, user="user-1234"
    )
    assert len(raw.parse().data) == 2
    [sent] = received(upstream, tag)
    body = json.loads(sent)
    assert body["input"] == inputs and body["user"] == "user-1234"
    record = guardrails_of(gateway, raw.headers["x-request-id"])
    assert record["input"]["status"] == "ran" and record["input"]["verdict"] == "allow"


def test_guard_failure_follows_the_failure_mode(gateway: RunningGateway) -> None:
    tag = unique_tag()
    policy = POLICY.replace(
        "guards:\n", "guards:\n  input: {timeout_ms: 0.001, failure_mode: fail_closed}\n"
    )
    _, key = tenant_with_policy(gateway, policy)
    # Longer than the inline-scan size, so the scan runs in a thread and the timeout applies.
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).embeddings.create(
            model="gpt-embed", input=f"{tag} " + "a long text " * 800
        )
    assert caught.value.body["rule_ids"] == ["guard-failure"]
    request_id = caught.value.response.headers["x-request-id"]
    assert guardrails_of(gateway, request_id)["input"]["status"] == "timed_out"


def test_tenant_without_policy_skips_truthfully_and_token_ids_are_refused(
    gateway: RunningGateway, upstream: FakeUpstream, api_key: str
) -> None:
    tag = unique_tag()
    raw = openai_client(gateway, api_key).embeddings.with_raw_response.create(
        model="gpt-embed", input=f"{tag} {AWS_KEY}"
    )
    assert raw.parse().data
    record = guardrails_of(gateway, raw.headers["x-request-id"])
    assert record["input"]["status"] == "skipped"
    # Token ids cannot be scanned: the gateway accepts text inputs only.
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, api_key).embeddings.create(model="gpt-embed", input=[[1, 2, 3]])
    assert caught.value.body["param"] == "input"
