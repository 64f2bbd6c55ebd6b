"""Government identifiers: US SSN, UK NINO and common national ID numbers.

Checksums and validity rules come from python-stdnum. Identifiers that are
bare digit runs (and so collide with order numbers, phone numbers...) are only
reported when an identifying word is nearby.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import ModuleType

from stdnum.br import cpf
from stdnum.ca import sin
from stdnum.de import idnr
from stdnum.es import dni
from stdnum.fr import nir
from stdnum.in_ import aadhaar
from stdnum.it import codicefiscale
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.se import personnummer
from stdnum.us import ssn

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity, lowered_text
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii._anchors import (
    anchored,
    cluster_starts,
    cluster_trigger,
    clusters_with,
    digit_count,
    has_run_sequence,
    run_sizes,
    slash_led,
)
from ramparts.detectors.pii._context import contains_word, has_context, words_pattern

# "_" (markdown emphasis) may touch a value; a letter or digit may not. Dots and slashes
# separate too, though rarely, so an SSN so written needs an SSN word nearby.
_SSN = re.compile(
    r"(?<![^\W_])(?<!-)(?<!\d[./])(\d{3})([- ./]?)(\d{2})\2(\d{4})(?![^\W_]|[\-./]\d)"
)
_PLAIN_SEPARATORS = ("-", " ")
_SSN_CONTEXT = words_pattern("ssn", "social security", "social sec", "ss#", "ss #", "taxpayer")
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])"
)
_ID_WORDS = (
    "id", "identity", "national", "citizen", "personal number", "tax", "dni", "nie", "bsn",
    "aadhaar", "sin", "cpf", "pesel", "personnummer", "steuer", "nir", "insee", "codice fiscale",
    "social insurance", "identification",
)  # fmt: skip
_ID_CONTEXT = words_pattern(*_ID_WORDS)


@dataclass(frozen=True)
class _Scheme:
    kind: str
    pattern: re.Pattern[str]
    is_valid: Callable[[str], bool]
    needs_context: bool
    back_by: tuple[int, ...]
    digits: int  # the fewest digits a match holds: fewer in the text, and it cannot be there
    # How long the digit run a match opens with can be: up to the first separator the
    # pattern takes, or all its digits (tests derive these from the patterns).
    first_runs: frozenset[int]


def _scheme(
    kind: str,
    pattern: str,
    module: ModuleType,
    *,
    digits: int,
    needs_context: bool,
    back_by: tuple[int, ...] = (),
    first_runs: tuple[int, ...] = (),
) -> _Scheme:
    # "_" may touch a value ("dni_12345678Z", markdown emphasis), as for SSNs.
    compiled = re.compile(rf"(?<![^\W_])(?<![\-.]){pattern}(?![^\W_]|[\-.]\d)")
    return _Scheme(
        kind, compiled, module.is_valid, needs_context, back_by, digits, frozenset(first_runs)
    )


_SCHEMES = (
    _scheme("es_dni", r"\d{8}-?[A-Za-z]", dni, digits=8, needs_context=False, first_runs=(8,)),
    _scheme("it_fiscal_code", r"[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]", codicefiscale,
            digits=7, needs_context=False, back_by=(6,)),
    _scheme("br_cpf", r"\d{3}\.\d{3}\.\d{3}-\d{2}", cpf, digits=11, needs_context=False,
            first_runs=(3,)),
    _scheme("nl_bsn", r"\d{4}\.?\d{2}\.?\d{3}", bsn, digits=9, needs_context=True,
            first_runs=(4, 6, 9)),
    _scheme("de_tax_id", r"\d{2} ?\d{3} ?\d{3} ?\d{3}", idnr, digits=11, needs_context=True,
            first_runs=(2, 5, 8, 11)),
    _scheme("fr_nir", r"[12] ?\d{2} ?\d{2} ?\d{2} ?\d{3} ?\d{3} ?\d{2}", nir, digits=15,
            needs_context=True, first_runs=(1, 3, 5, 7, 10, 13, 15)),
    _scheme("in_aadhaar", r"[2-9]\d{3} ?\d{4} ?\d{4}", aadhaar, digits=12, needs_context=True,
            first_runs=(4, 8, 12)),
    _scheme("ca_sin", r"\d{3}[ \-]?\d{3}[ \-]?\d{3}", sin, digits=9, needs_context=True,
            first_runs=(3, 6, 9)),
    _scheme("pl_pesel", r"\d{11}", pesel, digits=11, needs_context=True, first_runs=(11,)),
    _scheme("se_personnummer", r"(?:\d{2})?\d{6}[\-+]\d{4}", personnummer, digits=10,
            needs_context=True, first_runs=(6, 8)),
)  # fmt: skip
_LETTERED = tuple(scheme for scheme in _SCHEMES if scheme.back_by)
_CLUSTERED = tuple(scheme for scheme in _SCHEMES if not scheme.back_by)
# A text with fewer digits than every scheme needs holds no identifier (7: the Italian code).
_MIN_DIGITS = min(scheme.digits for scheme in _SCHEMES)
# Every clustered scheme's digits sit in one cluster; the fewest any needs (8: a DNI).
_MIN_CLUSTER_DIGITS = min(scheme.digits for scheme in _CLUSTERED)
# The Italian code's digits: runs of 2, 2 and 3, one letter apart ("RSSMRA85T10A562S").
_LETTERED_RUNS = (2, 2, 3)


def _ssn_candidates(text: str) -> Iterator[re.Match[str]]:
    yield from anchored(_SSN, text, min_digits=9, clustered=True)
    yield from (m for m in slash_led(_SSN, text, 3) if m.group(2) == "/")


class UsSsnDetector(Detector):
    name = "us_ssn"
    option_specs = NO_OPTIONS
    kinds = ("us_ssn",)
    description = "US social security numbers (area/group/serial rules)."
    triggers = (r"[0-9]{3}[\- ./]?[0-9]{2}[\- ./]?[0-9]{4}",)  # _SSN without its boundaries

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for match in _ssn_candidates(text):
            if not ssn.is_valid(match.group(1) + match.group(3) + match.group(4)):
                continue
            start, end = match.span()
            in_context = has_context(text, start, end, _SSN_CONTEXT)
            if match.group(2) not in _PLAIN_SEPARATORS and not in_context:
                continue  # bare, dotted or slashed digits: too common to call without context
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="us_ssn",
                    score=0.95 if in_context else 0.85,
                    explanation="SSN shape with valid area, group and serial"
                    + (" near an SSN keyword" if in_context else ""),
                    sensitivity=Sensitivity.RESTRICTED,
                )
            )
        return findings


class UkNinoDetector(Detector):
    name = "uk_nino"
    option_specs = NO_OPTIONS
    kinds = ("uk_nino",)
    description = "UK National Insurance numbers (HMRC prefix rules)."
    triggers = (r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-D]",)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        return self.match_findings(
            context,
            text,
            anchored(_NINO, text, back_by=(3, 2), min_digits=6, clustered=True),
            kind="uk_nino",
            score=0.85,
            explanation="National Insurance number with an allowed prefix and suffix",
            sensitivity=Sensitivity.RESTRICTED,
        )


class NationalIdDetector(Detector):
    name = "national_id"
    option_specs = NO_OPTIONS
    kinds = tuple(scheme.kind for scheme in _SCHEMES)
    description = "National identity and tax numbers validated with python-stdnum."
    # Eight digits in one cluster (every scheme but one), or the Italian fiscal code's
    # digits (its letters are left out: a trigger led by six letters scans slowly).
    triggers = (
        cluster_trigger(_MIN_CLUSTER_DIGITS),
        r"[0-9]{2}[A-Za-z][0-9]{2}[A-Za-z][0-9]{3}",
    )

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        digits = digit_count(text)
        if digits < _MIN_DIGITS:
            return findings
        # All schemes but the Italian code want their digits in one cluster; the
        # Italian code interleaves letters, so it is tried at every digit run, and
        # only when its runs of digits are there at all.
        enough = digits >= _MIN_CLUSTER_DIGITS and cluster_starts(text, _MIN_CLUSTER_DIGITS)
        clustered = _CLUSTERED if enough else ()
        lettered = _LETTERED if has_run_sequence(text, _LETTERED_RUNS, gap=1) else ()
        schemes = _SCHEMES if clustered and lettered else clustered or lettered
        found = (
            _clustered_matches(text, clusters_with(text, _MIN_CLUSTER_DIGITS)) if clustered else {}
        )
        # Most schemes need an identifying word somewhere in the text. Looking for
        # one costs more than trying the schemes, and most texts with long digit
        # clusters hold no match of those schemes: look only once one matches.
        any_context: bool | None = None
        for scheme in schemes:
            if scheme.needs_context and any_context is False:
                continue
            matches: Iterable[re.Match[str]] | None = found.get(scheme.kind)
            if matches is None:  # the Italian code
                matches = anchored(
                    scheme.pattern, text, back_by=scheme.back_by, min_digits=scheme.digits
                )
            for match in matches:
                if scheme.needs_context and any_context is None:
                    any_context = len(schemes) > 1 and contains_word(lowered_text(text), _ID_WORDS)
                if scheme.needs_context and not any_context:
                    break
                start, end = match.span()
                in_context = has_context(text, start, end, _ID_CONTEXT)
                if scheme.needs_context and not in_context:
                    continue
                if not scheme.is_valid(match.group()):
                    continue
                findings.append(
                    self.finding(
                        context,
                        text,
                        start,
                        end,
                        kind=scheme.kind,
                        score=0.9 if in_context else 0.75,
                        explanation=f"{scheme.kind} format and checksum valid",
                        sensitivity=Sensitivity.RESTRICTED,
                    )
                )
        return findings


def _clustered_matches(
    text: str, clusters: tuple[tuple[int, tuple[int, ...]], ...]
) -> dict[str, list[re.Match[str]]]:
    """Each clustered scheme's matches, as ``anchored(..., clustered=True)`` finds them
    (non-overlapping, tried at the runs of clusters holding its digits), in one walk
    over the clusters instead of one per scheme."""
    found: dict[str, list[re.Match[str]]] = {scheme.kind: [] for scheme in _CLUSTERED}
    ends = dict.fromkeys(found, 0)
    run_size = run_sizes(text)
    for size, members in clusters:
        for scheme in _CLUSTERED:
            if size < scheme.digits:
                continue
            kind = scheme.kind
            match_at = scheme.pattern.match
            first_runs = scheme.first_runs
            pos = ends[kind]
            for start in members:
                # A run of another length cannot open this scheme's value: skip the regex.
                if start >= pos and run_size[start] in first_runs:
                    match = match_at(text, start)
                    if match:
                        pos = match.end()
                        found[kind].append(match)
            ends[kind] = pos
    return found
