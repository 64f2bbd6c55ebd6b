"""Review 5, unit level: what lint and the policy store refuse, forwarded embeddings fields,
and password values holding quotes."""

from __future__ import annotations

from typing import Any

import pytest

from ramparts.config import load_settings
from ramparts.detectors.base import ScanContext
from ramparts.detectors.output.canary import CanaryLeakDetector
from ramparts.detectors.secrets.assignments import PasswordAssignmentDetector
from ramparts.errors import ConfigError, DetectorError
from ramparts.gateway.openai_format import parse_chat_request, parse_embedding_request
from ramparts.policy.book import compile_policy
from ramparts.policy.decide import decide
from ramparts.policy.guard import embedding_units, refusal, scan_units, text_units
from ramparts.policy.model import check_against_settings, parse_policy

SETTINGS = load_settings(environ={})

# --- B8: output settings the output engine would refuse -----------------------------------


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("guards: {output: {canaries: [abc12]}}\n", 1, "guards.output.canaries.0"),
        ("guards:\n  output:\n    canaries:\n      - long-enough\n      - ''\n", 5, None),
        (
            "teams:\n  red:\n    guards:\n      output:\n        canaries: ['  ab  ']\n",
            5,
            "teams.red.guards.output.canaries.0",
        ),
    ],
)
def test_canaries_too_short_for_the_output_engine_are_refused_with_their_line(
    text: str, line: int, key: str | None
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "p.yaml")
    assert caught.value.line == line and caught.value.source == "p.yaml"
    assert key is None or caught.value.key == key
    assert "at least 6 characters" in str(caught.value)
    assert "abc12" not in str(caught.value)  # canaries are secrets: never echoed


@pytest.mark.parametrize("canary", ["abcde", " abcde ", "abcdef", "a b c d e f", "x" * 40])
def test_lint_accepts_exactly_the_canaries_the_output_engine_scans_with(canary: str) -> None:
    text = f"guards: {{output: {{canaries: ['{canary}']}}}}\n"
    try:
        CanaryLeakDetector().scan("an answer", ScanContext(options={"canaries": [canary]}))
        engine_accepts = True
    except DetectorError:
        engine_accepts = False
    try:
        compiled = compile_policy(parse_policy(text), "t", 1, b"k" * 32)
        assert compiled.output_engine is not None
        compiled.output_engine.scan("an answer", origin="assistant")  # does not raise
        lint_accepts = True
    except ConfigError:
        lint_accepts = False
    assert lint_accepts == engine_accepts


