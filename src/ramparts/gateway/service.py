"""The running gateway: everything a request handler needs, built once from Settings."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

from sqlalchemy import Engine, text

from ramparts.audit.writer import AuditWriter
from ramparts.config import Settings
from ramparts.gateway.auth import KeyAuthenticator
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.metrics import GatewayMetrics
from ramparts.gateway.pipeline import Pipeline
from ramparts.gateway.routing import Router
from ramparts.store.db import session_factory
from ramparts.store.identity import IdentityStore

access_log = logging.getLogger("ramparts.access")


def new_request_id() -> str:
    return os.urandom(16).hex()  # 128 random bits, cheaper than uuid4 on the hot path


@dataclass
class Gateway:
    settings: Settings
    engine: Engine
    identities: IdentityStore
    auth: KeyAuthenticator
    router: Router
    audit: AuditWriter
    metrics: GatewayMetrics
    pipeline: Pipeline

    @classmethod
    def build(cls, settings: Settings, engine: Engine, pipeline: Pipeline | None = None) -> Gateway:
        identities = IdentityStore(session_factory(engine))
        return cls(
            settings=settings,
            engine=engine,
            identities=identities,
            auth=KeyAuthenticator(identities.resolve_key, settings.auth.cache_ttl_seconds),
            router=Router(settings),
            audit=AuditWriter(
                engine,
                spill_dir=settings.data_dir,
                flush_interval=settings.audit.flush_interval_ms / 1000,
                batch_size=settings.audit.batch_size,
            ),
            metrics=GatewayMetrics(),
            pipeline=pipeline or Pipeline(),
        )

    async def start(self) -> None:
        await self.audit.start()

    async def stop(self) -> None:
        await self.router.close()
        await self.audit.close()

    def finish(self, exchange: Exchange) -> None:
        """Record a finished request exactly once: audit, metrics and the access log."""
        if exchange.finished:
            return
        exchange.finished = True
        self.audit.submit(exchange.audit_event())
        tenant = exchange.identity.tenant_id if exchange.identity else "none"
        # Only configured model names become labels: a caller's free text would grow a series
        # per distinct string (and could put a secret on /metrics).
        resolved = exchange.resolved_model
        model = resolved or ("none" if exchange.model is None else "unknown")
        metrics = self.metrics
        child = metrics.child
        child(metrics.requests, tenant, model, exchange.api, exchange.status).inc()
        child(metrics.latency, tenant, model).observe(exchange.latency)
        if exchange.ttft is not None:
            child(metrics.ttft, tenant, model).observe(exchange.ttft)
        usage = exchange.usage
        if usage.input_tokens or usage.output_tokens:
            child(metrics.tokens, tenant, model, "input").inc(usage.input_tokens)
            child(metrics.tokens, tenant, model, "output").inc(usage.output_tokens)
            child(metrics.cost, tenant, model).inc(exchange.cost_usd)
            if usage.estimated_input:
                child(metrics.estimated_tokens, tenant, model, "input").inc(usage.input_tokens)
            if usage.estimated_output:
                child(metrics.estimated_tokens, tenant, model, "output").inc(usage.output_tokens)
        if exchange.status != "success":
            child(metrics.errors, tenant, model, exchange.error_code or exchange.status).inc()
        attempts = exchange.route.attempts if exchange.route else 0
        if attempts > 1:
            child(metrics.upstream_retries, model).inc(attempts - 1)
        if self.settings.server.access_log:
            access_log.info(
                "request",
                extra={
                    "request_id": exchange.request_id,
                    "api": exchange.api,
                    "endpoint": exchange.endpoint,
                    "tenant_id": tenant,
                    "model": exchange.audit_model,
                    "status": exchange.status,
                    "http_status": exchange.http_status,
                    "latency_ms": round(exchange.latency * 1000, 2),
                },
            )

    async def ready(self) -> tuple[bool, dict[str, str]]:
        checks: dict[str, str] = {}

        def ping() -> None:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        try:
            await asyncio.wait_for(asyncio.to_thread(ping), timeout=2.0)
            checks["store"] = "ok"
        except Exception as exc:
            checks["store"] = f"unavailable ({type(exc).__name__})"
        backlog = self.audit.pending
        if self.audit.store_failing:
            checks["audit"] = f"writes failing, {backlog} records queued"
        elif backlog >= self.settings.audit.queue_limit:
            checks["audit"] = f"backlog {backlog}"
        else:
            checks["audit"] = "ok"
        self.metrics.audit_pending.set(backlog)
        return all(v == "ok" for v in checks.values()), checks
