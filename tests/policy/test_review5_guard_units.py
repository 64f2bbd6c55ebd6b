"""Review 5, input guard: text the model reads as one is scanned as one, overlapping
redactions leave nothing of the enclosing value, and tool-call arguments are scanned and
redacted as decoded JSON strings (never as raw JSON text)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.config import load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.gateway.anthropic_format import build_messages_body, parse_messages_request
from ramparts.gateway.openai_format import build_chat_body, parse_chat_request
from ramparts.gateway.types import ChatRequest
from ramparts.policy.book import CompiledPolicy, compile_policy
from ramparts.policy.decide import Located, decide
from ramparts.policy.guard import (
    TextUnit,
    apply_redactions,
    leaf_redactions,
    refusal,
    scan_units,
    text_units,
)
from ramparts.policy.model import parse_policy
from ramparts.policy.redaction import MemoryVault, restore
from ramparts.policy.scan_cache import ScanCache

AWS_KEY = "AKIAZ7VRSQ4TLMXJ2P3Q"
QUIET = (
    "detectors:\n  detectors: {prompt_injection: false, person_name: false, location: false,"
    " street_address: false, business_category: false, secrets.high_entropy: false}\n"
)
REDACT_ALL = QUIET + "rules:\n  - {id: r, match: {families: [secrets, pii]}, action: redact}\n"
SETTINGS = load_settings(environ={})


@pytest.fixture(scope="module")
def compiled() -> CompiledPolicy:
    return compile_policy(parse_policy(REDACT_ALL), "t", 1, b"k" * 32)


def guard(compiled: CompiledPolicy, request: ChatRequest) -> tuple[list[TextUnit], dict[str, str]]:
    """The input guard as the stage runs it: scan, decide, refuse or redact."""
    assert compiled.input_engine is not None and compiled.policy is not None
    units = text_units(request)
    located = scan_units(compiled.input_engine, units)
    verdict = decide(located, compiled.policy, SETTINGS, SETTINGS.models[0], None, compiled.rules)
    assert verdict.action != "block"
    refused = refusal(units, verdict)
    if refused is not None:
        raise LookupError(refused[0])
    targets, redactions = leaf_redactions(units, verdict.redactions)
    sent: dict[str, str] = {}
    apply_redactions(targets, redactions, MemoryVault(60), "t:c", sent)
    return units, sent


def openai_request(messages: list[dict[str, Any]]) -> ChatRequest:
    return parse_chat_request({"model": "m", "messages": messages})


def anthropic_request(messages: list[dict[str, Any]]) -> ChatRequest:
    return parse_messages_request({"model": "m", "max_tokens": 5, "messages": messages})


def texts(*parts: str) -> list[dict[str, str]]:
    return [{"type": "text", "text": p} for p in parts]


# --- B2: a value split over text parts ---------------------------------------------------


def test_text_parts_of_one_message_are_one_unit(compiled: CompiledPolicy) -> None:
    request = openai_request(
        [{"role": "user", "content": texts("key " + AWS_KEY[:8], AWS_KEY[8:])}]
    )
    [unit] = text_units(request)
    assert unit.text == "key " + AWS_KEY
    assert compiled.input_engine is not None
    found = scan_units(compiled.input_engine, [unit])
    assert any(located.finding.detector.startswith("secrets.") for located in found)


@pytest.mark.parametrize("cut", [1, 5, 10, 19])
def test_a_split_value_leaves_no_piece_in_any_part(compiled: CompiledPolicy, cut: int) -> None:
    parts = (
        texts("mail bob@exa", "mple.com please")
        if cut == 1
        else texts("k " + AWS_KEY[:cut], AWS_KEY[cut:])
    )
    value = "bob@example.com" if cut == 1 else AWS_KEY
    for request in (openai_request([{"role": "user", "content": parts}]),
                    anthropic_request([{"role": "user", "content": parts}])):  # fmt: skip
        _, sent = guard(compiled, request)
        assert list(sent.values()) == [value]
        for body in (build_chat_body(request, "m"), build_messages_body(request, "m")):
            dumped = json.dumps(body)
            assert value[:4] not in dumped and value[-4:] not in dumped, body
        # Anthropic rejects empty text blocks: a part the cut emptied is dropped.
        blocks = build_messages_body(request, "m")["messages"][0]["content"]
        assert all(block["text"] for block in blocks)
        joined = "".join(block["text"] for block in blocks)
        assert (
            restore(joined, sent).replace(" please", "") == ("mail " if cut == 1 else "k ") + value
        )


def test_a_value_across_three_parts_and_a_tool_result(compiled: CompiledPolicy) -> None:
    request = openai_request(
        [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ],
            },
            {
                "role": "tool",
                "tool_call_id": "c1",
                "content": texts("v AKIA", "Z7VRSQ4T", "LMXJ2P3Q ok"),
            },
        ]
    )
    _, sent = guard(compiled, request)
    assert list(sent.values()) == [AWS_KEY]
    tool = build_chat_body(request, "m")["messages"][-1]
    assert tool["content"] == f"v {next(iter(sent))} ok"


def test_images_end_a_run_and_single_parts_stay_plain() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    request = openai_request([{"role": "user", "content": [*texts("a", "b"), image, *texts("c")]}])
    units = text_units(request)
    assert [u.text for u in units] == ["ab", "c"]
    assert units[0].pieces is not None and units[1].pieces is None


def test_the_scan_cache_keys_the_joined_text(compiled: CompiledPolicy) -> None:
    assert compiled.input_engine is not None
    cache = ScanCache(16)
    for split in (4, 12):
        request = openai_request(
            [{"role": "user", "content": texts(("k " + AWS_KEY)[:split], ("k " + AWS_KEY)[split:])}]
        )
        units = text_units(request)
        lookups = [cache.lookup(b"s", u.text, u.origin) for u in units]
        found = scan_units(compiled.input_engine, units, cache, lookups)
        assert [f.finding.start for f in found if f.finding.detector.startswith("secrets.")] == [2]
    assert cache.hits == 1  # the second split is the same text: its findings still fit


# --- B4: overlapping redactions ---------------------------------------------------------


def test_an_email_inside_a_password_redacts_the_whole_password(compiled: CompiledPolicy) -> None:
    prompt = 'Debug this config: secret="hunter2-Qz7 bob@example.com Rk29LmX!"'
    request = openai_request([{"role": "user", "content": prompt}])
    units, sent = guard(compiled, request)
    assert len(sent) == 1
    [(placeholder, value)] = sent.items()
    assert value == "hunter2-Qz7 bob@example.com Rk29LmX!"
    assert placeholder.startswith("[SECRET_ASSIGNMENT_")
    assert units[0].text == f'Debug this config: secret="{placeholder}"'


def test_overlaps_count_one_placeholder() -> None:
    def found(start: int, end: int, kind: str, level: Sensitivity) -> Located:
        return Located(Finding("d", kind, start, end, 0.9, "", level, "f"), "user", 0)

    seen: list[str] = []
    unit = TextUnit("user", "0123456789abcdef", seen.append)
    redactions = [
        found(2, 6, "email", Sensitivity.CONFIDENTIAL),
        found(4, 9, "password", Sensitivity.RESTRICTED),
        found(12, 14, "phone", Sensitivity.CONFIDENTIAL),
    ]
    assert apply_redactions([unit], redactions, MemoryVault(60), "s") == 2
    assert seen == ["01[PASSWORD_1]9ab[PHONE_1]ef"]


# --- B6: tool-call arguments ------------------------------------------------------------


def tool_call_request(arguments: str) -> ChatRequest:
    call = {"id": "c1", "type": "function", "function": {"name": "send", "arguments": arguments}}
    return openai_request(
        [
            {"role": "user", "content": "go"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "sent"},
        ]
    )


def forwarded(request: ChatRequest) -> tuple[str, Any]:
    """The arguments as the OpenAI and the Anthropic renderers send them."""
    openai_args = build_chat_body(request, "m")["messages"][1]["tool_calls"][0]["function"]
    anthropic_block = build_messages_body(request, "m")["messages"][1]["content"][0]
    return openai_args["arguments"], anthropic_block["input"]


@pytest.mark.parametrize(
    ("arguments", "value"),
    [
        (json.dumps({"to": "team", "body": "Hi,\nbob@example.com wrote"}), "bob@example.com"),
        ('{"to": "bob\\u0040example.com"}', "bob@example.com"),
        ('{"k": "\\u0041KIAZ7VRSQ4TLMXJ2P3Q"}', AWS_KEY),
        ('{"nested": [{"deep": "x bob@example.com"}], "n": 3}', "bob@example.com"),
        ('"bob@example.com"', "bob@example.com"),
    ],
)
def test_arguments_are_redacted_as_decoded_strings(
    compiled: CompiledPolicy, arguments: str, value: str
) -> None:
    request = tool_call_request(arguments)
    _, sent = guard(compiled, request)
    assert list(sent.values()) == [value]
    raw, decoded = forwarded(request)
    assert json.loads(raw) == decoded  # valid JSON, the same to both renderers
    for text in (raw, json.dumps(decoded, ensure_ascii=False)):
        assert value not in text and value[:5] not in text
    assert json.loads(restore(raw, sent, json_string=True)) == json.loads(arguments)


def test_arguments_that_are_not_json_block_a_redaction(compiled: CompiledPolicy) -> None:
    request = tool_call_request('{"to": "bob@example.com"')  # cut short
    with pytest.raises(LookupError, match="not valid JSON"):
        guard(compiled, request)


def test_a_value_in_a_key_blocks_rather_than_renaming_it(compiled: CompiledPolicy) -> None:
    with pytest.raises(LookupError, match="arguments of a tool call"):
        guard(compiled, tool_call_request('{"bob@example.com": 1}'))


def test_clean_arguments_are_left_as_written(compiled: CompiledPolicy) -> None:
    arguments = '{ "city" :"Paris", "n": 12345678901234567890123 }'
    request = tool_call_request(arguments)
    guard(compiled, request)
    assert forwarded(request)[0] == arguments


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(JSON_VALUES, st.sampled_from(["bob@example.com", AWS_KEY, "plain"]), st.booleans())
def test_redacted_arguments_stay_json_with_the_value_gone(
    compiled: CompiledPolicy, value: Any, secret: str, ascii_only: bool
) -> None:
    document = {"payload": value, "to": f"write to {secret} now"}
    arguments = json.dumps(document, ensure_ascii=ascii_only)
    request = tool_call_request(arguments)
    try:
        _, sent = guard(compiled, request)
    except LookupError:
        return  # a value found where no placeholder can stand in: blocked, not corrupted
    raw, _ = forwarded(request)
    orjson.loads(raw)  # still JSON
    if secret != "plain":
        assert secret not in raw
        assert orjson.loads(restore(raw, sent, json_string=True))["to"] == document["to"]
