"""The admin HTTP API: admin keys, tenant scoping, key lifecycle, OpenAPI, one error shape."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from .conftest import RunningGateway
from .test_openai_sdk import client as openai_client


def admin(gateway: RunningGateway, key: str) -> httpx2.Client:
    return httpx2.Client(
        base_url=gateway.url + "/admin", headers={"authorization": f"Bearer {key}"}, timeout=10
    )


@pytest.fixture
def root_key(gateway: RunningGateway) -> str:
    return gateway.identities.create_admin_key(name="root")[1].secret


def assert_admin_error(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"message", "type", "code"}
    return body


def test_admin_api_needs_an_admin_key(gateway: RunningGateway, api_key: str) -> None:
    assert_admin_error(httpx2.get(gateway.url + "/admin/tenants", timeout=5), 401)
    # A model-API key is not an admin key.
    assert_admin_error(admin(gateway, api_key).get("/tenants"), 401)


def test_key_lifecycle_through_the_api(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": "admin-api-co"}).json()
    team = api.post("/teams", json={"tenant": tenant["id"], "name": "data"}).json()
    user = api.post("/users", json={"tenant": "admin-api-co", "name": "bob", "team": "data"}).json()
    assert user["team_id"] == team["id"]
    created = api.post(
        "/keys", json={"tenant": "admin-api-co", "user": "bob", "allowed_models": ["echo"]}
    )
    assert created.status_code == 201
    key = created.json()
    assert key["key"].startswith("rk-") and key["team_id"] == team["id"]
    listed = api.get("/keys", params={"tenant": tenant["id"]}).json()
    assert [k["id"] for k in listed] == [key["id"]]
    assert all("key" not in k and "secret_hash" not in k for k in listed)
    sdk = openai_client(gateway, key["key"])
    assert sdk.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])
    assert api.post(f"/keys/{key['id']}/revoke").json()["revoked_at"] is not None
    with pytest.raises(openai.AuthenticationError):
        sdk.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])


def test_tenant_scoped_admin_sees_only_its_tenant(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    mine = api.post("/tenants", json={"name": "scoped-mine"}).json()
    other = api.post("/tenants", json={"name": "scoped-other"}).json()
    other_key = api.post("/keys", json={"tenant": other["id"]}).json()
    scoped_secret = gateway.identities.create_admin_key(tenant_ref=mine["id"])[1].secret
    scoped = admin(gateway, scoped_secret)
    assert [t["id"] for t in scoped.get("/tenants").json()] == [mine["id"]]
    assert scoped.get("/keys").json() == []
    assert_admin_error(scoped.post("/keys", json={"tenant": other["id"]}), 404)
    assert_admin_error(scoped.post(f"/keys/{other_key['id']}/revoke"), 404)
    assert_admin_error(scoped.get("/keys", params={"tenant": "scoped-other"}), 404)
    assert_admin_error(scoped.post("/tenants", json={"name": "sneaky"}), 403)
    assert scoped.post("/keys", json={"tenant": mine["id"]}).status_code == 201
    assert len(scoped.get("/keys").json()) == 1


def test_validation_and_conflicts_use_the_admin_error_shape(
    gateway: RunningGateway, root_key: str
) -> None:
    api = admin(gateway, root_key)
    api.post("/tenants", json={"name": "dupe-co"})
    assert assert_admin_error(api.post("/tenants", json={"name": "dupe-co"}), 409)["error"][
        "message"
    ].startswith("a tenant named")
    body = assert_admin_error(api.post("/tenants", json={}), 400)
    assert "name" in body["error"]["message"]
    assert_admin_error(
        api.post("/keys", json={"tenant": "dupe-co", "allowed_models": ["nope"]}), 400
    )
    assert_admin_error(api.post("/keys", json={"tenant": "no-such-tenant"}), 404)


def test_openapi_describes_the_admin_api(gateway: RunningGateway) -> None:
    spec = httpx2.get(gateway.url + "/admin/openapi.json", timeout=5).json()
    assert spec["info"]["title"] == "Ramparts admin API"
    assert {"/tenants", "/keys", "/keys/{key_id}/revoke", "/audit/verify"} <= set(spec["paths"])


def test_audit_endpoints(gateway: RunningGateway, root_key: str) -> None:
    tenant, key = gateway.new_key()
    raw = openai_client(gateway, key).chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": "audit me"}]
    )
    gateway.audit(raw.headers["x-request-id"])
    api = admin(gateway, root_key)
    records = api.get("/audit/records", params={"tenant": tenant}).json()
    assert [r["request_id"] for r in records] == [raw.headers["x-request-id"]]
    assert "audit me" not in str(records)
    verdict = api.get("/audit/verify").json()
    assert verdict["ok"] is True and verdict["records"] >= 1
    assert verdict["legacy_time_records"] == 0


def test_policy_endpoints(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"policy-co-{id(api)}"}).json()
    assert_admin_error(api.get(f"/policies/{tenant['id']}"), 404)
    bad = api.put(f"/policies/{tenant['id']}", json={"text": "rules:\n  - {id: a, action: nuke}\n"})
    body = assert_admin_error(bad, 400)
    assert (
        "request body:2" in body["error"]["message"]
        and "allowed: allow" in body["error"]["message"]
    )
    first = api.put(
        f"/policies/{tenant['id']}", json={"text": "mode: monitor\n", "comment": "start"}
    )
    assert first.status_code == 200 and first.json()["version"] == 1
    api.put(f"/policies/{tenant['id']}", json={"text": "mode: enforce\n"})
    assert [p["version"] for p in api.get(f"/policies/{tenant['id']}/history").json()] == [1, 2]
    rolled = api.post(f"/policies/{tenant['id']}/rollback", json={"version": 1}).json()
    assert rolled["version"] == 3 and rolled["text"] == "mode: monitor\n"
    assert rolled["author"].startswith("admin-key:")
    scoped = admin(gateway, gateway.identities.create_admin_key(tenant_ref=tenant["id"])[1].secret)
    assert scoped.get(f"/policies/{tenant['id']}").json()["version"] == 3
    other = api.post("/tenants", json={"name": f"policy-other-{id(api)}"}).json()
    assert_admin_error(scoped.get(f"/policies/{other['id']}"), 404)
