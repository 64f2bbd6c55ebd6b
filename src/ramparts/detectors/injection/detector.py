"""The ``prompt_injection`` detector: normalise, decode, rules, then the model.

Options (``ScanContext.options``, per tenant):

- ``threshold`` (float, default the engine's threshold for this detector, a
  policy's ``threshold``; used without an engine, 0.5 from the model file): the
  calibrated score at or above which an attack is reported;
- ``indirect_threshold`` (float, default ``threshold``): the same for text whose
  origin is ``tool`` or ``document`` (indirect injection); it can only raise the
  bar, since the engine drops findings below the detector's threshold;
- ``rules`` (bool, default true): let the rules raise the score;
- ``scan_system`` (bool, default false): also score text whose origin is
  ``system``. System prompts are written by the operator and are full of
  instruction vocabulary ("do not reveal the password"): the model flags most
  of them (81% of tensortrust_defenses), so by default only hidden text is
  reported there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.injection.features import WINDOW, Prepared, prepare
from ramparts.detectors.injection.model import InjectionModel, WindowScore, load_model
from ramparts.detectors.injection.normalize import Normalized, normalize
from ramparts.detectors.injection.rules import INDIRECT, RuleHit, match_rules
from ramparts.detectors.options import Flag, Number, OptionSpec
from ramparts.errors import DetectorError

INDIRECT_ORIGINS = INDIRECT
_TOKEN_SPANS = re.compile(r"\w+|[^\w\s]{1,3}")
_OVERRIDE_WORDS = re.compile(r"\b(?:ignore|disregard|forget|override|instead)\b")
_EXTRACTION_WORDS = re.compile(r"\b(?:system prompt|instructions|password|secret|reveal)\b")


def _option(options: dict[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise DetectorError(
            f"prompt_injection option '{key}' must be a number between 0 and 1; "
            "fix it in the tenant policy"
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the layers found in one text; ``score`` is the calibrated total."""

    score: float
    prepared: Prepared
    window: WindowScore
    hits: list[RuleHit]
    view: str = field(repr=False)


def combine(model_probability: float, hits: list[RuleHit]) -> float:
    """Noisy-OR of the model and the strongest rule: either layer can raise the score."""
    strongest = max((hit.strength for hit in hits), default=0.0)
    return 1.0 - (1.0 - model_probability) * (1.0 - strongest)


