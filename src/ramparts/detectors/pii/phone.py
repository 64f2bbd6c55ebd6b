"""Telephone numbers, validated with ``phonenumbers`` where the shape allows.

Candidates come from one linear regex (possessive digit groups and mandatory
separators, so a long digit run has a single parse); ``phonenumbers`` then
decides how sure we are. Digit runs that look like dates or IP addresses are
left to their own detectors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii._anchors import anchored, cluster_trigger
from ramparts.detectors.pii._context import (
    ESCAPED_BREAK,
    context_before,
    digits_only,
    has_context,
    words_pattern,
)
from ramparts.detectors.pii._phone_validity import valid_international, valid_with_regions

_CANDIDATE = re.compile(
    rf"(?:{ESCAPED_BREAK}|(?<![^\W_])(?<![+.\-/:]))"
    r"(?=(?:[ .\-()+]{0,3}\d){6})"  # at least six digits close together, or not a phone
    r"(?:\+\d{1,3}[ .\-]?|00\d{1,3}[ .\-])?"
    r"(?:\(\d{1,5}+\)[ .\-]?)?"
    r"\d++(?:(?:[ .\-]|\)\s?|\s?\()\d++){0,7}+\)?"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6}+)?"
    r"(?![^\W_]|:|[\-.]\d)"
)
_DATE_LIKE = re.compile(r"^\d{4}[.\-]\d{1,2}[.\-]\d{1,2}(?:$| )|^\d{1,2}[.\-]\d{1,2}[.\-]\d{2,4}$")
_DECIMAL = re.compile(r"^\d{1,3}\.\d+$")  # 0.0390508 is a number, not a phone
_IPV4_LIKE = re.compile(r"^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d+$")
_CONTEXT = words_pattern(
    "phone", "call", "tel", "telephone", "mobile", "cell", "fax", "number", "reach",
    "contact", "text me", "whatsapp", "dial", "ring", "landline", "hotline", "sms",
)  # fmt: skip
# Words that say a number is something else, when they come just before it.
_NOT_PHONE = words_pattern(
    "license", "licence", "zip", "postal", "postcode", "account", "order", "invoice",
    "passport", "ssn", "social security", "id", "reference", "ref", "tracking", "serial",
    "iban", "card", "routing", "swift", "bsn", "tax",
)  # fmt: skip
# A weak candidate followed by a capitalised word or a street keyword is an address.
_STREET_AFTER = re.compile(
    r"[ \t]+(?:(?-i:[^\W\d_a-z])[^\W\d_]+|rue|via|calle|rua|ul\.|str\.)", re.IGNORECASE
)
_REGIONS = ("US", "GB", "DE", "FR")
_SEPARATORS = frozenset(" .-()")


def phone_score(candidate: str, context_check: Callable[[], bool]) -> float:
    """How likely a phone-shaped candidate is a phone number (0 when it is not one)."""
    # Every extension spelling holds an "x": without one there is nothing to cut.
    core = _EXTENSION.sub("", candidate) if "x" in candidate else candidate
    digits = digits_only(core)
    if not 6 <= len(digits) <= 15 or _DATE_LIKE.match(core) or _IPV4_LIKE.match(core):
        return 0.0
    if _DECIMAL.match(core):
        return 0.0
    # The context window is looked at only where the score depends on it: most
    # valid numbers score the same with or without a phone word nearby.
    if core.startswith(("+", "00")):  # international
        if valid_international(core):
            return 0.95
        return 0.7 if context_check() else 0.5
    in_context: bool | None = None
    if _SEPARATORS.isdisjoint(core):  # one bare run of digits needs a phone word
        in_context = context_check()
        if not in_context:
            return 0.0
    if len(digits) >= 9 and valid_with_regions(core, _REGIONS):
        return 0.85  # separated, or in context
    if in_context is None:
        in_context = context_check()
    if in_context:
        return 0.7
    return 0.55 if len(digits) >= 7 else 0.4


class PhoneDetector(Detector):
    name = "phone"
    option_specs = NO_OPTIONS
    kinds = ("phone",)
    description = "Telephone numbers in international and common national formats."
    triggers = (cluster_trigger(6),)  # candidates need six digits in one cluster

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for match in anchored(_CANDIDATE, text, back="+(", min_digits=6, clustered=True):
            start, end = match.span()
            if _NOT_PHONE.search(context_before(text, start, 28)):
                continue
            score = phone_score(match.group(), partial(has_context, text, start, end, _CONTEXT))
            if score < 0.7 and _STREET_AFTER.match(text, end):
                continue  # "7732 113 Ane Habib Street": house numbers, not a phone
            if score > 0:
                findings.append(
                    self.finding(
                        context,
                        text,
                        start,
                        end,
                        kind="phone",
                        score=score,
                        explanation="phone-shaped number"
                        + (" valid per phonenumbers" if score >= 0.85 else ""),
                        sensitivity=Sensitivity.CONFIDENTIAL,
                    )
                )
        return findings
