"""Bad input and failures: a clear error in the caller's shape, and one audit record each."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import anthropic
import httpx2
import openai
import pytest

from support.upstream import FakeUpstream

from .conftest import RunningGateway
from .test_anthropic_sdk import client as anthropic_client
from .test_openai_sdk import client as openai_client

HELLO = [{"role": "user", "content": "hello"}]


def post(
    gateway: RunningGateway, path: str, key: str | None, body: Any, **headers: str
) -> httpx2.Response:
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx2.post(gateway.url + path, content=content, headers=headers, timeout=20)


def assert_openai_error(
    response: httpx2.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code
    return body


def assert_anthropic_error(response: httpx2.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert set(body["error"]) == {"type", "message"}
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def one_record(gateway: RunningGateway, response: httpx2.Response) -> Any:
    records = gateway.audit(response.headers["x-request-id"])
    assert len(records) == 1
    return records[0]


# --- authentication and authorisation ------------------------------------------


def test_missing_key_is_401_in_both_shapes(gateway: RunningGateway) -> None:
    response = post(gateway, "/v1/chat/completions", None, {"model": "echo", "messages": HELLO})
    assert_openai_error(response, 401, "missing_api_key")
    assert one_record(gateway, response).status == "error"
    response = post(
        gateway, "/v1/messages", None, {"model": "echo", "max_tokens": 5, "messages": HELLO}
    )
    assert_anthropic_error(response, 401, "authentication_error")


@pytest.mark.parametrize("case", ["wrong", "expired", "revoked", "revoked-tenant"])
def test_bad_keys_are_401(gateway: RunningGateway, case: str) -> None:
    if case == "wrong":
        key = "rk-" + "x" * 43
    elif case == "expired":
        _, key = gateway.new_key(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    else:
        tenant, key = gateway.new_key()
        if case == "revoked":
            [row] = gateway.identities.list_keys(tenant)
            gateway.identities.revoke_key(row.id)
        else:
            gateway.identities.revoke_tenant(tenant)
    with pytest.raises(openai.AuthenticationError) as caught:
        openai_client(gateway, key).chat.completions.create(model="echo", messages=HELLO)
    assert caught.value.code == "invalid_api_key"
    with pytest.raises(anthropic.AuthenticationError):
        anthropic_client(gateway, key).messages.create(model="echo", max_tokens=5, messages=HELLO)


def test_key_that_expires_while_cached_stops_working(gateway: RunningGateway) -> None:
    _, key = gateway.new_key(expires_at=datetime.now(UTC) + timedelta(seconds=1.5))
    openai_client(gateway, key).chat.completions.create(model="echo", messages=HELLO)
    time.sleep(1.6)
    with pytest.raises(openai.AuthenticationError):
        openai_client(gateway, key).chat.completions.create(model="echo", messages=HELLO)


def test_model_outside_the_allowlist_is_403(gateway: RunningGateway) -> None:
    _, key = gateway.new_key(allowed_models=["echo"])
    with pytest.raises(openai.PermissionDeniedError) as caught:
        openai_client(gateway, key).chat.completions.create(model="gpt-ok", messages=HELLO)
    assert caught.value.code == "model_not_allowed"
    with pytest.raises(anthropic.PermissionDeniedError):
        anthropic_client(gateway, key).messages.create(model="gpt-ok", max_tokens=5, messages=HELLO)


def test_unknown_model_is_404(gateway: RunningGateway, api_key: str) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        openai_client(gateway, api_key).chat.completions.create(model="gpt-9000", messages=HELLO)
    assert caught.value.code == "model_not_found"
    with pytest.raises(anthropic.NotFoundError):
        anthropic_client(gateway, api_key).messages.create(
            model="gpt-9000", max_tokens=5, messages=HELLO
        )
    response = post(
        gateway, "/v1/chat/completions", api_key, {"model": "gpt-9000", "messages": HELLO}
    )
    record = one_record(gateway, response)
    assert (record.status, record.http_status, record.model) == ("error", 404, "gpt-9000")


# --- malformed requests -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "'body' must be an object"),
        ({"messages": HELLO}, "missing required parameter 'model'"),
        ({"model": "echo"}, "missing required parameter 'messages'"),
        ({"model": "echo", "messages": []}, "must not be empty"),
        ({"model": 42, "messages": HELLO}, "'model' must be a string"),
        ({"model": "echo", "messages": "hi"}, "'messages' must be an array"),
        ({"model": "echo", "messages": [{"content": "x"}]}, "'messages[0].role'"),
        ({"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}, "must be one of"),
        (
            {"model": "echo", "messages": HELLO, "temperature": "hot"},
            "'temperature' must be a number",
        ),
        ({"model": "echo", "messages": HELLO, "temperature": 9}, "between"),
        ({"model": "echo", "messages": HELLO, "n": 0}, "'n' must be between"),
        ({"model": "echo", "messages": HELLO, "stream": "yes"}, "'stream' must be a boolean"),
        (
            {"model": "echo", "messages": [{"role": "user", "content": [{"type": "audio"}]}]},
            "unsupported content part type",
        ),
    ],
)
def test_malformed_openai_bodies_are_400(
    gateway: RunningGateway, api_key: str, body: Any, fragment: str
) -> None:
    response = post(gateway, "/v1/chat/completions", api_key, body)
    error = assert_openai_error(response, 400)
    assert fragment in error["error"]["message"]
    record = one_record(gateway, response)
    assert (record.status, record.http_status) == ("error", 400)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{oops", "not valid JSON"),
        ({"model": "echo", "messages": HELLO}, "missing required parameter 'max_tokens'"),
        (
            {"model": "echo", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]},
            "'user' or 'assistant'",
        ),
        (
            {"model": "echo", "max_tokens": "5", "messages": HELLO},
            "'max_tokens' must be an integer",
        ),
        (
            {
                "model": "echo",
                "max_tokens": 5,
                "messages": [{"role": "user", "content": [{"type": "video"}]}],
            },
            "unsupported block type",
        ),
    ],
)
def test_malformed_anthropic_bodies_are_400(
    gateway: RunningGateway, api_key: str, body: Any, fragment: str
) -> None:
    response = post(gateway, "/v1/messages", api_key, body)
    error = assert_anthropic_error(response, 400, "invalid_request_error")
    assert fragment in error["error"]["message"]
    one_record(gateway, response)


def test_body_over_the_limit_is_413(gateway: RunningGateway, api_key: str) -> None:
    huge = {"model": "echo", "messages": [{"role": "user", "content": "x" * 70_000}]}
    response = post(gateway, "/v1/chat/completions", api_key, huge)
    assert_openai_error(response, 413, "body_too_large")
    assert one_record(gateway, response).http_status == 413
    response = post(gateway, "/v1/messages", api_key, {**huge, "max_tokens": 5})
    assert_anthropic_error(response, 413, "request_too_large")


def test_chunked_body_over_the_limit_is_413(gateway: RunningGateway, api_key: str) -> None:
    def chunks() -> Any:
        yield b'{"model": "echo", "messages": [{"role": "user", "content": "'
        for _ in range(20):
            yield b"y" * 8192
        yield b'"}]}'

    response = httpx2.post(
        gateway.url + "/v1/chat/completions",
        content=chunks(),
        headers={"authorization": f"Bearer {api_key}"},
        timeout=20,
    )
    assert_openai_error(response, 413, "body_too_large")


def test_unknown_route_gets_an_error_in_shape(gateway: RunningGateway) -> None:
    response = httpx2.get(gateway.url + "/v1/nothing-here", timeout=5)
    assert_openai_error(response, 404, "not_found")


def test_unknown_anthropic_route_is_not_found_error(gateway: RunningGateway) -> None:
    """Review 8: Anthropic names a missing endpoint ``not_found_error``; a known path with
    the wrong method stays an invalid request (405)."""
    response = httpx2.post(gateway.url + "/v1/messages/count_tokens", json={}, timeout=5)
    assert_anthropic_error(response, 404, "not_found_error")
    response = httpx2.get(gateway.url + "/v1/messages", timeout=5)
    assert_anthropic_error(response, 405, "invalid_request_error")


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"k": "v"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [129, 300])
def test_json_nested_too_deep_is_refused_in_shape(
    gateway: RunningGateway, api_key: str, upstream: FakeUpstream, depth: int
) -> None:
    """Review 8: orjson reads 1,024 levels but writes 254, so a deep tool input or schema
    failed on its way upstream with a 500; it is now a 400 before anything is sent."""
    tool_use = {"type": "tool_use", "id": "t1", "name": "f", "input": _nested(depth)}
    body = {
        "model": "claude-ok",
        "max_tokens": 5,
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": [tool_use]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]},
        ],
    }
    response = post(gateway, "/v1/messages", api_key, body)
    message = assert_anthropic_error(response, 400, "invalid_request_error")["error"]["message"]
    assert "more than 128 levels" in message
    tools = [{"type": "function", "function": {"name": "f", "parameters": _nested(depth)}}]
    response = post(
        gateway,
        "/v1/chat/completions",
        api_key,
        {"model": "gpt-ok", "messages": HELLO, "tools": tools},
    )
    assert_openai_error(response, 400, "invalid_json")


def test_json_nested_to_the_limit_is_served(gateway: RunningGateway, api_key: str) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": _nested(120)}}]
    response = post(
        gateway,
        "/v1/chat/completions",
        api_key,
        {"model": "gpt-ok", "messages": HELLO, "tools": tools},
    )
    assert response.status_code == 200, response.text


# --- upstream failures -------------------------------------------------------------


def test_upstream_down_is_502_after_retries(gateway: RunningGateway, api_key: str) -> None:
    response = post(
        gateway, "/v1/chat/completions", api_key, {"model": "gpt-down", "messages": HELLO}
    )
    body = assert_openai_error(response, 502)
    assert "cannot reach provider 'nowhere'" in body["error"]["message"]
    record = one_record(gateway, response)
    assert (record.status, record.attempts) == ("upstream_error", 2)


def test_slow_upstream_is_504(gateway: RunningGateway, api_key: str) -> None:
    started = time.monotonic()
    response = post(
        gateway, "/v1/messages", api_key, {"model": "gpt-slow", "max_tokens": 5, "messages": HELLO}
    )
    assert time.monotonic() - started < 4
    assert_anthropic_error(response, 504, "api_error")
    assert one_record(gateway, response).error_code == "upstream_timeout"


def test_garbage_from_upstream_is_502(gateway: RunningGateway, api_key: str) -> None:
    response = post(
        gateway, "/v1/chat/completions", api_key, {"model": "gpt-garbage", "messages": HELLO}
    )
    body = assert_openai_error(response, 502)
    assert "not JSON" in body["error"]["message"]
    assert "<html>" not in response.text


@pytest.mark.parametrize("model", ["gpt-flaky", "gpt-429"])
def test_retryable_failures_are_retried(gateway: RunningGateway, model: str) -> None:
    _, key = gateway.new_key()
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model=model,
        messages=HELLO,
    )
    assert raw.parse().choices[0].message.content == "upstream says: hello"
    assert gateway.audit(raw.headers["x-request-id"])[0].attempts == 2


def test_fallback_to_the_next_model(gateway: RunningGateway) -> None:
    _, key = gateway.new_key()
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="gpt-500",
        messages=HELLO,
    )
    assert raw.parse().choices[0].message.content == "upstream says: hello"
    assert raw.parse().model == "gpt-500"
    [record] = gateway.audit(raw.headers["x-request-id"])
    assert (record.provider, record.attempts, record.status) == ("anthropic-up", 3, "success")
    assert record.cost_usd == pytest.approx((13 * 3.0 + 9 * 15.0) / 1e6)


def test_upstream_failure_mid_stream_ends_the_stream_with_an_error(
    gateway: RunningGateway, api_key: str
) -> None:
    with pytest.raises(openai.APIError):
        for _ in openai_client(gateway, api_key).chat.completions.create(
            model="gpt-midfail",
            messages=HELLO,
            stream=True,
        ):
            pass
    response = httpx2.post(
        gateway.url + "/v1/messages",
        json={"model": "gpt-midfail", "max_tokens": 5, "stream": True, "messages": HELLO},
        headers={"x-api-key": api_key},
        timeout=10,
    )
    assert response.status_code == 200
    assert "event: error" in response.text and "partial" in response.text
    record = one_record(gateway, response)
    assert (record.status, record.stream) == ("upstream_error", True)


def test_client_disconnect_mid_stream_cancels_upstream_and_is_audited(
    gateway: RunningGateway, upstream: FakeUpstream
) -> None:
    tenant, key = gateway.new_key()
    before = upstream.disconnects.count("gpt-hang")
    body = json.dumps({"model": "gpt-hang", "messages": HELLO, "stream": True}).encode()
    with socket.create_connection(("127.0.0.1", gateway.process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            + f"authorization: Bearer {key}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        received = b""
        while b"first" not in received:
            received += sock.recv(65536)
    deadline = time.monotonic() + 5
    while upstream.disconnects.count("gpt-hang") == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.disconnects.count("gpt-hang") == before + 1
    deadline = time.monotonic() + 5
    while not gateway.tenant_audit(tenant) and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = gateway.tenant_audit(tenant)
    assert (record.status, record.http_status, record.stream) == ("client_disconnected", 499, True)
    assert record.ttft_ms is not None


def test_client_disconnect_while_waiting_for_a_full_answer_is_audited(
    gateway: RunningGateway,
) -> None:
    tenant, key = gateway.new_key()
    body = json.dumps({"model": "gpt-slow", "messages": HELLO}).encode()
    with socket.create_connection(("127.0.0.1", gateway.process.port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            + f"authorization: Bearer {key}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while not gateway.tenant_audit(tenant) and time.monotonic() < deadline:
        time.sleep(0.05)
    [record] = gateway.tenant_audit(tenant)
    assert (record.status, record.http_status, record.stream) == ("client_disconnected", 499, False)
    assert record.latency_ms < 450  # cancelled, not left to run into the 500 ms upstream timeout
