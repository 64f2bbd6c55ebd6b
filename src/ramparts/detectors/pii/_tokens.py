"""Capitalised-word runs, shared by the name and place detectors.

One linear regex pass finds words that start with an upper-case letter; runs
of them separated only by spaces (or name particles like 'van') become
candidate names and places. A tiny cache lets both detectors reuse the pass.
"""

from __future__ import annotations

import re

from ramparts.detectors.base import per_scan_cache

# The run pattern starts with a character class so the regex engine can skip
# straight to capital letters; the word-boundary check sits after that first
# character (a two-character lookbehind) for the same reason.
_AFTER_BOUNDARY = r"(?:(?<=\\[nrt](?s:.))|(?<![\w'\u2019\-.@](?s:.)))"
_REST_OF_WORD = r"[^\W\d_]*+(?:['\u2019\-][^\W\d_]++)*+(?![@\w]|\.\w)"
_PARTICLES = "van|von|de|der|den|da|di|du|del|della|la|le|bin|ibn|al|el|ter|ten|dos|das"
# A dot joins only after an initial ("Katrine T. Jørgensen") or a title ("Dr. Smith").
_DOT_JOIN = r"(?:(?<![^\W\d_]{2})|(?<=Mr|Dr|Ms|St|Mx|MR|DR|MS)|(?<=Mrs|Rev|MRS)|(?<=Prof))\. ?"
# The first character is found by two cheap ranges (ASCII capitals, or any
# non-ASCII character), then checked exactly with a lookbehind: the exact class
# needs a Unicode-category test per character, three times slower to scan with.
_FIRST = r"[A-Z\u0080-\U0010FFFF](?<=[^\W\d_a-z])"
_RUN = re.compile(
    rf"{_FIRST}{_AFTER_BOUNDARY}{_REST_OF_WORD}"
    rf"(?:(?: | (?:{_PARTICLES}) (?:den |der )?|{_DOT_JOIN})[^\W\d_a-z]{_REST_OF_WORD}){{0,4}}"
)
# The same pattern for ASCII-only text (most chat): a plain first-character class
# that the regex engine scans faster; tested to match exactly like ``_RUN`` there.
_RUN_ASCII = re.compile(_RUN.pattern.replace(_FIRST, "[A-Z]", 1), re.ASCII)
_RUN_WORD = re.compile(r"[^\W\d_]++(?:['\u2019\-][^\W\d_]++)*+")
_PARTICLE_SET = frozenset(_PARTICLES.split("|")) | {"den", "der"}

Run = tuple[tuple[int, int], ...]


def _plain_run(value: str, start: int) -> Run | None:
    """The word spans of a run of plain capitalised words ("New York City"), else None.

    The usual multi-word run: letters only, so no particle, initial, title or
    possessive to handle, and splitting at the spaces gives the same words.
    """
    words = value.split(" ")
    spans = []
    for word in words:
        if not (word.isalpha() and word[0].isupper()):
            return None
        spans.append((start, start + len(word)))
        start += len(word) + 1
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


def _runs(text: str) -> tuple[Run, ...]:
    runs: list[Run] = []
    append = runs.append
    for match in (_RUN_ASCII if text.isascii() else _RUN).finditer(text):
        value = match.group()
        if " " not in value and "." not in value and len(value) > 1:
            if value[0].isupper():  # the usual case: one word
                start = match.start()
                end = start + len(value)
                append(((start, end - 2 if value.endswith(("'s", "\u2019s")) else end),))
            continue
        runs.extend(_split_run(text, match.start(), match.end()))
    return tuple(runs)


@per_scan_cache
def _cached_runs(text: str) -> tuple[Run, ...]:
    return _runs(text)


def capitalized_runs(text: str) -> tuple[Run, ...]:
    """Runs of capitalised words as ``((start, end), ...)`` word spans."""
    return _cached_runs(text)
