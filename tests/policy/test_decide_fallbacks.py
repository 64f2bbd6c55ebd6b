"""A fallback receives a request only if the policy would have let the caller send it there."""

from __future__ import annotations

import asyncio

import pytest

from ramparts.config import ModelSettings, load_settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.policy.decide import FallbackJudge, Located, decide, fallback_refusal
from ramparts.policy.model import parse_policy

SETTINGS = load_settings(
    environ={},
    overrides={
        "providers": {"up": {"type": "openai-compatible", "base_url": "http://127.0.0.1:9/v1"}},
        "models": [
            {"name": "vault", "provider": "up", "max_sensitivity": "restricted"},
            {"name": "onprem", "provider": "up", "max_sensitivity": "confidential"},
            {"name": "onprem2", "provider": "up", "max_sensitivity": "confidential"},
            {"name": "cheap", "provider": "up", "max_sensitivity": "public"},
            {"name": "default", "provider": "up"},  # internal
        ],
    },
)

EMAIL = Finding("email", "email", 0, 5, 0.9, "test", Sensitivity.CONFIDENTIAL, "fp-email")
KEY = Finding(
    "secrets.provider", "aws-access-key-id", 10, 30, 0.9, "test", Sensitivity.RESTRICTED, "fp-k"
)
PUBLIC = Finding("tenant_terms", "term", 0, 3, 0.9, "test", Sensitivity.PUBLIC, "fp-term")


def model(name: str) -> ModelSettings:
    found = SETTINGS.model(name)
    assert found is not None
    return found


def located(*findings: Finding) -> list[Located]:
    return [Located(f, "user", i) for i, f in enumerate(findings)]


def refusal(
    policy_text: str, findings: list[Finding], fallback: str, *, reroutable: bool = True
) -> list[str]:
    return fallback_refusal(
        located(*findings),
        parse_policy(policy_text),
        SETTINGS,
        model(fallback),
        reroutable=reroutable,
    )


def test_a_fallback_below_the_data_tier_is_refused() -> None:
    assert refusal("rules: []\n", [EMAIL], "default") == ["trust-tier"]
    assert refusal("rules: []\n", [EMAIL], "cheap") == ["trust-tier"]
    assert refusal("rules: []\n", [EMAIL], "onprem") == []
    assert refusal("rules: []\n", [], "cheap") == []
    assert refusal("rules: []\n", [PUBLIC], "cheap") == []


def test_the_tenants_trust_tiers_decide_not_only_the_settings() -> None:
    assert refusal("trust: {default: confidential}\n", [EMAIL], "default") == []
    assert refusal("trust: {onprem: internal}\n", [EMAIL], "onprem") == ["trust-tier"]


def test_rerouting_policies_accept_a_fallback_that_could_be_the_target() -> None:
    # over_tier_action: reroute would send the caller elsewhere from 'default', so it is
    # refused; 'onprem' takes confidential data, as any target would have to.
    text = "over_tier_action: reroute\nrules: []\n"
    assert refusal(text, [EMAIL], "default") == ["trust-tier"]
    assert refusal(text, [EMAIL], "onprem") == []
    assert refusal(text, [EMAIL], "onprem", reroutable=False) == []
    # A rule that reroutes whatever the model: a fitting fallback may take it...
    rule = "rules:\n  - {id: pii-away, match: {families: [pii]}, action: reroute}\n"
    assert refusal(rule, [EMAIL], "onprem") == []
    assert refusal(rule, [EMAIL], "cheap") == ["pii-away"]
    # ... but not where a reroute is refused (embeddings), nor past a named target.
    assert refusal(rule, [EMAIL], "onprem", reroutable=False) == ["pii-away"]
    named = rule.replace("reroute}", "reroute, reroute_to: onprem}")
    assert refusal(named, [EMAIL], "onprem") == []
    assert refusal(named, [EMAIL], "onprem2") == ["pii-away"]


