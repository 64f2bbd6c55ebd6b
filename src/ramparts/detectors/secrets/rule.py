"""A provider credential rule: one row of the data-driven secrets table.

Each rule is a stable ``id`` (the finding kind), a regex, and literal keywords
for the prefilter. A rule is *anchored* when every match starts with one of its
keywords: the detector then tries the regex only at keyword hits, which keeps
clean text almost free. Unanchored rules search only windows around their
keyword hits. A format with no distinctive literal gives a small Hyperscan
regex (``prefilter``) in place of keywords.

Regexes must stay linear: every repeat is bounded (or possessive), so a match
attempt costs at most a constant, and a scan costs O(length of text).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ramparts.detectors.base import Sensitivity
from ramparts.detectors.pattern_set import PatternSet, escape

# Left and right token boundaries shared by the rule tables: a credential must
# not be glued to more token characters on either side.
# (Terminal colour codes such as ESC[93m may precede a token in logs.)
LB = r"(?:(?<![A-Za-z0-9_\-])|(?<=\[[0-9]m)|(?<=\[[0-9][0-9]m))"
# A '.' is fine after a token (end of a sentence) but not '.' and more: a host name.
RB = r"(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])"
# Same, but a '-' right after is allowed too.
RB_LOOSE = r"(?![A-Za-z0-9_]|\.[A-Za-z0-9])"

# Placeholder words and shapes of documentation values, and four or more plain
# words between separators: prose, not a generated token
# ("...-there-are-not-the-webhook-you-are-looking-for"). Hyperscan runs them in
# one pass; Python's re took 20 µs per token on the case-insensitive alternation.
_PLACEHOLDER = 0
_PLAIN_WORDS = 1
_LOOK_ALIKES = PatternSet(
    [
        r"(?i)(?:x{6,}|\*{4,}|\.\.\.|<[a-z_ ]{1,40}>|\$\{|\{\{|your[_\-]?|example|placeholder|"
        r"redacted|dummy|changeme|insert)",
        r"(?:^|[_\-])[a-z]{3,}(?:[_\-][a-z]{3,}){3}[_\-]",
    ],
    single=[True, True],
)
_REPEATED = re.compile(r"(.)\1{5}")


def _look_alike_kinds(value: str) -> set[int]:
    return {pattern for pattern, _ in _LOOK_ALIKES.scan(value)}


def is_look_alike(value: str) -> bool:
    """A placeholder, or plain words strung together: not a generated credential."""
    return bool(_LOOK_ALIKES.scan(value))


@dataclass(frozen=True, slots=True)
class SecretRule:
    """One credential format.

    ``secret_group`` names the regex group holding the credential itself (0 is
    the whole match); the finding span covers only that group, so redaction
    keeps surrounding context. ``min_entropy`` rejects low-entropy look-alikes
    such as ``AKIAXXXXXXXXXXXXXXXX``.
    """

    id: str
    provider: str
    pattern: str
    keywords: tuple[str, ...]
    explanation: str
    anchored: bool = True
    secret_group: int = 0
    min_entropy: float = 0.0
    score: float = 0.95
    allow_repeats: bool = False
    # Keywords made of one repeated character ("AAAAAAAAAA") would hit at every
    # position of a long run; such rules are gated by a report-once pattern, then
    # found with a non-overlapping substring scan and one linear regex scan.
    whole_text: bool = False
    # A Hyperscan regex that replaces the keywords in the prefilter, for unanchored
    # formats whose only literal is too common ("|" in app-id|secret pairs).
    prefilter: str = ""
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    validator: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keywords and not self.prefilter:
            raise ValueError(f"secret rule {self.id!r} needs a keyword or a prefilter regex")
        if self.prefilter and self.anchored:
            raise ValueError(f"secret rule {self.id!r}: a prefilter regex needs anchored=False")
        object.__setattr__(self, "regex", re.compile(self.pattern))

    def accepts(self, value: str) -> bool:
        """Reject look-alikes: placeholders and values with too little entropy."""
        kinds = _look_alike_kinds(value)
        if _PLACEHOLDER in kinds:
            return False
        if self.validator is not None:
            return self.validator(value)  # a checksum or structure check beats heuristics
        if _PLAIN_WORDS in kinds or has_sequence(value):
            return False
        if not self.allow_repeats and _REPEATED.search(value):
            return False
        return not (self.min_entropy and shannon_entropy(value) < self.min_entropy)


def rule(
    id: str,
    provider: str,
    pattern: str,
    keywords: tuple[str, ...] | str,
    explanation: str,
    **options: object,
) -> SecretRule:
    """Shorthand for the rule tables: a single keyword may be passed as a string."""
    words = (keywords,) if isinstance(keywords, str) else keywords
    return SecretRule(id, provider, pattern, words, explanation, **options)  # type: ignore[arg-type]


def case_variants(*words: str) -> tuple[str, ...]:
    """A context keyword in lower, upper and title case, for exact-case prefilters."""
    variants: list[str] = []
    for word in words:
        for variant in (word.lower(), word.upper(), word.title(), word):
            if variant not in variants:
                variants.append(variant)
    return tuple(variants)


_SEQUENCE_LENGTH = 6
_ASCII = "".join(map(chr, range(128)))
# Every run of consecutive ASCII code points, up and down: one C pass finds any of them.
_ASCII_SEQUENCES = PatternSet(
    [
        escape(run[i : i + _SEQUENCE_LENGTH])
        for run in (_ASCII, _ASCII[::-1])
        for i in range(len(run) - _SEQUENCE_LENGTH + 1)
    ],
    single=[True] * 2 * (len(_ASCII) - _SEQUENCE_LENGTH + 1),
)


def has_sequence(value: str) -> bool:
    """True for runs like 123456, abcdef or 654321: hand-made test values, not keys."""
    if value.isascii():
        return bool(_ASCII_SEQUENCES.scan(value))
    run = 1
    step = 0
    for previous, current in itertools.pairwise(value):
        delta = ord(current) - ord(previous)
        if delta in (1, -1) and (delta == step or run == 1):
            run += 1
            step = delta
            if run >= _SEQUENCE_LENGTH:
                return True
        else:
            run, step = 1, 0
            if delta in (1, -1):
                run, step = 2, delta
    return False


# count * log2(count) for the counts of short values, so the sum runs in C (map + sum).
_COUNT_LOG = [0.0] + [count * math.log2(count) for count in range(1, 4097)]


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character: log2(n) - sum(c * log2(c)) / n."""
    if not value:
        return 0.0
    length = len(value)
    counts = Counter(value).values()
    if length < len(_COUNT_LOG):
        total = sum(map(_COUNT_LOG.__getitem__, counts))
    else:
        total = sum(count * math.log2(count) for count in counts)
    return max(0.0, math.log2(length) - total / length)
