"""A reroute target must be trusted with everything the request still carries."""

from __future__ import annotations

from ramparts.config import load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.policy.decide import Located, Verdict, decide
from ramparts.policy.model import parse_policy

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"up": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [
            {"name": "main", "provider": "up", "max_sensitivity": "restricted"},
            {"name": "onprem", "provider": "up", "max_sensitivity": "confidential"},
            {"name": "cheap", "provider": "up", "max_sensitivity": "public"},
        ],
    },
)

EMAIL = Finding("email", "email", 0, 5, 0.9, "test", Sensitivity.CONFIDENTIAL, "fp-email")
KEY = Finding(
    "secrets.provider", "aws-access-key-id", 10, 30, 0.9, "test", Sensitivity.RESTRICTED, "fp-k"
)
PII_ELSEWHERE = "  - {id: pii-elsewhere, match: {families: [pii]}, action: reroute}\n"


def verdict_for(
    policy_text: str, findings: list[Finding], model: str = "main", over: bool = False
) -> Verdict:
    """``over``: data above the model's tier is rerouted too (``over_tier_action``)."""
    if over:
        policy_text = "over_tier_action: reroute\n" + policy_text
    located = [Located(f, "user", i) for i, f in enumerate(findings)]
    target = SETTINGS.model(model)
    assert target is not None
    return decide(located, parse_policy(policy_text), SETTINGS, target, None)


def test_automatic_target_must_fit_findings_that_did_not_ask_for_the_reroute() -> None:
    # The key matches no rule but travels too: "onprem" fits the email, not the key.
    verdict = verdict_for("rules:\n" + PII_ELSEWHERE, [EMAIL, KEY], model="cheap", over=True)
    assert (verdict.action, verdict.reroute_to) == ("reroute", "main")
    # From "main" (the only model that may take the key) there is nowhere else to go.
    text = "trust: {main: confidential}\nrules:\n" + PII_ELSEWHERE
    blocked = verdict_for(text, [EMAIL, KEY], model="cheap", over=True)
    assert blocked.action == "block" and blocked.reroute_to is None
    assert "o model this key may use can receive restricted data, which" in blocked.message


def test_redacted_findings_do_not_raise_the_needed_tier() -> None:
    text = "rules:\n  - {id: keys, match: {families: [secrets]}, action: redact}\n" + PII_ELSEWHERE
    verdict = verdict_for(text, [EMAIL, KEY], model="cheap")
    assert (verdict.action, verdict.reroute_to) == ("reroute", "onprem")
    assert [located.finding for located in verdict.redactions] == [KEY]


def test_reroute_alone_still_picks_the_cheapest_fitting_model() -> None:
    verdict = verdict_for("rules:\n" + PII_ELSEWHERE, [EMAIL], model="cheap")
    assert (verdict.action, verdict.reroute_to) == ("reroute", "onprem")


def test_a_model_that_already_fits_keeps_the_request() -> None:
    # No target named: "main" may receive the email, so nothing moves (it used to go to
    # "onprem", a less trusted model).
    verdict = verdict_for("rules:\n" + PII_ELSEWHERE, [EMAIL])
    assert (verdict.action, verdict.reroute_to) == ("allow", None)
    [outcome] = verdict.outcomes
    assert outcome.action == "allow" and outcome.rule_id == "pii-elsewhere"


def test_asking_the_named_target_directly_is_not_blocked() -> None:
    text = (
        "rules:\n  - {id: pii-to-onprem, match: {families: [pii]}, action: reroute,"
        " reroute_to: onprem}\n"
        "  - {id: keys, match: {families: [secrets]}, action: redact}\n"
    )
    direct = verdict_for(text, [EMAIL], model="onprem")
    assert (direct.action, direct.reroute_to, direct.message) == ("allow", None, "")
    # Other enforced actions still apply: the key is redacted on the way to onprem.
    both = verdict_for(text, [EMAIL, KEY], model="onprem")
    assert (both.action, both.reroute_to) == ("redact", None)
    assert [located.finding for located in both.redactions] == [KEY]
    # Asked of another model, the rule still reroutes to its target.
    assert verdict_for(text, [EMAIL], model="main").reroute_to == "onprem"


def test_named_target_below_the_tier_blocks_with_a_clear_message() -> None:
    text = (
        "rules:\n  - {id: secrets-to-cheap, match: {families: [secrets]}, action: reroute,"
        " reroute_to: cheap}\n"
    )
    verdict = verdict_for(text, [KEY])
    assert verdict.action == "block" and verdict.reroute_to is None
    assert verdict.rule_ids == ["secrets-to-cheap"]
    assert "reroute target 'cheap' may not receive restricted data" in verdict.message


def test_named_target_checked_against_other_findings_and_tenant_trust() -> None:
    text = (
        "rules:\n  - {id: pii-to-onprem, match: {families: [pii]}, action: reroute,"
        " reroute_to: onprem}\n"
    )
    assert verdict_for(text, [EMAIL]).reroute_to == "onprem"
    assert verdict_for(text, [EMAIL, KEY]).action == "block"
    # The tenant may trust the target higher than the settings do.
    trusted = verdict_for("trust: {onprem: restricted}\n" + text, [EMAIL, KEY])
    assert (trusted.action, trusted.reroute_to) == ("reroute", "onprem")


def test_monitored_findings_still_travel_and_count() -> None:
    text = (
        "rules:\n  - {id: keys, match: {families: [secrets]}, action: redact, mode: monitor}\n"
        + PII_ELSEWHERE
    )
    # The monitored key still travels, so only a model trusted with it may take the request.
    assert verdict_for(text, [EMAIL, KEY], model="cheap", over=True).reroute_to == "main"
    distrusted = "trust: {main: confidential}\n" + text
    assert verdict_for(distrusted, [EMAIL, KEY], "cheap", over=True).action == "block"
