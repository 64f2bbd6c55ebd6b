"""Places: countries, regions, US states and cities of 15,000+ people (GeoNames).

A capitalised run is looked up in the gazetteer, longest place first. What else
a place word is decides how much context it needs: a country or region is a
place anywhere; a city that is also an ordinary word ("Reading", "Split"), a
person's name ("Dixon", "Linda") or written in capitals needs a place cue
before it ("in", "moved to"); a place inside a longer name ("Tokyo Cosmos
Electric", "European Union", "Jordan Peterson") is no place. After a strong
cue ("grew up in", "based in") an unknown capitalised name is a place too, and
all-lower-case text is read for known places after cues.
"""

from __future__ import annotations

import functools
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._location_context import (
    BEFORE_OK,
    NAME_STOP_WORDS,
    PLACE_PREPOSITIONS,
    Tables,
    fold_accents,
    next_word_ok,
    org_follows,
    strong_cue,
    tables,
    weak_cue,
)
from ramparts.detectors.pii._tokens import capitalized_runs

_MAX_WORDS = 4
# The short cues that say place before a first name ("in Florence"; not "to Linda").
_NAME_CUES = frozenset(("in", "from", "near"))
# The word before a run ends with one of these whenever a strong cue precedes
# it: one C-level test skips the cue regex for almost every run.
_CUE_TAILS = (
    " in ", " to ", "from ", " at ", " of ", ": ", ":", "visit ", "visited ", "visiting ",
    "toured ", "touring ", "hometown ", " city ", " town ", "country ",
)  # fmt: skip
# A lower-case place after a cue ("i live in berlin"), in all-lower-case text.
_LOWER_CANDIDATE = re.compile(
    r"(?<![^\W\d_])(?:in|from|to|at|near|visit(?:ed|ing)?|where:)[ \t]+"
    r"([^\W\d_]+(?:[ \-][^\W\d_]+){0,3})"
)


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
    option_specs = NO_OPTIONS
    kinds = ("location",)
    description = "Countries, regions and cities from a GeoNames-derived gazetteer, with context."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        table = tables()
        one_word, lengths = table.one_word, table.lengths
        for run in capitalized_runs(text):
            start, end = run[0]
            if len(run) == 1:
                # Most runs are one word: one lookup decides.
                folded = text[start:end].casefold()
                if folded in one_word:
                    self._judge(findings, context, text, table, start, end, "")
                elif text.endswith(_CUE_TAILS, start - 10 if start > 10 else 0, start):
                    self._after_strong_cue(findings, context, text, run)
                continue
            for first, (word_start, word_end) in enumerate(run):
                folded = text[word_start:word_end].casefold()
                if folded in lengths:
                    self._scan_run(findings, context, text, table, run, first)
                    break
            else:  # the usual case: no place starts with any word of the run
                if text.endswith(_CUE_TAILS, start - 10 if start > 10 else 0, start):
                    self._after_strong_cue(findings, context, text, run)
        if text.islower():
            findings.extend(self._lower_case(context, text, table))
        return findings

    def _scan_run(
        self,
        findings: list[Finding],
        context: ScanContext,
        text: str,
        table: Tables,
        run: tuple[tuple[int, int], ...],
        index: int,
    ) -> None:
        """The places in a run of several words, the first starting at word ``index``."""
        places, lengths = table.places, table.lengths
        spans: list[tuple[int, int]] = []  # word indexes [first, last)
        count = len(run)
        while index < count:
            start, word_end = run[index]
            folded = text[start:word_end].casefold()
            longest = lengths.get(folded, 0)
            if not longest:
                index += 1
                continue
            # Longest place name that starts at this word wins ("New York City").
            for size in range(min(longest, _MAX_WORDS, count - index), 0, -1):
                name = " ".join(text[start : run[index + size - 1][1]].split()).casefold()
                if name in places:
                    spans.append((index, index + size))
                    index += size
                    break
            else:
                index += 1
        run_start = run[0][0]
        if not spans:
            if text.endswith(_CUE_TAILS, max(0, run_start - 10), run_start):
                self._after_strong_cue(findings, context, text, run)
            return
        # "Tokyo Cosmos Electric Co.", "Mango Transit": part of an organisation's name.
        if _names_an_organisation(text, run) or org_follows(text, run[-1][1]):
            return
        # "Where: Upton Scudamore Country Club": the name the cue points at.
        if (
            spans[0][0] > 0
            and text.endswith(_CUE_TAILS, max(0, run_start - 10), run_start)
            and self._after_strong_cue(findings, context, text, run[: spans[0][0]])
        ):
            return
        previous_end = -1
        for number, (first, last) in enumerate(spans):
            if first > 0 and first != previous_end:
                before = text[run[first - 1][0] : run[first - 1][1]].lower()
                if before not in BEFORE_OK:
                    previous_end = last
                    continue  # "European Union", "Emma Terrace", "Erzebet Budai"
            previous_end = last
            if last < count and (number + 1 == len(spans) or spans[number + 1][0] != last):
                word_start, word_end = run[last]
                if not next_word_ok(text[word_start:word_end]):
                    continue  # "Tokyo Cosmos", "Jordan Peterson", "Mission Statement"
            start, end = run[first][0], run[last - 1][1]
            shape = "multi" if last - first > 1 else ""
            self._judge(findings, context, text, table, start, end, shape)

    def _judge(
        self,
        findings: list[Finding],
        context: ScanContext,
        text: str,
        table: Tables,
        start: int,
        end: int,
        shape: str,
    ) -> None:
        """Add the place at ``start:end`` if what it also is and its cue allow."""
        word = text[start:end]
        folded = " ".join(word.split()).casefold() if shape else word.casefold()
        cue = weak_cue(text, start)
        if folded in table.regions:
            self._add(findings, context, text, start, end, 0.8 if cue else 0.7, cue)
            return
        if shape != "multi":
            if len(word) > 1 and word.isupper() and not text.isupper():
                if cue not in PLACE_PREPOSITIONS and not strong_cue(text, start):
                    return  # "LENS", "TIME": an acronym or a heading as often as a place
            elif folded in table.ordinary:
                # "in Normal mode", "to Manage": a word; "moved to Reading", "in Split,": a place
                near = cue in PLACE_PREPOSITIONS and not _word_follows(text, end)
                if not (near or strong_cue(text, start)):
                    return
                cue = cue or "strong"
            elif folded not in table.well_known:
                if word in table.first_names:
                    # "said Felix to Linda": only "in", "from" or a strong cue say place
                    if cue not in _NAME_CUES and not strong_cue(text, start):
                        return
                    cue = cue or "strong"
                elif word in table.last_names and not cue:
                    return  # "Morrison, Rogers and Torres"
        self._add(findings, context, text, start, end, 0.75 if cue else 0.55, cue)

    def _after_strong_cue(
        self,
        findings: list[Finding],
        context: ScanContext,
        text: str,
        run: tuple[tuple[int, int], ...],
    ) -> bool:
        """A name not in the gazetteer right after a strong place cue ("grew up in Remniku")."""
        start, first_end = run[0]
        if text[start:first_end].lower() in NAME_STOP_WORDS or not strong_cue(text, start):
            return False  # "in The", "of America": most runs after a short cue fail here
        end = 0
        for word_start, word_end in run[:_MAX_WORDS]:
            word = text[word_start:word_end]
            lowered = word.lower().rstrip(".")
            if lowered in NAME_STOP_WORDS or (word.isupper() and len(word) <= 3):
                break
            end = word_end
        if not end or org_follows(text, run[-1][1]) or _names_an_organisation(text, run):
            return False
        findings.append(self._place(context, text, start, end, 0.7, "a name after a place cue"))
        return True

    def _lower_case(self, context: ScanContext, text: str, table: Tables) -> list[Finding]:
        """Known places after a cue in text written all in lower case ("i live in berlin")."""
        found: list[Finding] = []
        for match in _LOWER_CANDIDATE.finditer(text):
            words = match.group(1).split(" ")
            start = match.start(1)
            strong = strong_cue(text, start)
            for size in range(len(words), 0, -1):
                name = " ".join(words[:size])
                if name not in table.places and fold_accents(name) not in table.places:
                    continue
                if size == 1 and (name in table.ordinary or name in gazetteer.COMMON_WORDS):
                    break  # "in time", "to reading"
                if strong or name in table.regions:
                    end = start + len(name)
                    why = "known place after a place cue"
                    found.append(self._place(context, text, start, end, 0.7, why))
                break
        return found

    def _add(
        self,
        findings: list[Finding],
        context: ScanContext,
        text: str,
        start: int,
        end: int,
        score: float,
        cue: str,
    ) -> None:
        if org_follows(text, end):
            return  # "Tokyo Co.", "Puma, Inc.": a name's first word
        why = "known place name" + (" after a place cue" if cue else "")
        findings.append(self._place(context, text, start, end, score, why))

    def _place(
        self, context: ScanContext, text: str, start: int, end: int, score: float, why: str
    ) -> Finding:
        return self.finding(
            context,
            text,
            start,
            end,
            kind="location",
            score=score,
            explanation=why,
            sensitivity=Sensitivity.INTERNAL,
        )


def _word_follows(text: str, end: int) -> bool:
    """Whether a lower-case word follows (``in Normal mode``): the capitalised word
    before it is then more likely an ordinary word than a place."""
    return text[end : end + 1] == " " and text[end + 1 : end + 2].islower()
