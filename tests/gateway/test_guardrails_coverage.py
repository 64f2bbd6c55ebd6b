"""The input guard sees every string a chat request forwards, not only the messages.

Tool definitions, ``response_format`` schemas, stop sequences, the ``user`` field,
names, document titles and fields the gateway forwards without modelling them
(``extra``), through the official SDKs, a real gateway and the recording upstream:
a credential anywhere there is blocked before anything leaves, a value the policy
redacts is replaced in place (or the request blocked where no placeholder can
stand in), and clean requests are forwarded unchanged.
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
    PHONE,
    POLICY,
    guardrails_of,
    sent_bodies,
    tenant_with_policy,
    unique_tag,
)
from .test_openai_sdk import client as openai_client


def function(
    name: str = "lookup",
    description: str = "Look up the weather for a city",
    parameters: dict[str, Any] | None = None,
) -> dict[str, Any]:
    schema = parameters or {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}},
        "required": ["city"],
    }
    return {
        "type": "function",
        "function": {"name": name, "description": description, "parameters": schema},
    }


def schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


def assert_blocked_in_audit(gateway: RunningGateway, request_id: str, origin: str) -> None:
    [record] = gateway.audit(request_id)
    section = record.guardrails["input"]
    assert record.status == "blocked" and section["verdict"] == "block"
    [found] = [f for f in section["findings"] if f["detector"].startswith("secrets.")]
    assert found["origin"] == origin and found["rule"] == "no-secrets" and found["fingerprint"]
    assert AWS_KEY not in json.dumps(record.guardrails)


# --- credentials are blocked wherever they are -------------------------------------------

OPENAI_PLACES: dict[str, tuple[dict[str, Any], str]] = {
    "tool description": ({"tools": [function(description=f"deploy with {AWS_KEY}")]}, "tools[0]"),
    "tool parameters": (
        {
            "tools": [
                function(
                    parameters={
                        "type": "object",
                        "properties": {"key": {"type": "string", "default": AWS_KEY}},
                    }
                )
            ]
        },
        "tools[0]",
    ),
    "tool name": ({"tools": [function(name=AWS_KEY)]}, "tools[0]"),
    "response_format": (
        {"response_format": schema_format({"type": "object", "description": f"k {AWS_KEY}"})},
        "response_format",
    ),
    "unknown field": (
        {"extra_body": {"prediction": {"type": "content", "content": f"key {AWS_KEY}"}}},
        "'prediction'",
    ),
    "stop": ({"stop": [AWS_KEY]}, "'stop'"),
    "user": ({"user": AWS_KEY}, "'user'"),
}


@pytest.mark.parametrize("place", sorted(OPENAI_PLACES))
@pytest.mark.parametrize("model", ["gpt-ok", "claude-ok"])
def test_openai_caller_credentials_outside_messages_are_blocked(
    gateway: RunningGateway, upstream: FakeUpstream, place: str, model: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    options, where = OPENAI_PLACES[place]
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model=model, messages=[{"role": "user", "content": f"{tag} hello"}], **options
        )
    error = caught.value.body
    assert caught.value.code == "policy_blocked" and error["rule_ids"] == ["no-secrets"]
    assert where in error["message"] and "Remove the credential" in error["message"]
    assert AWS_KEY not in json.dumps(error)
    assert sent_bodies(upstream, tag) == []
    assert_blocked_in_audit(gateway, caught.value.response.headers["x-request-id"], "system")


ANTHROPIC_PLACES: dict[str, tuple[dict[str, Any], str]] = {
    "tool description": (
        {
            "tools": [
                {
                    "name": "lookup",
                    "description": f"deploy with {AWS_KEY}",
                    "input_schema": {"type": "object"},
                }
            ]
        },
        "tools[0]",
    ),
    "tool input_schema": (
        {
            "tools": [
                {
                    "name": "lookup",
                    "input_schema": {
                        "type": "object",
                        "properties": {"key": {"type": "string", "enum": [AWS_KEY]}},
                    },
                }
            ]
        },
        "tools[0]",
    ),
    "stop_sequences": ({"stop_sequences": [AWS_KEY]}, "'stop_sequences'"),
    "metadata": ({"metadata": {"user_id": AWS_KEY}}, "'metadata.user_id'"),
    "unknown field": (
        {"extra_body": {"context_management": {"note": f"key {AWS_KEY}"}}},
        "'context_management'",
    ),
}


@pytest.mark.parametrize("place", sorted(ANTHROPIC_PLACES))
def test_anthropic_caller_credentials_outside_messages_are_blocked(
    gateway: RunningGateway, upstream: FakeUpstream, place: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    options, where = ANTHROPIC_PLACES[place]
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client(gateway, key).messages.create(
            model="claude-ok",
            max_tokens=20,
            messages=[{"role": "user", "content": f"{tag} hello"}],
            **options,
        )
    error = caught.value.body["error"]
    assert error["code"] == "policy_blocked" and error["rule_ids"] == ["no-secrets"]
    assert where in error["message"]
    assert AWS_KEY not in json.dumps(caught.value.body)
    assert sent_bodies(upstream, tag) == []
    assert_blocked_in_audit(gateway, caught.value.response.headers["x-request-id"], "system")


def test_names_and_titles_in_the_conversation_are_scanned(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    named = [{"role": "user", "content": f"{tag} hi", "name": AWS_KEY}]
    called = [
        {"role": "user", "content": f"{tag} hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": AWS_KEY, "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "done"},
    ]
    for messages, origin in ((named, "user"), (called, "assistant")):
        with pytest.raises(openai.BadRequestError) as caught:
            openai_client(gateway, key).chat.completions.create(
                model="gpt-ok",
                messages=messages,  # type: ignore[arg-type]
            )
        assert caught.value.code == "policy_blocked"
        assert_blocked_in_audit(gateway, caught.value.response.headers["x-request-id"], origin)
    document = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "quarterly notes"},
        "title": f"keys {AWS_KEY}",
    }
    with pytest.raises(anthropic.BadRequestError) as anthropic_caught:
        anthropic_client(gateway, key).messages.create(
            model="claude-ok",
            max_tokens=20,
            messages=[
                {"role": "user", "content": [{"type": "text", "text": f"{tag} read"}, document]}
            ],
        )
    assert "the title of a document" in anthropic_caught.value.body["error"]["message"]
    request_id = anthropic_caught.value.response.headers["x-request-id"]
    assert_blocked_in_audit(gateway, request_id, "document")
    assert sent_bodies(upstream, tag) == []


# --- redaction in place, or a block where no placeholder fits --------------------------


def test_redacted_values_are_replaced_in_the_forwarded_structures_and_restored(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    prompt = f"{tag} write to {EMAIL}"
    parameters = {
        "type": "object",
        "properties": {"to": {"type": "string", "description": f"Use {EMAIL} or {PHONE}"}},
    }
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok",
        messages=[{"role": "user", "content": prompt}],
        tools=[function(description=f"Mail {EMAIL}", parameters=parameters)],  # type: ignore[list-item]
        response_format=schema_format({"type": "string", "enum": [EMAIL]}),  # type: ignore[arg-type]
        user=EMAIL,
        extra_body={"prediction": {"type": "content", "content": f"Dear {EMAIL}"}},
    )
    # The answer echoes the user turn: its placeholder is restored.
    assert raw.parse().choices[0].message.content == ANSWER_PREFIX + prompt
    assert raw.headers["x-ramparts-redacted"] == "7"
    [sent] = sent_bodies(upstream, tag)
    assert EMAIL not in sent and PHONE not in sent
    body = json.loads(sent)
    tool = body["tools"][0]["function"]
    assert tool["description"] == "Mail [EMAIL_1]"
    assert tool["parameters"]["properties"]["to"]["description"] == "Use [EMAIL_1] or [PHONE_1]"
    assert body["response_format"]["json_schema"]["schema"]["enum"] == ["[EMAIL_1]"]
    assert body["user"] == "[EMAIL_1]"
    assert body["prediction"] == {"type": "content", "content": "Dear [EMAIL_1]"}
    record = guardrails_of(gateway, raw.headers["x-request-id"])
    assert record["input"]["verdict"] == "redact" and record["input"]["redacted"] == 7
    assert {f["origin"] for f in record["input"]["findings"]} == {"user", "system"}
    assert EMAIL not in json.dumps(record)


def test_anthropic_tool_schema_is_redacted_in_place(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    message = anthropic_client(gateway, key).messages.create(
        model="claude-ok",
        max_tokens=20,
        messages=[{"role": "user", "content": f"{tag} hi"}],
        tools=[
            {
                "name": "lookup",
                "description": f"Escalate to {EMAIL}",
                "input_schema": {"type": "object", "examples": [{"to": EMAIL}]},
            }
        ],
    )
    assert message.content[0].type == "text"
    [sent] = sent_bodies(upstream, tag)
    assert EMAIL not in sent
    [tool] = json.loads(sent)["tools"]
    assert tool["description"] == "Escalate to [EMAIL_1]"
    assert tool["input_schema"] == {"type": "object", "examples": [{"to": "[EMAIL_1]"}]}


OPENAI_UNREDACTABLE: dict[str, tuple[dict[str, Any], str]] = {
    "stop": ({"stop": [EMAIL]}, "the request field 'stop'"),
    "schema key": (
        {"tools": [function(parameters={"type": "object", "properties": {EMAIL: {}}})]},
        "the definition of tools[0]",
    ),
    "number": ({"extra_body": {"metadata": {"card": 4111111111111111}}}, "'metadata'"),
}


@pytest.mark.parametrize("place", sorted(OPENAI_UNREDACTABLE))
def test_a_value_no_placeholder_can_replace_blocks_the_request(
    gateway: RunningGateway, upstream: FakeUpstream, place: str
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    options, where = OPENAI_UNREDACTABLE[place]
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": f"{tag} hi"}], **options
        )
    error = caught.value.body
    assert caught.value.code == "policy_blocked" and error["rule_ids"] == ["redact-contacts"]
    assert where in error["message"] and "Remove the value from" in error["message"]
    assert EMAIL not in json.dumps(error) and "4111" not in json.dumps(error)
    assert sent_bodies(upstream, tag) == []
    [record] = gateway.audit(caught.value.response.headers["x-request-id"])
    assert record.status == "blocked" and record.guardrails["input"]["verdict"] == "block"
    assert record.guardrails["input"]["rules"] == ["redact-contacts"]
    [found] = record.guardrails["input"]["findings"]
    assert found["origin"] == "system" and found["action"] == "redact"


def test_anthropic_stop_sequence_with_a_redacted_value_is_blocked(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    with pytest.raises(anthropic.BadRequestError) as caught:
        anthropic_client(gateway, key).messages.create(
            model="claude-ok",
            max_tokens=20,
            messages=[{"role": "user", "content": f"{tag} hi"}],
            stop_sequences=[PHONE],
        )
    error = caught.value.body["error"]
    assert error["code"] == "policy_blocked"
    assert "Remove the value from the request field 'stop_sequences'" in error["message"]
    assert sent_bodies(upstream, tag) == []


# --- clean requests are forwarded as they were sent -------------------------------------


def test_clean_openai_request_forwards_every_field_unchanged(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    fields: dict[str, Any] = {
        "tools": [function()],
        "response_format": schema_format(
            {
                "type": "object",
                "properties": {"city": {"type": "string", "description": "Line one\nline two"}},
                "required": ["city"],
                "additionalProperties": False,
            }
        ),
        "stop": ["END", "\n\n"],
        "user": "user-1234",
    }
    extra = {"prediction": {"type": "content", "content": "The weather"}, "seed": 42}
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok",
        messages=[{"role": "user", "content": f"{tag} weather in Paris?"}],
        extra_body=extra,
        **fields,
    )
    assert raw.parse().choices[0].message.content == ANSWER_PREFIX + f"{tag} weather in Paris?"
    assert "x-ramparts-redacted" not in raw.headers
    [sent] = sent_bodies(upstream, tag)
    body = json.loads(sent)
    for name, value in {**fields, **extra}.items():
        assert json.dumps(body[name]) == json.dumps(value), name
    record = guardrails_of(gateway, raw.headers["x-request-id"])
    assert record["input"]["status"] == "ran" and record["input"]["verdict"] == "allow"


def test_clean_anthropic_request_forwards_every_field_unchanged(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tag = unique_tag()
    _, key = tenant_with_policy(gateway, POLICY)
    fields: dict[str, Any] = {
        "tools": [
            {
                "name": "lookup",
                "description": "Look up the weather for a city",
                "input_schema": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "enum": ["Paris", "Rome"]}},
                },
            }
        ],
        "stop_sequences": ["END"],
        "metadata": {"user_id": "user-1234"},
    }
    extra = {"context_management": {"edits": [{"type": "clear", "keep": 3}]}}
    message = anthropic_client(gateway, key).messages.create(
        model="claude-ok",
        max_tokens=20,
        messages=[{"role": "user", "content": f"{tag} weather?"}],
        extra_body=extra,
        **fields,
    )
    assert message.content[0].type == "text"
    [sent] = sent_bodies(upstream, tag)
    body = json.loads(sent)
    for name, value in {**fields, **extra}.items():
        assert json.dumps(body[name]) == json.dumps(value), name
