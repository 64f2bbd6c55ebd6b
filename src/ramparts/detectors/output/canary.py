"""Canary-token leaks: a token planted in the system prompt shows up in an answer.

The canary is found as written (any case), spelled out with separators
(``C-A-N-A-R-Y``), reversed, or base64-encoded, since extraction attacks often
ask the model to transform the prompt to slip past exact-match filters.
"""

from __future__ import annotations

import base64
import functools
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import Strings
from ramparts.detectors.secrets.options import string_set
from ramparts.errors import DetectorError

_MIN_CANARY = 6
_PRIORITY = {"verbatim": 0, "base64-encoded": 1, "reversed": 2, "spelled out": 3}
_SEPARATORS = r"[\s\-_.,:;|/]{0,3}"


@functools.lru_cache(maxsize=256)
def _matchers(canaries: tuple[str, ...]) -> tuple[tuple[int, str, re.Pattern[str]], ...]:
    """(canary number, form, regex) for every canary and every form we look for."""
    matchers: list[tuple[int, str, re.Pattern[str]]] = []
    for number, canary in enumerate(canaries, start=1):
        matchers.append((number, "verbatim", re.compile(re.escape(canary), re.IGNORECASE)))
        spaced = _SEPARATORS.join(re.escape(c) for c in canary if not c.isspace())
        matchers.append((number, "spelled out", re.compile(spaced, re.IGNORECASE)))
        matchers.append((number, "reversed", re.compile(re.escape(canary[::-1]), re.IGNORECASE)))
        for encoded in _base64_forms(canary):
            matchers.append((number, "base64-encoded", re.compile(re.escape(encoded))))
    return tuple(matchers)


def _base64_forms(canary: str) -> list[str]:
    """Base64 of the canary at the three byte alignments, trimmed to the stable characters."""
    raw = canary.encode("utf-8")
    forms = []
    for shift, skip in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        stable = encoded[skip : len(encoded) - (1 if (shift + len(raw)) % 3 else 0)]
        if len(stable) >= _MIN_CANARY:
            forms.append(stable)
    return forms


class CanaryLeakDetector(Detector):
    """Canary tokens from the system prompt appearing in a model answer.

    Options: ``canaries`` (list of tokens, at least 6 characters each).
    """

    name = "output.canary_leak"
    option_specs = {
        "canaries": Strings(
            min_length=_MIN_CANARY, secret=True, help="tokens planted in the system prompt"
        ),
    }
    side = "output"
    kinds = ("canary-leak",)
    description = "System-prompt canary tokens leaking into model answers"

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        string_set(context.options, "canaries", self.name)  # validates the option's type
        canaries = tuple(dict.fromkeys(context.options.get("canaries") or ()))
        if not canaries:
            return []
        short = [c for c in canaries if len(c.strip()) < _MIN_CANARY]
        if short:
            raise DetectorError(
                f"{self.name}: option 'canaries' has {len(short)} token(s) shorter than "
                f"{_MIN_CANARY} characters; use longer random tokens to avoid false alarms"
            )
        hits = sorted(
            (
                match.start(),
                -(match.end() - match.start()),
                _PRIORITY[form],
                match.end(),
                number,
                form,
            )
            for number, form, pattern in _matchers(canaries)
            for match in pattern.finditer(text)
        )
        findings: list[Finding] = []
        covered = -1
        for start, _, _, end, number, form in hits:
            if start < covered:
                continue  # the same leak, already reported in another form
            covered = end
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="canary-leak",
                    score=1.0 if form == "verbatim" else 0.9,
                    explanation=f"canary token #{number} from the system prompt appears "
                    f"in the answer ({form})",
                    sensitivity=Sensitivity.RESTRICTED,
                )
            )
        return findings
