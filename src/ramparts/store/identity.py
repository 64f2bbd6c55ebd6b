"""Tenants, teams, users and keys: create, list, revoke, resolve.

Keys are random 256-bit secrets shown once at creation. Only their SHA-256 is
stored (a fast hash is right here: the secret has full entropy, so there is
nothing to brute-force), looked up by hash and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ramparts.errors import ConflictError, InvalidRequestError, NotFoundError
from ramparts.store.models import AdminKey, ApiKey, Team, Tenant, User

API_KEY_PREFIX = "rk-"
ADMIN_KEY_PREFIX = "rka-"
_Row = TypeVar("_Row")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@-]{0,199}")
# The shape of the ids new_id makes: a name of this shape could be taken for another
# row's id wherever an id or a name is accepted.
_ID_SHAPED = re.compile(r"[a-z]+_[0-9a-f]{16}")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id(kind: str) -> str:
    return f"{kind}_{secrets.token_hex(8)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _check_name(name: str, what: str) -> str:
    # fullmatch: ``$`` would also match before a final newline ("ops\n" next to "ops").
    if not _NAME.fullmatch(name):
        raise InvalidRequestError(
            f"invalid {what} name: use 1-200 letters, digits, spaces or . _ @ -,"
            " starting with a letter or digit"
        )
    if _ID_SHAPED.fullmatch(name):
        raise InvalidRequestError(
            f"invalid {what} name: it has the shape of an id (like team_0123456789abcdef);"
            " choose a name that cannot be taken for one"
        )
    return name


def _check_label(name: str) -> str:
    """A key's free-text label: any text the name column (200) holds, no control characters."""
    if len(name) > 200 or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        raise InvalidRequestError("invalid key name: at most 200 characters, no control characters")
    return name


def _check_ref(ref: str, what: str) -> str:
    """A name or id to look up. NUL is in no stored value, and PostgreSQL refuses the query."""
    if "\x00" in ref:
        raise InvalidRequestError(f"invalid {what} reference: it contains a NUL character")
    return ref


@dataclass(frozen=True, slots=True)
class KeyIdentity:
    """Who a valid API key speaks for. Cached by the gateway; holds no secret."""

    key_id: str
    tenant_id: str
    team_id: str | None
    user_id: str | None
    allowed_models: frozenset[str] | None
    expires_at: datetime | None
    team_name: str | None = None

    def may_use(self, model: str) -> bool:
        return self.allowed_models is None or model in self.allowed_models


@dataclass(frozen=True, slots=True)
class AdminIdentity:
    admin_key_id: str
    tenant_id: str | None  # None: administers every tenant


@dataclass(frozen=True, slots=True)
class CreatedKey:
    """A key just created: ``secret`` is shown to the caller once and never stored."""

    id: str
    secret: str
    prefix: str

    def __repr__(self) -> str:
        return f"CreatedKey(id={self.id!r}, prefix={self.prefix!r}, secret=<hidden>)"


