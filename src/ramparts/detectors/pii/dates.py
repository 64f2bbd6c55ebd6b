"""Dates of birth: a date with a birth keyword shortly before it."""

from __future__ import annotations

import re

from ramparts.detectors.base import (
    Detector,
    Finding,
    ScanContext,
    Sensitivity,
    keyword_matches,
    lowered_text,
    trigger_words,
)
from ramparts.detectors.options import NO_OPTIONS

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = (
    r"(?:\d{4}[\-/.]\d{1,2}[\-/.]\d{1,2}"
    r"|\d{1,2}[\-/.]\d{1,2}[\-/.](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_BIRTH = r"(?:date\s+of\s+birth|birth\s*date|birthday|d\.?o\.?b\.?|born(?:\s+on)?|birth)"
# Every match starts with one of these (the "d.o.b" spellings start "dob", "d.o", "do.").
_KEYWORDS = ("date", "birth", "born", "dob", "d.o", "do.")
# Every match holds one of these: "birth", "born", or one of the four spellings of
# "d.o.b" that ``d\.?o\.?b`` allows. The pre-check and the trigger both use them.
_PRESENT = ("birth", "born", "dob", "d.ob", "do.b", "d.o.b")
# ``re.I`` matches "i" to the dotted capital I and the dotless i, which lower-casing
# does not turn into "i": a text holding either is searched in full.
_ODD_I = ("\u0130", "\u0131")
_DOB = re.compile(rf"\b{_BIRTH}\b[^\n\d]{{0,20}}?(?P<date>{_DATE})(?!\d)", re.IGNORECASE)


def _holds_birth_word(text: str) -> bool:
    """Whether the lower-cased text holds a birth keyword (needed for any match)."""
    lowered = lowered_text(text)
    return any(word in lowered for word in _PRESENT)


class DateOfBirthDetector(Detector):
    name = "date_of_birth"
    option_specs = NO_OPTIONS
    kinds = ("date_of_birth",)
    description = "Dates of birth (a date shortly after 'born', 'DOB', 'date of birth'...)."
    triggers = (trigger_words(*_PRESENT),)  # what scan() checks first

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        odd_i = any(ch in text for ch in _ODD_I)
        if not odd_i and not _holds_birth_word(text):
            return []
        matches = _DOB.finditer(text) if odd_i else keyword_matches(_DOB, text, _KEYWORDS)
        return self.match_findings(
            context,
            text,
            matches,
            group="date",
            kind="date_of_birth",
            score=0.85,
            explanation="date introduced by a birth keyword",
            sensitivity=Sensitivity.CONFIDENTIAL,
        )
