"""Policy YAML validation and the rules that turn findings into verdicts."""

from __future__ import annotations

import pytest

from ramparts.config import load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.errors import ConfigError
from ramparts.policy.decide import Located, decide
from ramparts.policy.diff import diff_texts
from ramparts.policy.model import BUILTIN_POLICY_PATH, check_against_settings, parse_policy

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"up": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [
            {"name": "public-saas", "provider": "up"},  # internal by default
            {"name": "enterprise", "provider": "up", "max_sensitivity": "confidential"},
            {"name": "self-hosted", "provider": "up", "max_sensitivity": "restricted"},
        ],
    },
)


def finding(detector: str, kind: str, sensitivity: Sensitivity, score: float = 0.9) -> Finding:
    return Finding(detector, kind, 0, 5, score, "test", sensitivity, "fp-" + kind)


EMAIL = finding("email", "email", Sensitivity.CONFIDENTIAL)
CARD = finding("payment_card", "payment_card", Sensitivity.RESTRICTED)
KEY = finding("secrets.provider", "aws-access-key-id", Sensitivity.RESTRICTED)
INJECTION = finding("prompt_injection", "instruction_override", Sensitivity.RESTRICTED)


def verdict_for(policy_text: str, findings: list[tuple[Finding, str]], model: str = "public-saas"):  # type: ignore[no-untyped-def]
    policy = parse_policy(policy_text)
    located = [Located(f, origin, i) for i, (f, origin) in enumerate(findings)]
    target = SETTINGS.model(model)
    assert target is not None
    return decide(located, policy, SETTINGS, target, None)


def test_builtin_policy_is_valid() -> None:
    policy = parse_policy(BUILTIN_POLICY_PATH.read_text(), "builtin")
    assert {r.id for r in policy.rules} >= {"block-credentials", "redact-contact-and-identifiers"}


@pytest.mark.parametrize(
    ("text", "line", "key", "fragment"),
    [
        ("mode: loud\n", 1, "mode", "allowed: enforce, monitor"),
        (
            "rules:\n  - id: a\n    action: nuke\n",
            3,
            "rules.0.action",
            "allowed: allow, redact, block, alert, reroute",
        ),
        (
            "rules:\n  - id: a\n    action: block\n    match: {detectors: [emial]}\n",
            4,
            "rules.0.match.detectors",
            "unknown detector 'emial'",
        ),
        (
            "rules:\n  - {id: a, action: block}\n  - {id: a, action: redact}\n",
            1,
            "rules",
            "repeated: a",
        ),
        (
            "rules:\n  - {id: a, action: block, reroute_to: x}\n",
            2,
            "rules.0.reroute_to",
            "its action is 'block'",
        ),
        (
            "guards:\n  input:\n    failure_mode: maybe\n",
            3,
            "guards.input.failure_mode",
            "fail_open, fail_closed",
        ),
        ("detectors:\n  detectors: {nope: true}\n", 2, "detectors.detectors.nope", "nope"),
        ("rulez: []\n", 1, "rulez", "unknown key"),
    ],
)
def test_invalid_policies_name_line_key_and_allowed_values(
    text: str, line: int, key: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "tenant.yaml")
    error = caught.value
    assert (error.source, error.line, error.key) == ("tenant.yaml", line, key)
    assert fragment in str(error)


def test_settings_check_finds_unknown_models() -> None:
    policy = parse_policy(
        "trust: {ghost: public}\nrules:\n  - {id: r, action: reroute, reroute_to: nowhere}\n"
    )
    problems = check_against_settings(policy, SETTINGS)
    assert any("unknown model 'ghost'" in p for p in problems)
    assert any("reroutes to unknown model 'nowhere'" in p for p in problems)


