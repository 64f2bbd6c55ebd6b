"""Token usage to meter: the upstream's own count, or an estimate when it gave none.

An upstream reports usage at the end of an answer (the last chunk of an OpenAI
stream, Anthropic's ``message_delta``). A stream that ends early (cut by the
output guard, the client gone, the upstream failed) never gets there, and some
upstreams never report at all; the upstream was still paid for the prompt and
for what it generated. Then each missing direction is estimated without a
tokenizer, words and punctuation marks: the input from the request as it went
upstream (after redaction), the output from the text, tool names and arguments
the upstream sent (withheld parts included). A direction the upstream did
report is kept unchanged.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable

import orjson

from ramparts.gateway.types import (
    ChatRequest,
    ChatResponse,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    Usage,
    UsageUpdate,
)

# A token of the estimate: a run of word characters, or one punctuation mark.
TOKEN = re.compile(r"\w+|[^\w\s]")
_WORD_CHAR = re.compile(r"\w")


def count_tokens(text: str) -> int:
    """A tokenizer-free estimate: words and punctuation marks."""
    return len(TOKEN.findall(text))


def _texts_tokens(texts: Iterable[str]) -> int:
    return sum(count_tokens(text) for text in texts)


def request_tokens(request: ChatRequest) -> int:
    """Estimated input tokens: every text the model sees and the tools it is offered."""
    tools = (
        f"{tool.name} {tool.description or ''} {orjson.dumps(tool.parameters).decode()}"
        for tool in request.tools
    )
    return _texts_tokens(request.texts()) + _texts_tokens(tools)


def response_tokens(response: ChatResponse) -> int:
    """Estimated output tokens of a whole answer: every choice's text and tool calls."""
    return sum(
        count_tokens(choice.text)
        + _texts_tokens(f"{call.name} {call.arguments}" for call in choice.tool_calls)
        for choice in response.choices
    )


def settle(
    reported: Usage,
    output_final: bool,
    estimate_input: Callable[[], int],
    estimate_output: Callable[[], int],
) -> Usage:
    """The usage to meter: each direction as the upstream reported it, else estimated.

    The input counts as reported when it is not zero; the output when the upstream gave
    its final count (``output_final``) and that count is not a zero for an answer that
    had some. Estimates are computed only when needed.
    """
    input_missing = reported.input_tokens == 0
    output_missing = not output_final or reported.output_tokens == 0
    output_tokens = reported.output_tokens
    if output_missing:
        estimate = estimate_output()
        # A final zero for an empty answer is the upstream's word, not a missing count.
        output_missing = not output_final or estimate > 0
        if output_missing:
            output_tokens = estimate
    if not (input_missing or output_missing):
        return reported
    return Usage(
        estimate_input() if input_missing else reported.input_tokens,
        output_tokens,
        estimated_input=input_missing,
        estimated_output=output_missing,
    )


def response_usage(request: ChatRequest, response: ChatResponse) -> Usage:
    """The usage of a whole answer (its upstream may have left ``usage`` out)."""
    return settle(
        response.usage, True, lambda: request_tokens(request), lambda: response_tokens(response)
    )


def unanswered_usage(request: ChatRequest) -> Usage:
    """The usage of a request that went upstream but whose answer nobody read (the client
    left first): its prompt, estimated; nothing received, so no output."""
    return settle(Usage(), False, lambda: request_tokens(request), lambda: 0)


def embedding_usage(inputs: list[str], reported: Usage) -> Usage:
    """The usage of an embeddings request: its inputs, estimated if not reported."""
    return settle(reported, True, lambda: _texts_tokens(inputs), lambda: 0)


class StreamMeter:
    """Watches a stream as the upstream sent it, before any stage changes it: the usage
    the upstream reported and an estimate of the output it generated.

    The estimate is counted delta by delta: a word split over two deltas of the same
    text or tool call counts once, so the sum equals counting the joined text.
    """

    def __init__(self, request: ChatRequest) -> None:
        self._request = request
        self._reported = Usage()
        self._final = False
        self._output = 0
        # (choice, tool index or -1 for text) of the texts whose last character is a word's.
        self._in_word: set[tuple[int, int]] = set()

    def _add(self, key: tuple[int, int], text: str) -> None:
        if not text:
            return
        tokens = count_tokens(text)
        if key in self._in_word and _WORD_CHAR.match(text):
            tokens -= 1  # continues the previous delta's last word
        self._output += tokens
        if _WORD_CHAR.match(text[-1]):
            self._in_word.add(key)
        else:
            self._in_word.discard(key)

    def _report(self, update: UsageUpdate) -> None:
        reported = self._reported
        self._reported = Usage(
            max(reported.input_tokens, update.usage.input_tokens),
            max(reported.output_tokens, update.usage.output_tokens),
        )
        self._final = self._final or update.final

    async def tap(self, events: AsyncIterator[StreamEvent]) -> AsyncIterator[StreamEvent]:
        """``events`` unchanged, counted on the way."""
        async for event in events:
            if isinstance(event, TextDelta):
                self._add((event.index, -1), event.text)
            elif isinstance(event, ToolCallDelta):
                if event.name:
                    self._output += count_tokens(event.name)
                self._add((event.index, event.tool_index), event.arguments)
            elif isinstance(event, UsageUpdate):
                self._report(event)
            yield event

    def usage(self) -> Usage:
        """The usage to meter for what has been read of the stream so far."""
        return settle(
            self._reported,
            self._final,
            lambda: request_tokens(self._request),
            lambda: self._output,
        )
