"""Category signals: HR, finance, legal and health text, each with a sensitivity.

Each category has a lexicon of weighted phrases. One Aho-Corasick pass over
the lower-cased text counts distinct phrases per category; enough weight makes
one finding per category spanning its first to last phrase.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import ahocorasick

from ramparts.detectors.base import (
    Detector,
    Finding,
    ScanContext,
    Sensitivity,
    lowered_text,
    trigger_words,
)
from ramparts.detectors.options import NO_OPTIONS

# phrase -> weight; 1.0 is a strong signal on its own, 0.5 needs company. A phrase
# matches whole words (a plural "s" allowed: "lawsuits"); one ending in "*" is a
# prefix ("pregnan*": pregnant, pregnancy), and only its start must begin a word.
_LEXICONS: dict[str, tuple[Sensitivity, dict[str, float]]] = {
    "hr": (
        Sensitivity.CONFIDENTIAL,
        {
            "salary": 0.5, "salaries": 0.5, "compensation": 0.5, "pay rise": 0.5, "bonus": 0.4,
            "performance review": 1.0, "performance improvement plan": 1.0, "pip": 0.3,
            "disciplinary": 1.0, "written warning": 1.0, "termination": 0.6, "dismissal": 0.8,
            "layoff": 0.8, "redundancy": 0.8, "medical leave": 1.0, "sick leave": 0.8,
            "maternity leave": 0.8, "grievance": 0.8, "harassment complaint": 1.0,
            "background check": 0.6, "employee id": 0.6, "headcount": 0.4, "payroll": 0.8,
            "severance": 1.0, "offer letter": 0.8,
        },
    ),
    "finance": (
        Sensitivity.RESTRICTED,
        {
            "unreleased": 0.5, "earnings": 0.5, "quarterly results": 0.8, "revenue forecast": 1.0,
            "guidance": 0.3, "ebitda": 0.6, "merger": 0.8, "acquisition": 0.6, "m&a": 1.0,
            "due diligence": 0.8, "term sheet": 1.0, "valuation": 0.5, "material non-public": 1.0,
            "insider": 0.5, "before the announcement": 1.0, "pre-announcement": 1.0,
            "letter of intent": 0.8, "tender offer": 1.0, "profit warning": 1.0, "forecast": 0.3,
            "board approval": 0.6, "fundraising": 0.5, "cap table": 1.0,
        },
    ),
    "legal": (
        Sensitivity.CONFIDENTIAL,
        {
            "litigation": 0.8, "lawsuit": 0.8, "settlement": 0.5, "subpoena": 1.0,
            "legal hold": 1.0, "privileged": 0.6, "counsel": 0.5, "plaintiff": 0.8,
            "defendant": 0.8, "deposition": 1.0, "non-disclosure agreement": 0.8,
            "indemnif*": 0.6, "breach of contract": 1.0, "cease and desist": 1.0,
            "regulatory investigation": 1.0, "whistleblower": 1.0, "court filing": 0.8,
        },
    ),
    "health": (
        Sensitivity.RESTRICTED,
        {
            "diagnosis": 0.8, "diagnosed": 0.8, "patient": 0.5, "medical record": 1.0,
            "prescription": 0.6, "prescribed": 0.6, "mrn": 0.8, "icd-10": 1.0, "hipaa": 0.6,
            "treatment plan": 0.8, "chemotherapy": 1.0, "hiv": 1.0, "mental health": 0.8,
            "depression": 0.6, "blood pressure": 0.6, "lab results": 0.8, "medication": 0.5,
            "allergies": 0.4, "symptoms": 0.4, "pregnan*": 0.6, "disability": 0.6,
            "health insurance": 0.5, "therapy session": 0.8, "discharge summary": 1.0,
        },
    ),
}  # fmt: skip
_MIN_WEIGHT = 1.0


@dataclass(frozen=True)
class _Phrase:
    category: str
    weight: float
    length: int
    prefix: bool


@functools.cache
def _automaton() -> Any:
    automaton = ahocorasick.Automaton()
    for category, (_, phrases) in _LEXICONS.items():
        for entry, weight in phrases.items():
            phrase = entry.removesuffix("*")
            automaton.add_word(phrase, _Phrase(category, weight, len(phrase), phrase != entry))
    automaton.make_automaton()
    return automaton


def _ends_word(text: str, end: int) -> bool:
    """Whether a phrase ending before ``end`` ends a word, allowing a plural "s"."""
    if end < len(text) and text[end] == "s":
        end += 1
    return end >= len(text) or not text[end].isalnum()


class BusinessCategoryDetector(Detector):
    name = "business_category"
    option_specs = NO_OPTIONS
    kinds = tuple(_LEXICONS)
    description = "HR, finance (M&A, unreleased results), legal and health/PHI signals."
    # Any phrase, case-insensitively: the automaton finds nothing without one.
    triggers = (
        trigger_words(
            *(entry.removesuffix("*") for _, phrases in _LEXICONS.values() for entry in phrases)
        ),
    )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        lowered = lowered_text(text)
        if len(lowered) != len(text):
            return []  # offsets would not line up; rare non-ASCII case
        hits: dict[str, dict[str, tuple[int, int, float]]] = {}
        for last, phrase in _automaton().iter(lowered):
            start = last - phrase.length + 1
            if start > 0 and lowered[start - 1].isalnum():
                continue  # "pip" inside "gossip"
            if not phrase.prefix and not _ends_word(lowered, last + 1):
                continue  # "hiv" in "hive", "pip" in "pipeline"
            seen = hits.setdefault(phrase.category, {})
            seen.setdefault(lowered[start : last + 1], (start, last + 1, phrase.weight))
        findings: list[Finding] = []
        for category, phrases in hits.items():
            weight = sum(item[2] for item in phrases.values())
            if weight < _MIN_WEIGHT:
                continue
            start = min(item[0] for item in phrases.values())
            end = max(item[1] for item in phrases.values())
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind=category,
                    score=min(0.95, 0.45 + 0.15 * weight),
                    explanation=f"{len(phrases)} {category} phrase(s), weight {weight:.1f}",
                    sensitivity=_LEXICONS[category][0],
                )
            )
        return findings
