"""Health, readiness, metrics, logs and graceful shutdown of a real gateway process."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.gateway_process import GatewayProcess, gateway_config, write_config
from support.upstream import FakeUpstream

from .conftest import RunningGateway
from .test_openai_sdk import client as openai_client


def test_health_and_readiness(gateway: RunningGateway) -> None:
    assert httpx2.get(gateway.url + "/healthz", timeout=5).json() == {"status": "ok"}
    ready = httpx2.get(gateway.url + "/readyz", timeout=5)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"store": "ok", "audit": "ok"}


def test_metrics_by_tenant_and_model(gateway: RunningGateway) -> None:
    tenant, key = gateway.new_key()
    openai_client(gateway, key).chat.completions.create(
        model="gpt-ok", messages=[{"role": "user", "content": "count me"}]
    )
    with pytest.raises(openai.NotFoundError):
        openai_client(gateway, key).chat.completions.create(
            model="missing", messages=[{"role": "user", "content": "x"}]
        )
    samples = scrape(gateway)
    gpt = {"tenant": tenant, "model": "gpt-ok"}
    assert (
        samples[("ramparts_requests_total", key_of({**gpt, "api": "openai", "status": "success"}))]
        == 1
    )
    assert samples[("ramparts_tokens_total", key_of({**gpt, "direction": "input"}))] == 11
    assert samples[("ramparts_tokens_total", key_of({**gpt, "direction": "output"}))] == 7
    assert samples[("ramparts_request_duration_seconds_count", key_of(gpt))] == 1
    assert samples[("ramparts_cost_usd_total", key_of(gpt))] == pytest.approx(25e-6)
    missing = {"tenant": tenant, "model": "unknown", "code": "model_not_found"}
    assert samples[("ramparts_errors_total", key_of(missing))] == 1


def key_of(labels: dict[str, str]) -> frozenset[tuple[str, str]]:
    return frozenset(labels.items())


def scrape(gateway: RunningGateway) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = httpx2.get(gateway.url + "/metrics", timeout=5).text
    return {
        (sample.name, key_of(sample.labels)): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_logs_are_json_with_request_ids_and_no_secrets(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-ok", messages=[{"role": "user", "content": "my card is 4111 1111 1111 1111"}]
    )
    request_id = raw.headers["x-request-id"]
    time.sleep(0.1)
    logs = gateway.process.logs()
    entries = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(
        e.get("request_id") == request_id and e["logger"] == "ramparts.access" for e in entries
    )
    for secret in (key, "sk-fake-openai-credential-123", "4111 1111 1111 1111"):
        assert secret not in logs


def _slow_stream(url: str, key: str, result: dict[str, Any]) -> None:
    sdk = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0, timeout=30)
    text = ""
    for chunk in sdk.chat.completions.create(
        model="gpt-slowstream",
        messages=[{"role": "user", "content": "a b c d e f g h"}],
        stream=True,
    ):
        text += "".join(c.delta.content or "" for c in chunk.choices)
    result["text"] = text


def test_graceful_shutdown_finishes_in_flight_requests_and_writes_audit(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    engine = create_store_engine(url)
    migrate(engine)
    identities = IdentityStore(session_factory(engine))
    tenant = identities.create_tenant("shutdown-co")
    _, created = identities.create_key(tenant.id)
    config = gateway_config(upstream.openai_url, upstream.anthropic_url, tmp_path / "data")
    config["models"].append({"name": "gpt-slowstream", "provider": "openai-up"})
    process = GatewayProcess(write_config(tmp_path / "c.yaml", config), url, tmp_path / "log.txt")
    upstream.stream_delay = 0.15
    result: dict[str, Any] = {}
    worker = threading.Thread(target=_slow_stream, args=(process.url, created.secret, result))
    try:
        worker.start()
        time.sleep(0.5)  # the stream is under way
        code = process.stop()
        worker.join(20)
    finally:
        upstream.stream_delay = 0.0
    assert code in (0, -15)  # uvicorn re-raises SIGTERM after a graceful shutdown
    assert result["text"].strip() == "upstream says: a b c d e f g h"
    from ramparts.audit.trail import verify_trail

    outcome = verify_trail(engine, tenant.id)
    assert outcome.ok and outcome.records == 1
    engine.dispose()
