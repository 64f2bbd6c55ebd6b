"""Cheap Unicode normalisation: what the scorer should see, and what was hidden.

Attackers hide instructions from humans (zero-width and tag characters) and from
keyword filters (full-width letters, Cyrillic look-alikes, leetspeak). This module
turns text into a plain, lower-case scoring view and records each trick it undid,
so the detector can both score the real content and report the trick itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
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

_ASCII_BYTES = bytes(range(128))


def _non_ascii(encoded: bytes) -> str:
    """The non-ASCII characters of a UTF-8 text, in order. Deleting the ASCII bytes
    keeps each other character's bytes together, and a class of non-ASCII characters
    then searches ~10 characters instead of ~1000 (0.8 us per KB instead of 6)."""
    return encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


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


# ASCII characters that are not word characters: no _NON_ASCII_WORD match contains
# one, so the text between two of them (a "chunk") is matched on its own.
_ASCII_NON_WORD = frozenset(chr(code) for code in range(128) if not re.match(r"\w", chr(code)))
_CHUNK_REST = re.compile("[^" + re.escape("".join(sorted(_ASCII_NON_WORD))) + "]*")


def _fold_homoglyphs(view: str) -> tuple[str, int]:
    """Map look-alike letters to ASCII inside words that mix scripts.

    The same as ``_NON_ASCII_WORD.sub`` over the whole view with a folding
    callback, but only chunks holding a look-alike are matched (the others come
    out unchanged): the pattern backtracks inside every ASCII word, ~80 us per
    KB, and Greek or Cyrillic names are common in personal data.
    """
    folded = 0
    pieces: list[str] = []
    emitted = scanned = 0  # view[:emitted] is in pieces; chunks before scanned are done
    for lookalike in _CONFUSABLE.finditer(view):
        position = lookalike.start()
        if position < scanned:
            continue  # in the chunk just folded
        start = position
        while start > scanned and view[start - 1] not in _ASCII_NON_WORD:
            start -= 1
        rest = _CHUNK_REST.match(view, position)
        scanned = rest.end() if rest else position + 1
        for match in _NON_ASCII_WORD.finditer(view, start, scanned):
            word = match.group(0)
            if not _ASCII_LETTER.search(word):
                continue
            lookalikes = len(_CONFUSABLE.findall(word))
            folded += lookalikes
            if lookalikes:
                pieces += (view[emitted : match.start()], word.translate(_CONFUSABLES))
                emitted = match.end()
    if not pieces:
        return view, folded
    pieces.append(view[emitted:])
    return "".join(pieces), folded


# A leet character next to a letter. Both branches start with the same class so
# re can skip ahead to leet characters (7x faster than "[a-z][0-9..]|...").
_LEET_HINT = re.compile(r"[013457@$](?<=[a-z].)|[013457@$](?=[a-z])")


_WORD_END = re.compile(r"[\w@$]*")


def _is_word_char(ch: str) -> bool:
    """Whether ``ch`` matches ``[\\w@$]`` (re's \\w is str.isalnum() or "_"; tests
    check every code point): ~4x cheaper than a regex call per character."""
    return ch.isalnum() or ch in "_@$"


def _leet_candidates(view: str, hints: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Spans of the words (runs of ``[\\w@$]``) around each hint position, in order."""
    done = 0
    for position in hints:
        if position < done:
            continue  # inside a word already examined
        start = position
        while start > done and _is_word_char(view[start - 1]):
            start -= 1
        tail = _WORD_END.match(view, position)
        end = tail.end() if tail else position + 1
        yield start, end
        done = end


def _hint_characters(encoded: bytes, masked: bytes) -> Iterator[int]:
    """The character offsets of the ``_LEET_HINT`` matches of a UTF-8 text, found on
    its mask (``_LEET_MASK``): hints are ASCII, so between characters."""
    byte_at = char_at = 0
    for hint in _MASKED_HINT.finditer(masked):
        char_at += len(encoded[byte_at : hint.start()].decode("utf-8", "surrogatepass"))
        byte_at = hint.start()
        yield char_at


def _leet_candidates_ascii(masked: bytes, words: bytes, first: int) -> Iterator[tuple[int, int]]:
    """:func:`_leet_candidates` for an ASCII view, from its masks (bytes are
    characters): ``masked`` from ``_LEET_MASK``, ``words`` from ``_WORD_MASK``. The
    hints come from the bytes regex and the word edges from two byte searches."""
    done = 0
    for hint in _MASKED_HINT.finditer(masked, first):
        if hint.start() < done:
            continue
        start = words.rfind(b" ", done, hint.start()) + 1 or done
        end = words.find(b" ", hint.start())
        if end < 0:
            end = len(words)
        yield start, end
        done = end


