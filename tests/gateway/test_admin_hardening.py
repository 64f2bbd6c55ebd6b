"""The admin API under hostile input: refusals before the body, size limits, one error shape."""

from __future__ import annotations

import socket
from typing import Any

import httpx2
import pytest

from .conftest import RunningGateway
from .test_admin_api import admin, assert_admin_error


@pytest.fixture
def root_key(gateway: RunningGateway) -> str:
    return gateway.identities.create_admin_key(name="root")[1].secret


def raw_exchange(gateway: RunningGateway, head: bytes) -> bytes:
    """Send a hand-made request head and return the answer as it arrives."""
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                break
        return answer


def test_a_request_without_an_admin_key_is_refused_before_its_body(
    gateway: RunningGateway,
) -> None:
    # Declares a gigabyte and sends none of it: answered 401 at once, not read or waited on.
    head = (
        b"POST /admin/keys HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: 1000000000\r\n\r\n"
    )
    answer = raw_exchange(gateway, head)
    assert answer.startswith(b"HTTP/1.1 401")
    assert b'"authentication_error"' in answer
    for headers in ({}, {"authorization": "Bearer rk-not-an-admin-key"}, {"x-api-key": "rka-x"}):
        refused = httpx2.post(
            gateway.url + "/admin/keys", headers=headers, content=b"{", timeout=10
        )
        assert_admin_error(refused, 401)
    # The description of the API stays public.
    assert httpx2.get(gateway.url + "/admin/openapi.json", timeout=10).status_code == 200


def test_admin_bodies_over_the_limit_get_413(gateway: RunningGateway, root_key: str) -> None:
    limit = gateway.config["server"]["max_body_bytes"]
    api = admin(gateway, root_key)
    big = {"tenant": "x", "name": "n" * limit}
    body = assert_admin_error(api.post("/keys", json=big), 413)
    assert body["error"]["code"] == "body_too_large"

    def chunks() -> Any:
        for _ in range(limit // 1024 + 2):
            yield b" " * 1024

    streamed = api.post("/keys", content=chunks(), headers={"content-type": "application/json"})
    assert assert_admin_error(streamed, 413)["error"]["code"] == "body_too_large"
    # Under the limit the admin API works as before.
    assert api.post("/tenants", json={"name": f"small-{id(api)}"}).status_code == 201


def test_malformed_admin_input_answers_in_the_admin_shape(
    gateway: RunningGateway, root_key: str
) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"malformed-{id(api)}"}).json()["id"]
    json_headers = {"content-type": "application/json"}
    non_utf8 = api.post("/keys", content=b'{"tenant":"\xff"}', headers=json_headers)
    assert_admin_error(non_utf8, 400)
    deep = b'{"tenant":' + b"[" * 3000 + b"]" * 3000 + b"}"
    assert_admin_error(api.post("/keys", content=deep, headers=json_headers), 400)
    long_name = api.post("/keys", json={"tenant": tenant, "name": "n" * 201})
    assert "name" in assert_admin_error(long_name, 400)["error"]["message"]
    assert_admin_error(api.post("/keys", json={"tenant": tenant, "name": "a\x00b"}), 400)
    assert api.post("/keys", json={"tenant": tenant, "name": "n" * 200}).status_code == 201
    assert_admin_error(api.get("/keys", params={"tenant": "a\x00b"}), 400)
    assert_admin_error(api.get("/policies/a%00b"), 400)
    assert_admin_error(api.post("/teams", json={"tenant": "a\x00b", "name": "t"}), 400)
    assert_admin_error(api.post("/keys/key_a%00b/revoke"), 400)
    missing = assert_admin_error(api.get("/no-such-route"), 404)
    assert missing["error"]["code"] == "not_found"
    assert_admin_error(api.delete("/tenants"), 405)


def test_an_empty_model_allowlist_is_refused(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"allow-{id(api)}"}).json()["id"]
    empty = api.post("/keys", json={"tenant": tenant, "allowed_models": []})
    assert "allowed_models" in assert_admin_error(empty, 400)["error"]["message"]
    assert api.get("/keys", params={"tenant": tenant}).json() == []
    assert api.post("/keys", json={"tenant": tenant, "allowed_models": None}).status_code == 201


def test_a_scoped_admin_key_stops_when_its_tenant_is_revoked(
    gateway: RunningGateway, root_key: str
) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"gone-{id(api)}"}).json()["id"]
    scoped = admin(gateway, gateway.identities.create_admin_key(tenant_ref=tenant)[1].secret)
    assert scoped.get("/keys").status_code == 200
    assert api.post(f"/tenants/{tenant}/revoke").status_code == 200
    assert_admin_error(scoped.get("/keys"), 401)
    assert_admin_error(scoped.put(f"/policies/{tenant}", json={"text": "mode: monitor\n"}), 401)
    assert api.get("/keys").status_code == 200  # a global key is not affected


def test_policy_alias_bombs_and_deep_nesting_are_invalid_policies(
    gateway: RunningGateway, root_key: str
) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"bomb-{id(api)}"}).json()["id"]
    scoped = admin(gateway, gateway.identities.create_admin_key(tenant_ref=tenant)[1].secret)
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    bomb = scoped.put(f"/policies/{tenant}", json={"text": "\n".join(lines)}, timeout=10)
    body = assert_admin_error(bomb, 400)
    assert body["error"]["code"] == "invalid_policy"
    assert "aliases" in body["error"]["message"] and "request body:" in body["error"]["message"]
    for depth in (500, 50_000):
        deep = scoped.put(f"/policies/{tenant}", json={"text": "mode: " + "[" * depth})
        assert assert_admin_error(deep, 400)["error"]["code"] == "invalid_policy"
    assert scoped.put(f"/policies/{tenant}", json={"text": "mode: monitor\n"}).status_code == 200
