"""Tenant dictionaries: project code names, customers, products.

Terms are matched with an Aho-Corasick automaton (pyahocorasick), so the cost
of a scan depends on the text, not on how many terms the tenant lists. Policy::

    tenant_terms:
      case_sensitive: false
      terms:
        project: [Bluebird, Nightjar]
        customer: {terms: [Acme Corp], sensitivity: restricted}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import ahocorasick

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import Custom, Flag, OptionSpec, options_of
from ramparts.errors import DetectorError

_DEFAULT_CATEGORY = "term"


@dataclass(frozen=True)
class _Term:
    category: str
    sensitivity: Sensitivity
    length: int


@dataclass(frozen=True)
class _Dictionary:
    automaton: Any
    case_sensitive: bool


def _category_terms(where: str, value: Any) -> tuple[tuple[str, ...], Sensitivity]:
    sensitivity = Sensitivity.CONFIDENTIAL
    if isinstance(value, Mapping):
        unknown = sorted(map(str, set(value) - {"terms", "sensitivity"}))
        if unknown:
            raise DetectorError(
                f"{where}: unknown key '{unknown[0]}'; a category takes: terms, sensitivity"
            )
        try:
            sensitivity = Sensitivity.parse(str(value.get("sensitivity", "confidential")))
        except ValueError as exc:
            raise DetectorError(f"{where}: {exc}") from None
        value = value.get("terms", [])
    if not isinstance(value, list | tuple) or not all(isinstance(term, str) for term in value):
        raise DetectorError(
            f"{where} must be a list of strings or {{terms: [...], sensitivity: ...}}"
        )
    return tuple(term.strip() for term in value if term.strip()), sensitivity


def check_terms(value: Any, where: str) -> dict[str, tuple[tuple[str, ...], Sensitivity]]:
    """The ``terms`` option as category -> (terms, sensitivity); a plain list is one category."""
    if isinstance(value, list | tuple):
        value = {_DEFAULT_CATEGORY: list(value)}
    if not isinstance(value, Mapping):
        raise DetectorError(f"{where} must map categories to term lists (or list terms)")
    return {
        str(category): _category_terms(f"{where}.{category}", terms)
        for category, terms in value.items()
    }


def build_dictionary(options: Mapping[str, Any]) -> _Dictionary | None:
    """Compile the tenant's term lists (options as checked); None when there are no terms."""
    case_sensitive: bool = options.get("case_sensitive", False)
    automaton = ahocorasick.Automaton()
    categories: dict[str, tuple[tuple[str, ...], Sensitivity]] = options.get("terms", {})
    for category, (terms, sensitivity) in categories.items():
        for term in terms:
            key = term if case_sensitive else term.lower()
            automaton.add_word(key, _Term(category, sensitivity, len(key)))
    if len(automaton) == 0:
        return None
    automaton.make_automaton()
    return _Dictionary(automaton, case_sensitive)


def _lowered(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters grow when lower-cased ('İ'); keep offsets aligned by leaving them.
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)


def _is_word_edge(text: str, index: int) -> bool:
    return index < 0 or index >= len(text) or not text[index].isalnum()


class TenantTermsDetector(Detector):
    name = "tenant_terms"
    kinds = ("tenant_term",)
    description = "Tenant dictionaries (code names, customers, products) via Aho-Corasick."
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "terms": Custom(
            check_terms,
            "a list of terms, or categories mapped to term lists"
            " or {terms: [...], sensitivity: ...}",
        ),
        "case_sensitive": Flag(),
    }

    def __init__(self) -> None:
        self._compiled: dict[int, tuple[Mapping[str, Any], _Dictionary | None]] = {}

    @classmethod
    def check_options(cls, options: Mapping[str, Any]) -> None:
        """Kept for callers of the old hook; the engine checks ``option_specs`` itself."""
        options_of(cls, options, strict=True)

    def _dictionary(self, options: Mapping[str, Any]) -> _Dictionary | None:
        cached = self._compiled.get(id(options))
        if cached is None or cached[0] is not options:
            cached = (options, build_dictionary(options_of(self, options)))
            self._compiled[id(options)] = cached
        return cached[1]

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        dictionary = self._dictionary(context.options)
        if dictionary is None:
            return []
        haystack = text if dictionary.case_sensitive else _lowered(text)
        findings: list[Finding] = []
        for last, term in dictionary.automaton.iter(haystack):
            start, end = last - term.length + 1, last + 1
            if not (_is_word_edge(text, start - 1) and _is_word_edge(text, end)):
                continue
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="tenant_term",
                    score=1.0,
                    explanation=f"tenant dictionary term ({term.category})",
                    sensitivity=term.sensitivity,
                )
            )
        return findings