def test_a_refusal_by_an_output_detectors_own_check_names_where(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Output settings go through EngineConfig like the detectors section does, tenant and
    team alike, so a detector's own option check is reported with the policy's line."""

    def refuse(cls: type, options: dict[str, Any]) -> None:
        if "ftp.example.com" in options.get("allowed_domains", []):
            raise DetectorError("output.exfil_link: refused for the test")

    monkeypatch.setattr(
        "ramparts.detectors.output.links.ExfiltrationLinkDetector.check_options",
        classmethod(refuse),
        raising=False,
    )
    parse_policy("guards: {output: {allowed_domains: [example.com]}}\n")
    with pytest.raises(ConfigError) as caught:
        parse_policy("mode: enforce\nguards:\n  output: {allowed_domains: [ftp.example.com]}\n")
    assert (caught.value.line, caught.value.key) == (3, "guards.output.allowed_domains")
    team = "teams:\n  red:\n    guards:\n      output: {allowed_domains: [ftp.example.com]}\n"
    with pytest.raises(ConfigError) as caught:
        parse_policy(team)
    assert (caught.value.line, caught.value.key) == (4, "teams.red.guards.output.allowed_domains")


def test_a_team_may_not_repeat_a_rule_id() -> None:
    text = (
        "teams:\n  research:\n    rules:\n"
        "      - {id: x, match: {detectors: [email]}, action: allow}\n"
        "      - {id: x, match: {detectors: [phone]}, action: block}\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "a.yaml")
    assert caught.value.key == "teams.research.rules" and caught.value.line == 3
    assert "repeated: x" in str(caught.value)


def test_settings_problems_name_their_line_when_given_the_text() -> None:
    text = (
        "trust: {ghost: public}\n"
        "rules:\n  - id: r1\n    action: reroute\n    reroute_to: nosuchmodel\n"
        "teams:\n  red:\n    rules:\n      - {id: r2, action: reroute, reroute_to: nowhere}\n"
    )
    policy = parse_policy(text, "b.yaml")
    problems = check_against_settings(policy, SETTINGS, "b.yaml", text=text)
    assert problems[0].startswith("b.yaml:1: key 'trust.ghost'")
    assert problems[1].startswith("b.yaml:5: key 'rules.0.reroute_to'")
    assert "reroutes to unknown model 'nosuchmodel'" in problems[1]
    assert problems[2].startswith("b.yaml:9: key 'teams.red.rules.0.reroute_to'")
    # Without the text: the same problems, without lines.
    assert check_against_settings(policy, SETTINGS, "b.yaml")[1].startswith(
        "b.yaml: key 'rules.0.reroute_to'"
    )


# --- B11: embeddings treat forwarded fields as chat does ----------------------------------

BLOCK_SECRETS = compile_policy(
    parse_policy(
        "detectors:\n  detectors: {prompt_injection: false, person_name: false,"
        " location: false, street_address: false, business_category: false}\n"
        "rules:\n  - {id: no-secrets, match: {families: [secrets]}, action: block}\n"
    ),
    "t",
    1,
    b"k" * 32,
)
OPAQUE = "u_9fK2xQ7vLp3ZtR8mWn4YcB6hJd"


def _blocked(units: list[Any]) -> bool:
    assert BLOCK_SECRETS.input_engine is not None and BLOCK_SECRETS.policy is not None
    located = scan_units(BLOCK_SECRETS.input_engine, units)
    verdict = decide(
        located, BLOCK_SECRETS.policy, SETTINGS, SETTINGS.models[0], None, BLOCK_SECRETS.rules
    )
    return verdict.action == "block" or refusal(units, verdict, False) is not None


@pytest.mark.parametrize(
    ("fields", "blocked"),
    [
        ({"user": OPAQUE}, False),
        ({"metadata": {"session_id": OPAQUE}}, False),
        ({"trace_id": OPAQUE}, False),
        ({"seed": 4111111111111111}, False),
        ({"user": "AKIA" + "QYLPMN5HHHFPZAM2"}, True),
        ({"metadata": {"note": "AKIA" + "QYLPMN5HHHFPZAM2"}}, True),
        ({"note": OPAQUE}, True),  # not an identifier field: high entropy counts
    ],
)
def test_embeddings_and_chat_agree_on_forwarded_fields(
    fields: dict[str, Any], blocked: bool
) -> None:
    chat = parse_chat_request({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    chat_blocked = _blocked(
        text_units(
            parse_chat_request(
                {"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields}
            )
        )
    )
    embed_blocked = _blocked(
        embedding_units(parse_embedding_request({"model": "m", "input": "hi", **fields}))
    )
    assert not _blocked(text_units(chat))
    assert chat_blocked == embed_blocked == blocked


# --- the password detector and values holding quotes --------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('db_password = Tr0ub4dor"3x9Zq', 'Tr0ub4dor"3x9Zq'),
        ("password = Tr0ub4dor'3x9Zq ok", "Tr0ub4dor'3x9Zq"),
        ('password = "Tr0ub\\"4dor9"', 'Tr0ub\\"4dor9'),
        ('{"password": "Tr0ub\\"4dor9Zq", "user": "bob"}', 'Tr0ub\\"4dor9Zq'),
        ('password = "Xy9\\\\Qq8zz"', "Xy9\\\\Qq8zz"),
        ('the password is "Tr0ub"4dor9Zq"', 'Tr0ub"4dor9Zq'),
        ('password = "S3cret-Pw". Then "hello", he said', "S3cret-Pw"),
        ('password="S3cret-Pw"$X', "S3cret-Pw"),
        ('mysql --password=Abc12345" ok', "Abc12345"),
    ],
)
def test_a_password_holding_quotes_is_found_whole(text: str, value: str) -> None:
    """A partial finding would be redacted partially, the rest of the value sent in clear."""
    found = PasswordAssignmentDetector().scan(text, ScanContext())
    assert [text[f.start : f.end] for f in found] == [value]


def test_markup_attributes_are_not_read_through_their_quotes() -> None:
    text = '<password name="password">x</password> <input type=password value="x">'
    found = PasswordAssignmentDetector().scan(text, ScanContext())
    assert all('"' not in text[f.start : f.end] for f in found)
