"""Classification markings: CONFIDENTIAL, INTERNAL ONLY, ATTORNEY-CLIENT PRIVILEGED..."""

from __future__ import annotations

import re

from ramparts.detectors.base import (
    TRIGGER_SPACE,
    Detector,
    Finding,
    ScanContext,
    Sensitivity,
    keyword_matches,
    lowered_text,
    trigger_words,
)
from ramparts.detectors.options import NO_OPTIONS

_R, _C, _I = Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL, Sensitivity.INTERNAL
# Longest first so "STRICTLY CONFIDENTIAL" wins over "CONFIDENTIAL".
_MARKINGS: dict[str, Sensitivity] = {
    "TOP SECRET": _R,
    "ATTORNEY-CLIENT PRIVILEGED": _R,
    "ATTORNEY CLIENT PRIVILEGED": _R,
    "PRIVILEGED AND CONFIDENTIAL": _R,
    "PRIVILEGED & CONFIDENTIAL": _R,
    "ATTORNEY WORK PRODUCT": _R,
    "STRICTLY CONFIDENTIAL": _R,
    "HIGHLY CONFIDENTIAL": _R,
    "TRADE SECRET": _R,
    "RESTRICTED": _R,
    "TLP:RED": _R,
    "SECRET": _R,
    "COMPANY CONFIDENTIAL": _C,
    "CONFIDENTIAL": _C,
    "PROPRIETARY": _C,
    "NOT FOR DISTRIBUTION": _C,
    "DO NOT DISTRIBUTE": _C,
    "DO NOT FORWARD": _C,
    "UNDER NDA": _C,
    "EMBARGOED": _C,
    "PRE-DECISIONAL": _C,
    "TLP:AMBER": _C,
    "FOR OFFICIAL USE ONLY": _C,
    "FOUO": _C,
    "FOR INTERNAL USE ONLY": _I,
    "INTERNAL USE ONLY": _I,
    "INTERNAL ONLY": _I,
    "TLP:GREEN": _I,
}
_ALTERNATION = "|".join(
    re.escape(marking).replace(r"\ ", r"[ \t]+")
    for marking in sorted(_MARKINGS, key=len, reverse=True)
)
# Upper case anywhere; Title case only as a label ("Classification: Confidential").
# Literal-led so the regex engine skips fast to candidate letters; edges checked after.
_UPPER = re.compile(rf"(?:{_ALTERNATION})(?![\w\-])")
_LABEL_WORDS = ("classif", "marking", "sensitivity", "label")
_LABELLED = re.compile(
    rf"(?:classification|classified|marking|sensitivity|label)\s*[:=]\s*(?P<mark>(?:{_ALTERNATION}))"
    r"(?![\w\-])",
    re.IGNORECASE,
)


def _level(marking: str) -> Sensitivity:
    return _MARKINGS.get(" ".join(marking.upper().split()), _C)


class ClassificationMarkingDetector(Detector):
    name = "classification_marking"
    option_specs = NO_OPTIONS
    kinds = ("classification_marking",)
    description = "Document classification markings (CONFIDENTIAL, INTERNAL ONLY, ...)."
    # _UPPER without its lookahead; the start of _LABELLED.
    triggers = (
        _ALTERNATION,
        trigger_words("classification", "classified", "marking", "sensitivity", "label")
        + f"{TRIGGER_SPACE}*[:=]",
    )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings = [
            self._marking(context, text, match.start(), match.end(), 0.9, "upper-case marking")
            for match in _UPPER.finditer(text)
            if match.start() == 0
            or not (text[match.start() - 1].isalnum() or text[match.start() - 1] in "_-")
        ]
        lowered = lowered_text(text)
        if not any(word in lowered for word in _LABEL_WORDS):
            return findings
        seen = {(finding.start, finding.end) for finding in findings}
        for match in keyword_matches(_LABELLED, text, _LABEL_WORDS):
            span = match.span("mark")
            if span not in seen:
                findings.append(self._marking(context, text, *span, 0.85, "labelled marking"))
        return findings

    def _marking(
        self, context: ScanContext, text: str, start: int, end: int, score: float, why: str
    ) -> Finding:
        return self.finding(
            context,
            text,
            start,
            end,
            kind="classification_marking",
            score=score,
            explanation=why,
            sensitivity=_level(text[start:end]),
        )
