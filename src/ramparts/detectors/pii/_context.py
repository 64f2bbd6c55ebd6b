"""Shared helpers for personal-data detectors: context windows and digit handling."""

from __future__ import annotations

import functools
import re
from typing import Any

import ahocorasick

# Text exported from JSON often keeps newlines as a literal backslash-n; a value
# right after one still starts at a boundary.
ESCAPED_BREAK = r"(?<=\\[nrt])"

# How far (in characters) around a candidate we look for context words.
WINDOW = 48


def _plain(window: str) -> str:
    # Literal "\n" sequences become spaces so "\nPhone:" still reads as the word "phone".
    window = window.lower()
    if "\\" not in window:  # nothing to replace: skip two copies
        return window
    return window.replace("\\n", "  ").replace("\\t", "  ")


def context_before(text: str, start: int, window: int = WINDOW) -> str:
    return _plain(text[max(0, start - window) : start])


def context_around(text: str, start: int, end: int, window: int = WINDOW) -> str:
    return _plain(text[max(0, start - window) : end + window])


def has_context(text: str, start: int, end: int, words: re.Pattern[str]) -> bool:
    """True when one of ``words`` appears within the window around the span."""
    return words.search(context_around(text, start, end)) is not None


def digits_only(value: str) -> str:
    return "".join(filter(str.isdigit, value))  # a C-level filter, not a generator


def contains_word(lowered: str, words: tuple[str, ...]) -> bool:
    """Whether one of ``words`` occurs in ``lowered`` with non-letters either side."""
    size = len(lowered)
    for last, length in _automaton(words).iter(lowered):
        index = last - length + 1
        if (index == 0 or not lowered[index - 1].isalpha()) and (
            last + 1 == size or not lowered[last + 1].isalpha()
        ):
            return True
    return False


@functools.lru_cache(maxsize=32)
def _automaton(words: tuple[str, ...]) -> Any:
    """Every occurrence of every word (overlaps included) in one C-level pass."""
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, len(word))
    automaton.make_automaton()
    return automaton


def words_pattern(*words: str) -> re.Pattern[str]:
    """A case-insensitive alternation of whole words (lower-cased input assumed)."""
    return re.compile(rf"(?<![a-z])(?:{_trie(set(words))})(?![a-z])")


def _trie(words: set[str]) -> str:
    """``words`` as a regex with shared prefixes factored out ("ref(?:erence)?").

    The regex engine tries an alternation's branches one by one at every
    position; factored, it tests each distinct first letter once. It matches
    the same words, longest first along a shared prefix, like ``a|b|...``
    sorted by length.
    """
    branches: dict[str, set[str]] = {}
    for word in words:
        if word:
            branches.setdefault(word[0], set()).add(word[1:])
    body = "|".join(re.escape(first) + _trie(rest) for first, rest in sorted(branches.items()))
    if "" in words:  # a word ends here: what follows is optional
        return f"(?:{body})?" if body else ""
    return body if len(branches) <= 1 else f"(?:{body})"
