"""A stored policy that no longer validates refuses the tenant's requests, clearly."""

from __future__ import annotations

import anthropic
import openai
import pytest
from sqlalchemy import update

from ramparts.policy.store import PolicyVersion
from ramparts.store.db import create_store_engine, session_factory
from support.upstream import FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import client as anthropic_client
from .test_guardrails import POLICY, sent_bodies, tenant_with_policy, unique_tag
from .test_openai_sdk import client as openai_client

# Valid when it was stored; refused since canaries need at least 6 characters.
OUTDATED = POLICY.replace(
    "guards:\n  output: {window_tokens: 16}", "guards:\n  output: {canaries: [C-1]}"
)


def corrupt(gateway: RunningGateway, tenant: str) -> None:
    """Rewrite the stored text behind the store's back, as an older version might have."""
    engine = create_store_engine(gateway.database_url)
    try:
        with session_factory(engine).begin() as session:
            session.execute(
                update(PolicyVersion).where(PolicyVersion.tenant_id == tenant).values(text=OUTDATED)
            )
    finally:
        engine.dispose()


def test_an_invalid_stored_policy_fails_closed_in_both_shapes(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    assert OUTDATED != POLICY
    tag = unique_tag()
    tenant, key = tenant_with_policy(gateway, POLICY)
    corrupt(gateway, tenant)
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(gateway, key).chat.completions.create(
            model="gpt-ok", messages=[{"role": "user", "content": f"{tag} hello"}]
        )
    assert caught.value.status_code == 503
    assert caught.value.code == "policy_invalid"
    assert "version 1" in caught.value.message and "ramparts policy lint" in caught.value.message
    with pytest.raises(anthropic.APIStatusError) as anthropic_caught:
        anthropic_client(gateway, key).messages.create(
            model="claude-ok",
            max_tokens=20,
            messages=[{"role": "user", "content": f"{tag} hello"}],
        )
    assert anthropic_caught.value.status_code == 503
    error = anthropic_caught.value.body["error"]
    assert error["type"] == "api_error" and "does not validate" in error["message"]
    assert sent_bodies(upstream, tag) == []