class PromptInjectionDetector(Detector):
    """Direct and indirect prompt injection, jailbreaks, and hidden or encoded text."""

    name = "prompt_injection"
    kinds = (
        "instruction_override",
        "jailbreak",
        "system_prompt_extraction",
        "indirect_injection",
        "obfuscation",
        "invisible_text",
    )
    cost = "cheap"
    version = "1"
    description = "prompt injection and jailbreaks (rules + shipped linear model), hidden text"
    # See the module docstring. In a policy, "threshold" is the engine's (findings below
    # it are dropped); the detector's own reaches it only when called directly.
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "threshold": Number(0, 1),
        "indirect_threshold": Number(0, 1, help="for tool and document text"),
        "rules": Flag(help="let the rules raise the score"),
        "scan_system": Flag(help="also score system-prompt text"),
    }

    def __init__(self, model: InjectionModel | None = None) -> None:
        self._model = model or load_model()

    def assess(self, text: str, context: ScanContext) -> Assessment:
        """Run every layer on ``text`` and return the evidence, whatever the score."""
        prepared = prepare(text)
        view, vocabulary = prepared.view, prepared.vocabulary
        rules = context.options.get("rules", True)
        hits = match_rules(view, context.origin, vocabulary) if rules else []
        window = self._model.score(prepared.tokens, vocabulary)
        return Assessment(combine(window.probability, hits), prepared, window, hits, view)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        options = context.options
        # The engine's cut for this detector (policy ``threshold``) is where attacks are
        # reported; used directly, without an engine, the model's calibrated default.
        default = context.min_score or self._model.thresholds.get("default", 0.5)
        threshold = _option(options, "threshold", default)
        if context.origin in INDIRECT_ORIGINS:
            threshold = _option(options, "indirect_threshold", threshold)
        if context.origin == "system" and not options.get("scan_system", False):
            return self._invisible(text, normalize(text), context)
        found = self.assess(text, context)
        findings = self._invisible(text, found.prepared.normalized, context)
        if found.score >= threshold:
            findings.append(self._attack(text, found, context))
        return findings

    def _invisible(self, text: str, normalized: Normalized, context: ScanContext) -> list[Finding]:
        if not normalized.invisible:
            return []
        hidden = sum(end - start for start, end in normalized.invisible)
        parts = [f"{hidden} invisible character(s) in {len(normalized.invisible)} run(s)"]
        score = 0.6
        if normalized.tag_text:
            parts.append(f"{len(normalized.tag_text)} character(s) of text hidden in Unicode tags")
            score = 0.95
        if normalized.bidi:
            parts.append(f"{normalized.bidi} bidirectional control(s)")
            score = max(score, 0.7)
        start, end = normalized.invisible[0][0], normalized.invisible[-1][1]
        return [
            self.finding(
                context,
                text,
                start,
                end,
                kind="invisible_text",
                score=score,
                explanation="; ".join(parts),
                sensitivity=Sensitivity.CONFIDENTIAL,
            )
        ]

    def _attack(self, text: str, found: Assessment, context: ScanContext) -> Finding:
        prepared, view, hits, window, score = (
            found.prepared,
            found.view,
            found.hits,
            found.window,
            found.score,
        )
        tricks = _tricks(prepared)
        kind = _kind(context.origin, tricks, hits, view)
        start, end = _span(text, prepared, view, hits, window)
        parts = [f"model {window.probability:.2f}"]
        if hits:
            parts.append("rules: " + ", ".join(hit.rule for hit in hits[:4]))
        if tricks:
            parts.append("decoded/normalised: " + ", ".join(tricks))
        if context.origin in INDIRECT_ORIGINS:
            parts.append(f"in {context.origin} content")
        strict = self._model.thresholds.get("strict_1pct_fpr", 0.9)
        return self.finding(
            context,
            text,
            start,
            end,
            kind=kind,
            score=score,
            explanation="; ".join(parts),
            sensitivity=Sensitivity.RESTRICTED if score >= strict else Sensitivity.CONFIDENTIAL,
        )


def _tricks(prepared: Prepared) -> list[str]:
    normalized = prepared.normalized
    tricks = sorted({segment.encoding for segment in prepared.decoded})
    if normalized.tag_text:
        tricks.append("unicode tags")
    elif normalized.invisible:
        tricks.append("invisible characters")
    if normalized.homoglyphs:
        tricks.append("homoglyphs")
    if normalized.leet:
        tricks.append("leetspeak")
    if normalized.width_folded:
        tricks.append("full-width/math letters")
    return tricks


def _kind(origin: str, tricks: list[str], hits: list[RuleHit], view: str) -> str:
    if origin in INDIRECT_ORIGINS:
        return "indirect_injection"
    if tricks:
        return "obfuscation"
    if hits:
        return max(hits, key=lambda hit: hit.strength).kind
    if _OVERRIDE_WORDS.search(view):
        return "instruction_override"
    if _EXTRACTION_WORDS.search(view):
        return "system_prompt_extraction"
    return "jailbreak"


def _span(
    text: str,
    prepared: Prepared,
    view: str,
    hits: list[RuleHit],
    window: WindowScore,
) -> tuple[int, int]:
    """Where in ``text`` the attack is; the whole text when offsets do not map."""
    plain = prepared.normalized.view
    if len(plain) != len(text):
        return 0, len(text)
    for hit in hits:
        if hit.end <= len(plain):
            return hit.start, hit.end
    if prepared.decoded:
        return prepared.decoded[0].start, prepared.decoded[-1].end
    if len(prepared.tokens) <= 2 * WINDOW:
        return 0, len(text)  # a prompt-sized text: the whole of it
    spans = [match.span() for match in _TOKEN_SPANS.finditer(view)]
    last = min(window.end, len(spans)) - 1
    if window.start > last:
        return 0, len(text)
    return spans[window.start][0], min(spans[last][1], len(text))
