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


@functools.lru_cache(maxsize=65536)
def _is_place_word(word: str) -> bool:
    """Whether one capitalised word is a place name on its own ("Paris")."""
    folded = word.casefold()
    return folded in gazetteer.place_lengths() and folded in gazetteer.places()


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
        for run in capitalized_runs(text):
            if len(run) == 1:
                # Most runs are one word: one cached lookup decides.
                start, end = run[0]
                if _is_place_word(text[start:end]):
                    findings.append(self._place(context, text, start, end))
                continue
            found_before = len(findings)
            index = 0
            while index < len(run):
                start = run[index][0]
                longest = lengths.get(text[start : run[index][1]].casefold(), 0)
                # Longest place name that starts at this word wins ("New York City").
                for size in range(min(longest, _MAX_WORDS, len(run) - index), 0, -1):
                    end = run[index + size - 1][1]
                    if " ".join(text[start:end].split()).casefold() in places:
                        findings.append(self._place(context, text, start, end))
                        index += size
                        break
                else:
                    index += 1
            # "Tokyo Cosmos Electric Co.", "Mango Transit": part of an organisation's name.
            if len(findings) > found_before and _names_an_organisation(text, run):
                del findings[found_before:]
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
