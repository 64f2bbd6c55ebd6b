"""The Anthropic Messages API as a provider."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ramparts.config import ModelSettings
from ramparts.errors import InvalidRequestError
from ramparts.gateway.anthropic_format import build_messages_body, parse_messages_response
from ramparts.gateway.anthropic_stream import AnthropicStreamParser
from ramparts.gateway.providers.base import HttpProvider
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)

API_VERSION = "2023-06-01"


class AnthropicProvider(HttpProvider):
    kind = "anthropic"

    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": self.settings.api_version or API_VERSION}
        if self.secret is not None:
            headers["x-api-key"] = self.secret
        return headers

    async def chat(self, request: ChatRequest, model: ModelSettings) -> ChatResponse:
        body = build_messages_body(request, model.upstream)
        body.pop("stream", None)
        return parse_messages_response(await self.post_json("/v1/messages", body, model))

    async def stream(
        self, request: ChatRequest, model: ModelSettings
    ) -> AsyncIterator[StreamEvent]:
        body = build_messages_body(request, model.upstream)
        parser = AnthropicStreamParser()
        async for _event, data in self.post_sse("/v1/messages", body, model):
            if isinstance(data, dict):
                for event in parser.feed(data):
                    yield event
                if data.get("type") == "message_stop":
                    return

    async def embed(self, request: EmbeddingRequest, model: ModelSettings) -> EmbeddingResponse:
        raise InvalidRequestError(
            f"model '{model.name}' is served by Anthropic, which offers no embeddings;"
            " use an embeddings model",
            param="model",
        )
