"""Providers speaking the OpenAI API: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, LM Studio"""

from __future__ import annotations

from collections.abc import AsyncIterator

from ramparts.config import ModelSettings
from ramparts.errors import UpstreamError
from ramparts.gateway.openai_format import (
    build_chat_body,
    parse_chat_response,
    parse_stream_chunk,
    reported_tokens,
)
from ramparts.gateway.providers.base import HttpProvider
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
    Usage,
)


class OpenAICompatibleProvider(HttpProvider):
    kind = "openai-compatible"

    def auth_headers(self) -> dict[str, str]:
        secret = self.secret
        if secret is None:
            return {}
        if self.settings.api_version:  # Azure OpenAI authenticates with api-key
            return {"api-key": secret}
        return {"authorization": f"Bearer {secret}"}

    def _path(self, endpoint: str) -> str:
        if self.settings.api_version:
            return f"{endpoint}?api-version={self.settings.api_version}"
        return endpoint

    async def chat(self, request: ChatRequest, model: ModelSettings) -> ChatResponse:
        body = build_chat_body(request, model.upstream)
        body.pop("stream", None)
        body.pop("stream_options", None)
        return parse_chat_response(
            await self.post_json(self._path("/chat/completions"), body, model)
        )

    async def stream(
        self, request: ChatRequest, model: ModelSettings
    ) -> AsyncIterator[StreamEvent]:
        body = build_chat_body(request, model.upstream)
        async for _event, data in self.post_sse(self._path("/chat/completions"), body, model):
            if data == "[DONE]":
                return
            if isinstance(data, dict) and "error" in data:
                raise UpstreamError(f"provider '{self.name}' reported an error mid-stream")
            for event in parse_stream_chunk(data):
                yield event

    async def embed(self, request: EmbeddingRequest, model: ModelSettings) -> EmbeddingResponse:
        body = {**request.extra, "model": model.upstream, "input": request.inputs}
        if request.encoding_format:
            body["encoding_format"] = request.encoding_format
        if request.dimensions:
            body["dimensions"] = request.dimensions
        raw = await self.post_json(self._path("/embeddings"), body, model)
        try:
            vectors = [item["embedding"] for item in sorted(raw["data"], key=lambda d: d["index"])]
            usage = raw.get("usage") or {}
            return EmbeddingResponse(
                model=model.name,
                vectors=vectors,
                usage=Usage(reported_tokens(usage.get("prompt_tokens")), 0),
                raw=raw,
            )
        except (KeyError, TypeError, ValueError):
            raise UpstreamError(f"provider '{self.name}' returned malformed embeddings") from None
