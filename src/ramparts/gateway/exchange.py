"""One request's journey through the gateway, and the single audit record it becomes."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ramparts.audit.writer import AuditEvent
from ramparts.config import ModelSettings
from ramparts.errors import BlockedError, GatewayError, UpstreamError
from ramparts.gateway.routing import Route
from ramparts.gateway.types import ApiShape, Usage
from ramparts.store.identity import KeyIdentity

CLIENT_CLOSED = 499  # nginx's convention for "the client went away"


@dataclass(slots=True)
class Exchange:
    request_id: str
    api: ApiShape
    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    identity: KeyIdentity | None = None
    model: str | None = None
    route: Route | None = None
    stream: bool = False
    status: str = "success"
    http_status: int = 200
    error_code: str | None = None
    ttft: float | None = None
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    guardrails: dict[str, Any] = field(default_factory=dict)
    # Private per-request state of pipeline stages, keyed by stage name.
    state: dict[str, object] = field(default_factory=dict)
    finished: bool = False

    def fail(self, exc: GatewayError) -> None:
        self.http_status = exc.http_status
        self.error_code = exc.code or exc.openai_type
        if isinstance(exc, BlockedError):
            self.status = "blocked"
        elif isinstance(exc, UpstreamError):
            self.status = "upstream_error"
        else:
            self.status = "error"

    def disconnected(self) -> None:
        self.status = "client_disconnected"
        self.http_status = CLIENT_CLOSED
        self.error_code = "client_disconnected"

    def first_token(self) -> None:
        if self.ttft is None:
            self.ttft = time.perf_counter() - self.started

    def meter(self, model: ModelSettings, usage: Usage) -> None:
        self.usage = usage
        self.cost_usd = (
            usage.input_tokens * model.price.input_per_million
            + usage.output_tokens * model.price.output_per_million
        ) / 1_000_000

    @property
    def latency(self) -> float:
        return time.perf_counter() - self.started

    def audit_event(self) -> AuditEvent:
        identity = self.identity
        return AuditEvent(
            request_id=self.request_id,
            api=self.api,
            endpoint=self.endpoint,
            status=self.status,
            http_status=self.http_status,
            tenant_id=identity.tenant_id if identity else None,
            team_id=identity.team_id if identity else None,
            user_id=identity.user_id if identity else None,
            key_id=identity.key_id if identity else None,
            model=self.model,
            provider=self.route.provider if self.route else None,
            error_code=self.error_code,
            stream=self.stream,
            latency_ms=round(self.latency * 1000, 3),
            ttft_ms=None if self.ttft is None else round(self.ttft * 1000, 3),
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            cost_usd=round(self.cost_usd, 8),
            attempts=self.route.attempts if self.route else 0,
            guardrails=self.guardrails,
        )
