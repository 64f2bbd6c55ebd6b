"""Scoring pieces of the person-name detector that run for every candidate word.

Split from ``person`` to keep it short. A one-word run (most capitalised words
in prose: "The", "Linux", "Smith") is bounded and scored in one pass by
:func:`lone_word_score`, reading the cue window and the layout once.
"""

from __future__ import annotations

import re

from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._names_context import (
    PLACE,
    STRONG,
    TITLE,
    VERB_AFTER,
    WEAK,
    WINDOW,
    layout_bonus,
    window_before,
)

# International first names (not in the census list) are a little less telling on their own.
LONE_GIVEN = 0.5
# base_score of one word
LONE_BASE = {"first": 0.6, "given": LONE_GIVEN, "last": 0.35, "unknown": 0.15}

STREET_ENDINGS = (
    "strasse", "straße", "straat", "laan", "gatan", "katu", "vej", "veien", "weg", "plaats",
    "plads", "gade", "väg", "vägen", "torget", "utca", "platz", "plein", "gasse",
)  # fmt: skip
STREET_TAILS = frozenset(ending[-2:] for ending in STREET_ENDINGS)  # a cheap test first
NUMBER_AFTER = re.compile(r"[ \t]+\d")

# The cues' last two characters, tested before calling them: most windows end otherwise.
# (A slice reaching before the window only lets more through to the exact test.)
_STRONG_TAILS, _TITLE_TAILS = STRONG.tails, TITLE.tails
_WEAK_TAILS, _PLACE_TAILS = WEAK.tails, PLACE.tails


def _rounded_score(score: float, layout: float, verb_after: bool, place_word: bool) -> float:
    score = round(score + layout, 2)
    if verb_after:
        score += 0.15
    if place_word:
        score -= 0.15  # "France", "Jordan": a place as often as a name
    return min(round(score, 2), 0.95)


def _final_scores() -> dict[tuple[float, float, bool, bool], float]:
    """``_rounded_score`` of every input the scoring can reach: its scores come from
    a few constants (base scores, cue and layout steps), computed here with the
    scoring's own operations so the keys are the same floats."""
    bases = {*LONE_BASE.values(), 0.85, 0.8, 0.55, 0.35}  # and base_score's pairs
    cued = {step for base in bases for step in (base, max(base, 0.9), max(base + 0.15, 0.7))} | {
        min(base + 0.15, 0.9) for base in bases
    }
    scores = cued | {score - 0.25 for score in cued}  # after a place cue
    return {
        (score, layout, verb_after, place_word): _rounded_score(
            score, layout, verb_after, place_word
        )
        for score in scores
        for layout in (0.0, 0.1, 0.2, 0.35)
        for verb_after in (False, True)
        for place_word in (False, True)
    }


_FINAL_SCORES = _final_scores()


def final_score(score: float, layout: float, verb_after: bool, place_word: bool) -> float:
    """The score after layout, a verb after the name and a place word, rounded; read
    from a table built once (two ``round`` calls cost more), computed if not there."""
    known = _FINAL_SCORES.get((score, layout, verb_after, place_word))
    if known is None:
        return _rounded_score(score, layout, verb_after, place_word)
    return known


def cue_window(text: str, lowered: str | None, start: int) -> tuple[str, int, int, int, int]:
    """``window_before`` as ``(window, low, place_end, title_end, cue_end)``: where a
    place cue, a title and any other cue must end, before the separators each may
    have after it (``"in "``, ``"Dr. "``, ``"said, "``): the window's end moved left
    past " \\t", " \\t." and " \\t\\n,:" (each set holds the first, so the last two
    carry on from the first; usually none moves)."""
    if lowered is None:
        window, low, high = window_before(text, lowered, start)
    else:  # window_before's usual case, without the call
        window, low, high = lowered, (start - WINDOW if start > WINDOW else 0), start
    place = high
    while place > low and window[place - 1] in " \t":
        place -= 1
    title = cue = place
    while title > low and window[title - 1] in " \t.":
        title -= 1
    while cue > low and window[cue - 1] in " \t\n,:":
        cue -= 1
    return window, low, place, title, cue


