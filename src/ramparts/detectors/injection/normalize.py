"""Cheap Unicode normalisation: what the scorer should see, and what was hidden.

Attackers hide instructions from humans (zero-width and tag characters) and from
keyword filters (full-width letters, Cyrillic look-alikes, leetspeak). This module
turns text into a plain, lower-case scoring view and records each trick it undid,
so the detector can both score the real content and report the trick itself.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Characters that render as nothing. ZWJ/ZWNJ are handled apart: emoji sequences
# and Indic/Persian scripts need them, so they only count next to ASCII letters.
_INVISIBLE = frozenset(
    "\u200b\u2060\u2061\u2062\u2063\u2064\u180e\u00ad\u034f\u115f\u1160\u3164\uffa0"
)
# Bidi controls reorder what a reviewer sees ("Trojan Source").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HIDDEN = re.compile(
    "["
    + "".join(sorted(_INVISIBLE | _BIDI))
    + "\U000e0000-\U000e007f]"
    + "|(?<=[A-Za-z0-9])[\u200c\u200d]|[\u200c\u200d](?=[A-Za-z0-9])|(?<=.)\ufeff",
    re.DOTALL,
)
_MAYBE_HIDDEN = re.compile(
    "[" + "".join(sorted(_INVISIBLE | _BIDI)) + "\u200c\u200d\ufeff\U000e0000-\U000e007f]"
)
_WIDE_OR_MATH = re.compile("[\uff01-\uff5e\U0001d400-\U0001d7ff]")
_VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")
# One pass decides whether the hidden-character and variation-selector steps
# are needed at all (most non-ASCII text has neither).
_MAYBE_SPECIAL = re.compile(_MAYBE_HIDDEN.pattern[:-1] + "\ufe00-\ufe0f\U000e0100-\U000e01ef]")

# Cyrillic and Greek letters that look like ASCII ones (subset of Unicode
# confusables.txt: the ones that matter for keyword evasion).
_CONFUSABLES = str.maketrans(
    "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e\u0440\u0441"
    "\u0442\u0443\u0445\u0455\u0456\u0457\u0458\u0501\u051b\u051d"
    "\u04bb\u0261\u0269\u0251\u03bf\u03b1\u03bd\u03c1\u03c4\u03c5"
    "\u03c7\u03b9\u03ba\u03b5\u03b7\u03bc\u03f2\u03f3\u1d00\u0280"
    "\ua731\u1d1b",
    "abeekmhopctyxsiijdqwhgiaoavptuxikenucjarst",
)
_CONFUSABLE_CHARS = frozenset(chr(c) for c in _CONFUSABLES)
_CONFUSABLE = re.compile("[" + "".join(sorted(_CONFUSABLE_CHARS)) + "]")
_NON_ASCII_WORD = re.compile(r"\w*[^\x00-\x7f]\w*")
_ASCII_LETTER = re.compile("[a-z]")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
# A word with letters and at least one leet character inside it ("1gn0r3", "pr0mpt").
_LEET_WORD = re.compile(
    r"(?<![\w@$])(?=[\w@$]*[a-z])(?=[\w@$]*[013457@$])[a-z013457@$]{3,}(?![\w@$])"
)
# Folded words that make leetspeak worth reporting.
LEET_TRIGGERS = frozenset(
    [
        "ignore",
        "ignoring",
        "disregard",
        "forget",
        "previous",
        "prior",
        "instructions",
        "instruction",
        "rules",
        "system",
        "prompt",
        "password",
        "secret",
        "reveal",
        "bypass",
        "jailbreak",
        "override",
        "admin",
        "developer",
        "mode",
        "unfiltered",
        "uncensored",
        "restrictions",
        "filter",
        "hack",
        "exploit",
        "bomb",
        "weapon",
        "dan",
        "pretend",
    ]
)


@dataclass(slots=True)
class Normalized:
    """The scoring view of a text and the tricks undone to get it."""

    view: str = field(repr=False)
    invisible: list[tuple[int, int]] = field(default_factory=list)
    tag_text: str = field(default="", repr=False)
    bidi: int = 0
    homoglyphs: int = 0
    leet: list[str] = field(default_factory=list, repr=False)
    width_folded: bool = False


def _invisible_runs(text: str) -> tuple[list[tuple[int, int]], str, int]:
    """Spans of invisible characters, text smuggled in tag characters, bidi count."""
    runs: list[tuple[int, int]] = []
    tags: list[str] = []
    bidi = 0
    if not _MAYBE_HIDDEN.search(text):
        return runs, "", bidi
    for match in _HIDDEN.finditer(text):
        ch = match.group(0)
        code = ord(ch)
        if 0xE0020 <= code <= 0xE007E:
            tags.append(chr(code - 0xE0000))
        elif ch in _BIDI:
            bidi += 1
        if runs and runs[-1][1] == match.start():
            runs[-1] = (runs[-1][0], match.end())
        else:
            runs.append((match.start(), match.end()))
    return runs, "".join(tags), bidi


def _fold_homoglyphs(view: str) -> tuple[str, int]:
    """Map look-alike letters to ASCII inside words that mix scripts."""
    folded = 0
    if not _CONFUSABLE.search(view):
        return view, folded

    def fold(match: re.Match[str]) -> str:
        nonlocal folded
        word = match.group(0)
        if not _ASCII_LETTER.search(word):
            return word
        lookalikes = len(_CONFUSABLE.findall(word))
        folded += lookalikes
        return word.translate(_CONFUSABLES) if lookalikes else word

    return _NON_ASCII_WORD.sub(fold, view), folded


# A leet character next to a letter. Both branches start with the same class so
# re can skip ahead to leet characters (7x faster than "[a-z][0-9..]|...").
_LEET_HINT = re.compile(r"[013457@$](?<=[a-z].)|[013457@$](?=[a-z])")


_WORD_END = re.compile(r"[\w@$]*")
_WORD_CHAR = re.compile(r"[\w@$]")


def _is_word_char(ch: str) -> bool:
    return _WORD_CHAR.match(ch) is not None


def _fold_leet(view: str) -> tuple[str, list[str]]:
    """Fold leet words; only the words around a hint are examined (a full
    ``_LEET_WORD.sub`` costs ~10 us per KB, most of the normalisation time)."""
    hits: list[str] = []
    pieces: list[str] = []
    done = 0
    for hint in _LEET_HINT.finditer(view):
        if hint.start() < done:
            continue  # inside a word already examined
        start = hint.start()
        while start > done and _is_word_char(view[start - 1]):
            start -= 1
        tail = _WORD_END.match(view, hint.start())
        end = tail.end() if tail else hint.end()
        word = _LEET_WORD.fullmatch(view, start, end)
        if word:
            plain = word.group(0).translate(_LEET)
            if plain in LEET_TRIGGERS:
                hits.append(plain)
            pieces += (view[done:start], plain)
        else:
            pieces.append(view[done:end])
        done = end
    if not pieces:
        return view, hits
    pieces.append(view[done:])
    return "".join(pieces), hits


def normalize(text: str) -> Normalized:
    """Build the lower-case scoring view of ``text``; cheap for plain ASCII."""
    if text.isascii():
        view, leet = _fold_leet(text.lower())
        return Normalized(view=view, leet=leet)
    special = _MAYBE_SPECIAL.search(text) is not None
    runs, tag_text, bidi = _invisible_runs(text) if special else ([], "", 0)
    visible = "".join(text[a:b] for a, b in _gaps(runs, len(text))) if runs else text
    nfkc = unicodedata.normalize("NFKC", _VARIATION.sub("", visible) if special else visible)
    width_folded = nfkc != visible and _WIDE_OR_MATH.search(visible) is not None
    view, homoglyphs = _fold_homoglyphs(nfkc.lower())
    view, leet = _fold_leet(view)
    if tag_text:
        view = f"{view}\n{tag_text.lower()}"
    return Normalized(
        view=view,
        invisible=runs,
        tag_text=tag_text,
        bidi=bidi,
        homoglyphs=homoglyphs,
        leet=leet,
        width_folded=width_folded,
    )


def _gaps(runs: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The complement of ``runs`` in ``[0, length)``."""
    gaps: list[tuple[int, int]] = []
    pos = 0
    for start, end in runs:
        if start > pos:
            gaps.append((pos, start))
        pos = end
    if pos < length:
        gaps.append((pos, length))
    return gaps
