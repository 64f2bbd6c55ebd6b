"""Rules compiled once per policy decide exactly what matching each rule afresh decides."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from ramparts.config import load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.policy.decide import Located, compile_rules, decide, matches, new_located
from ramparts.policy.model import BUILTIN_POLICY_PATH, parse_policy

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"up": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [
            {"name": "public-saas", "provider": "up"},
            {"name": "self-hosted", "provider": "up", "max_sensitivity": "restricted"},
        ],
    },
)

EVERY_CONDITION = """
mode: enforce
rules:
  - id: scored
    match: {detectors: [email, phone], min_score: 0.8}
    action: redact
  - id: by-family
    match: {families: [secrets], origins: [user, tool]}
    action: block
  - id: by-kind-and-level
    match: {kinds: [payment_card, iban], sensitivity: confidential}
    action: reroute
    mode: monitor
  - id: by-origin
    match: {origins: [system], sensitivity: internal}
    action: alert
  - id: anything-restricted
    match: {sensitivity: restricted}
    action: block
over_tier_action: reroute
"""

DETECTORS = [
    ("email", "email"),
    ("phone", "phone"),
    ("payment_card", "payment_card"),
    ("iban", "iban"),
    ("secrets.provider", "aws-access-key-id"),
    ("person_name", "person_name"),
    ("plugin.gone", "custom"),
]


def located_findings() -> list[Located]:
    found = []
    for n, ((detector, kind), level, score, origin) in enumerate(
        itertools.product(
            DETECTORS, Sensitivity, (0.5, 0.8, 0.95), ("user", "system", "tool", "assistant")
        )
    ):
        finding = Finding(detector, kind, 0, 4, score, "test", level, f"fp-{n}")
        found.append(Located(finding, origin, n % 3))
    return found


def test_compiled_rules_pick_the_same_first_rule_and_verdict() -> None:
    findings = located_findings()
    for text in (EVERY_CONDITION, BUILTIN_POLICY_PATH.read_text()):
        policy = parse_policy(text)
        rules = compile_rules(policy)
        for model_name in ("public-saas", "self-hosted"):
            model = SETTINGS.model(model_name)
            assert model is not None
            for located in findings:
                first = next((r for r in policy.rules if matches(r, located)), None)
                one = decide([located], policy, SETTINGS, model, None, rules)
                ids = [o.rule_id for o in one.outcomes]
                assert ids == [first.id] if first is not None else ids in ([], ["trust-tier"])
            compiled = decide(findings, policy, SETTINGS, model, None, rules)
            fresh = decide(findings, policy, SETTINGS, model, None)
            assert compiled == fresh


def test_new_located_is_the_same_frozen_located() -> None:
    finding = Finding("email", "email", 0, 4, 0.9, "test", Sensitivity.CONFIDENTIAL, "fp")
    built = new_located(finding, "tool", 2)
    assert built == Located(finding, "tool", 2)
    assert hash(built) == hash(Located(finding, "tool", 2))
    assert (built.finding, built.origin, built.unit) == (finding, "tool", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.unit = 3  # type: ignore[misc]
