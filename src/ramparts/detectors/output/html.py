"""HTML and script injection in model answers.

A chat UI that renders answers as HTML runs whatever script the model was
tricked into writing. Markup inside fenced code blocks is usually an honest
answer to a coding question, so it scores much lower there.
"""

from __future__ import annotations

import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.secrets.media import inside

_SIGNALS: tuple[tuple[str, re.Pattern[str], float, str], ...] = (
    ("script-tag", re.compile(r"(?i)<script\b[^<>]{0,2000}+>?"), 0.9, "a script element"),
    (
        "javascript-url",
        re.compile(
            r"(?i)\b(?:href|src|action|formaction|data)\s{0,4}=\s{0,4}[\"']?\s{0,4}"
            r"(?:javascript|vbscript|data:text/html)\s{0,4}:?"
        ),
        0.9,
        "a URL that runs script or opens an HTML document",
    ),
    (
        "event-handler",
        re.compile(
            r"(?i)<[a-z][a-z0-9]{0,20}\b[^<>]{0,2000}?\bon(?:error|load|click|mouseover|focus|"
            r"blur|submit|toggle|animationstart|begin|pointerover|input|change)\s{0,4}="
        ),
        0.85,
        "an inline event handler attribute",
    ),
    (
        "embedded-frame",
        re.compile(r"(?i)<(?:iframe|frame|object|embed|applet)\b"),
        0.7,
        "an embedded frame or object",
    ),
    (
        "meta-refresh",
        re.compile(r"(?i)<meta\b[^<>]{0,500}?http-equiv\s{0,4}=\s{0,4}[\"']?refresh"),
        0.8,
        "a meta refresh redirect",
    ),
    (
        "base-tag",
        re.compile(r"(?i)<base\b[^<>]{0,500}?href"),
        0.7,
        "a base element that re-targets links",
    ),
    ("form", re.compile(r"(?i)<form\b[^<>]{0,2000}?action"), 0.6, "a form posting to a URL"),
)
_FENCE = re.compile(r"(?m)^[ ]{0,3}(?:```|~~~)")
_CODE_FACTOR = 0.35


def fenced_spans(text: str) -> list[tuple[int, int]]:
    """Spans of fenced code blocks (an unclosed fence runs to the end)."""
    marks = [m.start() for m in _FENCE.finditer(text)]
    if len(marks) % 2:
        marks.append(len(text))
    return list(zip(marks[::2], marks[1::2], strict=True))


class HtmlInjectionDetector(Detector):
    """Script tags, javascript: URLs, event handlers, frames and redirects in answers."""

    name = "output.html_injection"
    option_specs = NO_OPTIONS
    side = "output"
    kinds = tuple(kind for kind, _, _, _ in _SIGNALS)
    description = "HTML or script injection in model answers"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if "<" not in text and ":" not in text:
            return []
        code = fenced_spans(text) if "```" in text or "~~~" in text else []
        findings = []
        for kind, pattern, score, what in _SIGNALS:
            for match in pattern.finditer(text):
                in_code = inside(code, match.start())
                findings.append(
                    self.finding(
                        context,
                        text,
                        match.start(),
                        match.end(),
                        kind=kind,
                        score=score * _CODE_FACTOR if in_code else score,
                        explanation=f"{what}{' inside a fenced code block' if in_code else ''}",
                        sensitivity=Sensitivity.INTERNAL if in_code else Sensitivity.CONFIDENTIAL,
                    )
                )
        return findings