def place_first(folded: str, word_class: str, person_context: bool) -> bool:
    """Whether one word is a place before a name ("France", "Jordan").

    A census first name that names a town ("Martin", "David") is a person by
    default, and so is one that names a country or state ("Kenya") when a
    verb, a cue or its layout says so.
    """
    if folded not in gazetteer.places():
        return False
    if word_class != "first":
        return True
    return not person_context and folded in gazetteer.regions()


def non_person_word(lowered: str) -> bool:
    """Whether one lower-cased word says organisation or street ("Inc", "Loorenstrasse")."""
    return lowered in gazetteer.NOT_PERSON_WORDS or (
        lowered[-2:] in STREET_TAILS and lowered.endswith(STREET_ENDINGS)
    )


def lone_word_score(
    text: str,
    lowered: str | None,
    start: int,
    end: int,
    word_class: str,
    floor: float,
    *,
    bound: bool = True,
) -> float | None:
    """The score of the one-word run ``text[start:end]`` of class ``word_class``
    ("first", "given", "last" or "unknown"), or None when under ``floor`` or not a person.

    It scores like ``PersonNameDetector._name`` on a one-word run. With ``bound``,
    a bound from above settles first the words that cannot reach ``floor``
    whatever their context, the usual case: a title or strong cue (tested as
    bare suffixes, a superset of whole words) could lift any word, so it gives
    up only when neither is there.
    """
    base = LONE_BASE[word_class]
    window, low, place_end, title_end, cue_end = cue_window(text, lowered, start)
    cue_tail = window[cue_end - 2 : cue_end]
    strong_suffix = cue_tail in _STRONG_TAILS and STRONG.suffix(window, low, cue_end)
    title_suffix = window[title_end - 2 : title_end] in _TITLE_TAILS and TITLE.suffix(
        window, low, title_end
    )
    line_start = start == 0 or text[start - 1] == "\n" or text.endswith(("\\n", "\\t"), 0, start)
    layout_possible = line_start or text.startswith(("'s", "\u2019s"), end)
    if bound and not strong_suffix and not title_suffix:
        if not layout_possible and base + 0.3 < floor - 0.02:
            return None  # even a weak cue and a verb after it leave it short
        weak = cue_tail in _WEAK_TAILS and WEAK.suffix(window, low, cue_end)
        best = min(base + 0.15, 0.9) if weak else base
        verb_after = VERB_AFTER.match(text, end) is not None
        layout = layout_bonus(text, start, end, 1) if layout_possible else 0.0
        if best + (0.15 if verb_after else 0.0) + layout < floor - 0.02:
            return None  # clear of any rounding in the full scoring
        if final_score(best, layout, verb_after, False) < floor:
            return None
    else:
        verb_after = VERB_AFTER.match(text, end) is not None
        layout = layout_bonus(text, start, end, 1) if layout_possible else 0.0
    # A title overrides the cues and a strong cue a weak one (each whole word
    # is a suffix too: no suffix, no cue).
    titled = title_suffix and TITLE.ends(window, low, title_end)
    strongly_cued = not titled and strong_suffix and STRONG.ends(window, low, cue_end)
    if titled:
        score = max(base, 0.9)
    elif strongly_cued:
        score = max(base + 0.15, 0.7)
    elif cue_tail in _WEAK_TAILS and WEAK.ends(window, low, cue_end):
        score = min(base + 0.15, 0.9)
    else:
        score = base
    if window[place_end - 2 : place_end] in _PLACE_TAILS and PLACE.ends(window, low, place_end):
        score -= 0.25  # "in", "at", "near": a place more likely
    word = text[start:end]
    place_word = place_first(
        word.casefold(), word_class, bool(verb_after or layout or strongly_cued)
    )
    score = final_score(score, layout, verb_after, place_word)
    if score < floor or non_person_word(word.lower()):
        return None
    after = text[end : end + 3]
    if "&" in after and after.strip().startswith("&"):
        return None  # "H. J. Wilson & Company"
    if NUMBER_AFTER.match(text, end) is not None:
        return None  # "Ferreiro 23": a street
    return score
