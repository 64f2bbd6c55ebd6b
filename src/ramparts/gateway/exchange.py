"""One request's journey through the gateway, and the single audit record it becomes."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from ramparts.audit.writer import AuditEvent
from ramparts.config import ModelSettings
from ramparts.errors import BlockedError, GatewayError, UpstreamError
from ramparts.gateway.routing import FallbackGate, Route
from ramparts.gateway.types import ApiShape, Usage
from ramparts.store.identity import KeyIdentity

CLIENT_CLOSED = 499  # nginx's convention for "the client went away"

# The audit trail's model column holds this many characters (store/models.py).
MODEL_COLUMN_SIZE = 200
# NUL (which PostgreSQL cannot store) and the other C0/C1 control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_model_text(model: str) -> str:
    """A caller's model string fit for the audit trail: no control characters, column size."""
    return _CONTROL.sub("", model)[:MODEL_COLUMN_SIZE]


@dataclass(slots=True)
class Exchange:
    request_id: str
    api: ApiShape
    endpoint: str
    started: float = field(default_factory=time.perf_counter)
    identity: KeyIdentity | None = None
    model: str | None = None
    _route: Route | None = None  # read and set through ``route``
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
    # Which of the route's fallbacks may serve this request; stages add their checks.
    fallbacks: FallbackGate = field(default_factory=FallbackGate, repr=False)
    finished: bool = False

    @property
    def route(self) -> Route | None:
        return self._route

    @route.setter
    def route(self, route: Route | None) -> None:
        # Every route this request takes, a stage's reroute included, answers to its gate:
        # a fallback must pass the checks of the key that asked.
        if route is not None:
            self.fallbacks.identity = self.identity
            route.gate = self.fallbacks
        self._route = route

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
        if usage.input_tokens < 0 or usage.output_tokens < 0:
            # The formats refuse negative counts from upstreams; a path that does not
            # (a provider's own parser) must still not meter a negative cost.
            usage = Usage(
                max(usage.input_tokens, 0),
                max(usage.output_tokens, 0),
                usage.estimated_input,
                usage.estimated_output,
            )
        self.usage = usage
        self.cost_usd = (
            usage.input_tokens * model.price.input_per_million
            + usage.output_tokens * model.price.output_per_million
        ) / 1_000_000

    @property
    def resolved_model(self) -> str | None:
        """The configured model the request asked for, once routing accepted it; else None.

        The requested name, not a reroute target or fallback: the audit's guardrails say
        where a request was rerouted (``input``) and which fallback served it (``route``).
        Routing looks names up exactly, so a resolved request's name is a configured one;
        the route's own name stands in should it ever not be.
        """
        if self.route is None:
            return None
        model = self.model
        if model is not None and len(model) <= MODEL_COLUMN_SIZE and not _CONTROL.search(model):
            return model
        return self.route.model.name

    @property
    def audit_model(self) -> str | None:
        """The model for the audit trail: the resolved name, or the caller's text made safe
        (whatever a caller sends must not make the store refuse the record)."""
        resolved = self.resolved_model
        if resolved is not None or self.model is None:
            return resolved
        return safe_model_text(self.model)

    @property
    def latency(self) -> float:
        return time.perf_counter() - self.started

    def route_record(self) -> dict[str, Any] | None:
        """The audit's word on fallbacks, when any was used or passed over: the model that
        served (or last failed) and each one skipped with its reason. Names only."""
        route = self._route
        skipped = self.fallbacks.skipped
        if route is None or not (route.fallback or skipped):
            return None
        return {"model": route.model.name, "fallback": route.fallback, "skipped": list(skipped)}

    def usage_record(self) -> dict[str, Any] | None:
        """The audit's word on estimated usage (the upstream did not report it all): which
        direction came from the upstream and which is the gateway's estimate."""
        usage = self.usage
        if not usage.estimated:
            return None
        return {
            "estimated": True,
            "input": "estimated" if usage.estimated_input else "upstream",
            "output": "estimated" if usage.estimated_output else "upstream",
        }

    def audit_event(self) -> AuditEvent:
        identity = self.identity
        guardrails = self.guardrails
        routing = self.route_record()
        if routing is not None:
            guardrails = {**guardrails, "route": routing}
        # Kept in the guardrails slot: no new column, and records without it hash as before.
        usage = self.usage_record()
        if usage is not None:
            guardrails = {**guardrails, "usage": usage}
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
            model=self.audit_model,
            provider=self.route.provider if self.route else None,
            error_code=self.error_code,
            stream=self.stream,
            latency_ms=round(self.latency * 1000, 3),
            ttft_ms=None if self.ttft is None else round(self.ttft * 1000, 3),
            input_tokens=self.usage.input_tokens,
            output_tokens=self.usage.output_tokens,
            cost_usd=round(self.cost_usd, 8),
            attempts=self.route.attempts if self.route else 0,
            guardrails=guardrails,
        )
