"""Street names with no street word, recognised by the phrase that introduces them.

"Voldi 77", "Joaquin Suarez 2906" or "Pod Floriánem 1677" carry no street type,
and a capitalised word before a number is usually something else ("Windows 10",
"Chapter 5"). Such a name counts as a street only when a locative phrase leads
into it ("lives on", "the corner of", "sent to", "address:") and the house number
closes the clause.
"""

from __future__ import annotations

import re

from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._address_words import PARTICLES

# The phrase must end where the street name starts: only spaces, a line break, a
# leading "the" and one "<name> and" ("taxi to Mónika and Nábřežní 243") between.
# It is matched on the reversed text before the name, anchored where the name
# starts, so a check reads a few characters instead of searching a whole window.
_AT_ON_VERBS = "lives live living resides reside located situated is are office station enter me"
_TO_VERBS = (
    "send sent return returned deliver delivered ship shipped mail mailed forward forwarded taxi"
)


def _reversed_words(words: str) -> str:
    return "|".join(sorted((word[::-1] for word in words.split()), key=len, reverse=True))


_CUE_REVERSED = re.compile(
    # the gap, read backwards: "<name> and", "the", spaces, a line break, a colon
    r"(?:[ \t]+dna[ \t]+[\w'\-]*[^\W\d_])?(?:[ \t]+eht)?[ \t]*+(?:n\\|\n)?[ \t]*+:?[ \t]*+"
    r"(?:(?:\bsi\b|:)[^.\n]{0,60}?\b(?:se)?sserdda\b"  # "address ... is", "address:"
    rf"|\b(?:ta|no)[ \t]+(?:{_reversed_words(_AT_ON_VERBS)})\b"  # "lives on", "is at"
    r"|\bfo[ \t]+(?:renroc|edis)\b"  # "corner of", "side of"
    rf"|\bot\b[^.\n]{{0,30}}?\b(?:{_reversed_words(_TO_VERBS)})\b"  # "send it to"
    r"|\bta[ \t]+pots\b)",  # "stop at"
    re.IGNORECASE,
)


def _cued(text: str, start: int) -> bool:
    """Whether a locative phrase ends just before ``start``."""
    return _CUE_REVERSED.match(text[max(0, start - _WINDOW) : start][::-1]) is not None


# After the number: the end of the text or of the clause. ``CLAUSE_CHARS`` and
# ``CLAUSE_WORDS`` are the characters and words that can start it, for a caller's
# cheap check before the call.
_CLAUSE_END = re.compile(
    r"(?:[,;:!?)\"'\n\]]|\.(?:\s|\Z|\\n)|\\n|[ \t]+(?:and|in|for|or)\b|[ \t]*\n|\Z)"
)
CLAUSE_CHARS = frozenset(",;:!?)\"'\n].\\")
CLAUSE_WORDS = (" and", " in", " for", " or", " \n", "\t")
# Spaces, then a word (on reversed text: the word before them).
_WORD_BACKWARDS = re.compile(r"[ \t]+([\w'\u2019.\-]+)")
_WINDOW = 100
_MAX_WORDS = 4


def cued_street_start(text: str, number_start: int, number_end: int) -> int | None:
    """Start of a capitalised street name that a locative phrase introduces, if any.

    ``number_start``/``number_end`` delimit the house number that ends the name.
    """
    if number_end - number_start > 6 or not _CLAUSE_END.match(text, number_end):
        return None
    # The words before the number, read backwards on the reversed text.
    base = max(0, number_start - _WINDOW - 60)  # the name, then the phrase
    backwards = text[base:number_start][::-1]
    pos = 0
    start: int | None = None  # offset into ``backwards``
    for _ in range(_MAX_WORDS):
        word = _WORD_BACKWARDS.match(backwards, pos)
        if word is None:
            break
        value = word.group(1)[::-1]
        if not value[0].isalpha() or any(char.isdigit() for char in value):
            break
        lowered = value.lower().rstrip(".")
        if value[0].isupper():
            if lowered in gazetteer.COMMON_WORDS:
                break
            start = word.end()
        elif lowered not in PARTICLES:
            break
        pos = word.end()
    if start is None or not _CUE_REVERSED.match(backwards[: start + _WINDOW], start):
        return None
    return number_start - start


# "The restaurant is at 9816 214 Pavlou Drandaki": building number(s), then up to
# four capitalised words (initials allowed) closing the clause.
_NUMBER_LED = re.compile(
    r"\d{1,6}(?:[ \-]\d{1,5})?[ \t]+"
    r"((?:[^\W\d_a-z][^\W\d_]*+(?:[\-'\u2019][^\W\d_]++)*+\.?[ \t]+){0,3}"
    r"[^\W\d_a-z][^\W\d_]*+(?:[\-'\u2019][^\W\d_]++)*+)"
    r"(?=[ \t]*(?:\Z|[,;:!?)\"'\n\]]|\\n|\.(?:\s|\Z)))"
)


def cued_number_led_end(text: str, number_start: int) -> int | None:
    """End of a building number and capitalised street name after a locative phrase."""
    match = _NUMBER_LED.match(text, number_start)
    if match is None or not _cued(text, number_start):
        return None
    for word in match.group(1).split():
        if len(word) == 2 and word.endswith("."):
            continue  # an initial ("M. Sfakianaki")
        lowered = word.rstrip(".").lower()
        if lowered in gazetteer.COMMON_WORDS or (word.isupper() and len(word) in (2, 3)):
            return None  # "at 5 PM", "at 10 The"
    return match.end()
