"""Turning findings into a verdict: which rule each finding meets and what happens.

The first rule that matches a finding decides its action. A finding that no
rule matches is checked against the model's trust tier: data more sensitive
than the model may receive is blocked or rerouted (``over_tier_action``). The
strongest action wins: block > reroute > redact > alert > allow. Rules in
``monitor`` mode are recorded but not enforced; a policy (or team) in monitor
mode enforces nothing, whatever its rules say.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ramparts.config import ModelSettings, Settings
from ramparts.detectors.base import Finding, Sensitivity
from ramparts.detectors.engine import family_of
from ramparts.detectors.registry import default_registry
from ramparts.errors import DetectorError
from ramparts.policy.model import ACTION_STRENGTH, Policy, Rule

# str() of each level, looked up rather than rebuilt for every finding of every audit record.
SENSITIVITY_NAMES = {level: str(level) for level in Sensitivity}
# Sensitivity.parse of the level names policies and settings use (anything else is parsed,
# and rejected, by Sensitivity.parse itself).
_LEVELS = {str(level): level for level in Sensitivity}


def _level(name: str) -> Sensitivity:
    level = _LEVELS.get(name)
    return Sensitivity.parse(name) if level is None else level


@dataclass(frozen=True, slots=True)
class Located:
    """A finding and where it was: the origin of the text and which text (by index)."""

    finding: Finding
    origin: str
    unit: int


# ``Located(...)`` sets each field of the frozen class through ``object.__setattr__``;
# writing the slots through their descriptors costs about half, once per finding.
_SET_FINDING, _SET_ORIGIN, _SET_UNIT = (
    Located.__dict__[name].__set__ for name in ("finding", "origin", "unit")
)


def new_located(finding: Finding, origin: str, unit: int) -> Located:
    """``Located(finding, origin, unit)``, built without the dataclass ``__init__``."""
    located: Located = object.__new__(Located)
    _SET_FINDING(located, finding)
    _SET_ORIGIN(located, origin)
    _SET_UNIT(located, unit)
    return located


@dataclass(slots=True)
class Outcome:
    """What one finding led to."""

    located: Located
    action: str
    rule_id: str | None
    enforced: bool
    reason: str

    def audit(self) -> dict[str, Any]:
        f = self.located.finding
        return {
            "detector": f.detector,
            "kind": f.kind,
            "origin": self.located.origin,
            "score": round(f.score, 4),
            "sensitivity": SENSITIVITY_NAMES[f.sensitivity],
            "fingerprint": f.fingerprint,
            "rule": self.rule_id,
            "action": self.action,
            "enforced": self.enforced,
        }


@dataclass(slots=True)
class Verdict:
    action: str = "allow"
    outcomes: list[Outcome] = field(default_factory=list)
    reroute_to: str | None = None
    message: str = ""

    @property
    def redactions(self) -> list[Located]:
        return [o.located for o in self.outcomes if o.action == "redact" and o.enforced]

    @property
    def rule_ids(self) -> list[str]:
        ids = [o.rule_id for o in self.outcomes if o.enforced and o.action == self.action]
        return sorted({i for i in ids if i})


@functools.cache
def _family(detector: str) -> str:
    """A detector's family; cached, as rules ask for it once per finding on the request path."""
    try:
        return family_of(default_registry().get(detector))
    except DetectorError:  # a plug-in detector that is gone
        return ""


def matches(rule: Rule, located: Located) -> bool:
    m, f = rule.match, located.finding
    if m.detectors is not None and f.detector not in m.detectors:
        return False
    if m.families is not None and _family(f.detector) not in m.families:
        return False
    if m.kinds is not None and f.kind not in m.kinds:
        return False
    if m.sensitivity is not None and f.sensitivity < _level(m.sensitivity):
        return False
    if m.origins is not None and located.origin not in m.origins:
        return False
    return m.min_score is None or f.score >= m.min_score


