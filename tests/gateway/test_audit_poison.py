"""A caller's `model` string reaches the audit trail and metrics only in a form they can hold."""

from __future__ import annotations

import time

import httpx2

from ramparts.config import ModelSettings
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.routing import Route

from .conftest import RunningGateway


def chat(gateway: RunningGateway, key: str, model: str) -> httpx2.Response:
    return httpx2.post(
        gateway.url + "/v1/chat/completions",
        headers={"authorization": f"Bearer {key}"},
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )


def test_a_hostile_model_name_never_stops_the_audit_trail(gateway: RunningGateway) -> None:
    _, key_a = gateway.new_key()
    tenant_b, key_b = gateway.new_key()
    hostile = {"z" * 5000: "z" * 200, "echo\x00\n\x1b[31m": "echo[31m", "é\x85" * 150: "é" * 150}
    request_ids: dict[str, str] = {}
    for model in hostile:
        answer = chat(gateway, key_a, model)
        assert answer.status_code == 404
        request_ids[answer.headers["x-request-id"]] = model
    answer = chat(gateway, key_b, "echo")
    assert answer.status_code == 200
    assert [r.model for r in gateway.audit(answer.headers["x-request-id"])] == ["echo"]
    for request_id, model in request_ids.items():
        [record] = gateway.audit(request_id)
        assert record.model == hostile[model]
    later = chat(gateway, key_b, "echo")  # the writer keeps going afterwards
    assert len(gateway.audit(later.headers["x-request-id"])) == 1
    assert [r.seq for r in gateway.tenant_audit(tenant_b)] == [1, 2]


def test_metrics_label_only_resolved_models(gateway: RunningGateway) -> None:
    tenant, key = gateway.new_key()
    secret_ish = f"sk-live-{time.monotonic_ns()}"
    assert chat(gateway, key, secret_ish).status_code == 404
    assert chat(gateway, key, "echo").status_code == 200
    text = httpx2.get(gateway.url + "/metrics", timeout=10).text
    assert secret_ish not in text
    mine = [line for line in text.splitlines() if f'tenant="{tenant}"' in line]
    assert any('model="unknown"' in line and 'status="error"' in line for line in mine)
    assert any('model="echo"' in line and 'status="success"' in line for line in mine)


def echo_route() -> Route:
    return Route(ModelSettings(name="echo", provider="local"), "local")


def test_the_audit_model_is_the_resolved_name_or_the_callers_text_made_safe() -> None:
    exchange = Exchange("r", "openai", "/v1/chat/completions")
    assert exchange.audit_event().model is None
    exchange.model = "a\x00b\tc\u0085d" + "x" * 300
    assert exchange.audit_event().model == "abcd" + "x" * 196
    exchange.model = "echo"
    exchange.route = echo_route()
    assert exchange.audit_event().model == "echo"
    exchange.model = "echo\x00"  # never from routing, but the configured name stands in
    assert exchange.audit_event().model == "echo"
