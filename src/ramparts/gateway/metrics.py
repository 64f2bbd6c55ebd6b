"""Prometheus metrics of one gateway, on its own registry (no process-global state)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics import MetricWrapperBase

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

CONTENT_TYPE = CONTENT_TYPE_LATEST


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "ramparts_requests",
            "API requests by tenant, model, API shape and outcome.",
            ["tenant", "model", "api", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ramparts_request_duration_seconds",
            "Request latency through the gateway.",
            ["tenant", "model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.ttft = Histogram(
            "ramparts_time_to_first_token_seconds",
            "Time to the first streamed token.",
            ["tenant", "model"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "ramparts_tokens",
            "Tokens metered: upstream usage, or the gateway's estimate where it reported none.",
            ["tenant", "model", "direction"],
            registry=self.registry,
        )
        self.estimated_tokens = Counter(
            "ramparts_estimated_tokens",
            "The part of ramparts_tokens the gateway estimated (the upstream reported none).",
            ["tenant", "model", "direction"],
            registry=self.registry,
        )
        self.cost = Counter(
            "ramparts_cost_usd",
            "Cost in US dollars at the configured prices.",
            ["tenant", "model"],
            registry=self.registry,
        )
        self.errors = Counter(
            "ramparts_errors",
            "Failed requests by tenant, model and error code.",
            ["tenant", "model", "code"],
            registry=self.registry,
        )
        self.upstream_retries = Counter(
            "ramparts_upstream_retries",
            "Upstream attempts beyond the first (retries and fallbacks).",
            ["model"],
            registry=self.registry,
        )
        self.audit_pending = Gauge(
            "ramparts_audit_pending_records",
            "Audit records waiting to be written.",
            registry=self.registry,
        )

    def child(self, metric: MetricWrapperBase, *values: str) -> Any:
        """``metric.labels(*values)``, remembered: every request updates the same few series,
        and ``labels`` validates and locks each time. Children are still created on first
        use only, so the exposition is unchanged."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    def render(self) -> bytes:
        return generate_latest(self.registry)
