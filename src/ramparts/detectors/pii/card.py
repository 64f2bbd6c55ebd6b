"""Payment card numbers: issuer prefix and length, then the Luhn checksum."""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import luhn

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii._anchors import anchored, slash_led
from ramparts.detectors.pii._context import (
    ESCAPED_BREAK,
    digits_only,
    has_context,
    words_pattern,
)

# Groups of four joined by one dot or slash throughout ("4111.1111.1111.1111"; Amex and
# Diners 4-6-5 and 4-6-4). Not any dot or slash between digits: decimals would pass.
_GROUPS = (
    r"\d{{4}}{0}(?:\d{{4}}{0}\d{{4}}{0}\d{{4}}(?:{0}\d{{3}})?|\d{{6}}{0}\d{{4,5}})(?![./\-]\d)"
)
_DOTTED = _GROUPS.format(r"\.")
# Boundaries: no letter or digit either side; "_" (markdown emphasis) is no letter.
_CANDIDATE = re.compile(
    rf"(?:{ESCAPED_BREAK}|(?<![^\W_])(?<![.\-]))"
    rf"(?:{_DOTTED}|\d(?:[ \-]?\d){{11,18}}+(?![.\-]\d))(?![^\W_])"
)
# Slashes do not join digit clusters (dates): tried where a slash follows four digits.
_SLASHED = re.compile(rf"(?<![^\W_])(?<![.\-/]){_GROUPS.format('/')}(?![^\W_])")
_CONTEXT = words_pattern(
    "card", "credit", "debit", "visa", "mastercard", "amex", "cc", "pan", "cvv", "expiry",
    "payment", "billing", "charge",
)  # fmt: skip

# (issuer, prefixes as (low, high) over the first N digits, allowed lengths)
_ISSUERS: tuple[tuple[str, tuple[tuple[int, int, int], ...], frozenset[int]], ...] = (
    ("amex", ((34, 34, 2), (37, 37, 2)), frozenset({15})),
    ("visa", ((4, 4, 1),), frozenset({13, 16, 19})),
    ("mastercard", ((51, 55, 2), (2221, 2720, 4)), frozenset({16})),
    ("discover", ((6011, 6011, 4), (644, 649, 3), (65, 65, 2)), frozenset({16, 17, 18, 19})),
    ("jcb", ((3500, 3599, 4),), frozenset({16, 17, 18, 19})),
    ("jcb", ((1800, 1800, 4), (2131, 2131, 4)), frozenset({15})),
    ("diners", ((300, 305, 3), (36, 36, 2), (38, 39, 2)), frozenset({14, 15, 16, 17, 18, 19})),
    ("unionpay", ((62, 62, 2),), frozenset({16, 17, 18, 19})),
    ("maestro", ((50, 50, 2), (56, 69, 2)), frozenset({12, 13, 14, 15, 16, 17, 18, 19})),
)


# Luhn doubles every second digit from the right; this is the digit sum of each double.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    """``stdnum.luhn.is_valid(digits)``, without its per-digit alphabet lookups."""
    if not digits.isascii() or not digits.isdigit():
        return bool(luhn.is_valid(digits))  # other scripts' digits: stdnum decides
    total = sum(map(int, digits[::-2])) + sum(map(_DOUBLED.__getitem__, map(int, digits[-2::-2])))
    return total % 10 == 0


def card_issuer(digits: str) -> str | None:
    """The issuer whose prefix range and length fit ``digits``, if any."""
    for issuer, ranges, lengths in _ISSUERS:
        if len(digits) not in lengths:
            continue
        for low, high, width in ranges:
            if low <= int(digits[:width]) <= high:
                return issuer
    return None


def _candidates(text: str) -> Iterator[re.Match[str]]:
    yield from anchored(_CANDIDATE, text, min_digits=12, clustered=True)
    yield from slash_led(_SLASHED, text, 4)


class PaymentCardDetector(Detector):
    name = "payment_card"
    option_specs = NO_OPTIONS
    kinds = ("payment_card",)
    description = "Payment card numbers (issuer ranges and Luhn checksum)."
    triggers = (r"[0-9](?:[ .\-/]?[0-9]){11}",)  # the first twelve digits of a candidate

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for match in _candidates(text):
            digits = digits_only(match.group())
            issuer = card_issuer(digits)
            if issuer is None or not luhn_valid(digits):
                continue
            start, end = match.span()
            score = 1.0 if has_context(text, start, end, _CONTEXT) else 0.9
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="payment_card",
                    score=score,
                    explanation=f"{issuer} number range and length, Luhn checksum valid",
                    sensitivity=Sensitivity.RESTRICTED,
                )
            )
        return findings
