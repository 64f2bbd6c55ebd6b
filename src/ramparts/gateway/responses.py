"""HTTP responses: JSON bodies, errors in each API family's shape, and SSE streams.

Error shapes (pinned by tests):
- OpenAI:    ``{"error": {"message", "type", "param", "code"}, "request_id"}``
- Anthropic: ``{"type": "error", "error": {"type", "message"}, "request_id"}``
Every response carries the ``x-request-id`` header.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ramparts.errors import BlockedError, GatewayError
from ramparts.gateway.types import ApiShape


class JSONBody(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(shape: ApiShape, exc: GatewayError, request_id: str) -> dict[str, Any]:
    error: dict[str, Any]
    if shape == "anthropic":
        error = {"type": exc.anthropic_type, "message": exc.message}
    else:
        error = {
            "message": exc.message,
            "type": exc.openai_type,
            "param": exc.param,
            "code": exc.code,
        }
    if isinstance(exc, BlockedError):
        # Policy blocks also say which rules fired (and, for Anthropic callers, the stable code).
        error["rule_ids"] = exc.rule_ids
        error.setdefault("code", exc.code)
    wrapper: dict[str, Any] = {"type": "error"} if shape == "anthropic" else {}
    return {**wrapper, "error": error, "request_id": request_id}


def error_response(shape: ApiShape, exc: GatewayError, request_id: str) -> Response:
    headers = {"x-request-id": request_id}
    if exc.http_status == 401 and shape == "openai":
        headers["www-authenticate"] = "Bearer"
    return JSONBody(
        error_body(shape, exc, request_id), status_code=exc.http_status, headers=headers
    )


async def wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


class SSEResponse(Response):
    """Streams frames and stops (cancelling the producer) the moment the client goes away."""

    media_type = "text/event-stream"

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        request_id: str,
        on_disconnect: Callable[[], None],
        headers: dict[str, str] | None = None,
    ) -> None:
        # No super().__init__: it would add "content-length: 0" to a body that streams.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"x-request-id", request_id.encode()),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
            *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
        ]
        self._frames = frames
        self._on_disconnect = on_disconnect

    async def _pump(self, send: Send) -> None:
        try:
            async for frame in self._frames:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
        finally:
            aclose = getattr(self._frames, "aclose", None)
            if aclose is not None:
                await aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        pump = asyncio.ensure_future(self._pump(send))
        listen = asyncio.ensure_future(wait_for_disconnect(receive))
        done, _ = await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
        if pump in done:
            listen.cancel()
            pump.result()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        self._on_disconnect()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
