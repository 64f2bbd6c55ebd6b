"""Names are exactly what the rule allows (no trailing newline), never shaped like an id,
and a reference that is some row's id finds that row, not one named like it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from ramparts.errors import InvalidRequestError
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore
from ramparts.store.models import Team, User
from support.databases import database


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IdentityStore]:
    with database("sqlite", tmp_path) as url:
        engine = create_store_engine(url)
        migrate(engine)
        yield IdentityStore(session_factory(engine))
        engine.dispose()


@pytest.mark.parametrize("name", ["acme\n", "acme\r\n", "\nacme", "ac\nme"])
def test_a_name_with_a_newline_is_refused(store: IdentityStore, name: str) -> None:
    tenant = store.create_tenant("acme")
    for create in (
        store.create_tenant,
        lambda n: store.create_team(tenant.id, n),
        lambda n: store.create_user(tenant.id, n),
    ):
        with pytest.raises(InvalidRequestError, match=r"invalid .* name"):
            create(name)


@pytest.mark.parametrize(
    "name", ["team_0123456789abcdef", "ten_a1b2c3d4e5f60718", "usr_ffffffffffffffff"]
)
def test_a_name_shaped_like_an_id_is_refused(store: IdentityStore, name: str) -> None:
    tenant = store.create_tenant("acme")
    with pytest.raises(InvalidRequestError, match="shape of an id"):
        store.create_team(tenant.id, name)
    with pytest.raises(InvalidRequestError, match="shape of an id"):
        store.create_user(tenant.id, name)
    with pytest.raises(InvalidRequestError, match="shape of an id"):
        store.create_tenant(name)


def test_names_near_the_id_shape_are_still_names(store: IdentityStore) -> None:
    tenant = store.create_tenant("acme")
    for name in ("team_0123", "Team_0123456789ABCDEF", "ops team_0123456789abcdef", "a.b@c-d"):
        assert store.create_team(tenant.id, name).name == name


def test_a_reference_finds_the_row_with_that_id_before_one_with_that_name(
    store: IdentityStore,
) -> None:
    """Rows named like another's id can exist (stored before such names were refused)."""
    tenant = store.create_tenant("acme")
    # The look-alikes are the older rows: a plain id-or-name query returns them first.
    other = store.create_team(tenant.id, "other")
    ops = store.create_team(tenant.id, "ops")
    bob = store.create_user(tenant.id, "bob")
    alice = store.create_user(tenant.id, "alice")
    sessions = store._sessions
    with sessions.begin() as session:  # the names an older version accepted
        session.execute(update(Team).where(Team.id == other.id).values(name=ops.id))
        session.execute(update(User).where(User.id == bob.id).values(name=alice.id))
    assert store.get_team(tenant.id, ops.id).id == ops.id
    assert store.revoke_team(tenant.id, ops.id).id == ops.id
    assert store.get_user(tenant.id, alice.id).id == alice.id
    assert store.get_team(tenant.id, "ops").id == ops.id  # names still resolve
    assert store.get_user(tenant.id, "alice").id == alice.id
