"""A policy or team in monitor mode enforces nothing; team guards merge over the tenant's."""

from __future__ import annotations

from ramparts.config import load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.policy.decide import Located, Verdict, decide
from ramparts.policy.model import Policy, parse_policy

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"up": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [{"name": "m", "provider": "up", "max_sensitivity": "internal"}],
    },
)
KEY = Finding(
    "secrets.provider", "aws-access-key-id", 0, 20, 0.9, "test", Sensitivity.RESTRICTED, "fp"
)
POLICY = parse_policy(
    """
mode: enforce
rules:
  - {id: no-secrets, match: {families: [secrets]}, action: block, mode: enforce}
guards:
  input: {timeout_ms: 100}
  output: {canaries: [CANARY-7f3a9c2e51], allowed_domains: [example.com], window_tokens: 32}
teams:
  research:
    mode: monitor
    guards: {input: {concurrent: true}}
  sales:
    guards: {output: {allowed_domains: [sales.example]}}
"""
)


def verdict_for(policy: Policy) -> Verdict:
    model = SETTINGS.model("m")
    assert model is not None
    return decide([Located(KEY, "user", 0)], policy, SETTINGS, model, None)


def test_team_monitor_wins_over_a_rule_in_enforce_mode() -> None:
    assert verdict_for(POLICY).action == "block"
    verdict = verdict_for(POLICY.for_team("research"))
    assert verdict.action == "allow"
    assert [(o.rule_id, o.action, o.enforced) for o in verdict.outcomes] == [
        ("no-secrets", "block", False)
    ]


def test_policy_monitor_wins_over_a_rule_in_enforce_mode() -> None:
    text = "mode: monitor\nrules:\n  - {id: r, match: {families: [secrets]}, action: block, mode: enforce}\n"
    verdict = verdict_for(parse_policy(text))
    assert verdict.action == "allow" and [o.enforced for o in verdict.outcomes] == [False]


def test_rule_monitor_under_an_enforcing_policy_still_only_records() -> None:
    text = "rules:\n  - {id: r, match: {families: [secrets]}, action: block, mode: monitor}\n"
    verdict = verdict_for(parse_policy(text))
    # The rule is monitored; the key is still above the model's tier, but a rule decided it.
    assert verdict.action == "allow" and [o.enforced for o in verdict.outcomes] == [False]


def test_team_guards_override_only_the_keys_the_team_sets() -> None:
    research = POLICY.for_team("research").guards
    assert research.input.concurrent is True
    assert research.input.timeout_ms == 100  # the tenant's, kept
    assert research.output == POLICY.guards.output
    assert research.output.canaries == ["CANARY-7f3a9c2e51"]
    assert research.output.allowed_domains == ["example.com"]
    sales = POLICY.for_team("sales").guards
    assert sales.output.allowed_domains == ["sales.example"]  # a list replaces whole
    assert sales.output.canaries == ["CANARY-7f3a9c2e51"]
    assert sales.output.window_tokens == 32
    assert sales.input == POLICY.guards.input


def test_team_without_guards_keeps_the_tenants() -> None:
    policy = parse_policy(
        "guards: {output: {canaries: [C-1-canary]}}\nteams: {t: {mode: monitor}}\n"
    )
    assert policy.for_team("t").guards == policy.guards
