"""An unknown model name is quoted back short and without control characters, in both shapes."""

from __future__ import annotations

from ramparts.gateway.api import ECHOED_MODEL_CHARS, echoed_model

from .conftest import RunningGateway
from .test_errors import HELLO, assert_anthropic_error, assert_openai_error, one_record, post

# Long enough to be a pasted document, with a terminal escape and a bidi override in it.
LONG_MODEL = "gpt-\x1b[31m\u202e" + "x" * 5000 + "TAIL-SECRET"


def test_echoed_model_is_short_and_clean() -> None:
    assert echoed_model("gpt-9000") == "gpt-9000"
    echoed = echoed_model(LONG_MODEL)
    assert len(echoed) <= ECHOED_MODEL_CHARS + 1
    assert echoed.startswith("gpt-[31mx")
    assert "\x1b" not in echoed and "\u202e" not in echoed and "TAIL-SECRET" not in echoed


def test_unknown_model_error_does_not_echo_the_whole_name(
    gateway: RunningGateway, api_key: str
) -> None:
    body = {"model": LONG_MODEL, "messages": HELLO}
    openai = post(gateway, "/v1/chat/completions", api_key, body)
    message = assert_openai_error(openai, 404, "model_not_found")["error"]["message"]
    anthropic = post(
        gateway,
        "/v1/messages",
        None,
        {**body, "max_tokens": 5},
        **{"x-api-key": api_key, "anthropic-version": "2023-06-01"},
    )
    anthropic_message = assert_anthropic_error(anthropic, 404, "not_found_error")["error"][
        "message"
    ]
    embeddings = post(gateway, "/v1/embeddings", api_key, {"model": LONG_MODEL, "input": "hi"})
    embeddings_message = assert_openai_error(embeddings, 404, "model_not_found")["error"]["message"]
    for text in (message, anthropic_message, embeddings_message):
        assert "TAIL-SECRET" not in text and "\x1b" not in text and "\u202e" not in text
        assert len(text) < ECHOED_MODEL_CHARS + 100
        assert "does not exist" in text
    for response in (openai, anthropic, embeddings):
        assert "TAIL-SECRET" not in response.text
    # The audit trail keeps its own bounded, cleaned copy (unchanged behaviour).
    record = one_record(gateway, openai)
    assert record.model is not None and "\x1b" not in record.model


def test_short_unknown_model_is_still_named(gateway: RunningGateway, api_key: str) -> None:
    response = post(
        gateway, "/v1/chat/completions", api_key, {"model": "gpt-9000", "messages": HELLO}
    )
    message = assert_openai_error(response, 404, "model_not_found")["error"]["message"]
    assert "'gpt-9000'" in message