def test_every_finding_the_request_carries_bounds_the_fallback() -> None:
    # The email asked for the reroute; the key (restricted, a rule lets it through
    # whatever the tier) travels too, so the target needs the restricted tier.
    rule = (
        "rules:\n  - {id: pii-away, match: {families: [pii]}, action: reroute}\n"
        "  - {id: keys-ok, match: {families: [secrets]}, action: alert}\n"
    )
    assert refusal(rule, [EMAIL, KEY], "onprem") == ["pii-away"]
    assert refusal(rule, [EMAIL, KEY], "vault") == []
    assert refusal("rules: []\n", [EMAIL, KEY], "onprem") == ["trust-tier"]


def test_rules_that_allow_or_alert_override_the_tier_as_for_a_direct_request() -> None:
    text = "rules:\n  - {id: mail-ok, match: {detectors: [email]}, action: alert}\n"
    assert refusal(text, [EMAIL], "cheap") == []
    direct = decide(located(EMAIL), parse_policy(text), SETTINGS, model("cheap"), None)
    assert direct.action == "alert"


def test_monitor_mode_refuses_nothing() -> None:
    assert refusal("mode: monitor\nrules: []\n", [EMAIL, KEY], "cheap") == []


def test_the_judgement_matches_a_direct_request_for_the_fallback() -> None:
    policies = [
        "rules: []\n",
        "over_tier_action: reroute\nrules: []\n",
        "rules:\n  - {id: keys, match: {families: [secrets]}, action: block}\n",
        "trust: {cheap: restricted}\nrules: []\n",
    ]
    for text in policies:
        policy = parse_policy(text)
        for name in ("vault", "onprem", "default", "cheap"):
            for findings in ([EMAIL], [KEY], [PUBLIC], [EMAIL, PUBLIC]):
                verdict = decide(located(*findings), policy, SETTINGS, model(name), None)
                refused = fallback_refusal(located(*findings), policy, SETTINGS, model(name))
                # Whatever a direct request would send on unchanged, the fallback takes.
                assert (verdict.action in ("allow", "alert")) == (not refused), (text, name)


def judge(text: str, reroutable: bool = True) -> FallbackJudge:
    return FallbackJudge(parse_policy(text), SETTINGS, None, reroutable)


def test_the_judge_leaves_out_what_was_redacted() -> None:
    text = "rules:\n  - {id: mail, match: {detectors: [email]}, action: redact}\n"
    found = located(EMAIL, KEY)
    verdict = decide(found, parse_policy(text), SETTINGS, model("vault"), None)
    fallback_judge = judge(text)
    fallback_judge.settle(found, verdict)
    # The email left as a placeholder; the key (restricted) went as it is.
    assert asyncio.run(fallback_judge(model("vault"))) is None
    assert asyncio.run(fallback_judge(model("onprem"))) == "policy: trust-tier"
    redact_all = text.replace("detectors: [email]", "detectors: [email, secrets.provider]")
    verdict = decide(found, parse_policy(redact_all), SETTINGS, model("vault"), None)
    fallback_judge = judge(redact_all)
    fallback_judge.settle(found, verdict)
    assert asyncio.run(fallback_judge(model("cheap"))) is None


def test_the_judge_admits_everything_when_the_guard_failed_open() -> None:
    fallback_judge = judge("rules: []\n")
    fallback_judge.unchecked()
    assert asyncio.run(fallback_judge(model("cheap"))) is None


def test_the_judge_waits_for_a_check_running_alongside() -> None:
    async def scenario() -> str | None:
        fallback_judge = judge("rules: []\n")
        asked = asyncio.ensure_future(fallback_judge(model("cheap")))
        await asyncio.sleep(0.01)
        assert not asked.done()
        found = located(EMAIL)
        policy = parse_policy("rules: []\n")
        fallback_judge.settle(found, decide(found, policy, SETTINGS, model("vault"), None))
        return await asyncio.wait_for(asked, 1)

    assert asyncio.run(scenario()) == "policy: trust-tier"


@pytest.mark.parametrize("fallback", ["vault", "onprem", "default", "cheap"])
def test_a_clean_request_may_go_to_any_fallback(fallback: str) -> None:
    fallback_judge = judge("rules: []\n")
    fallback_judge.settle(
        [], decide([], parse_policy("rules: []\n"), SETTINGS, model("vault"), None)
    )
    assert asyncio.run(fallback_judge(model(fallback))) is None
