"""Canary-token leaks: a token planted in the system prompt shows up in an answer.

The canary is found as written (any case), spelled out with separators
(``C-A-N-A-R-Y``), reversed, or base64-encoded, since extraction attacks often
ask the model to transform the prompt to slip past exact-match filters.

A policy's canaries are bounded (:data:`MAX_CANARIES` tokens of at most
:data:`MAX_CANARY_CHARS` characters) and compiled once per set of canaries, shared by
every engine that uses the set, under a lock so that concurrent first scans do not
each compile them. The spelled-out form is searched in the answer with separator runs
squeezed out (only when its first characters appear spelled out), so it needs no
per-character pattern: compiling those took seconds for long canaries. It is looked
for only when a canary has at least 6 characters besides separators and spaces.
"""

from __future__ import annotations

import base64
import bisect
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import Custom
from ramparts.errors import DetectorError

_MIN_CANARY = 6
MAX_CANARY_CHARS = 128
MAX_CANARIES = 100
_PRIORITY = {"verbatim": 0, "base64-encoded": 1, "reversed": 2, "spelled out": 3}
# Spelled out: up to 3 of these between the canary's characters (and around its own).
_SEPARATOR = r"[\s\-_.,:;|/]"
_MAX_SEPARATORS = 3
_SEPARATOR_CHARS = re.compile(_SEPARATOR)
_RUN = re.compile(f"{_SEPARATOR}+")
_BREAK = "\0"  # stands for a run too long to join a spelled-out canary; in no skeleton
_CACHED = 256  # compiled canary sets kept (shared: teams of a tenant share canaries)


def _expected() -> str:
    return (
        f"a list of at most {MAX_CANARIES} strings of {_MIN_CANARY} to"
        f" {MAX_CANARY_CHARS} characters"
    )


