"""The provider credential detector: the data-driven table of credential formats."""

from __future__ import annotations

from typing import Any, ClassVar

from ramparts.detectors.base import Detector, Finding, ScanContext
from ramparts.detectors.options import OptionSpec, Strings, options_of
from ramparts.detectors.secrets.media import data_uri_spans, inside
from ramparts.detectors.secrets.prefilter import KeywordIndex, RuleMatch
from ramparts.detectors.secrets.rule import SecretRule
from ramparts.detectors.secrets.rules_ai import AI_RULES
from ramparts.detectors.secrets.rules_cloud import CLOUD_RULES
from ramparts.detectors.secrets.rules_dev import DEV_RULES
from ramparts.detectors.secrets.rules_saas import SAAS_RULES

PROVIDER_RULES: tuple[SecretRule, ...] = CLOUD_RULES + DEV_RULES + SAAS_RULES + AI_RULES
_CATALOG = "see the rule catalog in docs/secrets-and-output.md"


class ProviderCredentialDetector(Detector):
    """API keys and tokens of known providers (AWS, GitHub, Slack, OpenAI...).

    Options: ``disabled_rules`` (list of rule ids to skip).
    """

    name = "secrets.provider"
    kinds = tuple(r.id for r in PROVIDER_RULES)
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "disabled_rules": Strings(
            known=frozenset(kinds), catalog=_CATALOG, as_set=True, help="rule ids to skip"
        ),
    }
    description = "Provider API keys and tokens, one rule per credential format"
    _index = KeywordIndex(PROVIDER_RULES)
    # The engine skips the detector when no keyword occurs: the same patterns as its prefilter.
    triggers = _index.patterns

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        disabled = options_of(self, context.options).get("disabled_rules", frozenset())
        media = data_uri_spans(text)
        matches = drop_overlaps(
            [m for m in self._index.matches(text, disabled) if not inside(media, m.start)]
        )
        return [self._finding(context, text, m) for m in matches]

    def _finding(self, context: ScanContext, text: str, match: RuleMatch) -> Finding:
        rule = match.rule
        return self.finding(
            context,
            text,
            match.start,
            match.end,
            kind=rule.id,
            score=rule.score,
            explanation=f"{rule.explanation} ({match.end - match.start} characters)",
            sensitivity=rule.sensitivity,
        )


def drop_overlaps(matches: list[RuleMatch]) -> list[RuleMatch]:
    """Keep the best match where rules overlap: the longest, then the highest score."""
    kept: list[RuleMatch] = []
    for match in sorted(matches, key=lambda m: (m.start, -(m.end - m.start), -m.rule.score)):
        if kept and match.start < kept[-1].end:
            if _rank(match) > _rank(kept[-1]):
                kept[-1] = match
            continue
        kept.append(match)
    return kept


def _rank(match: RuleMatch) -> tuple[int, float]:
    return (match.end - match.start, match.rule.score)


def rule_catalog() -> list[dict[str, Any]]:
    """The rule table as plain data (ids, providers, explanations) for docs and CLIs."""
    return [
        {"id": r.id, "provider": r.provider, "explanation": r.explanation, "score": r.score}
        for r in PROVIDER_RULES
    ]
