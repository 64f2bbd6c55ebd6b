"""Places: countries, US states and cities of 15,000+ people (GeoNames)."""

from __future__ import annotations

import functools
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._tokens import capitalized_runs

_PLACE_CUE = re.compile(
    r"(?:\bin|\bat|\bfrom|\bto|\bnear|\bof|\bvisit(?:ed|ing)?|\bmoved|\blive|\blives)\s*$"
)
_MAX_WORDS = 4


@functools.cache
def _one_word_places() -> frozenset[str]:
    """The places that are one word ("paris"), case-folded: built once from the
    gazetteer, so it holds no prompt word."""
    return frozenset(first for first in gazetteer.place_lengths() if first in gazetteer.places())


# Words that make a capitalised run an organisation, whose place words ("Tokyo",
# "India") are then part of its name. Geographic words ("Falls", "Islands") are not here.
_ORGANISATION_TEXT = """
    company corp co inc ltd llc plc corporation group holdings limited sa ag gmbh bv nv
    partners associates bank trust foundation institute university college agency
    authority department ministry council committee times news magazine journal records
    studios media airlines hotel hospital clinic laboratories labs systems technologies
    solutions services industries enterprises incorporated transit orchestra consulting
    research insights analytics ventures software productions pictures motors energy
    pharmaceuticals therapeutics networks communications investments investors fund
    properties realty logistics consultants
"""
_ORGANISATION_WORDS = frozenset(_ORGANISATION_TEXT.split())


def _names_an_organisation(text: str, run: tuple[tuple[int, int], ...]) -> bool:
    return any(text[start:end].lower().rstrip(".") in _ORGANISATION_WORDS for start, end in run)


class LocationDetector(Detector):
    name = "location"
    kinds = ("location",)
    description = "Countries, states and cities from a GeoNames-derived gazetteer."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        places, lengths = gazetteer.places(), gazetteer.place_lengths()
        one_word = _one_word_places()
        for run in capitalized_runs(text):
            if len(run) == 1:
                # Most runs are one word: one lookup decides.
                start, end = run[0]
                if text[start:end].casefold() in one_word:
                    findings.append(self._place(context, text, start, end))
                continue
            spans: list[tuple[int, int]] = []
            index, count = 0, len(run)
            while index < count:
                start, word_end = run[index]
                longest = lengths.get(text[start:word_end].casefold(), 0)
                if not longest:
                    index += 1  # the usual case: no place starts with this word
                    continue
                # Longest place name that starts at this word wins ("New York City").
                for size in range(min(longest, _MAX_WORDS, count - index), 0, -1):
                    end = run[index + size - 1][1]
                    if " ".join(text[start:end].split()).casefold() in places:
                        spans.append((start, end))
                        index += size
                        break
                else:
                    index += 1
            # "Tokyo Cosmos Electric Co.", "Mango Transit": part of an organisation's name
            # (tested before building the findings, which it would discard).
            if spans and not _names_an_organisation(text, run):
                findings.extend(self._place(context, text, start, end) for start, end in spans)
        return findings

    def _place(self, context: ScanContext, text: str, start: int, end: int) -> Finding:
        cued = _PLACE_CUE.search(text[max(0, start - 16) : start].lower()) is not None
        return self.finding(
            context,
            text,
            start,
            end,
            kind="location",
            score=0.75 if cued else 0.55,
            explanation="known place name" + (" after a place cue" if cued else ""),
            sensitivity=Sensitivity.INTERNAL,
        )
