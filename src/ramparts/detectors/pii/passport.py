"""Passport numbers: an ID-shaped token close after the word 'passport'."""

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

_PASSPORT = re.compile(
    r"\bpass(?:port|eport|aporte|port-?nr|nummer)\b[^\n]{0,30}?"
    r"(?<![A-Za-z0-9])(?P<number>(?=[A-Za-z]{0,3}\d)[A-Za-z0-9]{1,3}\d{5,9}[A-Za-z0-9]?)"
    r"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


class PassportDetector(Detector):
    name = "passport"
    option_specs = NO_OPTIONS
    kinds = ("passport",)
    description = "Passport numbers written near the word 'passport'."
    triggers = (trigger_words("passport", "passeport", "passaporte", "passnummer"),)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if "pass" not in lowered_text(text):
            return []
        return self.match_findings(
            context,
            text,
            keyword_matches(_PASSPORT, text, ("pass",)),
            group="number",
            kind="passport",
            score=0.8,
            explanation="document-number shape after a passport keyword",
            sensitivity=Sensitivity.RESTRICTED,
        )
