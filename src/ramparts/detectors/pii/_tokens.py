"""Capitalised-word runs, shared by the name and place detectors.

One linear regex pass finds words that start with an upper-case letter; runs
of them separated only by spaces (or name particles like 'van') become
candidate names and places. A tiny cache lets both detectors reuse the pass.
"""

from __future__ import annotations

import functools
import re

from ramparts.detectors import native
from ramparts.detectors.base import per_scan_cache

# The run pattern starts with a character class so the regex engine can skip
# straight to capital letters; the word-boundary check sits after that first
# character (a two-character lookbehind) for the same reason.
_AFTER_BOUNDARY = r"(?:(?<=\\[nrt](?s:.))|(?<![\w'\u2019\-.@](?s:.)))"
_REST_OF_WORD = r"[^\W\d_]*+(?:['\u2019\-][^\W\d_]++)*+(?![@\w]|\.\w)"
_PARTICLES = "van|von|de|der|den|da|di|du|del|della|la|le|bin|ibn|al|el|ter|ten|dos|das"
# A dot joins only after an initial ("Katrine T. Jørgensen") or a title ("Dr. Smith").
# The lookahead tests for the dot first: most words end without one, and the
# lookbehinds (zero-width too, so their order does not matter) are slower.
_DOT_JOIN = (
    r"(?=\.)(?:(?<![^\W\d_]{2})|(?<=Mr|Dr|Ms|St|Mx|MR|DR|MS)|(?<=Mrs|Rev|MRS)|(?<=Prof))\. ?"
)
# The first character is found by two cheap ranges (ASCII capitals, or any
# non-ASCII character), then checked exactly with a lookbehind: the exact class
# needs a Unicode-category test per character, three times slower to scan with.
_FIRST = r"[A-Z\u0080-\U0010FFFF](?<=[^\W\d_a-z])"
_RUN = re.compile(
    rf"{_FIRST}{_AFTER_BOUNDARY}{_REST_OF_WORD}"
    rf"(?:(?: | (?:{_PARTICLES}) (?:den |der )?|{_DOT_JOIN})[^\W\d_a-z]{_REST_OF_WORD}){{0,4}}"
)
# The same pattern for ASCII-only text (most chat), with plain ranges for the
# letter classes (what they mean under re.ASCII), which the regex engine tests
# faster than character categories; tested to match exactly like ``_RUN`` there.
_ASCII_CLASSES = (
    (_FIRST, "[A-Z]"),
    (r"[^\W\d_a-z]", "[A-Z]"),
    (r"[^\W\d_]", "[A-Za-z]"),
    (r"[\w'\u2019\-.@]", r"[A-Za-z0-9_'\u2019\-.@]"),
    (r"(?![@\w]|\.\w)", r"(?![@A-Za-z0-9_]|\.[A-Za-z0-9_])"),
)
_ascii_pattern = _RUN.pattern
for _class, _ascii_class in _ASCII_CLASSES:
    _ascii_pattern = _ascii_pattern.replace(_class, _ascii_class)
_RUN_ASCII = re.compile(_ascii_pattern, re.ASCII)
# Most other text (European names, dashes, curly quotes) has no character from
# U+2070 up. For it the classes are spelt out as ranges over U+0000..U+206F,
# listed from what ``re`` itself says of each character, so they match alike
# there; the regex engine tests ranges faster than categories.
_LISTED_LIMIT = 0x2070
_BEYOND_LISTED = re.compile(r"[^\x00-\u206f]")


def _listed_class(pattern: str) -> str:
    """The one-character class ``pattern`` as explicit ranges over U+0000..U+206F."""
    members = [code for code in range(_LISTED_LIMIT) if re.fullmatch(pattern, chr(code))]
    ranges: list[tuple[int, int]] = []
    for code in members:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    spell = [
        f"\\u{low:04x}" if low == high else f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges
    ]
    return "[" + "".join(spell) + "]"


