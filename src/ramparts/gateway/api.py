"""The model API endpoints: chat (both shapes), embeddings and the model list.

Every request becomes one :class:`Exchange` and, when it ends in any way, one
audit record. Errors are answered in the caller's API shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from ramparts.config import ModelSettings
from ramparts.errors import (
    GatewayError,
    InvalidRequestError,
    ModelNotFoundError,
    RequestTooLargeError,
    UpstreamError,
)
from ramparts.gateway import anthropic_format, anthropic_stream, openai_format
from ramparts.gateway.auth import presented_key
from ramparts.gateway.exchange import Exchange
from ramparts.gateway.logs import request_id_var
from ramparts.gateway.responses import JSONBody, SSEResponse, error_response, wait_for_disconnect
from ramparts.gateway.routing import Route
from ramparts.gateway.service import Gateway, new_request_id
from ramparts.gateway.types import (
    ApiShape,
    ChatRequest,
    ChatResponse,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    UsageUpdate,
)
from ramparts.gateway.usage import (
    StreamMeter,
    embedding_usage,
    response_usage,
    unanswered_usage,
)

log = logging.getLogger("ramparts.gateway")
T = TypeVar("T")

# An unknown model name is echoed back at most this long: the caller's string can be as long
# as the body and may be anything (a pasted secret, terminal escapes).
ECHOED_MODEL_CHARS = 100
# C0/C1 controls plus the Unicode line/paragraph separators and bidi/invisible format marks.
_UNECHOABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


class ClientGone(Exception):
    """The caller disconnected before the answer was ready."""


@dataclass(frozen=True)
class ApiFamily:
    shape: ApiShape
    parse: Callable[[Any], ChatRequest]
    render: Callable[[ChatResponse, str, str], dict[str, Any]]


OPENAI = ApiFamily("openai", openai_format.parse_chat_request, openai_format.render_chat_response)
ANTHROPIC = ApiFamily(
    "anthropic",
    anthropic_format.parse_messages_request,
    anthropic_format.render_messages_response,
)


async def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body; 413 beyond ``limit`` bytes, 400 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeError(
            f"request body is over the {limit}-byte limit", code="body_too_large"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLargeError(
                f"request body is over the {limit}-byte limit", code="body_too_large"
            )
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise InvalidRequestError(
            "the request body is empty; send a JSON object", code="invalid_json"
        )
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"the request body is not valid JSON ({exc.msg} at position {exc.pos})",
            code="invalid_json",
        ) from None
    # Fewer brackets than the limit cannot nest deeper: most bodies skip the walk.
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and _deeper_than(body, MAX_JSON_DEPTH):
        raise InvalidRequestError(
            f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep;"
            " flatten the structure (tool inputs and schemas included)",
            code="invalid_json",
        )
    return body


# orjson parses up to 1,024 levels but writes at most 254, and a request is written
# again on its way upstream: deeper bodies are refused up front.
MAX_JSON_DEPTH = 128


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` has containers nested more than ``limit`` deep."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


async def until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Run ``work``; cancel it and raise :class:`ClientGone` if the caller leaves first."""
    task = asyncio.ensure_future(work)
    listener = asyncio.ensure_future(wait_for_disconnect(request.receive))
    done, _ = await asyncio.wait({task, listener}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        listener.cancel()
        return task.result()
    task.cancel()
    # The work's own outcome no longer matters once the caller is gone.
    with contextlib.suppress(BaseException):
        await task
    raise ClientGone


async def alongside(
    work: Awaitable[T],
    checks: list[Awaitable[None]],
    discard: Callable[[T], Awaitable[None]] | None = None,
) -> T:
    """Run ``work`` while ``checks`` run; if a check raises, cancel or discard the work."""
    if not checks:
        return await work
    task = asyncio.ensure_future(work)
    try:
        await asyncio.gather(*checks)
    except BaseException:
        task.cancel()
        with contextlib.suppress(BaseException):
            result = await task
            if discard is not None:
                await discard(result)
        raise
    return await task


async def _close_opened(opened: tuple[list[StreamEvent], AsyncIterator[StreamEvent]]) -> None:
    aclose = getattr(opened[1], "aclose", None)
    if aclose is not None:
        await aclose()


def _stage_headers(exchange: Exchange) -> dict[str, str]:
    """What the guardrails changed, for the caller to see (counts and model names only)."""
    record = exchange.guardrails.get("input") or {}
    headers = {}
    if record.get("redacted"):
        headers["x-ramparts-redacted"] = str(record["redacted"])
    if record.get("rerouted_to"):
        headers["x-ramparts-rerouted-to"] = str(record["rerouted_to"])
    return headers


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def echoed_model(name: str) -> str:
    """The caller's model name fit to quote in an error: no control characters, short."""
    clean = _UNECHOABLE.sub("", name)
    if len(clean) > ECHOED_MODEL_CHARS:
        return clean[:ECHOED_MODEL_CHARS] + "…"
    return clean


def _resolve(
    gateway: Gateway, exchange: Exchange, name: str, *, embeddings: bool = False
) -> ModelSettings:
    """Route ``name`` for the exchange's key; an unknown name is quoted only in short."""
    assert exchange.identity is not None
    try:
        return gateway.router.resolve(name, exchange.identity, embeddings=embeddings)
    except ModelNotFoundError:
        # The router's message quotes the whole name; only configured names pass that point.
        raise ModelNotFoundError(
            f"model '{echoed_model(name)}' does not exist;"
            " GET /v1/models lists the models this key may use",
            param="model",
        ) from None


async def _authenticate(gateway: Gateway, request: Request, exchange: Exchange) -> None:
    exchange.identity = await gateway.auth.authenticate(presented_key(request.headers.get))


async def chat(request: Request, family: ApiFamily, endpoint: str) -> Response:
    gateway = _gateway(request)
    exchange = Exchange(new_request_id(), family.shape, endpoint)
    request_id_var.set(exchange.request_id)
    streaming = False
    # The request as it goes upstream (after the stages rewrote it), once it may have gone.
    sent: ChatRequest | None = None
    try:
        await _authenticate(gateway, request, exchange)
        body = await read_json(request, gateway.settings.server.max_body_bytes)
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            exchange.model = body["model"]
        chat_request = family.parse(body)
        exchange.stream = chat_request.stream
        model = _resolve(gateway, exchange, chat_request.model)
        exchange.route = Route(model, model.provider)
        checks = await gateway.pipeline.before_upstream(exchange, chat_request)
        route = exchange.route  # a stage may have rerouted the request
        sent = chat_request
        if chat_request.stream:
            head, events = await until_disconnect(
                request,
                alongside(gateway.router.open_stream(chat_request, route), checks, _close_opened),
            )
            frames = _stream_frames(
                gateway, exchange, family, chat_request, head, events, route.model
            )
            streaming = True
            return SSEResponse(
                frames, exchange.request_id, exchange.disconnected, _stage_headers(exchange)
            )
        response = await until_disconnect(
            request, alongside(gateway.router.chat(chat_request, route), checks)
        )
        # Counted on the answer as the upstream sent it, before placeholders are restored.
        response.usage = response_usage(chat_request, response)
        exchange.meter(route.model, response.usage)
        await gateway.pipeline.after_response(exchange, response)
        body_out = family.render(response, chat_request.model, exchange.request_id)
        headers = {"x-request-id": exchange.request_id, **_stage_headers(exchange)}
        return JSONBody(body_out, headers=headers)
    except GatewayError as exc:
        exchange.fail(exc)
        return error_response(family.shape, exc, exchange.request_id)
    except (ClientGone, ClientDisconnect):
        exchange.disconnected()
        route_taken = exchange.route
        if sent is not None and route_taken is not None and route_taken.attempts:
            # The prompt reached the upstream, which charges for it answered or not.
            exchange.meter(route_taken.model, unanswered_usage(sent))
        return Response(status_code=499)
    except Exception:
        log.exception("unexpected error while serving a request")
        exc_out = GatewayError(
            f"internal error; quote request id {exchange.request_id} to your administrator"
        )
        exchange.fail(exc_out)
        return error_response(family.shape, exc_out, exchange.request_id)
    finally:
        if not streaming:
            gateway.finish(exchange)


async def _stream_frames(
    gateway: Gateway,
    exchange: Exchange,
    family: ApiFamily,
    chat_request: ChatRequest,
    head: list[StreamEvent],
    upstream: AsyncIterator[StreamEvent],
    model: Any,
) -> AsyncIterator[bytes]:
    """Render the upstream stream in the caller's shape; finalise the exchange however it ends."""
    # Usage as the upstream reported it, or estimated from what it sent if the stream
    # ends before its usage (cut by a stage, the client gone, the upstream failed).
    meter = StreamMeter(chat_request)

    async def chained() -> AsyncIterator[StreamEvent]:
        for event in head:
            yield event
        async for event in upstream:
            yield event

    events = gateway.pipeline.wrap_stream(exchange, meter.tap(chained()))
    renderer: openai_format.OpenAIStreamRenderer | anthropic_stream.AnthropicStreamRenderer
    if family.shape == "anthropic":
        renderer = anthropic_stream.AnthropicStreamRenderer(chat_request.model, exchange.request_id)
        start_tokens = next((e.usage.input_tokens for e in head if isinstance(e, UsageUpdate)), 0)
        yield renderer.start(start_tokens)
    else:
        renderer = openai_format.OpenAIStreamRenderer(
            chat_request.model, exchange.request_id, chat_request.include_usage
        )
    try:
        async for event in events:
            if isinstance(event, UsageUpdate):
                continue  # the meter has it
            if isinstance(event, TextDelta | ToolCallDelta):
                exchange.first_token()
            frame = renderer.event(event)
            if frame:
                yield frame
        exchange.meter(model, meter.usage())
        yield renderer.close(exchange.usage)
    except GatewayError as exc:
        # Headers are gone: report the failure inside the stream, in the caller's shape.
        exchange.meter(model, meter.usage())
        exchange.fail(exc)
        if family.shape == "anthropic":
            yield anthropic_stream.AnthropicStreamRenderer.error(exc.message, exc.anthropic_type)
        else:
            assert isinstance(renderer, openai_format.OpenAIStreamRenderer)
            yield renderer.error(exc.message, exc.code or "upstream_error")
    except (asyncio.CancelledError, GeneratorExit):
        exchange.meter(model, meter.usage())
        exchange.disconnected()
        raise
    finally:
        aclose = getattr(upstream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(UpstreamError, RuntimeError):
                await aclose()
        gateway.finish(exchange)


async def chat_completions(request: Request) -> Response:
    return await chat(request, OPENAI, "/v1/chat/completions")


async def messages(request: Request) -> Response:
    return await chat(request, ANTHROPIC, "/v1/messages")


async def embeddings(request: Request) -> Response:
    gateway = _gateway(request)
    exchange = Exchange(new_request_id(), "openai", "/v1/embeddings")
    request_id_var.set(exchange.request_id)
    try:
        await _authenticate(gateway, request, exchange)
        body = await read_json(request, gateway.settings.server.max_body_bytes)
        embedding_request = openai_format.parse_embedding_request(body)
        exchange.model = embedding_request.model
        model = _resolve(gateway, exchange, embedding_request.model, embeddings=True)
        exchange.route = route = Route(model, model.provider)
        await gateway.pipeline.before_embeddings(exchange, embedding_request)
        result = await until_disconnect(request, gateway.router.embed(embedding_request, route))
        exchange.meter(route.model, embedding_usage(embedding_request.inputs, result.usage))
        payload = {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": vector}
                for i, vector in enumerate(result.vectors)
            ],
            "model": embedding_request.model,
            "usage": {
                "prompt_tokens": exchange.usage.input_tokens,
                "total_tokens": exchange.usage.input_tokens,
            },
        }
        return JSONBody(payload, headers={"x-request-id": exchange.request_id})
    except GatewayError as exc:
        exchange.fail(exc)
        return error_response("openai", exc, exchange.request_id)
    except (ClientGone, ClientDisconnect):
        exchange.disconnected()
        return Response(status_code=499)
    finally:
        gateway.finish(exchange)


async def list_models(request: Request) -> Response:
    gateway = _gateway(request)
    shape: ApiShape = "anthropic" if "anthropic-version" in request.headers else "openai"
    exchange = Exchange(new_request_id(), shape, "/v1/models")
    try:
        await _authenticate(gateway, request, exchange)
        assert exchange.identity is not None
        models = gateway.router.models_for(exchange.identity)
        created = int(time.time())
        if shape == "anthropic":
            data: list[dict[str, Any]] = [
                {
                    "type": "model",
                    "id": m.name,
                    "display_name": m.name,
                    "created_at": "1970-01-01T00:00:00Z",
                }
                for m in models
            ]
            payload: dict[str, Any] = {
                "data": data,
                "has_more": False,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
            }
        else:
            payload = {
                "object": "list",
                "data": [
                    {"id": m.name, "object": "model", "created": created, "owned_by": m.provider}
                    for m in models
                ],
            }
        return JSONBody(payload, headers={"x-request-id": exchange.request_id})
    except GatewayError as exc:
        exchange.fail(exc)
        return error_response(shape, exc, exchange.request_id)
    finally:
        gateway.finish(exchange)
