"""The provider rule table: size, ids, linear-time regexes, and every rule matching a sample."""

from __future__ import annotations

import random
import re
import string
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import pytest

from ramparts.detectors.base import ScanContext, Sensitivity
from ramparts.detectors.secrets import PROVIDER_RULES, ProviderCredentialDetector, rule_catalog
from ramparts.detectors.secrets.prefilter import pattern_width
from ramparts.detectors.secrets.rule import SecretRule
from ramparts.errors import DetectorError

_CONTEXT = ScanContext()
_CANDIDATES = string.ascii_letters + string.digits + "_-+/=.:~%$@!\"' |&?#,\\"
_MAXREPEAT = _parser.MAXREPEAT


def _allowed(items: list[Any], char: str) -> bool:
    negate = False
    hit = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name in ("LITERAL", "RANGE"):
            low, high = (arg, arg) if name == "LITERAL" else arg
            hit = hit or low <= ord(char) <= high
        elif name == "CATEGORY":
            category = str(arg)
            hit = hit or (
                ("WORD" in category and (char.isalnum() or char == "_"))
                or ("DIGIT" in category and char.isdigit())
                or ("SPACE" in category and char.isspace())
            )
            if "NOT" in category:
                hit = not hit
    return hit != negate


def _generate(tree: Any, rng: random.Random, groups: dict[int, str]) -> str:
    """A random string matching a parsed regex (lookarounds ignored)."""
    out = []
    for op, arg in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _CANDIDATES if ord(c) != arg))
        elif name == "ANY":
            out.append("x")
        elif name == "IN":
            choices = [c for c in _CANDIDATES if _allowed(arg, c)]
            out.append(rng.choice(choices))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            count = rng.randint(low, min(high, max(low, 64)))
            out.extend(_generate(sub, rng, groups) for _ in range(count))
        elif name == "SUBPATTERN":
            text = _generate(arg[-1], rng, groups)
            if arg[0]:
                groups[arg[0]] = text
            out.append(text)
        elif name == "ATOMIC_GROUP":
            out.append(_generate(arg, rng, groups))
        elif name == "BRANCH":
            out.append(_generate(rng.choice(arg[1]), rng, groups))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
    return "".join(out)


def _sample(rule: SecretRule, seed: int) -> str:
    rng = random.Random(seed)
    return _generate(_parser.parse(rule.pattern), rng, {})


def _repeats(tree: Any) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for op, arg in tree:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            found.append((arg[0], arg[1]))
            found.extend(_repeats(arg[2]))
        elif name == "SUBPATTERN":
            found.extend(_repeats(arg[-1]))
        elif name in ("ASSERT", "ASSERT_NOT"):
            found.extend(_repeats(arg[1]))
        elif name == "ATOMIC_GROUP":
            found.extend(_repeats(arg))
        elif name == "BRANCH":
            for branch in arg[1]:
                found.extend(_repeats(branch))
    return found


def test_table_has_at_least_100_formats_with_unique_kebab_ids() -> None:
    ids = [r.id for r in PROVIDER_RULES]
    assert len(ids) >= 100
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", i) for i in ids)
    assert {"aws-access-key-id", "github-pat-classic", "gitlab-token", "slack-bot-token"} <= set(
        ids
    )
    assert {"stripe-key", "openai-api-key", "anthropic-api-key", "huggingface-token"} <= set(ids)
    assert {"twilio-api-key", "sendgrid-api-key", "gcp-api-key", "azure-ad-client-secret"} <= set(
        ids
    )


def test_every_rule_has_keywords_explanation_and_a_sensitivity() -> None:
    for rule in PROVIDER_RULES:
        assert rule.keywords or rule.prefilter, rule.id
        assert all(rule.keywords), rule.id
        assert len(rule.explanation) > 10, rule.id
        assert isinstance(rule.sensitivity, Sensitivity)
        assert 0 < rule.score <= 1
    assert sum(r.sensitivity is Sensitivity.RESTRICTED for r in PROVIDER_RULES) >= 100
    catalog = rule_catalog()
    assert len(catalog) == len(PROVIDER_RULES)
    assert set(catalog[0]) == {"id", "provider", "explanation", "score"}


def test_every_regex_repeat_is_bounded_so_scans_stay_linear() -> None:
    for rule in PROVIDER_RULES:
        repeats = _repeats(_parser.parse(rule.pattern))
        assert all(high != _MAXREPEAT for _, high in repeats), rule.id
        assert pattern_width(rule.regex) <= 20_000, rule.id


def test_anchored_rules_start_with_one_of_their_keywords() -> None:
    for rule in PROVIDER_RULES:
        if not rule.anchored:
            continue
        sample = _sample(rule, 0)
        match = rule.regex.search(f" {sample} ")
        assert match is not None, rule.id
        assert any(f" {sample} ".startswith(k, match.start()) for k in rule.keywords), rule.id


@pytest.mark.parametrize("rule", PROVIDER_RULES, ids=lambda r: r.id)
def test_every_rule_finds_a_generated_sample(rule: SecretRule) -> None:
    detector = ProviderCredentialDetector()
    for seed in range(12):
        sample = _sample(rule, seed)
        if rule.validator is not None or not rule.accepts(sample[-200:]):
            continue
        text = f"config:\n  value = {sample}\n"
        findings = detector.scan(text, _CONTEXT)
        start = text.index(sample)
        assert any(f.start < start + len(sample) and start < f.end for f in findings), (
            rule.id,
            seed,
        )
        return
    # Rules with validators (checksums, structure) are tested with real-shaped values.
    assert rule.validator is not None or rule.min_entropy > 0, rule.id


def test_disabled_rules_option_turns_a_rule_off_and_rejects_unknown_ids() -> None:
    detector = ProviderCredentialDetector()
    text = "token glpat-8d5ri2n9g85LAnC9YW85 here"
    assert [f.kind for f in detector.scan(text, _CONTEXT)] == ["gitlab-token"]
    off = ScanContext(options={"disabled_rules": ["gitlab-token"]})
    assert detector.scan(text, off) == []
    with pytest.raises(DetectorError, match="unknown ids"):
        detector.scan(text, ScanContext(options={"disabled_rules": ["no-such-rule"]}))
    with pytest.raises(DetectorError, match="list of strings"):
        detector.scan(text, ScanContext(options={"disabled_rules": "gitlab-token"}))