def checked_canaries(value: Any, where: str) -> tuple[str, ...]:
    """The canaries option, checked: distinct tokens in order. Errors never name a token."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        got = "a list with non-strings" if isinstance(value, list | tuple) else "another value"
        raise DetectorError(f"{where} must be a list of strings, got {got}")
    short = sum(1 for item in value if len(item.strip()) < _MIN_CANARY)
    if short:
        raise DetectorError(
            f"{where} has {short} item(s) shorter than {_MIN_CANARY} characters;"
            " use longer random tokens, which text cannot contain by chance"
        )
    long = sum(1 for item in value if len(item) > MAX_CANARY_CHARS)
    if long:
        raise DetectorError(
            f"{where} has {long} item(s) longer than {MAX_CANARY_CHARS} characters;"
            " a random token of 16-32 characters is enough"
        )
    tokens = tuple(dict.fromkeys(value))
    if len(tokens) > MAX_CANARIES:
        raise DetectorError(f"{where} has {len(tokens)} tokens; at most {MAX_CANARIES} are allowed")
    return tokens


@dataclass(frozen=True, slots=True)
class _Form:
    """One form of every canary: (canary number, pattern) pairs.

    The spelled-out form runs on the answer squeezed (:func:`_squeezed`): runs of up to
    ``max_run`` separators removed, longer ones replaced by a break. (One pattern per
    canary, not one alternation of all: Python's ``re`` searches a literal pattern much
    faster than it tries a hundred alternatives at every position.)
    """

    name: str
    patterns: tuple[tuple[int, re.Pattern[str]], ...]
    max_run: int = 0
    # Spelled out: per pattern, its first characters with separators between, searched
    # in the answer as it is; the answer is squeezed only when one is found.
    prefilters: tuple[re.Pattern[str], ...] = ()


def _form(
    name: str, variants: Sequence[tuple[int, str]], flags: int, max_run: int = 0
) -> _Form | None:
    distinct = list(dict.fromkeys(variants))
    if not distinct:
        return None
    patterns = tuple((number, re.compile(re.escape(text), flags)) for number, text in distinct)
    return _Form(name, patterns, max_run)


def _skeleton(canary: str) -> str:
    """The canary without separators: what a spelled-out copy has once squeezed."""
    return _SEPARATOR_CHARS.sub("", canary).replace(_BREAK, "")


def _max_run(canaries: tuple[str, ...]) -> int:
    """The most separators a spelled-out copy may have between two skeleton characters:
    up to 3 around each of the canary's own separators (a superset of the matches of the
    per-character pattern ``c[sep]{0,3}-[sep]{0,3}c`` this replaces)."""
    own = max((len(run) for c in canaries for run in _RUN.findall(c)), default=0)
    return _MAX_SEPARATORS * (own + 1) + own


def _compile(canaries: tuple[str, ...]) -> tuple[_Form, ...]:
    numbered = list(enumerate(canaries, start=1))
    skeletons = [(n, _skeleton(c)) for n, c in numbered]
    spelled = [(n, s) for n, s in skeletons if len(s) >= _MIN_CANARY]
    forms = [
        _form("verbatim", [(n, c) for n, c in numbered], re.IGNORECASE),
        _form("reversed", [(n, c[::-1]) for n, c in numbered], re.IGNORECASE),
        _form("base64-encoded", [(n, e) for n, c in numbered for e in _base64_forms(c)], 0),
        # A skeleton shorter than a canary may be would match ordinary text.
        _spelled_form(spelled, _max_run(canaries)),
    ]
    return tuple(form for form in forms if form is not None)


def _spelled_form(skeletons: list[tuple[int, str]], max_run: int) -> _Form | None:
    form = _form("spelled out", skeletons, re.IGNORECASE, max_run)
    if form is None:
        return None
    between = f"{_SEPARATOR}{{0,{max_run}}}"
    prefilters = tuple(
        re.compile(between.join(map(re.escape, skeleton[:_MIN_CANARY])), re.IGNORECASE)
        for _, skeleton in dict.fromkeys(skeletons)
    )
    return _Form(form.name, form.patterns, max_run, prefilters)


_compiled: dict[tuple[str, ...], tuple[_Form, ...]] = {}
_compiling = threading.Lock()


def _forms_of(tokens: tuple[str, ...]) -> tuple[_Form, ...]:
    """The compiled forms of a checked canary set, compiled once however many scans
    (of however many engines) ask at the same time."""
    forms = _compiled.get(tokens)
    if forms is None:
        with _compiling:
            forms = _compiled.get(tokens)
            if forms is None:
                if len(_compiled) >= _CACHED:
                    _compiled.pop(next(iter(_compiled)))  # the oldest
                forms = _compiled[tokens] = _compile(tokens)
    return forms


def _base64_forms(canary: str) -> list[str]:
    """Base64 of the canary at the three byte alignments, trimmed to the stable characters."""
    raw = canary.encode("utf-8")
    forms = []
    for shift, skip in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        stable = encoded[skip : len(encoded) - (1 if (shift + len(raw)) % 3 else 0)]
        if len(stable) >= _MIN_CANARY:
            forms.append(stable)
    return forms


def _squeezed(text: str, max_run: int) -> str:
    """``text`` with runs of up to ``max_run`` separators removed, longer ones a break."""
    if not _SEPARATOR_CHARS.search(text):
        return text
    longer = _LONG_RUNS.get(max_run)
    if longer is None:
        longer = _LONG_RUNS[max_run] = re.compile(f"{_SEPARATOR}{{{max_run + 1},}}")
    return _RUN.sub("", longer.sub(_BREAK, text))


_LONG_RUNS: dict[int, re.Pattern[str]] = {}


def _origins(text: str, max_run: int) -> tuple[list[int], list[int]]:
    """Where the stretches of :func:`_squeezed` start, there and in ``text`` (built only
    when a spelled-out copy was found, to map it back)."""
    squeezed_starts: list[int] = []
    text_starts: list[int] = []
    size = at = 0
    for run in _RUN.finditer(text):
        if run.start() > at:  # the characters kept before this run
            squeezed_starts.append(size)
            text_starts.append(at)
            size += run.start() - at
        if run.end() - run.start() > max_run:  # became one break character
            squeezed_starts.append(size)
            text_starts.append(run.start())
            size += 1
        at = run.end()
    squeezed_starts.append(size)
    text_starts.append(at)
    return squeezed_starts, text_starts


def _in_text(origins: tuple[list[int], list[int]], position: int) -> int:
    squeezed_starts, text_starts = origins
    stretch = bisect.bisect_right(squeezed_starts, position) - 1
    return text_starts[stretch] + position - squeezed_starts[stretch]


def _matches(forms: tuple[_Form, ...], text: str) -> Iterator[tuple[int, int, int, str]]:
    """(start, end, canary number, form) of every match of every form in ``text``."""
    for form in forms:
        spelled = form.name == "spelled out"
        patterns = form.patterns
        haystack = text
        if spelled:
            patterns = tuple(
                p for p, pre in zip(patterns, form.prefilters, strict=True) if pre.search(text)
            )
            if patterns:
                haystack = _squeezed(text, form.max_run)
        origins = None
        for number, pattern in patterns:
            for match in pattern.finditer(haystack):
                start, end = match.span()
                if spelled:
                    origins = origins or _origins(text, form.max_run)
                    start, end = _in_text(origins, start), _in_text(origins, end - 1) + 1
                yield start, end, number, form.name


class CanaryLeakDetector(Detector):
    """Canary tokens from the system prompt appearing in a model answer.

    Options: ``canaries`` (list of at most 100 tokens of 6 to 128 characters).
    """

    name = "output.canary_leak"
    option_specs = {
        "canaries": Custom(
            checked_canaries, _expected(), help="tokens planted in the system prompt"
        ),
    }
    side = "output"
    kinds = ("canary-leak",)
    description = "System-prompt canary tokens leaking into model answers"

    def __init__(self) -> None:
        # The engine's checked option (a tuple) and its forms: found without checking again.
        self._last: tuple[object, tuple[_Form, ...]] | None = None

    def _forms(self, value: Any) -> tuple[_Form, ...]:
        last = self._last
        if last is not None and last[0] is value:
            return last[1]
        forms = _forms_of(checked_canaries(value, f"{self.name}: option 'canaries'"))
        if isinstance(value, tuple):  # immutable: safe to know again by identity
            self._last = (value, forms)
        return forms

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        value = context.options.get("canaries")
        if not value:
            if value is not None and not isinstance(value, list | tuple):
                checked_canaries(value, f"{self.name}: option 'canaries'")
            return []
        hits = sorted(
            (start, -(end - start), _PRIORITY[name], end, number, name)
            for start, end, number, name in _matches(self._forms(value), text)
        )
        findings: list[Finding] = []
        covered = -1
        for start, _, _, end, number, form in hits:
            if start < covered:
                continue  # the same leak, already reported in another form
            covered = end
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="canary-leak",
                    score=1.0 if form == "verbatim" else 0.9,
                    explanation=f"canary token #{number} from the system prompt appears "
                    f"in the answer ({form})",
                    sensitivity=Sensitivity.RESTRICTED,
                )
            )
        return findings
