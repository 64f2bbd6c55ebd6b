"""The built-in ``echo`` model: answers with exactly the text it received. Offline, no key.

It lets a person see what reached the model (after redaction, say) and lets the
gateway run with no provider at all.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections.abc import AsyncIterator

from ramparts.config import ModelSettings, ProviderSettings
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    Choice,
    EmbeddingRequest,
    EmbeddingResponse,
    Finish,
    FinishReason,
    Message,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolResult,
    Usage,
    UsageUpdate,
)
from ramparts.gateway.usage import TOKEN, count_tokens, request_tokens

_PIECE = re.compile(r"\s*\S+\s*|\s+")
EMBEDDING_DIMENSIONS = 64


def _message_text(message: Message) -> str:
    texts = []
    for part in message.parts:
        if isinstance(part, TextPart):
            texts.append(part.text)
        elif isinstance(part, ToolResult):
            texts.extend(p.text for p in part.parts if isinstance(p, TextPart))
    return "".join(texts)


def echo_text(request: ChatRequest) -> str:
    """The text of the last user turn: what the echo model answers with."""
    for message in reversed(request.messages):
        if message.role == "user":
            return _message_text(message)
    return ""


def _truncate(text: str, max_tokens: int | None) -> tuple[str, FinishReason]:
    if max_tokens is None:
        return text, "stop"
    tokens = list(TOKEN.finditer(text))
    if len(tokens) <= max_tokens:
        return text, "stop"
    return text[: tokens[max_tokens - 1].end()], "length"


class EchoProvider:
    kind = "echo"

    def __init__(self, name: str, settings: ProviderSettings) -> None:
        self.name = name
        self.settings = settings

    async def chat(self, request: ChatRequest, model: ModelSettings) -> ChatResponse:
        text, finish = _truncate(echo_text(request), request.max_tokens)
        choices = [Choice(i, [TextPart(text)], finish) for i in range(request.n)]
        return ChatResponse(
            id=f"echo-{time.time_ns()}",
            model=model.upstream,
            choices=choices,
            usage=Usage(request_tokens(request), count_tokens(text) * request.n),
            created=int(time.time()),
        )

    async def stream(
        self, request: ChatRequest, model: ModelSettings
    ) -> AsyncIterator[StreamEvent]:
        text, finish = _truncate(echo_text(request), request.max_tokens)
        yield UsageUpdate(Usage(request_tokens(request), 0), final=False)
        for index in range(request.n):
            for piece in _PIECE.findall(text):
                yield TextDelta(piece, index)
            yield Finish(finish, index)
        yield UsageUpdate(Usage(request_tokens(request), count_tokens(text) * request.n))

    async def embed(self, request: EmbeddingRequest, model: ModelSettings) -> EmbeddingResponse:
        size = request.dimensions or EMBEDDING_DIMENSIONS
        vectors = [_embedding(text, size) for text in request.inputs]
        tokens = sum(count_tokens(text) for text in request.inputs)
        return EmbeddingResponse(model=model.name, vectors=vectors, usage=Usage(tokens, 0))

    async def close(self) -> None:
        return None


def _embedding(text: str, size: int) -> list[float]:
    """A deterministic unit vector from the text's hash: same text, same vector."""
    values: list[float] = []
    counter = 0
    while len(values) < size:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    values = values[:size]
    norm = math.sqrt(sum(x * x for x in values)) or 1.0
    return [x / norm for x in values]
