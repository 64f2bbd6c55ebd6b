"""Gathering a request's strings outside its messages, and putting placeholders back."""

from __future__ import annotations

from typing import Any

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.gateway.openai_format import parse_chat_request
from ramparts.policy.decide import Located
from ramparts.policy.fields import Strings
from ramparts.policy.guard import leaf_redactions, place_of, text_units, unredactable

NESTED: Any = {
    "type": "object",
    "properties": {
        "to": {"type": "string", "enum": ["a\nb", "", "ç"], "maxLength": 30},
        "n": {"minimum": 1.5, "flag": True, "none": None, "deep": [[["x"]], []]},
    },
}


def test_leaves_built_on_demand_match_the_scanned_text() -> None:
    fast, recorded = Strings(), Strings(record=True)
    for out in (fast, recorded):
        out.add("tool", "here", None)
        out.add_json(NESTED, "there", lambda value: None)
    text = "\n".join(fast.pieces)
    assert fast.pieces == recorded.pieces
    assert [text[leaf.start : leaf.end] for leaf in recorded.leaves] == recorded.pieces
    assert "a\nb" in fast.pieces and "30" in fast.pieces and "1.5" in fast.pieces
    assert "True" not in fast.pieces and "" not in fast.pieces
    editable = {text[leaf.start : leaf.end] for leaf in recorded.leaves if leaf.replace}
    assert editable == {"object", "string", "a\nb", "ç", "x"}  # values, not keys or numbers


def finding(start: int, end: int) -> Finding:
    return Finding("email", "email", start, end, 0.9, "", Sensitivity.CONFIDENTIAL, "fp")


def test_a_redaction_lands_in_the_one_string_it_lies_in() -> None:
    request = parse_chat_request(
        {
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "mail",
                        "description": "Write to bob@example.com",
                        "parameters": {"type": "object", "properties": {"bob@example.com": {}}},
                    },
                }
            ],
            "stop": ["bob@example.com"],
        }
    )
    units = text_units(request)
    gathered = units[-1]
    assert gathered.origin == "system"
    text = gathered.text
    spots = [i for i in range(len(text)) if text.startswith("bob@example.com", i)]
    description, key, stop = (Located(finding(i, i + 15), "system", len(units) - 1) for i in spots)
    assert unredactable(units, [description]) == []
    assert unredactable(units, [key, stop]) == [key, stop]
    assert place_of(gathered, stop.finding) == "the request field 'stop'"
    assert place_of(gathered, key.finding) == "the definition of tools[0]"
    targets, moved = leaf_redactions(units, [description])
    [located] = moved
    target = targets[located.unit]
    assert target.text == "Write to bob@example.com"
    assert (located.finding.start, located.finding.end) == (9, 24)
    target.replace("Write to [EMAIL_1]")
    assert request.tools[0].description == "Write to [EMAIL_1]"
