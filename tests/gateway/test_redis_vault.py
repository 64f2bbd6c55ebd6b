"""The redaction vault in Redis, through a real gateway: shared, encrypted, expiring."""

from __future__ import annotations

from pathlib import Path

import redis

from ramparts.policy.store import PolicyStore
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.gateway_process import GatewayProcess, gateway_config, write_config
from support.upstream import ANSWER_PREFIX, FakeUpstream

from .test_guardrails import EMAIL, POLICY
from .test_openai_sdk import client as openai_client


def test_placeholders_live_encrypted_in_redis(upstream: FakeUpstream, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'vault.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    tenant = IdentityStore(session_factory(engine)).create_tenant("redis-co")
    _, created = IdentityStore(session_factory(engine)).create_key(tenant.id)
    PolicyStore(session_factory(engine)).save(tenant.id, POLICY, author="test")
    config = gateway_config(upstream.openai_url, upstream.anthropic_url, tmp_path / "data")
    config["redis_url"] = "redis://127.0.0.1:6379/0"
    config["redaction"] = {"store": "redis", "ttl_seconds": 120}
    process = GatewayProcess(write_config(tmp_path / "c.yaml", config), url, tmp_path / "log.txt")
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        prompt = f"vault-e2e write to {EMAIL}"
        answer = openai_client(process, created.secret).chat.completions.create(  # type: ignore[arg-type]
            model="gpt-ok", messages=[{"role": "user", "content": prompt}]
        )
        assert answer.choices[0].message.content == ANSWER_PREFIX + prompt
        keys = client.keys(f"ramparts:vault:{tenant.id}:*")
        assert len(keys) == 1
        stored = client.hgetall(keys[0])
        assert b"p:[EMAIL_1]" in stored
        assert EMAIL.encode() not in b"".join([*stored.keys(), *stored.values()])
        assert 0 < client.ttl(keys[0]) <= 120
        assert (tmp_path / "data" / "vault.key").stat().st_mode & 0o077 == 0
    finally:
        process.stop()
        for key in client.keys(f"ramparts:vault:{tenant.id}:*"):
            client.delete(key)
        engine.dispose()