class IdentityStore:
    """Identity operations over one session factory (synchronous: async code uses a thread)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # --- tenants -------------------------------------------------------
    def create_tenant(self, name: str) -> Tenant:
        tenant = Tenant(id=new_id("ten"), name=_check_name(name, "tenant"), created_at=utcnow())
        return self._add(tenant, f"a tenant named '{name}' already exists")

    def list_tenants(self, *, tenant_id: str | None = None) -> list[Tenant]:
        with self._sessions() as session:
            query = select(Tenant).order_by(Tenant.created_at, Tenant.name)
            if tenant_id is not None:
                query = query.where(Tenant.id == tenant_id)
            return list(session.scalars(query))

    def get_tenant(self, ref: str) -> Tenant:
        """A tenant by id or name."""
        _check_ref(ref, "tenant")
        with self._sessions() as session:
            tenant = session.get(Tenant, ref) or session.scalar(
                select(Tenant).where(Tenant.name == ref)
            )
            if tenant is None:
                raise NotFoundError(f"no tenant '{ref}'; list them with `ramparts tenants list`")
            return tenant

    def revoke_tenant(self, ref: str) -> Tenant:
        tenant = self.get_tenant(ref)
        with self._sessions.begin() as session:
            row = session.get(Tenant, tenant.id)
            assert row is not None
            row.disabled_at = row.disabled_at or utcnow()
            return row

    # --- teams ---------------------------------------------------------
    def create_team(self, tenant_ref: str, name: str) -> Team:
        tenant = self.get_tenant(tenant_ref)
        team = Team(
            id=new_id("team"),
            tenant_id=tenant.id,
            name=_check_name(name, "team"),
            created_at=utcnow(),
        )
        return self._add(team, f"tenant '{tenant.name}' already has a team named '{name}'")

    def list_teams(self, tenant_ref: str | None = None) -> list[Team]:
        with self._sessions() as session:
            query = select(Team).order_by(Team.created_at, Team.name)
            if tenant_ref is not None:
                query = query.where(Team.tenant_id == self.get_tenant(tenant_ref).id)
            return list(session.scalars(query))

    def get_team(self, tenant_id: str, ref: str) -> Team:
        _check_ref(ref, "team")
        with self._sessions() as session:
            # By id first: a name (stored before names of that shape were refused) may
            # equal another team's id.
            team = session.scalar(
                select(Team).where(Team.tenant_id == tenant_id, Team.id == ref)
            ) or session.scalar(select(Team).where(Team.tenant_id == tenant_id, Team.name == ref))
            if team is None:
                raise NotFoundError(f"no team '{ref}' in this tenant")
            return team

    def revoke_team(self, tenant_id: str, ref: str) -> Team:
        team = self.get_team(tenant_id, ref)
        with self._sessions.begin() as session:
            row = session.get(Team, team.id)
            assert row is not None
            row.disabled_at = row.disabled_at or utcnow()
            return row

    # --- users ---------------------------------------------------------
    def create_user(self, tenant_ref: str, name: str, team_ref: str | None = None) -> User:
        tenant = self.get_tenant(tenant_ref)
        team = self.get_team(tenant.id, team_ref) if team_ref else None
        user = User(
            id=new_id("usr"),
            tenant_id=tenant.id,
            team_id=team.id if team else None,
            name=_check_name(name, "user"),
            created_at=utcnow(),
        )
        return self._add(user, f"tenant '{tenant.name}' already has a user named '{name}'")

    def list_users(self, tenant_ref: str | None = None) -> list[User]:
        with self._sessions() as session:
            query = select(User).order_by(User.created_at, User.name)
            if tenant_ref is not None:
                query = query.where(User.tenant_id == self.get_tenant(tenant_ref).id)
            return list(session.scalars(query))

    def get_user(self, tenant_id: str, ref: str) -> User:
        _check_ref(ref, "user")
        with self._sessions() as session:
            user = session.scalar(
                select(User).where(User.tenant_id == tenant_id, User.id == ref)
            ) or session.scalar(select(User).where(User.tenant_id == tenant_id, User.name == ref))
            if user is None:
                raise NotFoundError(f"no user '{ref}' in this tenant")
            return user

    # --- API keys ------------------------------------------------------
    def create_key(
        self,
        tenant_ref: str,
        *,
        name: str = "",
        team_ref: str | None = None,
        user_ref: str | None = None,
        allowed_models: list[str] | None = None,
        expires_at: datetime | None = None,
    ) -> tuple[ApiKey, CreatedKey]:
        if allowed_models is not None and not allowed_models:
            # Stored, an empty list would read as "no allowlist" (every model): refuse it.
            raise InvalidRequestError(
                "allowed_models is empty: name at least one model, or leave it out"
                " to allow every model"
            )
        _check_label(name)
        tenant = self.get_tenant(tenant_ref)
        if tenant.disabled_at is not None:
            raise InvalidRequestError(f"tenant '{tenant.name}' is revoked; no new keys")
        team = self.get_team(tenant.id, team_ref) if team_ref else None
        user = self.get_user(tenant.id, user_ref) if user_ref else None
        if user is not None and team is None and user.team_id is not None:
            team_id: str | None = user.team_id
        else:
            team_id = team.id if team else None
        secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=new_id("key"),
            tenant_id=tenant.id,
            team_id=team_id,
            user_id=user.id if user else None,
            name=name,
            prefix=secret[:10],
            secret_hash=hash_secret(secret),
            allowed_models=sorted(set(allowed_models)) if allowed_models else None,
            created_at=utcnow(),
            expires_at=_aware(expires_at),
        )
        self._add(key, "key collision; try again")
        return key, CreatedKey(id=key.id, secret=secret, prefix=key.prefix)

    def list_keys(self, tenant_ref: str | None = None) -> list[ApiKey]:
        with self._sessions() as session:
            query = select(ApiKey).order_by(ApiKey.created_at)
            if tenant_ref is not None:
                query = query.where(ApiKey.tenant_id == self.get_tenant(tenant_ref).id)
            return list(session.scalars(query))

    def revoke_key(self, key_id: str, *, tenant_id: str | None = None) -> ApiKey:
        _check_ref(key_id, "key")
        with self._sessions.begin() as session:
            key = session.get(ApiKey, key_id)
            if key is None or (tenant_id is not None and key.tenant_id != tenant_id):
                raise NotFoundError(f"no key '{key_id}'; list them with `ramparts keys list`")
            key.revoked_at = key.revoked_at or utcnow()
            return key

    def resolve_key(self, secret: str, *, now: datetime | None = None) -> KeyIdentity | None:
        """The identity behind a presented key, or None when it is unknown, expired or revoked."""
        if not secret.startswith(API_KEY_PREFIX):
            return None
        digest = hash_secret(secret)
        now = now or utcnow()
        with self._sessions() as session:
            row = session.execute(
                select(ApiKey, Tenant)
                .join(Tenant, Tenant.id == ApiKey.tenant_id)
                .where(ApiKey.secret_hash == digest)
            ).first()
            if row is None:
                return None
            key, tenant = row.tuple()
            if not hmac.compare_digest(key.secret_hash, digest):
                return None
            expires = _aware(key.expires_at)
            if key.revoked_at is not None or tenant.disabled_at is not None:
                return None
            if expires is not None and expires <= now:
                return None
            if key.user_id is not None:
                user = session.get(User, key.user_id)
                if user is None or user.disabled_at is not None:
                    return None
            team = session.get(Team, key.team_id) if key.team_id is not None else None
            if key.team_id is not None and (team is None or team.disabled_at is not None):
                return None
            return KeyIdentity(
                key_id=key.id,
                tenant_id=tenant.id,
                team_id=key.team_id,
                user_id=key.user_id,
                allowed_models=frozenset(key.allowed_models) if key.allowed_models else None,
                expires_at=expires,
                team_name=team.name if team is not None else None,
            )

    # --- admin keys ----------------------------------------------------
    def create_admin_key(
        self, *, tenant_ref: str | None = None, name: str = ""
    ) -> tuple[AdminKey, CreatedKey]:
        _check_label(name)
        tenant_id = self.get_tenant(tenant_ref).id if tenant_ref else None
        secret = ADMIN_KEY_PREFIX + secrets.token_urlsafe(32)
        key = AdminKey(
            id=new_id("adm"),
            tenant_id=tenant_id,
            name=name,
            prefix=secret[:11],
            secret_hash=hash_secret(secret),
            created_at=utcnow(),
        )
        self._add(key, "key collision; try again")
        return key, CreatedKey(id=key.id, secret=secret, prefix=key.prefix)

    def list_admin_keys(self) -> list[AdminKey]:
        with self._sessions() as session:
            return list(session.scalars(select(AdminKey).order_by(AdminKey.created_at)))

    def revoke_admin_key(self, key_id: str) -> AdminKey:
        _check_ref(key_id, "admin key")
        with self._sessions.begin() as session:
            key = session.get(AdminKey, key_id)
            if key is None:
                raise NotFoundError(f"no admin key '{key_id}'")
            key.revoked_at = key.revoked_at or utcnow()
            return key

    def resolve_admin_key(self, secret: str) -> AdminIdentity | None:
        """The admin behind a presented key; None when it is unknown, expired or revoked, or
        its tenant (for a tenant-scoped key) is revoked."""
        if not secret.startswith(ADMIN_KEY_PREFIX):
            return None
        digest = hash_secret(secret)
        with self._sessions() as session:
            row = session.execute(
                select(AdminKey, Tenant)
                .outerjoin(Tenant, Tenant.id == AdminKey.tenant_id)
                .where(AdminKey.secret_hash == digest)
            ).first()
            if row is None:
                return None
            key, tenant = row  # a Row unpacks like a tuple
            if not hmac.compare_digest(key.secret_hash, digest):
                return None
            expires = _aware(key.expires_at)
            if key.revoked_at is not None or (expires is not None and expires <= utcnow()):
                return None
            if key.tenant_id is not None and (tenant is None or tenant.disabled_at is not None):
                return None
            return AdminIdentity(admin_key_id=key.id, tenant_id=key.tenant_id)

    # --- helpers -------------------------------------------------------
    def _add(self, row: _Row, conflict: str) -> _Row:
        try:
            with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            raise ConflictError(conflict) from None
        return row
