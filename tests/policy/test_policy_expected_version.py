"""A policy change based on a version that is no longer the newest is refused, not stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ramparts.errors import ConflictError
from ramparts.policy.store import PolicyStore, StaleVersionError
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from support.databases import database


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[PolicyStore, str]]:
    with database(request.param, tmp_path) as url:
        engine = create_store_engine(url)
        migrate(engine)
        tenant = IdentityStore(session_factory(engine)).create_tenant("versioned")
        yield PolicyStore(session_factory(engine)), tenant.id
        engine.dispose()


def test_expected_version_guards_the_save(stores: tuple[PolicyStore, str]) -> None:
    store, tenant = stores
    # 0 means "no policy yet".
    first = store.save(tenant, "mode: monitor\n", author="a", expected_version=0)
    assert first.version == 1
    with pytest.raises(StaleVersionError) as stale:
        store.save(tenant, "mode: enforce\n", author="b", expected_version=0)
    assert (stale.value.expected, stale.value.current) == (0, 1)
    assert isinstance(stale.value, ConflictError)
    assert store.save(tenant, "mode: enforce\n", author="b", expected_version=1).version == 2
    with pytest.raises(StaleVersionError):
        store.save(tenant, "mode: monitor\n", author="c", expected_version=1)
    assert [p.version for p in store.history(tenant)] == [1, 2]


def test_without_expected_version_saves_as_before(stores: tuple[PolicyStore, str]) -> None:
    store, tenant = stores
    assert store.save(tenant, "mode: monitor\n", author="a").version == 1
    assert store.save(tenant, "mode: enforce\n", author="a").version == 2


def test_rollback_with_expected_version_refuses_a_stale_rollback(
    stores: tuple[PolicyStore, str],
) -> None:
    store, tenant = stores
    store.save(tenant, "mode: monitor\n", author="a")
    store.save(tenant, "mode: enforce\n", author="a")
    with pytest.raises(StaleVersionError) as stale:
        store.rollback(tenant, 1, author="b", expected_version=1)
    assert (stale.value.expected, stale.value.current) == (1, 2)
    assert [p.version for p in store.history(tenant)] == [1, 2]
    rolled = store.rollback(tenant, 1, author="b", expected_version=2)
    assert (rolled.version, rolled.text) == (3, "mode: monitor\n")
