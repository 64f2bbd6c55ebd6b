"""``before_embeddings`` is a stage hook like the others: run by the Pipeline, in order,
with a no-op default for stages that subclass :class:`Stage` and leave it out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable

import pytest

from ramparts.errors import BlockedError
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.pipeline import Pipeline, Stage
from ramparts.gateway.types import ChatRequest, ChatResponse, EmbeddingRequest, StreamEvent


class Quiet(Stage):
    """A plug-in stage with nothing to say about embeddings: inherits the no-op hook."""

    name = "quiet"

    async def before_upstream(
        self, exchange: Exchange, request: ChatRequest
    ) -> Awaitable[None] | None:
        return None

    async def after_response(self, exchange: Exchange, response: ChatResponse) -> None:
        return None

    def wrap_stream(
        self, exchange: Exchange, events: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent]:
        return events


class Recording(Quiet):
    def __init__(self, name: str, seen: list[str], block: bool = False) -> None:
        self.name = name
        self._seen = seen
        self._block = block

    async def before_embeddings(self, exchange: Exchange, request: EmbeddingRequest) -> None:
        self._seen.append(f"{self.name}:{request.inputs[0]}")
        if self._block:
            raise BlockedError("blocked by a plug-in")


def _exchange() -> Exchange:
    return Exchange("req-1", "openai", "/v1/embeddings")


def test_stages_run_in_order_and_the_default_is_a_no_op() -> None:
    seen: list[str] = []
    pipeline = Pipeline([Recording("a", seen), Quiet(), Recording("b", seen)])
    asyncio.run(pipeline.before_embeddings(_exchange(), EmbeddingRequest("m", ["hi"])))
    assert seen == ["a:hi", "b:hi"]


def test_a_stage_can_block_and_later_stages_do_not_run() -> None:
    seen: list[str] = []
    pipeline = Pipeline([Recording("a", seen, block=True), Recording("b", seen)])
    with pytest.raises(BlockedError):
        asyncio.run(pipeline.before_embeddings(_exchange(), EmbeddingRequest("m", ["hi"])))
    assert seen == ["a:hi"]


def test_an_empty_pipeline_passes() -> None:
    asyncio.run(Pipeline().before_embeddings(_exchange(), EmbeddingRequest("m", ["hi"])))
