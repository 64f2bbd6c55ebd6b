"""The detector contract: a small class with a stable ``name`` and a pure ``scan``.

A detector looks at text and returns :class:`Finding` objects. A finding carries
where (span), what (detector and kind), how sure (score) and why (explanation),
plus a sensitivity level and a keyed fingerprint of the matched value. The value
itself is never stored on the finding, so it cannot leak through a repr, a log
line, an error or an audit record.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ramparts.detectors.options import OptionSpec


class Sensitivity(enum.IntEnum):
    """Data sensitivity levels, ordered so that comparisons mean 'more sensitive'."""

    PUBLIC = 0
    INTERNAL = 1
    CONFIDENTIAL = 2
    RESTRICTED = 3

    @classmethod
    def parse(cls, value: str) -> Sensitivity:
        try:
            return cls[value.upper()]
        except KeyError:
            allowed = ", ".join(level.name.lower() for level in cls)
            raise ValueError(f"unknown sensitivity '{value}' (allowed: {allowed})") from None

    def __str__(self) -> str:
        return self.name.lower()


Cost = Literal["cheap", "expensive"]
Side = Literal["any", "input", "output"]
SIDES: tuple[Side, ...] = ("any", "input", "output")
# Where a scanned text comes from; "tool" and "document" are indirect (read, not typed).
ORIGINS = ("user", "system", "assistant", "tool", "document")


@dataclass(frozen=True, slots=True, repr=False)
class ScanContext:
    """What a detector may know about the text it scans.

    ``fingerprint_key`` keys the fingerprints so they can be compared within a
    tenant but not reversed by brute force across tenants. ``options`` holds the
    detector's per-tenant settings from policy (thresholds, term lists...). The
    repr shows neither the key nor the option values (canaries are secrets).
    """

    fingerprint_key: bytes = b"ramparts-default-fingerprint-key"
    origin: str = "user"
    options: dict[str, Any] = field(default_factory=dict)
    # The engine drops findings scored below this; a detector may skip building them.
    min_score: float = 0.0

    def fingerprint(self, value: str) -> str:
        inner, outer = _hmac_states(self.fingerprint_key)
        inner = inner.copy()
        # surrogatepass: a lone surrogate must not abort the scan with an exception
        # that carries the whole value.
        inner.update(value.encode("utf-8", "surrogatepass"))
        outer = outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:16]

    def __repr__(self) -> str:
        keys = ", ".join(map(str, self.options)) or "none"
        return f"ScanContext(origin={self.origin!r}, options=<{keys}>, min_score={self.min_score})"


@functools.lru_cache(maxsize=64)
def _hmac_states(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) with the keyed pads hashed once per key, not once per value."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    return inner, outer


@dataclass(frozen=True, slots=True)
class Finding:
    """One detection: a span of the scanned text and what it is.

    The matched value is deliberately absent; use ``text[start:end]`` on the
    text you scanned when you need it (for redaction), and never log it.
    """

    detector: str
    kind: str
    start: int
    end: int
    score: float
    explanation: str
    sensitivity: Sensitivity
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "explanation": self.explanation,
            "sensitivity": str(self.sensitivity),
            "fingerprint": self.fingerprint,
        }


# Dense text yields dozens of findings per scan. The dataclass ``__init__`` of a
# frozen class sets each field through ``object.__setattr__`` (about 0.9 us a
# finding); writing the slots through their descriptors costs half that.
_FINDING_SLOTS = tuple(
    Finding.__dict__[name].__set__
    for name in (
        "detector", "kind", "start", "end", "score", "explanation", "sensitivity", "fingerprint"
    )
)  # fmt: skip


def new_finding(
    detector: str,
    kind: str,
    start: int,
    end: int,
    score: float,
    explanation: str,
    sensitivity: Sensitivity,
    fingerprint: str,
) -> Finding:
    """``Finding(...)`` with positional fields, built without the dataclass ``__init__``."""
    finding: Finding = object.__new__(Finding)
    set_detector, set_kind, set_start, set_end, set_score, set_why, set_level, set_print = (
        _FINDING_SLOTS
    )
    set_detector(finding, detector)
    set_kind(finding, kind)
    set_start(finding, start)
    set_end(finding, end)
    set_score(finding, score)
    set_why(finding, explanation)
    set_level(finding, sensitivity)
    set_print(finding, fingerprint)
    return finding


class Detector:
    """Base class for detectors.

    Subclasses set ``name`` (a stable, user-facing id: renaming it is a breaking
    change), ``kinds`` (the finding kinds it can emit), ``cost`` and ``version``,
    and implement :meth:`scan`, which must be pure: same text and context, same
    findings.

    ``triggers`` is optional and lets the engine skip the detector cheaply. It
    lists Hyperscan patterns with this contract: **when none of them matches a
    text, ``scan`` returns no findings for that text, whatever the context**.
    The engine compiles the triggers of all its detectors into one Hyperscan
    database and runs it once per text (a few microseconds per kilobyte); a
    detector whose triggers did not fire is not called. Leave it empty (the
    default) and the detector always runs, so plugins need not know about it.

    Write a pattern that matches *at least* wherever the detector could find
    something: a superset costs a wasted call, a subset silently loses
    findings. Triggers are matched against the text's UTF-8 bytes in Unicode
    mode (``HS_FLAG_UTF8 | HS_FLAG_UCP``). Python's ``re`` knows more decimal
    digits than Hyperscan's older Unicode tables, and its ``re.I`` matches "i"
    to the dotted capital I and the dotless i: a text holding any of those (or
    not encodable as UTF-8) is scanned by every detector, ungated, so triggers
    need not cater for them. Hyperscan has no lookaround, backreferences or
    possessive quantifiers. In practice:

    - digits: write ``[0-9]`` (compiles fast; other scripts' digits disable gating);
    - case-insensitive words: ``(?i)`` as in Python, or :func:`trigger_words`;
    - whitespace: use :data:`TRIGGER_SPACE` (Python's ``\\s`` also matches 0x1C-0x1F);
    - avoid ``\\w``: it compiles slowly and misses recent letters; use a wider
      class such as ``[^\\s]``.

    ``tests/detectors/test_engine_prefilter.py`` runs the engine with and without
    triggers over real data and adversarial strings and asserts the same
    findings, and checks the classes above against Python's: extend it when you
    add triggers.
    """

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ()
    cost: ClassVar[Cost] = "cheap"
    # Which text it is meant for: "output" detectors check model answers (exfiltration
    # links, canaries...) and run on prompts only when a policy enables them.
    side: ClassVar[Side] = "any"
    version: ClassVar[str] = "1"
    description: ClassVar[str] = ""
    # Hyperscan patterns, one of which matches wherever scan() can find anything (see above).
    triggers: ClassVar[tuple[str, ...]] = ()
    # The options a tenant may set besides ``enabled`` and ``threshold``, checked when
    # the policy loads (see ramparts.detectors.options); {} for none. None: undeclared,
    # options pass unchecked (plugins written before specs).
    option_specs: ClassVar[Mapping[str, OptionSpec] | None] = None

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        raise NotImplementedError

    def finding(
        self,
        context: ScanContext,
        text: str,
        start: int,
        end: int,
        *,
        kind: str,
        score: float,
        explanation: str,
        sensitivity: Sensitivity,
    ) -> Finding:
        """Build a finding for ``text[start:end]`` with its fingerprint."""
        return new_finding(
            self.name,
            kind,
            start,
            end,
            score,
            explanation,
            sensitivity,
            context.fingerprint(text[start:end]),
        )

    def match_findings(
        self,
        context: ScanContext,
        text: str,
        matches: Iterable[re.Match[str]],
        *,
        group: int | str = 0,
        kind: str,
        score: float,
        explanation: str,
        sensitivity: Sensitivity,
    ) -> list[Finding]:
        """One finding per match (its ``group``), all with the same kind, score and why."""
        return [
            self.finding(
                context,
                text,
                match.start(group),
                match.end(group),
                kind=kind,
                score=score,
                explanation=explanation,
                sensitivity=sensitivity,
            )
            for match in matches
        ]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} cost={self.cost}>"


# Python's ``\s`` also matches the ASCII separators 0x1C-0x1F; Hyperscan's does not.
TRIGGER_SPACE = r"[\s\x1c-\x1f]"


def trigger_words(*words: str) -> str:
    """A trigger matching any of the literal ``words``, case-insensitively."""
    return "(?i:" + "|".join(re.escape(word) for word in words) + ")"


_T = TypeVar("_T")
_SCAN_CACHES: list[functools._lru_cache_wrapper[Any]] = []
# Short texts: a few at once, for threads scanning concurrently.
SHORT_TEXTS_HELD = 4
# Past this length a text is a window of a long input (or a long prompt). What is
# cached for it (a lower-cased copy, word and digit spans) costs some 15 bytes a
# character, so only the latest such text is kept: a long input's windows must not
# pile up in the caches until its scan ends.
LONG_TEXT_CHARS = 32768


def per_scan_cache(compute: Callable[[str], _T]) -> Callable[[str], _T]:
    """Memoise ``compute(text)`` for the detectors of one scan, which run one after
    another on the same text. The engine empties these caches when a scan ends
    (:func:`forget_scanned_texts`), so no prompt outlives its scan in them.

    Up to :data:`SHORT_TEXTS_HELD` texts are kept, and of those longer than
    :data:`LONG_TEXT_CHARS` only the latest.
    """
    short = functools.lru_cache(maxsize=SHORT_TEXTS_HELD)(compute)
    long = functools.lru_cache(maxsize=1)(compute)
    _SCAN_CACHES.extend((short, long))

    @functools.wraps(compute)
    def cached(text: str) -> _T:
        return short(text) if len(text) <= LONG_TEXT_CHARS else long(text)

    return cached


def forget_scanned_texts() -> None:
    """Empty every :func:`per_scan_cache` (called by the engine after each scan)."""
    for cache in _SCAN_CACHES:
        cache.cache_clear()


def scanned_texts_held() -> int:
    """How many texts the per-scan caches hold right now (0 between engine scans)."""
    return sum(cache.cache_info().currsize for cache in _SCAN_CACHES)


@per_scan_cache
def lowered_text(text: str) -> str:
    """``text.lower()``, computed once per scanned text."""
    return text.lower()


def keyword_matches(
    pattern: re.Pattern[str], text: str, keywords: Iterable[str]
) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a pattern whose every match starts with a keyword.

    The lower-cased keywords are located with ``str.find`` (a fast C scan) and
    the pattern is tried only there, which on long text is many times faster
    than letting the regex engine try every position. The matches are the same
    as ``finditer``'s, provided each match starts with one of ``keywords``
    (case-insensitively).
    """
    folded = lowered_text(text)
    if len(folded) != len(text):  # offsets would not line up ("İ" grows)
        yield from pattern.finditer(text)
        return
    starts: set[int] = set()
    for keyword in keywords:
        index = folded.find(keyword)
        while index >= 0:
            starts.add(index)
            index = folded.find(keyword, index + 1)
    pos = 0
    match_at = pattern.match
    for start in sorted(starts):
        if start >= pos:
            match = match_at(text, start)
            if match:
                pos = match.end() if match.end() > start else start + 1
                yield match
