"""Request stages: the hook points guardrails, limits and budgets plug into.

A stage may rewrite or block a request before it goes upstream, inspect or
block a complete response, and wrap a stream of events. Stages run in order;
the gateway core registers none of its own policy, so every policy feature
arrives through this same interface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ramparts.gateway.exchange import Exchange
from ramparts.gateway.types import ChatRequest, ChatResponse, StreamEvent


class Stage(Protocol):
    name: str

    async def before_upstream(self, exchange: Exchange, request: ChatRequest) -> None:
        """Inspect or rewrite ``request``; raise BlockedError to stop it."""

    async def after_response(self, exchange: Exchange, response: ChatResponse) -> None:
        """Inspect or rewrite a complete response; raise BlockedError to withhold it."""

    def wrap_stream(
        self, exchange: Exchange, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        """Return the stream the caller will see (``events`` itself when nothing changes)."""
        ...


class Pipeline:
    def __init__(self, stages: list[Stage] | None = None) -> None:
        self.stages: list[Stage] = list(stages or [])

    async def before_upstream(self, exchange: Exchange, request: ChatRequest) -> None:
        for stage in self.stages:
            await stage.before_upstream(exchange, request)

    async def after_response(self, exchange: Exchange, response: ChatResponse) -> None:
        for stage in self.stages:
            await stage.after_response(exchange, response)

    def wrap_stream(
        self, exchange: Exchange, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        for stage in self.stages:
            events = stage.wrap_stream(exchange, events)
        return events
