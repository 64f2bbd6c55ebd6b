"""IBANs, validated with python-stdnum (country format and mod-97 checksum)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator

from stdnum import iban

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii._anchors import digit_count, digit_starts

# Groups split by spaces or dashes ("DE89-3704-0044-..."), as stdnum's compact() allows.
_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,30}+", re.ASCII)
_SEPARATORS = str.maketrans("", "", " -")


# stdnum's mod-97 step reads each letter as its base-36 value written in decimal.
_BASE36 = str.maketrans({letter: str(int(letter, 36)) for letter in string.ascii_uppercase})


def _checksum_holds(value: str) -> bool:
    """stdnum's mod-97 check, done in C: a value failing it is no IBAN.

    ``value`` is part of a candidate (ASCII letters, digits, spaces and dashes),
    which stdnum compacts to the same separator-free upper-case string read here.
    """
    number = value.translate(_SEPARATORS).upper()
    return int((number[4:] + number[:4]).translate(_BASE36)) % 97 == 1


def _longest_valid(text: str, start: int, end: int) -> int | None:
    """End of the longest valid IBAN starting at ``start``, trimming trailing words."""
    while end - start >= 15:
        value = text[start:end]
        # Most candidates and trims fail the checksum; stdnum's full check is dearer.
        if _checksum_holds(value) and iban.is_valid(value):
            return end
        cut = max(value.rfind(" "), value.rfind("-"))
        if cut < 0:
            return None
        end = start + cut
    return None


def _candidates(text: str) -> Iterator[re.Match[str]]:
    """Candidates start two ASCII letters before a digit run ("DE89 3704...")."""
    if digit_count(text) < 4:
        return
    pos = 0
    match_at = _CANDIDATE.match
    for start in digit_starts(text):
        country = start - 2
        if country >= pos and text[country:start].isalpha() and text[country:start].isascii():
            match = match_at(text, country)
            if match:
                pos = match.end()
                yield match


class IbanDetector(Detector):
    name = "iban"
    option_specs = NO_OPTIONS
    kinds = ("iban",)
    description = "International bank account numbers (IBAN) with a valid checksum."
    # The start of a candidate: enough to gate, and much cheaper to scan for than all
    # fifteen characters (Hyperscan finds no literal to anchor either on).
    triggers = (r"[A-Za-z]{2}[0-9]{2}[ \-]?[A-Za-z0-9]",)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for match in _candidates(text):
            end = _longest_valid(text, match.start(), match.end())
            if end is None:
                continue
            findings.append(
                self.finding(
                    context,
                    text,
                    match.start(),
                    end,
                    kind="iban",
                    score=1.0,
                    explanation="IBAN country format and mod-97 checksum valid",
                    sensitivity=Sensitivity.RESTRICTED,
                )
            )
        return findings
