"""PUT /admin/policies/{tenant} with ``expected_version``: 409 version_conflict when stale."""

from __future__ import annotations

import pytest

from .conftest import RunningGateway
from .test_admin_api import admin, assert_admin_error


@pytest.fixture
def root_key(gateway: RunningGateway) -> str:
    return gateway.identities.create_admin_key(name="root")[1].secret


def test_a_stale_policy_put_is_refused(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"stale-{id(api)}"}).json()["id"]
    path = f"/policies/{tenant}"
    first = api.put(path, json={"text": "mode: monitor\n", "expected_version": 0})
    assert first.status_code == 200 and first.json()["version"] == 1
    stale = api.put(path, json={"text": "mode: enforce\n", "expected_version": 0})
    error = assert_admin_error(stale, 409)["error"]
    assert error["code"] == "version_conflict"
    assert "version 1" in error["message"]
    assert api.get(path).json()["version"] == 1
    assert api.put(path, json={"text": "mode: enforce\n", "expected_version": 1}).status_code == 200
    # Without it, the change is stored whatever the current version (unchanged behaviour).
    assert api.put(path, json={"text": "mode: monitor\n"}).json()["version"] == 3
    negative = api.put(path, json={"text": "mode: monitor\n", "expected_version": -1})
    assert_admin_error(negative, 400)


def test_a_stale_rollback_is_refused(gateway: RunningGateway, root_key: str) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"stale-rb-{id(api)}"}).json()["id"]
    path = f"/policies/{tenant}"
    api.put(path, json={"text": "mode: monitor\n"})
    api.put(path, json={"text": "mode: enforce\n"})
    stale = api.post(f"{path}/rollback", json={"version": 1, "expected_version": 1})
    assert assert_admin_error(stale, 409)["error"]["code"] == "version_conflict"
    assert api.get(path).json()["version"] == 2
    rolled = api.post(f"{path}/rollback", json={"version": 1, "expected_version": 2})
    assert rolled.status_code == 200 and rolled.json()["version"] == 3
    assert api.get(path).json()["text"] == "mode: monitor\n"
