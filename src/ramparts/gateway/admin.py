"""The admin HTTP API (``/admin``), described by OpenAPI at ``/admin/openapi.json``.

Guarded by admin keys (``Authorization: Bearer rka-...``). A global admin key
manages every tenant; a tenant-scoped one sees and changes only its own tenant,
and anything outside it answers 404 as if it did not exist.

Errors share one shape: ``{"error": {"message", "type", "code"}, "request_id"}``.

:class:`AdminGate` wraps the app: a request without a credential that looks like an
admin key is answered 401 before its body is read, and a body over the size limit 413
(the full key check stays in :func:`admin_identity`).
"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ramparts.audit.trail import recent_records, verify_trail
from ramparts.errors import (
    AuthenticationError,
    ConflictError,
    GatewayError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RampartsError,
    RequestTooLargeError,
)
from ramparts.gateway.auth import presented_key
from ramparts.gateway.responses import JSONBody
from ramparts.gateway.service import Gateway, new_request_id
from ramparts.store.identity import ADMIN_KEY_PREFIX, AdminIdentity, IdentityStore


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TeamIn(BaseModel):
    tenant: str
    name: str = Field(min_length=1, max_length=200)


class UserIn(BaseModel):
    tenant: str
    name: str = Field(min_length=1, max_length=200)
    team: str | None = None


class KeyIn(BaseModel):
    tenant: str
    name: str = Field("", max_length=200)
    team: str | None = None
    user: str | None = None
    allowed_models: list[str] | None = None
    expires_at: datetime | None = None


class TenantOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    disabled_at: datetime | None


class TeamOut(BaseModel):
    id: str
    tenant_id: str
    name: str
    created_at: datetime
    disabled_at: datetime | None


class UserOut(BaseModel):
    id: str
    tenant_id: str
    team_id: str | None
    name: str
    created_at: datetime


class KeyOut(BaseModel):
    id: str
    tenant_id: str
    team_id: str | None
    user_id: str | None
    name: str
    prefix: str
    allowed_models: list[str] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class CreatedKeyOut(KeyOut):
    key: str = Field(description="The secret. Shown only in this response; store it now.")


class VerifyOut(BaseModel):
    ok: bool
    records: int
    tenants: int
    problems: list[str]
    # Records that verified only with their time read as versions before UTC-aware
    # audit times hashed it (written from a non-UTC PostgreSQL session).
    legacy_time_records: int = 0


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _store(request: Request) -> IdentityStore:
    return _gateway(request).identities


async def admin_identity(request: Request) -> AdminIdentity:
    secret = presented_key(request.headers.get)
    if not secret:
        raise AuthenticationError("no admin key: send 'Authorization: Bearer rka-...'")
    identity = await run_in_threadpool(_store(request).resolve_admin_key, secret)
    if identity is None:
        raise AuthenticationError("invalid admin key: it is unknown, expired or revoked")
    return identity


Admin = Annotated[AdminIdentity, Depends(admin_identity)]


def _scope_tenant(store: IdentityStore, admin: AdminIdentity, ref: str) -> str:
    """The id of tenant ``ref``, which this admin must be allowed to manage."""
    tenant = store.get_tenant(ref)
    if admin.tenant_id is not None and tenant.id != admin.tenant_id:
        raise NotFoundError(f"no tenant '{ref}'")
    return tenant.id


def _listing_scope(store: IdentityStore, admin: AdminIdentity, tenant: str | None) -> str | None:
    """The tenant a listing covers: the one asked for, or for a scoped admin its own."""
    if admin.tenant_id is None:
        return tenant
    return _scope_tenant(store, admin, tenant or admin.tenant_id)


def _require_global(admin: AdminIdentity) -> None:
    if admin.tenant_id is not None:
        raise PermissionDeniedError("only a global admin key may do this")


_STATUS: dict[type[Exception], tuple[int, str]] = {
    NotFoundError: (404, "not_found_error"),
    ConflictError: (409, "conflict_error"),
}


def _error(request_id: str, status: int, kind: str, message: str, code: str | None) -> Response:
    body = {"error": {"message": message, "type": kind, "code": code}, "request_id": request_id}
    return JSONBody(body, status_code=status, headers={"x-request-id": request_id})


async def _on_ramparts_error(request: Request, exc: Exception) -> Response:
    request_id = new_request_id()
    if isinstance(exc, GatewayError):
        return _error(request_id, exc.http_status, exc.openai_type, exc.message, exc.code)
    status, kind = _STATUS.get(type(exc), (400, "invalid_request_error"))
    return _error(request_id, status, kind, str(exc), None)


# Errors Starlette and FastAPI raise themselves (unknown route, wrong method, a body that
# is not UTF-8 or nests too deeply to parse), in the admin shape rather than FastAPI's.
_HTTP_ERRORS: dict[int, tuple[str, str]] = {
    401: ("authentication_error", "unauthenticated"),
    403: ("permission_error", "forbidden"),
    404: ("not_found_error", "not_found"),
    405: ("invalid_request_error", "method_not_allowed"),
    413: ("invalid_request_error", "body_too_large"),
}


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    kind, code = _HTTP_ERRORS.get(exc.status_code, ("invalid_request_error", "invalid_body"))
    if exc.status_code >= 500:
        kind, code = "server_error", "server_error"
    message = exc.detail if isinstance(exc.detail, str) else "the request could not be handled"
    return _error(new_request_id(), exc.status_code, kind, message, code)


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid body"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return _error(new_request_id(), 400, "invalid_request_error", message, "invalid_body")


def _check_expiry(expires_at: datetime | None) -> None:
    """Refuse an expiry that has already passed: the key would be dead on arrival.

    The store itself still accepts one (tests and migrations create expired keys on purpose).
    """
    if expires_at is None:
        return
    moment = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        raise InvalidRequestError(
            "expires_at is in the past: give a future time (UTC), or leave it out"
            " for a key that does not expire",
            code="invalid_expires_at",
        )


def build_admin_app() -> FastAPI:
    app = FastAPI(
        title="Ramparts admin API",
        version="1",
        description="Tenants, teams, users, API keys and the audit trail.",
        docs_url="/docs",
        openapi_url="/openapi.json",
        redoc_url=None,
    )
    app.add_exception_handler(RampartsError, _on_ramparts_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)

    @app.get("/tenants", response_model=list[TenantOut])
    def list_tenants(request: Request, admin: Admin) -> Any:
        return _store(request).list_tenants(tenant_id=admin.tenant_id)

    @app.post("/tenants", response_model=TenantOut, status_code=201)
    def create_tenant(request: Request, admin: Admin, body: TenantIn) -> Any:
        _require_global(admin)
        return _store(request).create_tenant(body.name)

    @app.post("/tenants/{ref}/revoke", response_model=TenantOut)
    def revoke_tenant(request: Request, admin: Admin, ref: str) -> Any:
        _require_global(admin)
        tenant = _store(request).revoke_tenant(ref)
        _gateway(request).auth.forget(tenant_id=tenant.id)
        return tenant

    @app.get("/teams", response_model=list[TeamOut])
    def list_teams(request: Request, admin: Admin, tenant: str | None = None) -> Any:
        store = _store(request)
        return store.list_teams(_listing_scope(store, admin, tenant))

    @app.post("/teams", response_model=TeamOut, status_code=201)
    def create_team(request: Request, admin: Admin, body: TeamIn) -> Any:
        store = _store(request)
        return store.create_team(_scope_tenant(store, admin, body.tenant), body.name)

    @app.post("/teams/{tenant}/{ref}/revoke", response_model=TeamOut)
    def revoke_team(request: Request, admin: Admin, tenant: str, ref: str) -> Any:
        store = _store(request)
        team = store.revoke_team(_scope_tenant(store, admin, tenant), ref)
        _gateway(request).auth.forget(team_id=team.id)
        return team

    @app.get("/users", response_model=list[UserOut])
    def list_users(request: Request, admin: Admin, tenant: str | None = None) -> Any:
        store = _store(request)
        return store.list_users(_listing_scope(store, admin, tenant))

    @app.post("/users", response_model=UserOut, status_code=201)
    def create_user(request: Request, admin: Admin, body: UserIn) -> Any:
        store = _store(request)
        return store.create_user(_scope_tenant(store, admin, body.tenant), body.name, body.team)

    @app.get("/keys", response_model=list[KeyOut])
    def list_keys(request: Request, admin: Admin, tenant: str | None = None) -> Any:
        store = _store(request)
        return store.list_keys(_listing_scope(store, admin, tenant))

    @app.post("/keys", response_model=CreatedKeyOut, status_code=201)
    def create_key(request: Request, admin: Admin, body: KeyIn) -> Any:
        store = _store(request)
        gateway = _gateway(request)
        for model in body.allowed_models or []:
            if gateway.settings.model(model) is None:
                raise InvalidRequestError(f"allowed_models names unknown model '{model}'")
        _check_expiry(body.expires_at)
        row, created = store.create_key(
            _scope_tenant(store, admin, body.tenant),
            name=body.name,
            team_ref=body.team,
            user_ref=body.user,
            allowed_models=body.allowed_models,
            expires_at=body.expires_at,
        )
        return {
            **KeyOut.model_validate(row, from_attributes=True).model_dump(),
            "key": created.secret,
        }

    @app.post("/keys/{key_id}/revoke", response_model=KeyOut)
    def revoke_key(request: Request, admin: Admin, key_id: str) -> Any:
        key = _store(request).revoke_key(key_id, tenant_id=admin.tenant_id)
        _gateway(request).auth.forget(key_id=key.id)
        return key

    @app.get("/audit/verify", response_model=VerifyOut)
    def audit_verify(request: Request, admin: Admin) -> Any:
        result = verify_trail(_gateway(request).engine, admin.tenant_id)
        return VerifyOut(
            ok=result.ok,
            records=result.records,
            tenants=result.tenants,
            problems=[str(p) for p in result.problems],
            legacy_time_records=result.legacy_time_records,
        )

    @app.get("/audit/records")
    def audit_records(
        request: Request,
        admin: Admin,
        tenant: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> Any:
        store = _store(request)
        if admin.tenant_id is not None:
            tenant = _scope_tenant(store, admin, tenant or admin.tenant_id)
        elif tenant is not None:
            tenant = store.get_tenant(tenant).id
        return recent_records(_gateway(request).engine, tenant_id=tenant, limit=limit)

    for entry in ADMIN_EXTENSIONS:
        module_name, _, attribute = entry.partition(":")
        register = getattr(importlib.import_module(module_name), attribute)
        register(app, Admin, lambda request, admin, ref: _scope_tenant(_store(request), admin, ref))
    return app


# Other parts add admin routes through this hook, as a plug-in would.
ADMIN_EXTENSIONS = ("ramparts.policy.admin:register",)


# Token alphabet of ``secrets.token_urlsafe``; generous on length, strict on shape.
_ADMIN_KEY_SHAPE = re.compile(re.escape(ADMIN_KEY_PREFIX) + r"[A-Za-z0-9_-]{16,128}")
# Served to anyone: the API's description only.
_PUBLIC = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})


class AdminGate:
    """ASGI wrapper of the admin app: cheap refusals before any body is read.

    FastAPI parses a body before dependencies run, so without this an unauthenticated
    caller could make the server buffer and parse a body of any size. Here a request
    without an admin-key-shaped credential is refused at once, and a body is read only
    up to ``max_body_bytes`` (413 beyond), then replayed to the app.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]  # the path inside the mount, as the admin app routes it
        if scope["method"] in ("GET", "HEAD") and path in _PUBLIC:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        secret = presented_key(headers.get)
        if not secret:
            message = "no admin key: send 'Authorization: Bearer rka-...'"
            await self._refuse(scope, receive, send, AuthenticationError(message))
            return
        if not _ADMIN_KEY_SHAPE.fullmatch(secret):
            message = "invalid admin key: it is unknown, expired or revoked"
            await self._refuse(scope, receive, send, AuthenticationError(message))
            return
        body = await self._read_body(headers, receive)
        if body is None:
            too_large = RequestTooLargeError(
                f"request body is over the {self.max_body_bytes}-byte limit",
                code="body_too_large",
            )
            await self._refuse(scope, receive, send, too_large)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, headers: Headers, receive: Receive) -> bytes | None:
        """The whole body, or None once it is over the limit (declared or actually sent)."""
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees an empty body and the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: GatewayError) -> None:
        response = _error(new_request_id(), exc.http_status, exc.openai_type, exc.message, exc.code)
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` once, then waits on the real one (disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
