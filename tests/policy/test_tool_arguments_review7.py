"""Review 7: earlier tool calls' arguments rewritten in linear time, keys given twice not
hiding a value, and numbers kept exactly as written."""

from __future__ import annotations

import json
import time

import pytest

from ramparts.detectors.engine import Engine
from ramparts.gateway.types import ToolCall
from ramparts.policy.tool_arguments import arguments_text, scan_tool_arguments

AWS = "AKIAZ7VRSQ4TLMXJ2P3Q"


def _redact_every(call: ToolCall, needle: str, token: str) -> None:
    found = arguments_text(call)
    assert found is not None
    text, build = found
    for leaf in build():
        if leaf.replace is not None and needle in text[leaf.start : leaf.end]:
            leaf.replace(token)


def _cpu_to_redact(n: int) -> float:
    rows = [{"to": f"user{i}@example.com", "note": "x" * 20} for i in range(n)]
    call = ToolCall("c1", "f", json.dumps({"rows": rows}))
    started = time.process_time()
    _redact_every(call, "@", "[EMAIL_1]")
    spent = time.process_time() - started
    assert json.loads(call.arguments)["rows"][n - 1] == {"to": "[EMAIL_1]", "note": "x" * 20}
    return spent


def test_redacting_many_values_grows_linearly() -> None:
    # Each placeholder used to re-serialise the whole arguments: 4x the values, 16x the CPU.
    small = min(_cpu_to_redact(1000) for _ in range(3))
    large = min(_cpu_to_redact(4000) for _ in range(3))
    assert large < 10 * small, (small, large)


def test_every_placeholder_lands_and_the_rest_is_kept() -> None:
    document = {"a": ["bob@example.com", 1, {"b": "ann@example.com", "c": None}], "d": True}
    call = ToolCall("c1", "f", json.dumps(document))
    _redact_every(call, "@", "[EMAIL_1]")
    assert json.loads(call.arguments) == {
        "a": ["[EMAIL_1]", 1, {"b": "[EMAIL_1]", "c": None}],
        "d": True,
    }


@pytest.mark.parametrize(
    "arguments",
    [
        '{"k": "' + AWS + '", "k": "x"}',
        '{"outer": {"k": "' + AWS + '", "k": "x"}}',
        '[{"to": "bob@example.com", "to": "x"}]',
    ],
)
def test_a_key_given_twice_is_scanned_raw_and_cannot_be_rewritten(arguments: str) -> None:
    found = arguments_text(ToolCall("c1", "f", arguments))
    assert found is not None
    text, build = found
    assert text == arguments  # every value is scanned, not only the last of a key
    (leaf,) = build()
    assert leaf.replace is None  # a redaction here blocks the request
    assert "twice" in leaf.place


def test_output_side_decodes_a_value_hidden_behind_a_repeated_key() -> None:
    escaped = AWS[:4] + "\\u005a" + AWS[5:]  # raw text does not show the key
    arguments = '{"k": "' + escaped + '", "k": "x"}'
    engine = Engine.from_dict({"detectors": {"prompt_injection": False}})
    found = scan_tool_arguments(engine, arguments)
    assert "aws-access-key-id" in {f.kind for f in found}


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1E+400", "3.14159265358979323846", "12345678901234567890123", "-0", "1.0", "5e-1"],
)
def test_a_rewrite_keeps_numbers_exactly_as_written(number: str) -> None:
    call = ToolCall("c1", "f", f'{{"n": {number}, "to": "bob@example.com", "m": [{number}]}}')
    _redact_every(call, "@", "[EMAIL_1]")
    assert call.arguments == f'{{"n": {number}, "to": "[EMAIL_1]", "m": [{number}]}}'
    json.loads(call.arguments, parse_constant=lambda name: pytest.fail(name))


def test_numbers_are_scanned_as_written() -> None:
    found = arguments_text(ToolCall("c1", "f", '{"n": 3.14159265358979323846}'))
    assert found is not None
    assert found[0] == '{"n": 3.14159265358979323846}'


def test_nan_and_infinity_are_still_not_json() -> None:
    found = arguments_text(ToolCall("c1", "f", '{"n": NaN, "to": "bob@example.com"}'))
    assert found is not None
    (leaf,) = found[1]()
    assert leaf.replace is None and "not valid JSON" in leaf.place
