"""Keyword prefilter: one Aho-Corasick pass decides which rules are worth running.

Keywords are exact-case literals (rules list the case variants they need), so
the automaton runs over the original text with no lower-casing copy. Anchored
rules are then tried only at keyword hits; unanchored rules search only the
windows around their hits, merged so that no character is searched twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# The stdlib's own regex parser: the one source of truth for match widths.
from re import _parser  # type: ignore[attr-defined]

import ahocorasick

from ramparts.detectors.secrets.rule import SecretRule


@dataclass(frozen=True, slots=True)
class RuleMatch:
    rule: SecretRule
    start: int
    end: int


def pattern_width(regex: re.Pattern[str]) -> int:
    """Longest text a regex can match (rules must keep every repeat bounded)."""
    _, high = _parser.parse(regex.pattern, regex.flags).getwidth()
    return int(high)


class KeywordIndex:
    """An Aho-Corasick automaton over the keywords of a rule table."""

    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self.rules = tuple(r for r in rules if not r.whole_text)
        self.whole_text_rules = tuple(r for r in rules if r.whole_text)
        self.whole_text_widths = tuple(pattern_width(r.regex) for r in self.whole_text_rules)
        self.widths = tuple(pattern_width(r.regex) for r in self.rules)
        by_word: dict[str, list[int]] = defaultdict(list)
        for index, secret_rule in enumerate(self.rules):
            for word in secret_rule.keywords:
                by_word[word].append(index)
        self._automaton = ahocorasick.Automaton()
        for word, indexes in by_word.items():
            self._automaton.add_word(word, (len(word), tuple(indexes)))
        self._automaton.make_automaton()

    def hits(self, text: str) -> dict[int, list[int]]:
        """Rule index -> start offsets of its keyword hits in ``text``."""
        found: dict[int, list[int]] = defaultdict(list)
        for end, (length, indexes) in self._automaton.iter(text):
            start = end - length + 1
            for index in indexes:
                found[index].append(start)
        return found

    def matches(self, text: str, disabled: frozenset[str] = frozenset()) -> list[RuleMatch]:
        """Every accepted match of every rule whose keywords occur in ``text``."""
        results: list[RuleMatch] = []
        for index, starts in self.hits(text).items():
            secret_rule = self.rules[index]
            if secret_rule.id in disabled:
                continue
            spans = (
                _anchored(secret_rule, text, starts)
                if secret_rule.anchored
                else _windowed(secret_rule, text, starts, self.widths[index])
            )
            for start, end in spans:
                if secret_rule.accepts(text[start:end]):
                    results.append(RuleMatch(secret_rule, start, end))
        for secret_rule, width in zip(self.whole_text_rules, self.whole_text_widths, strict=True):
            if secret_rule.id in disabled:
                continue
            starts = _substring_hits(text, secret_rule.keywords)
            for start, end in _windowed(secret_rule, text, starts, width):
                if secret_rule.accepts(text[start:end]):
                    results.append(RuleMatch(secret_rule, start, end))
        return results


def _anchored(secret_rule: SecretRule, text: str, starts: list[int]) -> Iterator[tuple[int, int]]:
    seen: set[int] = set()
    for start in starts:
        if start in seen:
            continue
        seen.add(start)
        match = secret_rule.regex.match(text, start)
        if match is not None:
            yield match.span(secret_rule.secret_group)


def _windowed(
    secret_rule: SecretRule, text: str, starts: list[int], width: int
) -> Iterator[tuple[int, int]]:
    """Search ``[hit - width, hit + width]`` around each hit, merging overlapping windows."""
    regex = secret_rule.regex
    for low, high in _merged_windows(sorted(starts), width, len(text)):
        for match in regex.finditer(text, low, high):
            # endpos hides what follows the window: confirm on the full text.
            if match.end() == high and high < len(text):
                full = regex.match(text, match.start())
                if full is None or full.end() != match.end():
                    continue
            yield match.span(secret_rule.secret_group)


def _substring_hits(text: str, keywords: tuple[str, ...]) -> list[int]:
    """Non-overlapping keyword positions (a run of 'A's yields one hit per keyword length)."""
    starts = []
    for keyword in keywords:
        position = text.find(keyword)
        while position != -1:
            starts.append(position)
            position = text.find(keyword, position + len(keyword))
    return sorted(starts)


def _merged_windows(starts: list[int], width: int, size: int) -> Iterator[tuple[int, int]]:
    low, high = -1, -1
    for start in starts:
        window_low, window_high = max(0, start - width), min(size, start + width + 1)
        if window_low <= high:
            high = max(high, window_high)
            continue
        if high >= 0:
            yield low, high
        low, high = window_low, window_high
    if high >= 0:
        yield low, high
