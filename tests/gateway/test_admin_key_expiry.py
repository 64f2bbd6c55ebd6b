"""The admin API refuses to create a key whose expiry has already passed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from .conftest import RunningGateway
from .test_admin_api import admin, assert_admin_error


@pytest.fixture
def root_key(gateway: RunningGateway) -> str:
    return gateway.identities.create_admin_key(name="root")[1].secret


def test_a_past_expiry_is_refused_in_the_admin_shape(
    gateway: RunningGateway, root_key: str
) -> None:
    api = admin(gateway, root_key)
    tenant = api.post("/tenants", json={"name": f"expiry-{id(api)}"}).json()["id"]
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    naive_past = (datetime.now(UTC) - timedelta(minutes=5)).replace(tzinfo=None).isoformat()
    for when in (past, naive_past):
        refused = api.post("/keys", json={"tenant": tenant, "expires_at": when})
        error = assert_admin_error(refused, 400)["error"]
        assert error["code"] == "invalid_expires_at"
        assert "expires_at" in error["message"]
    assert api.get("/keys", params={"tenant": tenant}).json() == []
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = api.post("/keys", json={"tenant": tenant, "expires_at": future})
    assert created.status_code == 201
    assert api.post("/keys", json={"tenant": tenant}).status_code == 201
