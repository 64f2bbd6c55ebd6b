"""The ASGI application: model API routes, admin API, health and metrics."""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from ramparts.config import Settings
from ramparts.detectors.engine import Engine as DetectionEngine
from ramparts.errors import GatewayError, InvalidRequestError, RouteNotFoundError
from ramparts.gateway import api
from ramparts.gateway.admin import AdminGate, build_admin_app
from ramparts.gateway.metrics import CONTENT_TYPE
from ramparts.gateway.pipeline import Pipeline
from ramparts.gateway.responses import JSONBody, error_response
from ramparts.gateway.service import Gateway, new_request_id
from ramparts.gateway.types import ApiShape
from ramparts.store.db import create_store_engine, migrate


async def healthz(request: Request) -> Response:
    return JSONBody({"status": "ok"})


async def readyz(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    ok, checks = await gateway.ready()
    return JSONBody(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )


async def metrics(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    gateway.metrics.audit_pending.set(gateway.audit.pending)
    return Response(gateway.metrics.render(), media_type=CONTENT_TYPE)


async def not_found(request: Request, exc: Exception) -> Response:
    shape: ApiShape = "anthropic" if request.url.path.startswith("/v1/messages") else "openai"
    status = getattr(exc, "status_code", 404)
    message = f"no route for {request.method} {request.url.path}"
    error: GatewayError
    if status == 404:
        error = RouteNotFoundError(message, code="not_found")
    else:  # 405: the path exists, the method does not
        error = InvalidRequestError(message, code="not_found")
        error.status = status
    return error_response(shape, error, new_request_id())


# Request stages built into every gateway, registered like any plug-in stage would be:
# each entry names a factory ``(settings, engine) -> Stage``.
STAGE_FACTORIES = ("ramparts.policy.stage:create_stage",)


def build_pipeline(settings: Settings, engine: Engine) -> Pipeline:
    stages = []
    for entry in STAGE_FACTORIES:
        module_name, _, attribute = entry.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        stages.append(factory(settings, engine))
    return Pipeline(stages)


def create_app(settings: Settings, *, pipeline: Pipeline | None = None) -> Starlette:
    """Build the app; the store is migrated and the audit writer started in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        engine = create_store_engine(settings.resolved_database_url)
        migrate(engine)
        gateway = Gateway.build(settings, engine, pipeline or build_pipeline(settings, engine))
        app.state.gateway = gateway
        admin.state.gateway = gateway
        await gateway.start()
        if settings.guardrails.enabled:
            # Detector tables load on first use: load them now, not on the first request.
            await asyncio.to_thread(DetectionEngine().warm_up)
        # Everything loaded so far (detector data, models) lives as long as the process:
        # keep it out of the cyclic GC's scans, which otherwise walk it on every full pass.
        gc.freeze()
        try:
            yield
        finally:
            await gateway.stop()
            engine.dispose()

    admin = build_admin_app()
    routes = [
        Route("/v1/chat/completions", api.chat_completions, methods=["POST"]),
        Route("/v1/messages", api.messages, methods=["POST"]),
        Route("/v1/embeddings", api.embeddings, methods=["POST"]),
        Route("/v1/models", api.list_models, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        # The gate refuses keyless and oversized requests before the admin app reads a body.
        Mount("/admin", app=AdminGate(admin, settings.server.max_body_bytes)),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: not_found},
    )
