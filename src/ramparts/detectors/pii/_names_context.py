"""Where a candidate name sits: the cue words before it and the layout around it.

Shared by the person-name scoring and its bounds. The words before a name are
read from the cached lower-cased text by index, without slicing or copying.
"""

from __future__ import annotations

import re

from ramparts.detectors.base import lowered_text
from ramparts.detectors.pii import gazetteer

STRONG_CUES = (
    "name is", "name's", "named", "named him", "named her", "call me", "i am", "i'm", "dear",
    "hi", "hello", "hey", "said", "asked", "told", "thanks", "thank you", "signed", "regards",
    "sincerely", "here's", "here is", "married", "met", "calls me", "called me", "starring",
    "featuring", "ask for", "speak to", "spoke to", "talk to", "talked to", "given", "gave",
    "partner's name", "name",
)  # fmt: skip
CUES = (
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
PLACE_CUES = ("in", "at", "near", "visit", "visited", "fly to", "moved to")
# "Brandon lives on...", "Mai is from...": a capitalised word as the subject of a verb.
VERB_AFTER = re.compile(
    r"[ \t]+(?:is|was|has|had|lives|lived|spent|said|says|went|will|would|can|could|wrote"
    r"|told|asked|works|worked|called|likes|loves|wants)\b"
)
TITLE_CUES = tuple(sorted(gazetteer.TITLES))
WINDOW = 24  # characters before a name searched for a title or cue


class Cues:
    """A fixed set of cue words, tested as whole words at the end of a window."""

    __slots__ = ("by_length", "tails", "words")

    def __init__(self, words: tuple[str, ...]) -> None:
        if min(len(word) for word in words) < 2:
            raise ValueError("cue words have two characters or more")
        self.words = words
        # The last two characters of every word: one set lookup rules out most windows.
        self.tails = frozenset(word[-2:] for word in words)
        sizes = sorted({len(word) for word in words})
        self.by_length = tuple(
            (size, frozenset(w for w in words if len(w) == size)) for size in sizes
        )

    def suffix(self, lowered: str, low: int, high: int) -> bool:
        """Whether ``lowered[low:high]`` ends with one of the words, whole or not
        (``endswith``: a superset of :meth:`ends`, for bounds)."""
        return (
            high - low >= 2
            and lowered[high - 2 : high] in self.tails
            and lowered.endswith(self.words, low, high)
        )

    def ends(self, lowered: str, low: int, high: int) -> bool:
        """Whether ``lowered[low:high]`` ends with one of the words as a whole word."""
        if high - low < 2 or lowered[high - 2 : high] not in self.tails:
            return False
        if not lowered.endswith(self.words, low, high):
            return False
        # One slice and set lookup per word length, not one test per word.
        for size, group in self.by_length:
            at = high - size
            if (
                at >= low
                and lowered[at:high] in group
                and (at == low or not lowered[at - 1].isalnum())
            ):
                return True
        return False


def strip_end(lowered: str, low: int, high: int, chars: str) -> int:
    """``high`` moved left past ``chars`` (``rstrip`` of ``lowered[low:high]``)."""
    while high > low and lowered[high - 1] in chars:
        high -= 1
    return high


def window_before(text: str, lowered: str | None, start: int) -> tuple[str, int, int]:
    """The lower-cased 24 characters before ``start`` as ``(string, low, high)``.

    Indices into the cached lower-cased text when its offsets line up with the
    text's (no slice, no copy), else a lower-cased slice of its own.
    """
    low = max(0, start - WINDOW)
    if lowered is not None:
        return lowered, low, start
    before = text[low:start].lower()
    return before, 0, len(before)


def aligned_lower(text: str) -> str | None:
    """The cached lower-cased text, or None when lower-casing moved offsets ("İ")."""
    lowered = lowered_text(text)
    return lowered if len(lowered) == len(text) else None


STRONG = Cues(STRONG_CUES)
WEAK = Cues(CUES)
TITLE = Cues(TITLE_CUES)
PLACE = Cues(PLACE_CUES)


def at_line_start(text: str, start: int) -> bool:
    return start == 0 or text[start - 1] == "\n" or text.endswith(("\\n", "\\t"), 0, start)


def layout_bonus(text: str, start: int, end: int, words: int) -> float:
    """Extra confidence from where the run sits: a line of its own, a speaker label..."""
    line_start = at_line_start(text, start)
    if not line_start and not text.startswith(("'s", "\u2019s"), end):
        return 0.0  # the usual case: inside a line, no possessive
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
