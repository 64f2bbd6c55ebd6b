"""A provider credential rule: one row of the data-driven secrets table.

Each rule is a stable ``id`` (the finding kind), a regex, and literal keywords
for the prefilter. A rule is *anchored* when every match starts with one of its
keywords: the detector then tries the regex only at keyword hits, which keeps
clean text almost free. Unanchored rules search the whole text, and only when
one of their keywords occurs somewhere in it.

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

# Left and right token boundaries shared by the rule tables: a credential must
# not be glued to more token characters on either side.
# (Terminal colour codes such as ESC[93m may precede a token in logs.)
LB = r"(?:(?<![A-Za-z0-9_\-])|(?<=\[[0-9]m)|(?<=\[[0-9][0-9]m))"
# A '.' is fine after a token (end of a sentence) but not '.' and more: a host name.
RB = r"(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])"
# Same, but a '-' right after is allowed too.
RB_LOOSE = r"(?![A-Za-z0-9_]|\.[A-Za-z0-9])"

_PLACEHOLDER = re.compile(
    r"(?i)(?:x{6,}|\*{4,}|\.\.\.|<[a-z_ ]{1,40}>|\$\{|\{\{|your[_-]?|example|placeholder|"
    r"redacted|dummy|changeme|insert)"
)
_REPEATED = re.compile(r"(.)\1{5}")
# Three or more plain words between separators: prose, not a generated token
# ("...-there-are-not-the-webhook-you-are-looking-for").
_WORDS = re.compile(r"(?:(?:^|[_\-])[a-z]{3,}(?=[_\-])){4}")


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
    # position of a long run; such rules are gated by a substring test and one
    # linear regex scan instead of the keyword automaton.
    whole_text: bool = False
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    validator: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keywords:
            raise ValueError(f"secret rule {self.id!r} needs at least one keyword")
        object.__setattr__(self, "regex", re.compile(self.pattern))

    def accepts(self, value: str) -> bool:
        """Reject look-alikes: placeholders and values with too little entropy."""
        if _PLACEHOLDER.search(value):
            return False
        if self.validator is not None:
            return self.validator(value)  # a checksum or structure check beats heuristics
        if has_sequence(value) or _WORDS.search(value):
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


def has_sequence(value: str, length: int = 6) -> bool:
    """True for runs like 123456, abcdef or 654321: hand-made test values, not keys."""
    run = 1
    step = 0
    for previous, current in itertools.pairwise(value):
        delta = ord(current) - ord(previous)
        if delta in (1, -1) and (delta == step or run == 1):
            run += 1
            step = delta
            if run >= length:
                return True
        else:
            run, step = 1, 0
            if delta in (1, -1):
                run, step = 2, delta
    return False


def shannon_entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(count / length * math.log2(count / length) for count in Counter(value).values())
