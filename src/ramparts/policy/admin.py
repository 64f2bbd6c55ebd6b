"""Policy endpoints of the admin API: read, replace, history and rollback per tenant.

No ``from __future__ import annotations`` here: FastAPI must see the admin dependency
passed to :func:`register` as a real annotation, not a string it cannot resolve.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field

from ramparts.errors import ConfigError, GatewayError, InvalidRequestError, NotFoundError
from ramparts.policy.model import (
    MAX_POLICY_CHARS,
    Policy,
    check_against_settings,
    read_policy,
)
from ramparts.policy.store import PolicyStore, StaleVersionError, StoredPolicy
from ramparts.store.db import session_factory
from ramparts.yamlfile import LineIndex


def _expected_version() -> Any:
    return Field(
        None,
        ge=0,
        description=(
            "Store only if the tenant's newest version is still this one (0: no policy yet);"
            " otherwise 409 version_conflict. Leave it out to store unconditionally."
        ),
    )


class PolicyIn(BaseModel):
    # Longer texts get a 400 invalid_policy from read_policy (a clear message); this only
    # keeps much longer bodies from being read at all.
    text: str = Field(description="The policy YAML.", max_length=4 * MAX_POLICY_CHARS)
    comment: str = Field("", max_length=500)
    expected_version: int | None = _expected_version()


class VersionConflictError(GatewayError):
    """409: the policy changed since the version the caller based its change on."""

    status = 409
    openai_type = "conflict_error"
    anthropic_type = "invalid_request_error"
    code = "version_conflict"


@contextmanager
def _stale_as_conflict() -> Iterator[None]:
    """A change based on a version that is no longer the newest: 409 version_conflict."""
    try:
        yield
    except StaleVersionError as exc:
        raise VersionConflictError(str(exc)) from None


class RollbackIn(BaseModel):
    version: int = Field(ge=1)
    expected_version: int | None = _expected_version()


class PolicyOut(BaseModel):
    tenant_id: str
    version: int
    text: str
    author: str
    comment: str
    created_at: datetime


def _out(stored: StoredPolicy) -> PolicyOut:
    return PolicyOut(
        tenant_id=stored.tenant_id,
        version=stored.version,
        text=stored.text,
        author=stored.author,
        comment=stored.comment,
        created_at=stored.created_at,
    )


def _parse(text: str) -> tuple[Policy, LineIndex]:
    """The policy in a request body and its line index; every way it can be wrong is a 400
    ``invalid_policy``."""
    try:
        return read_policy(text, "request body")
    except ConfigError as exc:
        raise InvalidRequestError(str(exc), code="invalid_policy") from None
    except RecursionError:
        raise InvalidRequestError(
            "request body: the policy nests too deeply to read", code="invalid_policy"
        ) from None


def register(app: FastAPI, admin_dependency: Any, scope_tenant: Any) -> None:
    """Add the policy routes to the admin app (called by ``gateway.admin``)."""

    def store(request: Request) -> PolicyStore:
        return PolicyStore(session_factory(request.app.state.gateway.engine))

    def forget(request: Request, tenant_id: str) -> None:
        for stage in request.app.state.gateway.pipeline.stages:
            invalidate = getattr(stage, "forget_tenant", None)
            if invalidate is not None:
                invalidate(tenant_id)

    @app.get("/policies/{tenant}", response_model=PolicyOut)
    def get_policy(request: Request, admin: admin_dependency, tenant: str) -> Any:
        tenant_id = scope_tenant(request, admin, tenant)
        stored = store(request).get(tenant_id)
        if stored is None:
            raise NotFoundError(f"tenant '{tenant}' has no policy of its own; the default applies")
        return _out(stored)

    @app.put("/policies/{tenant}", response_model=PolicyOut)
    def put_policy(request: Request, admin: admin_dependency, tenant: str, body: PolicyIn) -> Any:
        tenant_id = scope_tenant(request, admin, tenant)
        # Read once: the settings check and the store reuse this parse.
        parsed, lines = _parse(body.text)
        problems = check_against_settings(
            parsed, request.app.state.gateway.settings, "request body", lines=lines
        )
        if problems:
            raise InvalidRequestError("; ".join(problems), code="invalid_policy")
        with _stale_as_conflict():
            stored = store(request).save(
                tenant_id,
                body.text,
                author=f"admin-key:{admin.admin_key_id}",
                comment=body.comment,
                expected_version=body.expected_version,
                validated=parsed,
            )
        forget(request, tenant_id)
        return _out(stored)

    @app.get("/policies/{tenant}/history", response_model=list[PolicyOut])
    def policy_history(request: Request, admin: admin_dependency, tenant: str) -> Any:
        return [_out(s) for s in store(request).history(scope_tenant(request, admin, tenant))]

    @app.post("/policies/{tenant}/rollback", response_model=PolicyOut)
    def policy_rollback(
        request: Request, admin: admin_dependency, tenant: str, body: RollbackIn
    ) -> Any:
        tenant_id = scope_tenant(request, admin, tenant)
        with _stale_as_conflict():
            stored = store(request).rollback(
                tenant_id,
                body.version,
                author=f"admin-key:{admin.admin_key_id}",
                expected_version=body.expected_version,
            )
        forget(request, tenant_id)
        return _out(stored)
