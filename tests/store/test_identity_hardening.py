"""Identity lookups and changes refuse what the store cannot hold, and honour revoked tenants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ramparts.errors import InvalidRequestError
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.databases import database


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdentityStore]:
    with database(request.param, tmp_path) as url:
        engine = create_store_engine(url)
        migrate(engine)
        yield IdentityStore(session_factory(engine))
        engine.dispose()


def test_a_scoped_admin_key_resolves_only_while_its_tenant_is_active(store: IdentityStore) -> None:
    tenant = store.create_tenant("scoped")
    _, scoped = store.create_admin_key(tenant_ref=tenant.id)
    _, global_key = store.create_admin_key()
    assert store.resolve_admin_key(scoped.secret) is not None
    store.revoke_tenant(tenant.id)
    assert store.resolve_admin_key(scoped.secret) is None
    resolved = store.resolve_admin_key(global_key.secret)
    assert resolved is not None and resolved.tenant_id is None


def test_an_empty_allowlist_is_refused(store: IdentityStore) -> None:
    tenant = store.create_tenant("allow")
    with pytest.raises(InvalidRequestError, match="allowed_models is empty"):
        store.create_key(tenant.id, allowed_models=[])
    assert store.list_keys(tenant.id) == []
    row, _ = store.create_key(tenant.id, allowed_models=["echo", "echo"])
    assert row.allowed_models == ["echo"]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get_tenant("a\x00b"),
        lambda s: s.list_keys("a\x00b"),
        lambda s: s.get_team(s.get_tenant("refs").id, "a\x00b"),
        lambda s: s.get_user(s.get_tenant("refs").id, "a\x00b"),
        lambda s: s.revoke_key("key_\x00"),
        lambda s: s.revoke_admin_key("adm_\x00"),
        lambda s: s.create_key("refs", name="a\x00b"),
        lambda s: s.create_key("refs", name="n" * 201),
        lambda s: s.create_admin_key(name="a\x00b"),
    ],
)
def test_nul_references_and_bad_key_names_are_invalid_requests(
    store: IdentityStore, call: Callable[[IdentityStore], object]
) -> None:
    store.create_tenant("refs")
    with pytest.raises(InvalidRequestError):
        call(store)