@functools.cache
def _run_listed() -> re.Pattern[str]:
    """``_RUN`` with listed classes, for text without characters from U+2070 up."""
    upper, letter = _listed_class(r"[^\W\d_a-z]"), _listed_class(r"[^\W\d_]")
    word = _listed_class(r"\w")[1:-1]
    classes = (
        (_FIRST, upper),
        (r"[^\W\d_a-z]", upper),
        (r"[^\W\d_]", letter),
        (r"[\w'\u2019\-.@]", f"[{word}'\\u2019\\-.@]"),
        (r"(?![@\w]|\.\w)", f"(?![@{word}]|\\.[{word}])"),
    )
    pattern = _RUN.pattern
    for general, listed in classes:
        pattern = pattern.replace(general, listed)
    return re.compile(pattern)


def _run_pattern(text: str) -> re.Pattern[str]:
    if text.isascii():
        return _RUN_ASCII
    return _RUN if _BEYOND_LISTED.search(text) else _run_listed()


_RUN_WORD = re.compile(r"[^\W\d_]++(?:['\u2019\-][^\W\d_]++)*+")
_PARTICLE_SET = frozenset(_PARTICLES.split("|")) | {"den", "der"}

Run = tuple[tuple[int, int], ...]


def _plain_run(value: str, start: int) -> Run | None:
    """The word spans of a run of plain capitalised words ("New York City"), else None.

    The usual multi-word run: letters only, so no particle, initial, title or
    possessive to handle, and splitting at the spaces gives the same words.
    """
    spans = []
    for word in value.split(" "):
        if not (word.isalpha() and word[0].isupper()):
            return None
        end = start + len(word)
        spans.append((start, end))
        start = end + 1
    return tuple(spans)


def _split_run(text: str, start: int, end: int) -> list[Run]:
    """The capitalised words of one matched run; a lower-case non-particle splits it."""
    plain = _plain_run(text[start:end], start)
    return [plain] if plain is not None else _split_words(text, start, end)


def _split_words(text: str, start: int, end: int) -> list[Run]:
    """``_split_run`` word by word: particles, initials, titles and possessives."""
    runs: list[Run] = []
    current: list[tuple[int, int]] = []
    for word in _RUN_WORD.finditer(text, start, end):
        word_start, word_end = word.span()
        if not text[word_start].isupper():
            if word.group() in _PARTICLE_SET:
                continue
            if current:
                runs.append(tuple(current))
            current = []
            continue
        if text.endswith(("'s", "\u2019s"), word_start, word_end):
            word_end -= 2  # "Sandra's address": the name is Sandra
        current.append((word_start, word_end))
    if current:
        runs.append(tuple(current))
    return runs


def runs_python(text: str) -> tuple[Run, ...]:
    """The runs of ``text``: the reference of the compiled ``native.capitalized_runs``."""
    runs: list[Run] = []
    append = runs.append
    for match in _run_pattern(text).finditer(text):
        value = match.group()
        if value.isalpha():  # the usual case: one word of letters only ("The", "I")
            if value[0].isupper():
                append((match.span(),))
            continue
        if " " not in value and "." not in value and len(value) > 1:
            if value[0].isupper():  # the usual case: one word
                start = match.start()
                end = start + len(value)
                append(((start, end - 2 if value.endswith(("'s", "\u2019s")) else end),))
            continue
        plain = _plain_run(value, match.start())  # _split_run, with the value at hand
        if plain is not None:
            append(plain)
        else:
            runs.extend(_split_words(text, match.start(), match.end()))
    return tuple(runs)


# The compiled kernel gives exactly runs_python's result (tests compare the two).
_runs = native.capitalized_runs or runs_python


@per_scan_cache
def _cached_runs(text: str) -> tuple[Run, ...]:
    return _runs(text)


def capitalized_runs(text: str) -> tuple[Run, ...]:
    """Runs of capitalised words as ``((start, end), ...)`` word spans."""
    return _cached_runs(text)
