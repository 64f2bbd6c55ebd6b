"""Keyword prefilter: one Hyperscan pass decides which rules are worth running.

Keywords are exact-case literals (rules list the case variants they need), so
the scan runs over the original text with no lower-casing copy. A rule with no
distinctive literal gives a small regex instead (``SecretRule.prefilter``).
Anchored rules are then tried only at keyword hits; unanchored rules search
only the windows around their hits, merged so that no character is searched twice.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

# The stdlib's own regex parser: the one source of truth for match widths.
from re import _parser  # type: ignore[attr-defined]

from ramparts.detectors.pattern_set import PatternSet, escape
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
    """A Hyperscan database over the keywords (and prefilter regexes) of a rule table."""

    def __init__(self, rules: Sequence[SecretRule]) -> None:
        self.rules = tuple(r for r in rules if not r.whole_text)
        self.whole_text_rules = tuple(r for r in rules if r.whole_text)
        self.whole_text_widths = tuple(pattern_width(r.regex) for r in self.whole_text_rules)
        self.widths = tuple(pattern_width(r.regex) for r in self.rules)
        by_pattern: dict[str, list[int]] = defaultdict(list)
        lengths: dict[str, int] = {}
        for index, secret_rule in enumerate(self.rules):
            if secret_rule.prefilter:
                # Unanchored rules only: the hit is where the regex ends, inside the match.
                pattern = secret_rule.prefilter
                by_pattern[pattern].append(index)
                lengths[pattern] = 0
                continue
            for word in secret_rule.keywords:
                pattern = escape(word)
                by_pattern[pattern].append(index)
                lengths[pattern] = len(word)
        patterns = list(by_pattern)
        self._targets = tuple((lengths[p], tuple(by_pattern[p])) for p in patterns)
        # Whole-text rules: one yes/no pattern each (reported once, however long the run).
        self._first_gate = len(patterns)
        patterns += ["|".join(escape(w) for w in r.keywords) for r in self.whole_text_rules]
        single = [index >= self._first_gate for index in range(len(patterns))]
        self.patterns = tuple(patterns)
        self._patterns = PatternSet(patterns, single)

    def hits(self, text: str) -> dict[int, list[int]]:
        """Rule index -> start offsets of its keyword hits in ``text`` (ends, for regexes).

        Whole-text rules whose keyword occurs are listed under ``-1 - their index``.
        """
        found: dict[int, list[int]] = defaultdict(list)
        targets = self._targets
        first_gate = self._first_gate
        for pattern_id, end in self._patterns.scan(text):
            if pattern_id >= first_gate:
                found[first_gate - 1 - pattern_id].append(end)
                continue
            length, indexes = targets[pattern_id]
            for index in indexes:
                found[index].append(end - length)
        return found

    def matches(self, text: str, disabled: frozenset[str] = frozenset()) -> list[RuleMatch]:
        """Every accepted match of every rule whose keywords occur in ``text``."""
        results: list[RuleMatch] = []
        for index, starts in self.hits(text).items():
            if index < 0:
                secret_rule, spans = self._whole_text(text, -1 - index)
            else:
                secret_rule = self.rules[index]
                spans = (
                    _anchored(secret_rule, text, starts)
                    if secret_rule.anchored
                    else _windowed(secret_rule, text, starts, self.widths[index])
                )
            if secret_rule.id in disabled:
                continue
            for start, end in spans:
                if secret_rule.accepts(text[start:end]):
                    results.append(RuleMatch(secret_rule, start, end))
        return results

    def _whole_text(self, text: str, index: int) -> tuple[SecretRule, Iterator[tuple[int, int]]]:
        """Keywords that are runs of one letter: find every hit with str.find, not per position."""
        secret_rule = self.whole_text_rules[index]
        starts = _substring_hits(text, secret_rule.keywords)
        return secret_rule, _windowed(secret_rule, text, starts, self.whole_text_widths[index])


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
