"""Request stages: the hook points guardrails, limits and budgets plug into.

A stage may rewrite or block a request before it goes upstream, check an
embeddings request, inspect or block a complete response, and wrap a stream of
events. Stages run in order;
the gateway core registers none of its own policy, so every policy feature
arrives through this same interface.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Protocol

from ramparts.gateway.exchange import Exchange
from ramparts.gateway.types import ChatRequest, ChatResponse, EmbeddingRequest, StreamEvent


class Stage(Protocol):
    name: str

    async def before_upstream(
        self, exchange: Exchange, request: ChatRequest
    ) -> Awaitable[None] | None:
        """Inspect or rewrite ``request``; raise BlockedError to stop it.

        A stage whose check cannot change the request may instead return it as an
        awaitable: the gateway then runs it alongside the upstream call and cancels
        that call if the check raises, so a clean prompt pays no check latency.
        """

    async def before_embeddings(self, exchange: Exchange, request: EmbeddingRequest) -> None:
        """Check an embeddings request before it goes upstream; raise BlockedError to stop it.

        A no-op by default: a stage that subclasses :class:`Stage` and has nothing to say
        about embeddings need not define it.
        """
        return None

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

    async def before_upstream(
        self, exchange: Exchange, request: ChatRequest
    ) -> list[Awaitable[None]]:
        """Run every stage's request hook; returns the checks deferred to run alongside."""
        deferred = []
        for stage in self.stages:
            check = await stage.before_upstream(exchange, request)
            if check is not None:
                deferred.append(check)
        return deferred

    async def before_embeddings(self, exchange: Exchange, request: EmbeddingRequest) -> None:
        """Run every stage's embeddings hook, in order (each must finish before the call)."""
        for stage in self.stages:
            await stage.before_embeddings(exchange, request)

    async def after_response(self, exchange: Exchange, response: ChatResponse) -> None:
        for stage in self.stages:
            await stage.after_response(exchange, response)

    def wrap_stream(
        self, exchange: Exchange, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        for stage in self.stages:
            events = stage.wrap_stream(exchange, events)
        return events
