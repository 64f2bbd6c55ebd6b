"""The provider contract and the HTTP plumbing shared by HTTP providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp
import orjson

from ramparts.config import ModelSettings, ProviderSettings
from ramparts.errors import InvalidRequestError, UpstreamError, UpstreamTimeoutError
from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    EmbeddingRequest,
    EmbeddingResponse,
    StreamEvent,
)


class Provider(Protocol):
    """An upstream that serves chat (and maybe embeddings) for configured models."""

    name: str
    kind: str

    async def chat(self, request: ChatRequest, model: ModelSettings) -> ChatResponse: ...

    def stream(self, request: ChatRequest, model: ModelSettings) -> AsyncIterator[StreamEvent]: ...

    async def embed(self, request: EmbeddingRequest, model: ModelSettings) -> EmbeddingResponse: ...

    async def close(self) -> None: ...


def _error_message(body: bytes) -> str:
    try:
        data = orjson.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        if isinstance(message, str):
            return message[:300]
    except orjson.JSONDecodeError:
        pass
    return "no readable error message"


def raise_for_status(provider: str, status: int, body: bytes) -> None:
    """Map an upstream HTTP status to the right gateway error."""
    if status < 400:
        return
    if status == 429 or status >= 500:
        raise UpstreamError(
            f"provider '{provider}' answered HTTP {status}",
            retryable=True,
            code=f"upstream_{status}",
        )
    if status in (401, 403):
        raise UpstreamError(
            f"provider '{provider}' rejected Ramparts' credentials (HTTP {status});"
            " an administrator must check its api_key settings",
            code="upstream_auth",
        )
    if status == 404:
        raise UpstreamError(
            f"provider '{provider}' does not know the configured upstream model (HTTP 404);"
            " check the model's upstream_name",
            code="upstream_model_not_found",
        )
    raise InvalidRequestError(
        f"provider '{provider}' rejected the request (HTTP {status}): {_error_message(body)}",
        code="upstream_rejected",
    )


class HttpProvider:
    """Pooled aiohttp session, timeouts and JSON/SSE transport for HTTP providers."""

    kind = "http"

    def __init__(self, name: str, settings: ProviderSettings) -> None:
        self.name = name
        self.settings = settings
        self.base_url = (settings.base_url or "").rstrip("/")
        self._secret = settings.api_key()
        self._session: aiohttp.ClientSession | None = None

    def auth_headers(self) -> dict[str, str]:
        raise NotImplementedError

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.settings.max_connections, keepalive_timeout=30, ttl_dns_cache=300
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={**self.settings.headers, **self.auth_headers()},
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
                auto_decompress=True,
            )
        return self._session

    @property
    def secret(self) -> str | None:
        return self._secret.get_secret_value() if self._secret is not None else None

    async def post_json(self, path: str, body: dict[str, Any], model: ModelSettings) -> Any:
        timeout = aiohttp.ClientTimeout(
            total=model.timeout_seconds, sock_connect=model.connect_timeout_seconds
        )
        try:
            async with self._client().post(
                self.base_url + path,
                data=orjson.dumps(body),
                timeout=timeout,
                headers={"content-type": "application/json"},
            ) as response:
                raw = await response.read()
                raise_for_status(self.name, response.status, raw)
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"provider '{self.name}' did not answer within {model.timeout_seconds:g}s",
                retryable=True,
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(
                f"cannot reach provider '{self.name}' ({type(exc).__name__})", retryable=True
            ) from None
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UpstreamError(
                f"provider '{self.name}' returned a body that is not JSON"
            ) from None

    async def post_sse(
        self, path: str, body: dict[str, Any], model: ModelSettings
    ) -> AsyncIterator[tuple[str | None, Any]]:
        """Yield ``(event, data)`` pairs of an SSE response; ``data`` is parsed JSON or '[DONE]'."""
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=model.connect_timeout_seconds, sock_read=model.timeout_seconds
        )
        try:
            async with self._client().post(
                self.base_url + path,
                data=orjson.dumps(body),
                timeout=timeout,
                headers={"content-type": "application/json", "accept": "text/event-stream"},
            ) as response:
                if response.status >= 400:
                    raise_for_status(self.name, response.status, await response.read())
                event: str | None = None
                data: list[bytes] = []
                async for line in response.content:
                    line = line.rstrip(b"\r\n")
                    if not line:
                        if data:
                            yield event, _sse_data(self.name, b"\n".join(data))
                        event, data = None, []
                    elif line.startswith(b"data:"):
                        data.append(line[5:].lstrip())
                    elif line.startswith(b"event:"):
                        event = line[6:].strip().decode()
                if data:
                    yield event, _sse_data(self.name, b"\n".join(data))
        except TimeoutError:
            raise UpstreamTimeoutError(
                f"provider '{self.name}' stalled for more than {model.timeout_seconds:g}s",
                retryable=True,
            ) from None
        except aiohttp.ClientError as exc:
            raise UpstreamError(
                f"lost the connection to provider '{self.name}' ({type(exc).__name__})",
                retryable=True,
            ) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _sse_data(provider: str, raw: bytes) -> Any:
    if raw == b"[DONE]":
        return "[DONE]"
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise UpstreamError(f"provider '{provider}' sent a stream event that is not JSON") from None