def test_first_matching_rule_decides_and_strongest_action_wins() -> None:
    text = """
rules:
  - {id: cards, match: {detectors: [payment_card]}, action: block}
  - {id: contacts, match: {sensitivity: confidential}, action: redact}
"""
    verdict = verdict_for(text, [(EMAIL, "user")])
    assert verdict.action == "redact" and [o.rule_id for o in verdict.outcomes] == ["contacts"]
    verdict = verdict_for(text, [(EMAIL, "user"), (CARD, "user")])
    assert verdict.action == "block" and verdict.rule_ids == ["cards"]
    assert "payment card" in verdict.message and "4111" not in verdict.message


def test_rules_can_tell_origins_apart() -> None:
    text = """
rules:
  - {id: indirect, match: {detectors: [prompt_injection], origins: [tool, document]}, action: block}
  - {id: direct, match: {detectors: [prompt_injection]}, action: alert}
"""
    assert verdict_for(text, [(INJECTION, "user")]).action == "alert"
    blocked = verdict_for(text, [(INJECTION, "tool")])
    assert blocked.action == "block" and "a tool result" in blocked.message


def test_data_above_the_trust_tier_is_blocked_with_advice() -> None:
    verdict = verdict_for("rules: []\n", [(EMAIL, "user")])
    assert verdict.action == "block" and verdict.rule_ids == ["trust-tier"]
    assert "'public-saas' may receive internal data at most" in verdict.message
    assert "'enterprise'" in verdict.message  # a model that may receive it
    assert verdict_for("rules: []\n", [(EMAIL, "user")], model="enterprise").action == "allow"


def test_over_tier_reroutes_to_the_least_trusted_model_that_fits() -> None:
    verdict = verdict_for("over_tier_action: reroute\n", [(EMAIL, "user")])
    assert (verdict.action, verdict.reroute_to) == ("reroute", "enterprise")
    verdict = verdict_for("over_tier_action: reroute\n", [(CARD, "user")])
    assert verdict.reroute_to == "self-hosted"


def test_reroute_rule_with_a_named_target_and_no_target_available() -> None:
    text = "rules:\n  - {id: r, match: {detectors: [email]}, action: reroute, reroute_to: self-hosted}\n"
    assert verdict_for(text, [(EMAIL, "user")]).reroute_to == "self-hosted"
    policy = parse_policy("over_tier_action: reroute\n")
    target = SETTINGS.model("public-saas")
    assert target is not None
    verdict = decide(
        [Located(CARD, "user", 0)], policy, SETTINGS, target, frozenset({"public-saas"})
    )
    assert verdict.action == "block"  # nowhere this key may go: fail closed


def test_monitor_mode_records_but_does_not_enforce() -> None:
    text = "mode: monitor\nrules:\n  - {id: cards, match: {detectors: [payment_card]}, action: block}\n"
    verdict = verdict_for(text, [(CARD, "user")])
    assert verdict.action == "allow"
    assert [(o.action, o.enforced) for o in verdict.outcomes] == [("block", False)]
    text = "rules:\n  - {id: cards, match: {detectors: [payment_card]}, action: block, mode: monitor}\n"
    assert verdict_for(text, [(CARD, "user")]).action == "allow"


def test_team_overrides_come_first_and_replace_same_ids() -> None:
    policy = parse_policy(
        """
rules:
  - {id: contacts, match: {detectors: [email]}, action: redact}
teams:
  research:
    mode: monitor
    rules:
      - {id: contacts, match: {detectors: [email]}, action: allow}
"""
    )
    team = policy.for_team("research")
    assert team.mode == "monitor" and [r.action for r in team.rules] == ["allow"]
    assert policy.for_team("sales") is policy


def test_diff_summarises_rule_changes() -> None:
    old = "rules:\n  - {id: a, action: block}\n  - {id: b, action: alert}\n"
    new = "mode: monitor\nrules:\n  - {id: a, action: redact}\n  - {id: c, action: alert}\n"
    unified, summary = diff_texts(old, new, "v1", "v2")
    assert summary[0] == "mode: enforce -> monitor"
    assert "rule added: c (alert)" in summary and "rule removed: b (alert)" in summary
    assert "rule changed: a (action)" in summary
    assert unified.startswith("--- v1\n+++ v2\n")
