"""The redaction vault in Redis, through a real gateway: shared, encrypted, expiring."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anthropic
import openai
import pytest
import redis

from ramparts.policy.store import PolicyStore
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.gateway_process import GatewayProcess, gateway_config, write_config
from support.upstream import ANSWER_PREFIX, FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import client as anthropic_client
from .test_guardrails import EMAIL, PHONE, POLICY
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


# --- the vault failing ----------------------------------------------------------------


class RedisHop:
    """A TCP hop between the gateway and the real Redis that a test can break: ``hang``
    (bytes are swallowed, nothing answers) or ``cut`` (connections closed and refused)."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.hanging = False
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self._listener.accept()
            except OSError:
                return  # cut
            far = socket.create_connection(("127.0.0.1", 6379))
            self._sockets += [near, far]
            for source, target in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if not self.hanging:
                    target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with contextlib.suppress(OSError):  # wakes the blocked accept(); close() alone would not
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def vault_via_hop(
    upstream: FakeUpstream, tmp_path: Path
) -> Iterator[tuple[RunningGateway, str, str, RedisHop]]:
    """A gateway whose Redis vault is reached through a :class:`RedisHop`."""
    url = f"sqlite:///{tmp_path / 'hop.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    identities = IdentityStore(session_factory(engine))
    tenant = identities.create_tenant("hop-co")
    _, created = identities.create_key(tenant.id)
    PolicyStore(session_factory(engine)).save(tenant.id, POLICY, author="test")
    hop = RedisHop()
    config = gateway_config(upstream.openai_url, upstream.anthropic_url, tmp_path / "data")
    config["redis_url"] = f"redis://127.0.0.1:{hop.port}/0"
    config["redaction"] = {"store": "redis", "ttl_seconds": 120, "redis_timeout_seconds": 0.5}
    process = GatewayProcess(write_config(tmp_path / "c.yaml", config), url, tmp_path / "log.txt")
    try:
        yield RunningGateway(process, identities, url, config), tenant.id, created.secret, hop
    finally:
        process.stop()
        hop.cut()
        direct = redis.Redis(host="127.0.0.1", port=6379)
        for key in direct.keys(f"ramparts:vault:{tenant.id}:*"):
            direct.delete(key)
        engine.dispose()


def test_a_vault_outage_mid_stream_neither_cuts_nor_corrupts_the_answer(
    vault_via_hop: tuple[RunningGateway, str, str, RedisHop], upstream: FakeUpstream
) -> None:
    gateway, _, secret, hop = vault_via_hop
    # The phone's placeholder first comes back after Redis has gone: nothing in the answer
    # needs the vault any more, so the answer streams to its end with both values restored.
    prompt = f"mail {EMAIL} then" + " and" * 40 + f" call {PHONE} now"
    upstream.stream_delay = 0.02
    try:
        stream = openai_client(gateway, secret).chat.completions.with_raw_response.create(  # type: ignore[arg-type]
            model="gpt-ok", messages=[{"role": "user", "content": prompt}], stream=True
        )
        text = ""
        for chunk in stream.parse():
            if not text:
                hop.cut()
            text += "".join(c.delta.content or "" for c in chunk.choices)
    finally:
        upstream.stream_delay = 0.0
    assert text.strip() == ANSWER_PREFIX + prompt
    [record] = gateway.audit(stream.headers["x-request-id"])
    assert record.status == "success"
    assert record.guardrails["output"]["status"] == "ran"


def test_a_vault_that_hangs_or_is_down_fails_the_request_closed_in_both_shapes(
    vault_via_hop: tuple[RunningGateway, str, str, RedisHop], upstream: FakeUpstream
) -> None:
    gateway, _, secret, hop = vault_via_hop
    tag = f"hop{time.monotonic_ns()}"
    prompt = f"{tag} mail {EMAIL}"
    hop.hanging = True  # a hung Redis costs a request its timeout, not the gateway its loop
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        openai_client(gateway, secret).chat.completions.create(  # type: ignore[arg-type]
            model="gpt-ok", messages=[{"role": "user", "content": prompt}], stream=True
        )
    assert time.monotonic() - started < 10
    assert caught.value.status_code == 503
    assert caught.value.code == "redaction_unavailable"
    assert EMAIL not in json.dumps(caught.value.body)
    request_id = caught.value.response.headers["x-request-id"]
    [record] = gateway.audit(request_id)
    assert record.status == "error"
    assert record.guardrails["input"]["status"] == "failed_closed"
    assert record.guardrails["input"]["error"] == "TimeoutError"
    hop.cut()
    with pytest.raises(anthropic.APIStatusError) as refused:
        anthropic_client(gateway, secret).messages.create(  # type: ignore[arg-type]
            model="gpt-ok", max_tokens=20, messages=[{"role": "user", "content": prompt}]
        )
    assert refused.value.status_code == 503
    assert refused.value.body["type"] == "error"  # type: ignore[index]
    assert refused.value.body["error"]["type"] == "api_error"  # type: ignore[index]
    [record] = gateway.audit(refused.value.response.headers["x-request-id"])
    assert record.guardrails["input"]["error"] == "ConnectionError"
    assert not [body for body in upstream.received if tag in json.dumps(body)]