def _fold_leet(view: str, first: int = 0) -> tuple[str, list[str]]:
    """Fold leet words; only the words around a hint are examined (a full
    ``_LEET_WORD.sub`` costs ~10 us per KB, most of the normalisation time).

    ``first`` may give a position no hint comes before (see :func:`_first_leet_hint`).
    """
    hints = (hint.start() for hint in _LEET_HINT.finditer(view, first))
    return _fold_words(view, _leet_candidates(view, hints))


def _fold_words(view: str, candidates: Iterable[tuple[int, int]]) -> tuple[str, list[str]]:
    """Replace each candidate word that is a leet word by its letters."""
    hits: list[str] = []
    pieces: list[str] = []
    done = 0
    for start, end in candidates:
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


# The leet gate, on bytes: a lower-case letter becomes "a", a leet character "1",
# anything else (other bytes of UTF-8 characters too) " ". _LEET_HINT matches where
# "1" follows or precedes an "a"; re finds the rare "1" by its literal prefix,
# ~3x faster than the class of leet characters on the text.
_LEET_CHARS = b"013457@$"
_LEET_MASK = bytes(
    0x61 if 0x61 <= byte <= 0x7A else 0x31 if byte in _LEET_CHARS else 0x20 for byte in range(256)
)
# The same for an ASCII text before lower-casing (its view is text.lower()).
_LEET_MASK_ANY_CASE = bytes(
    _LEET_MASK[byte | 0x20] if 0x41 <= byte <= 0x5A else _LEET_MASK[byte] for byte in range(256)
)
_MASKED_HINT = re.compile(rb"1(?<=a1)|1(?=a)")
# [\w@$] of an ASCII text -> "w", anything else " " (for the edges of leet words).
_WORD_MASK = (
    bytes(0x77 if chr(byte).isalnum() or chr(byte) in "_@$" else 0x20 for byte in range(128))
    + b" " * 128
)


def _first_leet_hint(masked: bytes) -> int:
    """Where the first ``_LEET_HINT`` match starts in a masked text; -1: nowhere."""
    hint = _MASKED_HINT.search(masked)
    return -1 if hint is None else hint.start()


def _normalize_ascii(text: str, raw: bytes) -> Normalized:
    """:func:`normalize` of an ASCII text (``raw`` its bytes): lower case and leet."""
    view = text.lower()
    masked = raw.translate(_LEET_MASK_ANY_CASE)
    first = _first_leet_hint(masked)
    if first < 0:
        return Normalized(view=view)
    words = _leet_candidates_ascii(masked, raw.translate(_WORD_MASK), first)
    view, leet = _fold_words(view, words)
    return Normalized(view=view, leet=leet)


def _fold_leet_encoded(view: str, encoded: bytes) -> tuple[str, list[str]]:
    """:func:`_fold_leet` of a view given with its UTF-8 bytes (hints found on bytes)."""
    masked = encoded.translate(_LEET_MASK)
    if _first_leet_hint(masked) < 0:
        return view, []
    return _fold_words(view, _leet_candidates(view, _hint_characters(encoded, masked)))


def normalize(text: str, encoded: bytes | None = None) -> Normalized:
    """Build the lower-case scoring view of ``text``; cheap for plain ASCII.

    ``encoded`` may pass ``text.encode("utf-8", "surrogatepass")`` when the caller
    has it already.
    """
    if text.isascii():
        return _normalize_ascii(text, text.encode("ascii") if encoded is None else encoded)
    raw = text.encode("utf-8", "surrogatepass") if encoded is None else encoded
    special = _MAYBE_SPECIAL.search(_non_ascii(raw)) is not None  # all of them non-ASCII
    runs, tag_text, bidi = _invisible_runs(text) if special else ([], "", 0)
    visible = "".join(text[a:b] for a, b in _gaps(runs, len(text))) if runs else text
    nfkc = unicodedata.normalize("NFKC", _VARIATION.sub("", visible) if special else visible)
    width_folded = nfkc != visible and _WIDE_OR_MATH.search(visible) is not None
    view = nfkc.lower()
    encoded_view = view.encode("utf-8", "surrogatepass")
    homoglyphs = 0
    if _CONFUSABLE.search(_non_ascii(encoded_view)):  # look-alikes are non-ASCII too
        view, homoglyphs = _fold_homoglyphs(view)
        encoded_view = view.encode("utf-8", "surrogatepass")
    view, leet = _fold_leet_encoded(view, encoded_view)
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
