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
