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
    return window.lower().replace("\\n", "  ").replace("\\t", "  ")


def context_before(text: str, start: int, window: int = WINDOW) -> str:
    return _plain(text[max(0, start - window) : start])


def context_around(text: str, start: int, end: int, window: int = WINDOW) -> str:
    return _plain(text[max(0, start - window) : end + window])


def has_context(text: str, start: int, end: int, words: re.Pattern[str]) -> bool:
    """True when one of ``words`` appears within the window around the span."""
    return words.search(context_around(text, start, end)) is not None


def digits_only(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


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
    escaped = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{escaped})(?![a-z])")
