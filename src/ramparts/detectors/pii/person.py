"""Person names from gazetteers plus context, with no model download.

A run of capitalised words is scored by what its words are (census first
names, surnames, unknown capitalised words) and by what comes before it
(titles such as 'Dr.', cues such as 'my name is').
"""

from __future__ import annotations

import functools
import re

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._tokens import capitalized_runs

_STRONG_CUES = (
    "name is", "name's", "named", "named him", "named her", "call me", "i am", "i'm", "dear",
    "hi", "hello", "hey", "said", "asked", "told", "thanks", "thank you", "signed", "regards",
    "sincerely", "here's", "here is", "married", "met", "calls me", "called me", "starring",
    "featuring", "ask for", "speak to", "spoke to", "talk to", "talked to", "given", "gave",
    "partner's name",
)  # fmt: skip
_CUES = (
    "this is",
    "from",
    "by",
    "contact",
    "ask",
    "call",
    "email",
    "with",
    "cc",
    "to",
    "and",
    "for",
)
_PLACE_CUES = ("in", "at", "near", "visit", "visited", "fly to", "moved to")
_STREET_ENDINGS = (
    "strasse", "straße", "straat", "laan", "gatan", "katu", "vej", "veien", "weg", "plaats",
    "plads", "gade", "väg", "vägen", "torget", "utca", "platz", "plein", "gasse",
)  # fmt: skip
# Surname endings across European languages; a capitalised unknown word with one
# (or with non-ASCII letters) counts as a surname.
_SURNAME_ENDINGS = (
    "sson", "dóttir", "dottir", "sen", "ová", "ski", "ska", "sky", "cki", "cka", "ović", "ovic",
    "vić", "enko", "escu", "opoulos", "akis", "idis", "stein", "berg", "mann", "ström", "qvist",
    "shvili", "adze", "yan", "ian", "ova", "eva", "ov", "ev", "ez", "elli", "etti",
)  # fmt: skip
_AMBIGUOUS_NAMES_TEXT = (
    "mark bill will grant rich joy hope grace faith art dawn summer june april may august chase"
    " guy page rose ray bell major sunny young king white black green brown long hall price"
    " love early day church west north south east lane wood house moon star rain storm"
)
_AMBIGUOUS_NAMES = frozenset(_AMBIGUOUS_NAMES_TEXT.split())
# "Brandon lives on...", "Mai is from...": a capitalised word as the subject of a verb.
_VERB_AFTER = re.compile(
    r"[ \t]+(?:is|was|has|had|lives|lived|spent|said|says|went|will|would|can|could|wrote"
    r"|told|asked|works|worked|called|likes|loves|wants)\b"
)
_NUMBER_AFTER = re.compile(r"[ \t]+\d")
_LOWER_CUED = re.compile(
    r"(?:my name is|call me|calls me|said|told|named|dear|hello|hi|mr\.?|mrs\.?|ms\.?|dr\.?"
    r"|with|to|and) (?P<name>[a-z][a-z'\-]{1,20}(?: [a-z][a-z'\-]{1,20})?)\b"
)
_TITLE_CUES = tuple(sorted(gazetteer.TITLES))
_MIN_SCORE = 0.3


@functools.lru_cache(maxsize=65536)
def _word_class(word: str) -> str:
    if word.lower() in gazetteer.COMMON_WORDS:
        return "common"
    if word.isupper() and len(word) > 1:
        return "caps"  # an all-caps word is an acronym or a heading more often than a name
    if word in gazetteer.first_names() or word.capitalize() in gazetteer.first_names():
        return "first"
    if word in gazetteer.last_names() or word.capitalize() in gazetteer.last_names():
        return "last"
    if word.isupper() and len(word) > 1:
        return "caps"  # an all-caps word is an acronym or a heading more often than a name
    if len(word) > 3 and (word.lower().endswith(_SURNAME_ENDINGS) or not word.isascii()):
        return "last"  # "Szöllösy", "Kowalska", "Sigurmundsson": shaped like a surname
    return "unknown"


def ends_with_word(before: str, words: tuple[str, ...]) -> bool:
    """Whether ``before`` ends with one of ``words`` as a whole word."""
    if not before.endswith(words):
        return False
    return any(
        before.endswith(word) and (len(before) == len(word) or not before[-len(word) - 1].isalnum())
        for word in words
    )


def layout_bonus(text: str, start: int, end: int, words: int) -> float:
    """Extra confidence from where the run sits: a line of its own, a speaker label..."""
    line_start = start == 0 or text[start - 1] == "\n" or text.endswith(("\\n", "\\t"), 0, start)
    after = text[end : end + 3]
    if line_start and after.startswith(":"):
        return 0.35  # "Karel: What a wife."
    if line_start and words >= 2 and (after[:1] in ("\n", "") or after.startswith("\\n")):
        return 0.35  # a name on its own line: letterheads, signatures, address blocks
    if after.startswith(("'s", "\u2019s")):
        return 0.1  # "Matej Jurković's killers"
    if line_start and after.startswith(","):
        return 0.2  # "Olle, can I please speak to..."
    return 0.0