def _set(values: Sequence[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule's match conditions as sets and levels, for matching without re-reading them."""

    rule: Rule
    detectors: frozenset[str] | None
    families: frozenset[str] | None
    kinds: frozenset[str] | None
    level: Sensitivity | None
    origins: frozenset[str] | None
    min_score: float | None


def _compile_rule(rule: Rule) -> CompiledRule:
    m = rule.match
    level = None if m.sensitivity is None else _level(m.sensitivity)
    return CompiledRule(
        rule,
        _set(m.detectors),
        _set(m.families),
        _set(m.kinds),
        level,
        _set(m.origins),
        m.min_score,
    )


def compile_rules(policy: Policy) -> tuple[CompiledRule, ...]:
    """``policy.rules`` ready for :func:`decide` (compile once per policy, reuse per request)."""
    return tuple(_compile_rule(rule) for rule in policy.rules)


def _first_rule(rules: tuple[CompiledRule, ...], located: Located) -> Rule | None:
    """The first rule that matches (what :func:`matches` decides, condition by condition)."""
    f = located.finding
    for r in rules:
        if r.detectors is not None and f.detector not in r.detectors:
            continue
        if r.families is not None and _family(f.detector) not in r.families:
            continue
        if r.kinds is not None and f.kind not in r.kinds:
            continue
        if r.level is not None and f.sensitivity < r.level:
            continue
        if r.origins is not None and located.origin not in r.origins:
            continue
        if r.min_score is None or f.score >= r.min_score:
            return r.rule
    return None


def _describe(f: Finding, origin: str) -> str:
    where = {"user": "your message", "system": "the system prompt", "tool": "a tool result"}
    return f"{f.kind.replace('_', ' ')} ({f.detector}) in {where.get(origin, origin + ' text')}"


def tier_of(policy: Policy, settings: Settings, model: ModelSettings) -> Sensitivity:
    name = policy.trust.get(model.name) or settings.trust_tier(model)
    return _level(name)


def trusted_models(
    policy: Policy, settings: Settings, level: Sensitivity, allowed: frozenset[str] | None
) -> list[ModelSettings]:
    """Chat models that may receive ``level`` data, least trusted first (the cheapest fit)."""
    fits = [
        m
        for m in settings.models
        if not m.embeddings
        and tier_of(policy, settings, m) >= level
        and (allowed is None or m.name in allowed)
    ]
    return sorted(fits, key=lambda m: tier_of(policy, settings, m))


def decide(
    findings: list[Located],
    policy: Policy,
    settings: Settings,
    model: ModelSettings,
    allowed_models: frozenset[str] | None,
    rules: tuple[CompiledRule, ...] | None = None,
) -> Verdict:
    """The verdict on ``findings``; ``rules`` is ``compile_rules(policy)``, when the caller
    keeps it."""
    verdict = _judge(findings, policy, settings, model, rules)
    if verdict.action == "reroute":
        _plan_reroute(verdict, findings, policy, settings, model, allowed_models)
    if verdict.action == "block":
        verdict.message = _block_message(verdict, policy, settings, allowed_models)
    return verdict


def _judge(
    findings: list[Located],
    policy: Policy,
    settings: Settings,
    model: ModelSettings,
    rules: tuple[CompiledRule, ...] | None,
) -> Verdict:
    """Each finding's outcome for ``model`` and the strongest enforced action (no reroute
    target chosen, no message written)."""
    verdict = Verdict()
    tier = tier_of(policy, settings, model)
    compiled = compile_rules(policy) if rules is None else rules
    # A whole policy (or team) in monitor mode only records: a rule's own `mode: enforce`
    # cannot switch enforcement back on under it (docs/policy.md promises "change nothing").
    policy_enforces = policy.mode == "enforce"
    for located in findings:
        rule = _first_rule(compiled, located)
        if rule is not None:
            enforce = policy_enforces and rule.mode != "monitor"
            outcome = Outcome(located, rule.action, rule.id, enforce, rule.message or "")
        elif located.finding.sensitivity > tier:
            outcome = Outcome(
                located,
                policy.over_tier_action,
                "trust-tier",
                policy_enforces,
                f"model '{model.name}' may receive {tier!s} data at most",
            )
        else:
            continue
        verdict.outcomes.append(outcome)
    enforced = [o for o in verdict.outcomes if o.enforced]
    if not enforced:
        return verdict
    strongest = max(enforced, key=lambda o: ACTION_STRENGTH[o.action])
    verdict.action = strongest.action
    return verdict


def _needed_tier(verdict: Verdict, findings: list[Located]) -> Sensitivity:
    """The tier a model needs to receive the request: its most sensitive finding that is
    not redacted (``findings`` is not empty when a verdict reroutes)."""
    redacted = {id(o.located) for o in verdict.outcomes if o.enforced and o.action == "redact"}
    return max(f.finding.sensitivity for f in findings if id(f) not in redacted)


def _reroute_targets(verdict: Verdict, policy: Policy) -> set[str]:
    """The models the rules asking for this reroute name (empty: any model that fits)."""
    reasons = {o.rule_id for o in verdict.outcomes if o.enforced and o.action == "reroute"}
    return {r.reroute_to for r in policy.rules if r.id in reasons and r.reroute_to}


def _plan_reroute(
    verdict: Verdict,
    findings: list[Located],
    policy: Policy,
    settings: Settings,
    model: ModelSettings,
    allowed: frozenset[str] | None,
) -> None:
    """Pick the reroute target, or turn the verdict into a block when no model fits.

    The target receives every finding that is not redacted, not only those that asked
    for the reroute, so all of them bound the tier it needs; a rule's named
    ``reroute_to`` is held to the same tier (no fallback to another model: the policy
    chose that target).
    """
    reasons = [o for o in verdict.outcomes if o.enforced and o.action == "reroute"]
    needed = _needed_tier(verdict, findings)
    named = _reroute_targets(verdict, policy)
    if (not named or model.name in named) and tier_of(policy, settings, model) >= needed:
        # The request already goes where a reroute would send it: nothing to change.
        for outcome in reasons:
            outcome.action = "allow"
            outcome.reason = f"model '{model.name}' may receive it"
        others = [o for o in verdict.outcomes if o.enforced]
        verdict.action = max(
            (o.action for o in others), key=ACTION_STRENGTH.__getitem__, default="allow"
        )
        return
    candidates = [settings.model(n) for n in sorted(named)] or trusted_models(
        policy, settings, needed, allowed
    )
    for candidate in candidates:
        if (
            candidate is not None
            and candidate.name != model.name
            and (allowed is None or candidate.name in allowed)
            and tier_of(policy, settings, candidate) >= needed
        ):
            verdict.reroute_to = candidate.name
            return
    # Nowhere to send it: refuse rather than let it through (fail closed).
    if named and not any(
        c is not None and tier_of(policy, settings, c) >= needed for c in candidates
    ):
        reason = (
            f"the reroute target {', '.join(repr(n) for n in sorted(named))} may not receive"
            f" {needed!s} data, which this request carries"
        )
    else:
        reason = (
            f"no model this key may use can receive {needed!s} data, which this request carries"
        )
    verdict.action = "block"
    for outcome in reasons:
        outcome.action = "block"
        outcome.reason = reason


def _block_message(
    verdict: Verdict, policy: Policy, settings: Settings, allowed: frozenset[str] | None
) -> str:
    blocking = [o for o in verdict.outcomes if o.enforced and o.action == "block"]
    first = blocking[0]
    found = _describe(first.located.finding, first.located.origin)
    rule = f"rule '{first.rule_id}'" if first.rule_id else "policy"
    advice = first.reason.rstrip(". ")
    if first.rule_id == "trust-tier":
        level = max(o.located.finding.sensitivity for o in blocking)
        fits = trusted_models(policy, settings, level, allowed)
        names = ", ".join(f"'{m.name}'" for m in fits[:3])
        advice = f"{first.reason}; remove it" + (
            f", or use model {names}, which may receive {level!s} data" if fits else ""
        )
    extra = f" (and {len(blocking) - 1} more findings)" if len(blocking) > 1 else ""
    text = f"Blocked by {rule}: found {found}{extra}."
    return f"{text} {advice[0].upper() + advice[1:]}." if advice else text


def fallback_refusal(
    sent: list[Located],
    policy: Policy,
    settings: Settings,
    model: ModelSettings,
    rules: tuple[CompiledRule, ...] | None = None,
    *,
    reroutable: bool = True,
) -> list[str]:
    """The rules that keep fallback ``model`` from a request carrying ``sent`` (the findings
    it was sent with, redacted ones left out); empty when the model may receive it.

    The input guard's judgement had the caller asked for ``model``: anything it would
    block, reroute away or rewrite keeps the fallback out. A verdict to reroute accepts
    ``model`` when it could be the reroute's target (a model the rules name, or any of
    a tier for every finding): the data may go there. Monitor mode enforces nothing.
    """
    verdict = _judge(sent, policy, settings, model, rules)
    action = verdict.action
    if action in ("allow", "alert"):
        return []
    if action == "reroute" and reroutable:
        named = _reroute_targets(verdict, policy)
        fits = tier_of(policy, settings, model) >= _needed_tier(verdict, sent)
        if fits and (not named or model.name in named):
            return []
    return verdict.rule_ids or [action]


class FallbackJudge:
    """Whether a fallback may receive one request, as the input guard let it leave.

    The input check settles it with its findings and verdict; a fallback asked about
    before then (the check runs alongside the upstream call) waits. Should the check stop
    the request instead, the upstream call is cancelled, its wait with it.
    """

    def __init__(
        self,
        policy: Policy,
        settings: Settings,
        rules: tuple[CompiledRule, ...] | None,
        reroutable: bool,
    ) -> None:
        self._policy = policy
        self._settings = settings
        self._rules = rules
        self._reroutable = reroutable
        self._settled = asyncio.Event()
        # The check's findings and verdict; None when the guard could not scan the request
        # and failed open.
        self._checked: tuple[list[Located], Verdict] | None = None

    def settle(self, located: list[Located], verdict: Verdict) -> None:
        """The check's findings and verdict (read only should a fallback be needed)."""
        self._checked = (located, verdict)
        self._settled.set()

    def unchecked(self) -> None:
        """The guard failed open: fallbacks get the request unchecked, as the model did."""
        self._checked = None
        self._settled.set()

    async def __call__(self, model: ModelSettings) -> str | None:
        if not self._settled.is_set():
            await self._settled.wait()
        if self._checked is None:
            return None
        located, verdict = self._checked
        # What was redacted did not leave.
        redacted = {id(item) for item in verdict.redactions}
        refusing = fallback_refusal(
            [item for item in located if id(item) not in redacted],
            self._policy,
            self._settings,
            model,
            self._rules,
            reroutable=self._reroutable,
        )
        return "policy: " + ", ".join(refusing) if refusing else None
