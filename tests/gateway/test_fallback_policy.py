"""Fallbacks answer to the key's allowlist and the tenant's trust tiers, end to end.

A model that fails hands its request to a fallback only when the caller could have
sent it there directly: the key may use the fallback, and the data the request
carries (after redaction, wherever a reroute sent it) may go to that model. The
official SDKs call a real gateway; the recording upstream proves what left it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import anthropic
import openai
import pytest

from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.gateway_process import GatewayProcess, free_port, write_config
from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import client as anthropic_client
from .test_guardrails import QUIET, tenant_with_policy, unique_tag
from .test_openai_sdk import client as openai_client

EMAIL = "bob@example.com"
# The upstream names each model is called by, to find what each one received.
VAULT_UP, CHEAP_UP, TRUSTED_UP, FRONT_UP = "vault-500", "fb-cheap", "fb-trusted", "front"
TIER_BLOCK = QUIET + "over_tier_action: block\nrules: []\n"
TIER_REROUTE = QUIET + "over_tier_action: reroute\nrules: []\n"
REDACT_MAIL = QUIET + "rules:\n  - {id: mail, match: {detectors: [email]}, action: redact}\n"
ALONGSIDE = TIER_BLOCK + "guards:\n  input: {concurrent: true}\n"

Shape = Literal["openai", "anthropic"]
SHAPES = [("openai", False), ("openai", True), ("anthropic", False), ("anthropic", True)]


def fallback_config(upstream: FakeUpstream, data_dir: str) -> dict[str, Any]:
    def model(name: str, provider: str, upstream_name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "provider": provider, "upstream_name": upstream_name, **extra}

    return {
        "data_dir": data_dir,
        "auth": {"cache_ttl_seconds": 0},
        "audit": {"flush_interval_ms": 20},
        "guardrails": {"default_policy": "none", "policy_cache_seconds": 0},
        "providers": {
            "openai-up": {
                "type": "openai-compatible",
                "base_url": upstream.openai_url,
                "api_key_env": "FAKE_OPENAI_KEY",
            },
            "anthropic-up": {
                "type": "anthropic",
                "base_url": upstream.anthropic_url,
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
            "nowhere": {
                "type": "openai-compatible",
                "base_url": f"http://127.0.0.1:{free_port()}/v1",
            },
        },
        "models": [
            # Confidential data may go to 'vault' and 'trusted', not to 'cheap' or 'front'.
            model("front", "openai-up", FRONT_UP, retries=0),
            model(
                "vault",
                "openai-up",
                VAULT_UP,
                retries=0,
                max_sensitivity="confidential",
                fallbacks=["cheap", "trusted"],
            ),
            model("cheap", "openai-up", CHEAP_UP, retries=0),
            model("trusted", "anthropic-up", TRUSTED_UP, retries=0, max_sensitivity="confidential"),
            model(
                "emb-vault",
                "nowhere",
                "emb-down",
                embeddings=True,
                retries=0,
                max_sensitivity="confidential",
                fallbacks=["emb-cheap", "cheap"],
            ),
            model("emb-cheap", "openai-up", "fb-emb-cheap", embeddings=True),
        ],
    }


@pytest.fixture(scope="module")
def gw(
    upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    tmp = tmp_path_factory.mktemp("fallback-policy")
    url = f"sqlite:///{tmp / 'ramparts.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    config = fallback_config(upstream, str(tmp / "data"))
    process = GatewayProcess(write_config(tmp / "ramparts.yaml", config), url, tmp / "gw.log")
    try:
        yield RunningGateway(process, IdentityStore(session_factory(engine)), url, config)
    finally:
        process.stop()
        engine.dispose()


@dataclass
class Answer:
    status: int
    request_id: str
    text: str = ""
    error: Any = None


def ask(gw: RunningGateway, key: str, shape: Shape, model: str, text: str, stream: bool) -> Answer:
    """One chat request through the official SDK of ``shape``."""
    messages: Any = [{"role": "user", "content": text}]
    try:
        if shape == "openai":
            raw: Any = openai_client(gw, key).chat.completions.with_raw_response.create(
                model=model, messages=messages, stream=stream
            )
            if stream:
                parts = [c.choices[0].delta.content or "" for c in raw.parse() if c.choices]
                return Answer(raw.status_code, raw.headers["x-request-id"], "".join(parts))
            return Answer(
                raw.status_code, raw.headers["x-request-id"], raw.parse().choices[0].message.content
            )
        raw = anthropic_client(gw, key).messages.with_raw_response.create(
            model=model, max_tokens=200, messages=messages, stream=stream
        )
        if stream:
            deltas = [e.delta.text for e in raw.parse() if e.type == "content_block_delta"]
            return Answer(raw.status_code, raw.headers["x-request-id"], "".join(deltas))
        return Answer(raw.status_code, raw.headers["x-request-id"], raw.parse().content[0].text)
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        return Answer(exc.status_code, exc.response.headers["x-request-id"], error=exc.body)


def received(upstream: FakeUpstream, upstream_name: str, tag: str) -> list[str]:
    return [json.dumps(b) for b in upstream.bodies(upstream_name) if tag in json.dumps(b)]


def audit_of(gw: RunningGateway, answer: Answer) -> Any:
    [record] = gw.audit(answer.request_id)
    return record


def assert_primary_error(answer: Answer, shape: Shape) -> None:
    """The caller gets the primary's upstream error, in its own API's shape."""
    assert answer.status == 502
    if shape == "openai":
        assert answer.error["code"] == "upstream_500"
    else:
        assert answer.error["type"] == "error"
        assert answer.error["error"]["type"] == "api_error"


# --- the key's allowlist ---------------------------------------------------------------


@pytest.mark.parametrize(("shape", "stream"), SHAPES)
def test_fallbacks_outside_the_allowlist_are_skipped(
    gw: RunningGateway, upstream: FakeUpstream, shape: Shape, stream: bool
) -> None:
    # No policy at all (guardrails off for this tenant): the allowlist still holds.
    _, key = gw.new_key(allowed_models=["vault"])
    tag = unique_tag()
    answer = ask(gw, key, shape, "vault", f"{tag} hello", stream)
    assert_primary_error(answer, shape)
    assert received(upstream, VAULT_UP, tag)
    assert not received(upstream, CHEAP_UP, tag) and not received(upstream, TRUSTED_UP, tag)
    record = audit_of(gw, answer)
    assert (record.status, record.model, record.attempts) == ("upstream_error", "vault", 1)
    assert record.guardrails["route"] == {
        "model": "vault",
        "fallback": False,
        "skipped": [
            {"model": "cheap", "reason": "model_not_allowed"},
            {"model": "trusted", "reason": "model_not_allowed"},
        ],
    }


@pytest.mark.parametrize(("shape", "stream"), SHAPES)
def test_an_allowed_fallback_serves_and_the_audit_names_it(
    gw: RunningGateway, upstream: FakeUpstream, shape: Shape, stream: bool
) -> None:
    _, key = gw.new_key(allowed_models=["vault", "trusted"])
    tag = unique_tag()
    answer = ask(gw, key, shape, "vault", f"{tag} hello", stream)
    assert (answer.status, answer.text.rstrip()) == (200, f"{ANSWER_PREFIX}{tag} hello")
    assert received(upstream, TRUSTED_UP, tag) and not received(upstream, CHEAP_UP, tag)
    record = audit_of(gw, answer)
    assert (record.status, record.model, record.provider) == ("success", "vault", "anthropic-up")
    assert record.guardrails["route"] == {
        "model": "trusted",
        "fallback": True,
        "skipped": [{"model": "cheap", "reason": "model_not_allowed"}],
    }


def test_requests_that_need_no_fallback_record_no_route(gw: RunningGateway) -> None:
    _, key = gw.new_key(allowed_models=["front"])
    answer = ask(gw, key, "openai", "front", "hello", False)
    assert answer.status == 200
    assert "route" not in audit_of(gw, answer).guardrails


# --- the tenant's trust tiers --------------------------------------------------------------


@pytest.mark.parametrize(("shape", "stream"), SHAPES)
def test_a_fallback_below_the_data_tier_is_skipped(
    gw: RunningGateway, upstream: FakeUpstream, shape: Shape, stream: bool
) -> None:
    _, key = tenant_with_policy(gw, TIER_BLOCK)
    tag = unique_tag()
    answer = ask(gw, key, shape, "vault", f"{tag} mail {EMAIL}", stream)
    # 'cheap' may not receive the email; 'trusted' may, and answers.
    assert (answer.status, answer.text.rstrip()) == (200, f"{ANSWER_PREFIX}{tag} mail {EMAIL}")
    assert not received(upstream, CHEAP_UP, tag)
    assert EMAIL in received(upstream, TRUSTED_UP, tag)[0]
    record = audit_of(gw, answer)
    assert record.guardrails["input"]["verdict"] == "allow"
    assert record.guardrails["route"] == {
        "model": "trusted",
        "fallback": True,
        "skipped": [{"model": "cheap", "reason": "policy: trust-tier"}],
    }
    assert EMAIL not in json.dumps(record.guardrails)


@pytest.mark.parametrize("policy", [TIER_BLOCK, ALONGSIDE])
def test_a_clean_request_takes_the_first_fallback(
    gw: RunningGateway, upstream: FakeUpstream, policy: str
) -> None:
    _, key = tenant_with_policy(gw, policy)
    tag = unique_tag()
    answer = ask(gw, key, "openai", "vault", f"{tag} hello", False)
    assert answer.status == 200
    assert received(upstream, CHEAP_UP, tag) and not received(upstream, TRUSTED_UP, tag)
    route = audit_of(gw, answer).guardrails["route"]
    assert route == {"model": "cheap", "fallback": True, "skipped": []}


@pytest.mark.parametrize(("shape", "stream"), SHAPES)
def test_no_fallback_left_answers_with_the_primary_error(
    gw: RunningGateway, upstream: FakeUpstream, shape: Shape, stream: bool
) -> None:
    # 'cheap' is below the email's tier, 'trusted' outside the allowlist.
    _, key = tenant_with_policy(gw, TIER_BLOCK, allowed_models=["vault", "cheap"])
    tag = unique_tag()
    answer = ask(gw, key, shape, "vault", f"{tag} mail {EMAIL}", stream)
    assert_primary_error(answer, shape)
    assert not received(upstream, CHEAP_UP, tag) and not received(upstream, TRUSTED_UP, tag)
    record = audit_of(gw, answer)
    assert (record.status, record.model, record.attempts) == ("upstream_error", "vault", 1)
    assert record.guardrails["route"]["skipped"] == [
        {"model": "cheap", "reason": "policy: trust-tier"},
        {"model": "trusted", "reason": "model_not_allowed"},
    ]


def test_a_check_running_alongside_still_judges_the_fallback(
    gw: RunningGateway, upstream: FakeUpstream
) -> None:
    # Past the inline-scan size the check runs on a thread, while the primary fails: the
    # fallback waits for its verdict (test_decide_fallbacks covers the wait itself).
    _, key = tenant_with_policy(gw, ALONGSIDE, allowed_models=["vault", "cheap"])
    tag = unique_tag()
    padding = "lorem ipsum " * 1000
    answer = ask(gw, key, "openai", "vault", f"{tag} {padding} mail {EMAIL}", True)
    assert_primary_error(answer, "openai")
    assert not received(upstream, CHEAP_UP, tag)
    record = audit_of(gw, answer)
    assert record.guardrails["route"]["skipped"] == [
        {"model": "cheap", "reason": "policy: trust-tier"},
        {"model": "trusted", "reason": "model_not_allowed"},
    ]


def test_what_was_redacted_does_not_hold_a_fallback_back(
    gw: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = tenant_with_policy(gw, REDACT_MAIL)
    tag = unique_tag()
    answer = ask(gw, key, "anthropic", "vault", f"{tag} mail {EMAIL}", False)
    # The email left as a placeholder, so 'cheap' may have the request; the answer is
    # restored as usual.
    assert (answer.status, answer.text.rstrip()) == (200, f"{ANSWER_PREFIX}{tag} mail {EMAIL}")
    [sent] = received(upstream, CHEAP_UP, tag)
    assert EMAIL not in sent
    assert audit_of(gw, answer).guardrails["route"]["model"] == "cheap"


# --- reroutes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("shape", "stream"), SHAPES)
def test_the_reroute_targets_fallbacks_are_checked_too(
    gw: RunningGateway, upstream: FakeUpstream, shape: Shape, stream: bool
) -> None:
    # 'front' may not take the email: the policy reroutes to 'vault', which fails; its
    # fallback 'cheap' may not take the email either, 'trusted' may.
    _, key = tenant_with_policy(gw, TIER_REROUTE)
    tag = unique_tag()
    answer = ask(gw, key, shape, "front", f"{tag} mail {EMAIL}", stream)
    assert (answer.status, answer.text.rstrip()) == (200, f"{ANSWER_PREFIX}{tag} mail {EMAIL}")
    assert received(upstream, VAULT_UP, tag) and received(upstream, TRUSTED_UP, tag)
    assert not received(upstream, FRONT_UP, tag) and not received(upstream, CHEAP_UP, tag)
    record = audit_of(gw, answer)
    assert record.guardrails["input"]["rerouted_to"] == "vault"
    assert record.guardrails["route"] == {
        "model": "trusted",
        "fallback": True,
        "skipped": [{"model": "cheap", "reason": "policy: trust-tier"}],
    }


def test_a_reroute_targets_fallbacks_answer_to_the_allowlist(
    gw: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = tenant_with_policy(gw, TIER_REROUTE, allowed_models=["front", "vault", "cheap"])
    tag = unique_tag()
    answer = ask(gw, key, "openai", "front", f"{tag} mail {EMAIL}", False)
    assert_primary_error(answer, "openai")
    assert not received(upstream, CHEAP_UP, tag) and not received(upstream, TRUSTED_UP, tag)
    assert audit_of(gw, answer).guardrails["route"]["skipped"] == [
        {"model": "cheap", "reason": "policy: trust-tier"},
        {"model": "trusted", "reason": "model_not_allowed"},
    ]


# --- embeddings --------------------------------------------------------------------------------


def embed(gw: RunningGateway, key: str, text: str) -> Answer:
    try:
        raw = openai_client(gw, key).embeddings.with_raw_response.create(
            model="emb-vault", input=text
        )
        return Answer(raw.status_code, raw.headers["x-request-id"])
    except openai.APIStatusError as exc:
        return Answer(exc.status_code, exc.response.headers["x-request-id"], error=exc.body)


def test_embedding_fallbacks_answer_to_the_tier_and_the_model_type(
    gw: RunningGateway, upstream: FakeUpstream
) -> None:
    _, key = tenant_with_policy(gw, TIER_BLOCK)
    tag = unique_tag()
    answer = embed(gw, key, f"{tag} mail {EMAIL}")
    assert answer.status == 502
    assert not received(upstream, "fb-emb-cheap", tag) and not received(upstream, CHEAP_UP, tag)
    assert audit_of(gw, answer).guardrails["route"]["skipped"] == [
        {"model": "emb-cheap", "reason": "policy: trust-tier"},
        {"model": "cheap", "reason": "wrong_model_type"},
    ]
    clean = embed(gw, key, f"{tag} hello")
    assert clean.status == 200 and received(upstream, "fb-emb-cheap", tag)
    assert audit_of(gw, clean).guardrails["route"]["model"] == "emb-cheap"