def name_score(
    classes: list[str], *, titled: bool, cued: bool, strongly_cued: bool, place_cued: bool
) -> float:
    """Score a run of word classes; the rules are ordered from strongest to weakest."""
    firsts, lasts = classes.count("first"), classes.count("last")
    if "caps" in classes:
        return 0.0
    if len(classes) >= 2:
        score = 0.85 if firsts else 0.55 if lasts else 0.35
    else:
        score = 0.6 if firsts else 0.35 if lasts else 0.15
    if titled:
        score = max(score, 0.9)
    elif strongly_cued:
        score = max(score + 0.15, 0.7)
    elif cued:
        score = min(score + 0.15, 0.9)
    if place_cued:
        score -= 0.25
    return score


def _not_a_person(text: str, words: list[str], end: int) -> bool:
    """Organisations, streets and known places are not people."""
    for word in words:
        lowered = word.lower().rstrip(".")
        if lowered in gazetteer.NOT_PERSON_WORDS or lowered.endswith(_STREET_ENDINGS):
            return True
    if text[end : end + 3].strip().startswith("&"):
        return True  # "H. J. Wilson & Company"
    if _NUMBER_AFTER.match(text, end):
        return True  # "Celso Emilio Ferreiro 23": a street name before a house number
    places = gazetteer.places()
    first = words[0].casefold()
    longest = min(gazetteer.place_lengths().get(first, 0), len(words))
    # "San Giovanni Di Casarsa", "Saint Kitts": the run starts with a known place.
    return any(" ".join(words[:size]).casefold() in places for size in range(longest, 1, -1))


def _resolve_ambiguous(words: list[str], classes: list[str]) -> list[str]:
    """'Mark', 'Grace', 'Brown' are names next to other name-like words, else common words."""
    for index, word in enumerate(words):
        if classes[index] != "common" or word.lower() not in _AMBIGUOUS_NAMES:
            continue
        after = classes[index + 1] if index + 1 < len(words) else "common"
        before = classes[index - 1] if index > 0 else "common"
        if after in ("first", "last", "unknown") and word in gazetteer.first_names():
            classes[index] = "first"  # "Mark Wilson", "Grace Boyle"
        elif before == "first" and word in gazetteer.last_names():
            classes[index] = "last"  # "Chris Brown", "Anna Long"
    return classes


def _segments(classes: list[str]) -> list[tuple[int, int]]:
    """Stretches of a run between common words ("Carry Me Back To Spain" -> Carry, Spain)."""
    segments: list[tuple[int, int]] = []
    start = 0
    for index, word_class in enumerate([*classes, "common"]):
        if word_class == "common":
            if index > start:
                segments.append((start, index))
            start = index + 1
    return segments


def _cued_lowercase_names(text: str) -> list[tuple[int, int, float]]:
    """Lower-case names right after a strong cue ("said petra", "call me owen")."""
    lowered = text.lower()
    if lowered == text or not any(ch.isupper() for ch in text[:200]):
        found = []
        for match in _LOWER_CUED.finditer(lowered):
            words = match.group("name").split()
            names = [w for w in words if w.capitalize() in gazetteer.first_names()]
            if not names or words[0].capitalize() not in gazetteer.first_names():
                continue
            end = match.start("name") + len(words[0])
            if len(words) > 1 and words[1] not in gazetteer.COMMON_WORDS:
                end = match.end("name")
            found.append((match.start("name"), end, 0.7))
        return found
    return []


class PersonNameDetector(Detector):
    name = "person_name"
    kinds = ("person",)
    description = "Person names (census name gazetteers, titles and context cues)."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for run in capitalized_runs(text):
            words = [text[start:end] for start, end in run]
            classes = _resolve_ambiguous(words, [_word_class(word) for word in words])
            for first, last in _segments(classes):
                finding = self._name(context, text, run, words, classes, first, last)
                if finding is not None:
                    findings.append(finding)
        for start, end, score in _cued_lowercase_names(text):
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="person",
                    score=score,
                    explanation="lower-case census first name after a naming cue",
                    sensitivity=Sensitivity.CONFIDENTIAL,
                )
            )
        return findings

    def _name(
        self,
        context: ScanContext,
        text: str,
        run: tuple[tuple[int, int], ...],
        words: list[str],
        classes: list[str],
        first: int,
        last: int,
    ) -> Finding | None:
        """Score words ``first:last`` of a run as a name; None when it is not one."""
        if "caps" in classes[first:last]:
            return None
        titled = first > 0 and words[first - 1].lower().rstrip(".") in gazetteer.TITLES
        start, end = run[first][0], run[last - 1][1]
        before = text[max(0, start - 24) : start].lower()
        cue = before.rstrip(" \t\n,:")
        score = name_score(
            classes[first:last],
            titled=titled or ends_with_word(before.rstrip(" \t.").rstrip("."), _TITLE_CUES),
            cued=ends_with_word(cue, _CUES),
            strongly_cued=ends_with_word(cue, _STRONG_CUES),
            place_cued=ends_with_word(before.rstrip(" \t"), _PLACE_CUES),
        )
        score = round(score + layout_bonus(text, start, end, last - first), 2)
        if _VERB_AFTER.match(text, end):
            score += 0.15
        if last - first == 1 and text[start:end].casefold() in gazetteer.places():
            score -= 0.15  # "France", "Jordan": a place as often as a name
        score = min(round(score, 2), 0.95)
        if score < _MIN_SCORE or _not_a_person(text, words[first : last + 1], end):
            return None
        return self.finding(
            context,
            text,
            start,
            end,
            kind="person",
            score=score,
            explanation="capitalised words matching name gazetteers and context",
            sensitivity=Sensitivity.CONFIDENTIAL,
        )
