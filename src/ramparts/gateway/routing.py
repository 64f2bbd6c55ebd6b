"""Choosing the model and provider for a request: access checks, retries, fallbacks.

Retryable failures (HTTP 429, 5xx, timeouts, lost connections) are retried on
the same model with exponential backoff and jitter, then the model's ordered
fallbacks are tried. A fallback serves only what the caller could have sent it
directly: the route's :class:`FallbackGate` holds each one to the key's model
allowlist and to every check a stage added (the guardrails add the tenant's
trust tiers); a fallback that fails is skipped and the audit says so. A stream
is only retried or rerouted before its first event reaches the caller.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ramparts.config import ModelSettings, Settings
from ramparts.errors import (
    InvalidRequestError,
    ModelNotFoundError,
    PermissionDeniedError,
    UpstreamError,
)
from ramparts.gateway.providers import Provider, build_provider
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)
from ramparts.store.identity import KeyIdentity

T = TypeVar("T")

# Why a fallback may not serve a request, for the audit (never a value from the request);
# None when it may.
FallbackCheck = Callable[[ModelSettings], Awaitable[str | None]]


@dataclass(slots=True)
class FallbackGate:
    """Which fallbacks may serve one request: the key's allowlist, then the stages' checks.

    One per exchange, shared by every route it takes (a reroute keeps it). Without an
    identity no fallback passes: a gate nobody set up fails closed.
    """

    identity: KeyIdentity | None = None
    checks: list[FallbackCheck] = field(default_factory=list)
    # {"model", "reason"} of each fallback passed over, in order.
    skipped: list[dict[str, str]] = field(default_factory=list)

    async def refusal(self, primary: ModelSettings, fallback: ModelSettings) -> str | None:
        """Why ``fallback`` may not stand in for ``primary`` here; None when it may."""
        # The same rules as a direct request for the fallback (Router.resolve).
        if self.identity is None or not self.identity.may_use(fallback.name):
            return "model_not_allowed"
        if fallback.embeddings != primary.embeddings:
            return "wrong_model_type"
        for check in self.checks:
            reason = await check(fallback)
            if reason is not None:
                return reason
        return None


@dataclass(slots=True)
class Route:
    """Where a request ended up: the model that served it and how many attempts it took."""

    model: ModelSettings
    provider: str
    attempts: int = 0
    # Set by the exchange that takes this route; None: no fallback may be used.
    gate: FallbackGate | None = field(default=None, repr=False)
    # Whether ``model`` is one of the requested (or rerouted-to) model's fallbacks.
    fallback: bool = False


class Router:
    def __init__(self, settings: Settings) -> None:
        self._models = {m.name: m for m in settings.models}
        self._providers: dict[str, Provider] = {
            name: build_provider(name, provider) for name, provider in settings.providers.items()
        }

    def models_for(self, identity: KeyIdentity) -> list[ModelSettings]:
        return [m for m in self._models.values() if identity.may_use(m.name)]

    def resolve(
        self, name: str, identity: KeyIdentity, *, embeddings: bool = False
    ) -> ModelSettings:
        model = self._models.get(name)
        if model is None:
            raise ModelNotFoundError(
                f"model '{name}' does not exist; GET /v1/models lists the models this key may use",
                param="model",
            )
        if not identity.may_use(name):
            raise PermissionDeniedError(
                f"this API key may not use model '{name}';"
                " GET /v1/models lists the models it may use",
                code="model_not_allowed",
                param="model",
            )
        if model.embeddings != embeddings:
            what = "an embeddings model" if model.embeddings else "a chat model"
            raise InvalidRequestError(
                f"model '{name}' is {what}", param="model", code="wrong_model_type"
            )
        return model

    def _chain(self, model: ModelSettings) -> list[ModelSettings]:
        return [model, *(self._models[name] for name in model.fallbacks)]

    async def _attempt(
        self,
        model: ModelSettings,
        route: Route,
        call: Callable[[Provider, ModelSettings], Awaitable[T]],
    ) -> T:
        last: UpstreamError | None = None
        for index, model_choice in enumerate(self._chain(model)):
            if index and not await _admitted(route, model, model_choice):
                continue
            provider = self._providers[model_choice.provider]
            route.model, route.provider = model_choice, model_choice.provider
            route.fallback = index > 0
            for retry in range(model_choice.retries + 1):
                route.attempts += 1
                try:
                    return await call(provider, model_choice)
                except UpstreamError as exc:
                    last = exc
                    if not exc.retryable or retry == model_choice.retries:
                        break
                    delay = model_choice.backoff_seconds * (2**retry) * random.uniform(0.5, 1.5)
                    await asyncio.sleep(delay)
        assert last is not None
        raise last

    # Each call updates ``route`` as it goes, so a failure still says where it happened.
    async def chat(self, request: ChatRequest, route: Route) -> ChatResponse:
        return await self._attempt(route.model, route, lambda p, m: p.chat(request, m))

    async def embed(self, request: EmbeddingRequest, route: Route) -> EmbeddingResponse:
        return await self._attempt(route.model, route, lambda p, m: p.embed(request, m))

    async def open_stream(
        self, request: ChatRequest, route: Route
    ) -> tuple[list[StreamEvent], AsyncIterator[StreamEvent]]:
        """Start a stream and wait for its first event, so failures can still be retried."""

        async def start(
            provider: Provider, choice: ModelSettings
        ) -> tuple[list[StreamEvent], AsyncIterator[StreamEvent]]:
            events = provider.stream(request, choice)
            iterator = aiter(events)
            try:
                first = await anext(iterator)
            except StopAsyncIteration:
                return [], iterator
            except BaseException:
                await _close(iterator)
                raise
            return [first], iterator

        return await self._attempt(route.model, route, start)

    async def close(self) -> None:
        for provider in self._providers.values():
            await provider.close()


async def _admitted(route: Route, primary: ModelSettings, fallback: ModelSettings) -> bool:
    """Whether ``fallback`` may serve the request; a refusal is noted on the gate."""
    gate = route.gate
    if gate is None:
        return False
    reason = await gate.refusal(primary, fallback)
    if reason is None:
        return True
    gate.skipped.append({"model": fallback.name, "reason": reason})
    return False


async def _close(iterator: AsyncIterator[StreamEvent]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is not None:
        await aclose()
