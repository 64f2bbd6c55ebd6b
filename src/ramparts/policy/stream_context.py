"""The output guard's verdict on answers, and what a streamed rescan must see besides its
own text to judge as the whole answer.

``StreamOutputGuard`` rescans a growing answer from a start it moves
forward. A construct the output detectors match must not be judged half-streamed
(``open_construct`` finds one still open at the end, so the guard holds it back and
starts the next rescan at it), and context from before the start is put in front:
earlier reference-style images and definitions (``ReferenceMemory``), and a "<style>"
when the start lies inside a ``<style>`` element (``StyleElements``).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from ramparts.detectors.base import Finding, Sensitivity, new_finding
from ramparts.detectors.engine import Engine
from ramparts.detectors.output import new_sensitive_findings
from ramparts.detectors.output.css import STYLE_CLOSE, STYLE_OPEN
from ramparts.detectors.output.labels import LABEL_REACH
from ramparts.detectors.output.links import (
    HOSTED_DESTINATION,
    REFERENCE,
    URL_START,
    image_reference_labels,
    reference_label,
)
from ramparts.detectors.output.rescans import JudgedDestinations, Rescan, rescanning
from ramparts.policy.decide import SENSITIVITY_NAMES
from ramparts.policy.model import OutputGuardSettings
from ramparts.policy.open_references import OpenEscapedReferences

CHARS_PER_TOKEN = 4

# The widest match: a 999-char label (twice that with escapes, ``[a\]…``) or 4096-char
# attributes, up to 513 spaces and a 4096-char URL (links.py); beyond that a construct
# cannot match.
MAX_CONSTRUCT = 2 * 999 + 2 * 256 + 4096 + 64
# Only the tags whose attributes the link detector reads can grow long; any other
# "<" (``a<b`` in prose, ``i<n`` in code) holds nothing back.
_LONG_TAGS = (
    "img", "a", "iframe", "source", "video", "audio", "link", "script", "embed", "object",
    "input", "image",
)  # fmt: skip
_TAG_PREFIXES = sorted({tag[:k] for tag in _LONG_TAGS for k in range(len(tag))}, key=len)
_OPEN_GAP = r"[ \t]{0,256}+(?:\r?\n[ \t]{0,256}+)?"  # a prefix of links.GAP
_LABEL = r"[^\[\]\n]"  # as links._MARKDOWN reads a label
_REFERENCE_TAIL = r":[ \t]{0,64}+(?:\r?\n[ \t]{0,64}+)?<?[^\s<>]{0,4096}+"
_CSS_SPACE = r"[ \t\r\n\f]"
_CSS_ARGUMENT = r"(?:\"[^\"]{0,4096}+|'[^']{0,4096}+|[^\s\"'()]{0,4096}+)"
_STYLE_VALUE = r"(?:\"[^\"]{0,4096}+|'[^']{0,4096}+|[^\s\"'<>]{0,4096}+)"
# Each pattern matches every prefix of what it matches (the search for one still open
# goes back only to the last one found, or the last check).
_OPEN_MARKUP = re.compile(
    r"!?\[" + _LABEL + r"{0,999}+"
    r"(?:\](?:\(" + _OPEN_GAP + r"<?(?:" + URL_START + r"[^\s()<>]{0,4095}+)?"  # [label](url
    r"|\[" + _LABEL + r"{0,999}+"  # ![alt][ref
    r"|" + _REFERENCE_TAIL + r")?)?\Z"  # [ref]: url
    r"|\]\("
    + _OPEN_GAP
    + r"<?(?:"
    + URL_START
    + r"[^\s()<>]{0,4095}+)?\Z"  # ](url of a label it cannot read
    r"|(?i:<(?:(?:" + "|".join(_LONG_TAGS) + r")\b[^<>]{0,4200}+"  # <img src=...
    r"|(?:" + "|".join(reversed(_TAG_PREFIXES)) + r")))\Z"  # "<", "<i", "<im"... at the end
    # style="...": the whole value (its CSS may fetch), from its "s" (the letter before
    # the look back: much faster to search)
    r"|[sS](?<![\w-].)(?:[tT](?:[yY](?:[lL](?:[eE]"
    r"(?:\s{0,4}+(?:=\s{0,4}+" + _STYLE_VALUE + r")?)?)?)?)?)?\Z"
)
# CSS still being written in a <style> element (searched only there: it matches the
# last word of any text): a word that may be "url(" (escapes too) and its argument,
# image-set(..., @import "...
_OPEN_CSS = re.compile(
    r"(?<![\w\\-])(?:[\w-]|\\[0-9a-fA-F]{1,6}[ \t\r\n\f]?|\\[^\n\r\f0-9a-fA-F]|\\){1,64}+"
    r"(?:\(" + _CSS_SPACE + r"{0,64}+" + _CSS_ARGUMENT + r")?\Z"
    r"|(?i:(?:-webkit-)?image-set\([^()]{0,4096}+)\Z"
    r"|(?i:@(?:i(?:m(?:p(?:o(?:r(?:t(?:" + _CSS_SPACE + r"{0,64}+"
    r"(?:[\"'][^\"']{0,4096}+)?)?)?)?)?)?)?)?)\Z"
)


def open_construct(
    text: str,
    lows: tuple[int, int],
    end: int,
    in_style: bool,
    escaped: OpenEscapedReferences,
) -> tuple[int | None, int | None]:
    """Where the earliest constructs the output detectors may still match, open at
    ``end``, start: markup, searched from ``lows[0]``, and escaped references (``escaped``
    follows this text) or CSS, from ``lows[1]``; ``in_style``: ``end`` is in a <style>.
    Searched apart, so a long open escaped label (``[\\[\\[…``) does not make each markup
    search go back to it."""
    match = _OPEN_MARKUP.search(text, lows[0], end)
    markup = None if match is None else match.start()
    lo = lows[1]
    other = None
    if text.find("\\", lo, end) >= 0:  # else _OPEN_MARKUP finds the same
        other = escaped.search(text, lo, end)
    if in_style and (match := _OPEN_CSS.search(text, lo, end)) is not None:
        other = match.start() if other is None else min(other, match.start())
    return markup, other


# Reference-style images (``![alt][r]`` ... ``[r]: url``) may sit any distance apart;
# labels and definitions seen so far are kept for the stream (bounded) and put in
# front of each rescan, so a pair is judged as in the whole answer. Past the bounds a
# pair could no longer be judged, so the stream is stopped instead (fail closed):
# decoy references must not push a real one out, nor make every rescan huge.
MAX_REFERENCES = 64
MAX_REFERENCE_PREFIX = 16384  # chars of earlier references put in front of one rescan


class ReferenceMemory:
    """Image labels and definitions seen in a stream's rescans so far (bounded)."""

    def __init__(self) -> None:
        self._image_labels: set[str] = set()
        self._definitions: dict[str, str] = {}
        self.overflow = False

    def prefix(self, text: str) -> str:
        """Earlier image labels and definitions paired with ones in ``text``, as lines
        to put in front of it (then a blank line: nothing in front joins its first
        paragraph). Remembers those of ``text``."""
        if "]" not in text:
            return ""
        labels = image_reference_labels(text)
        lines = [self._definitions[k] for k in labels if k in self._definitions]
        if "]:" in text:
            for m in REFERENCE.finditer(text):
                label = reference_label(m.group("label"))
                if label in self._image_labels:
                    lines.append(f"![][{m.group('label')}]")
                if label in self._definitions or len(self._definitions) < MAX_REFERENCES:
                    self._definitions[label] = m.group(0)
                else:
                    self.overflow = True
        for label in labels:
            if label in self._image_labels or len(self._image_labels) < MAX_REFERENCES:
                self._image_labels.add(label)
            else:
                self.overflow = True
        joined = "".join(line + "\n" for line in lines)
        if len(joined) > MAX_REFERENCE_PREFIX:
            self.overflow = True
            return ""
        return joined + "\n" if joined else ""


class StyleElements:
    """Where the ``<style>`` elements of a growing text lie (as ``css.style_elements``
    finds them), so a rescan that starts inside one can be told so."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []  # from "<style" to its "</style"
        self._open: int | None = None  # the "<style" of one not closed yet
        self._at = 0  # where the next search starts
        self._seen = 0  # the length of the text taken in

    def advance(self, text: str) -> None:
        """Take in ``text``, which extends the text of the last call."""
        if self._seen == len(text):
            return
        self._seen = len(text)
        if text.find("<", self._at) < 0:  # the common case: no tag at all
            self._at = len(text)
            return
        while True:
            if self._open is None:
                found = STYLE_OPEN.search(text, self._at)
            else:
                found = STYLE_CLOSE.search(text, self._at)
            if found is None:
                # A tag still being written starts at most 8 chars back.
                self._at = max(self._at, len(text) - 8)
                return
            if self._open is None:
                self._open = found.start()
            else:
                self._spans.append((self._open, found.start()))
                self._open = None
            self._at = found.end()

    @property
    def first_read(self) -> int:
        """The first position of the text that a later call may read."""
        return self._at

    def shift(self, cut: int) -> None:
        """The text lost its first ``cut`` chars (none at or after ``first_read``)."""
        self._spans = [(start - cut, end - cut) for start, end in self._spans if end > cut]
        if self._open is not None:
            self._open -= cut
        self._at -= cut
        self._seen -= cut

    def inside(self, at: int) -> bool:
        """Whether ``at`` lies after the "<style" of an element and before its end."""
        if self._open is not None and self._open < at:
            return True
        if not self._spans:
            return False
        index = bisect.bisect_left(self._spans, (at,)) - 1
        return index >= 0 and at < self._spans[index][1]


# --- the output guard on a stream ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Violation:
    finding: Finding
    reason: str

    def audit(self) -> dict[str, Any]:
        f = self.finding
        return {
            "detector": f.detector,
            "kind": f.kind,
            "score": round(f.score, 4),
            "sensitivity": SENSITIVITY_NAMES[f.sensitivity],
            "fingerprint": f.fingerprint,
            "reason": self.reason,
        }


def output_violations(
    findings: list[Finding], prompt_findings: list[Finding], settings: OutputGuardSettings
) -> list[Violation]:
    """Which answer findings the output guard must stop."""
    found: list[Violation] = []
    if not findings:
        return found
    fresh = {id(f) for f in new_sensitive_findings(prompt_findings, findings)}
    for finding in findings:
        name = finding.detector
        if name == "output.exfil_link" and settings.block_exfiltration:
            found.append(Violation(finding, "a link or image to a domain not on the allowlist"))
        elif name == "output.canary_leak" and settings.block_canary_leaks:
            found.append(Violation(finding, "a canary token from the system prompt"))
        elif name == "output.html_injection" and settings.block_html:
            found.append(Violation(finding, "HTML or script in the answer"))
        elif id(finding) in fresh:
            if name.startswith("secrets.") and settings.block_new_secrets:
                found.append(Violation(finding, "a credential that was not in the prompt"))
            elif (
                not name.startswith(("secrets.", "output."))
                and settings.block_new_personal_data
                and finding.sensitivity >= Sensitivity.CONFIDENTIAL
            ):
                found.append(Violation(finding, "sensitive data that was not in the prompt"))
    return found


# Text before everything a later call of the guard reads is dropped once this long
# (and ``_SPARE`` chars more are kept).
_DEAD_TEXT = 1 << 12
_SPARE = 64

# How far back a streamed rescan must reach. A match that ends in new text but begins
# before the rescan's start would be missed, so each rescan starts at the earliest
# construct still open (``stream_context.open_construct``: its text so far is a prefix
# of something the output detectors match), and at least ``_CONTEXT_FLOOR`` chars back
# for the short patterns (credentials, javascript: URLs).
_CONTEXT_FLOOR = 256


def _too_many_references(at: int) -> Violation:
    finding = new_finding(
        "output.exfil_link",
        "reference-overflow",
        at,
        at,
        1.0,
        f"more than {MAX_REFERENCES} link references (or {MAX_REFERENCE_PREFIX} characters"
        " of them) in one streamed answer: too many to pair with their uses safely",
        Sensitivity.CONFIDENTIAL,
        "",
    )
    return Violation(finding, "too many link references in a streamed answer to check")


class StreamOutputGuard:
    """Scans a streamed answer, holding back text until it is checked.

    ``feed`` returns the text that is now safe to release; once a violation is
    found, nothing more is released. The hold is the last ``window`` chars plus
    any markdown image/link, HTML tag, style attribute or CSS token still open at the
    release point, so at most ``max(window, MAX_CONSTRUCT)`` chars. Every rescan starts
    at the earliest open construct (and at least ``max(window, _CONTEXT_FLOOR)`` back,
    more for long canaries, ``LABEL_REACH`` before a markdown destination no rescan has
    judged yet: see ``rescans``), with earlier references and an open ``<style>``
    element put in front, so any chunking of an answer gets the verdict the whole
    answer gets from the same detectors, except that markup inside a fenced code block
    opened before the rescan's start scores as if outside one (stricter). Text no
    later rescan reads is dropped, so a long answer costs linear time.
    """

    def __init__(
        self,
        engine: Engine,
        settings: OutputGuardSettings,
        prompt_findings: list[Finding],
    ) -> None:
        self._engine = engine
        self._settings = settings
        self._prompt = prompt_findings
        self._window = settings.window_tokens * CHARS_PER_TOKEN
        longest_canary = max((len(c) for c in settings.canaries), default=0)
        # Spelled-out canaries put up to 3 separators between characters.
        self._context = max(self._window, _CONTEXT_FLOOR, 4 * longest_canary + 8)
        self._text = ""  # the answer from ``_base`` on (positions below are in it)
        self._base = 0  # how many chars of the answer were dropped (read no more)
        self._released = 0
        self._scanned_to = 0
        self._next_start = 0  # where the next rescan starts
        self._open_at: int | None = None  # earliest construct still open at _open_to
        self._markup_at: int | None = None  # earliest markup (_OPEN_MARKUP) open there
        self._open_to = 0
        self._references = ReferenceMemory()
        self._styles = StyleElements()
        self._escaped = OpenEscapedReferences()
        self._judged = JudgedDestinations()
        self.violations: list[Violation] = []

    def _track_open(self, end: int) -> None:
        # A construct open now was open at the last check too (a prefix of a prefix),
        # so the search only needs to go back to the last open one, or the last check.
        # Markup, always searched, goes back only to its own (its matches are prefixes
        # of its own); the others, searched only at times, to the earliest of all.
        lows = (self._markup_at, self._open_at)
        # - 1: a "!" before a "["
        markup_lo, other_lo = (
            max((self._open_to if at is None else at) - 1, end - MAX_CONSTRUCT, 0) for at in lows
        )
        self._styles.advance(self._text)
        in_style = self._styles.inside(end)
        found = open_construct(self._text, (markup_lo, other_lo), end, in_style, self._escaped)
        self._markup_at = found[0]
        opened = [at for at in found if at is not None]
        self._open_at = min(opened) if opened else None
        self._open_to = end

    def _scan_tail(self, end: int) -> None:
        """Scan up to ``end``, which is no later than any construct still open there
        (``_track_open(end)`` ran): a half-streamed URL must not be judged by its
        partial host."""
        start = self._next_start
        destination = self._first_unjudged_destination(start, end)
        if destination is not None:
            # Whether a destination is an image's is read from the LABEL_REACH (+ 2)
            # chars before it: give it the same view as the whole answer. Only one whose
            # URL may name a host is judged (links.HOSTED_DESTINATION), and those before
            # ``start``, or that passed with that view before, were judged already.
            start = max(0, min(start, destination - LABEL_REACH - 2))
        text = self._text[start:end]
        self._styles.advance(self._text)
        prefix = self._references.prefix(text)
        if self._styles.inside(start):
            prefix += "<style>"  # the rescan starts inside a <style> element
        # Labels read into the prefix are not the answer's: only those after it judge
        # as the whole answer does (at the answer's start, all do).
        at = self._base + start  # in the answer
        full_view = 0 if at == 0 and not prefix else len(prefix) + LABEL_REACH + 2
        rescan = Rescan(
            self._judged, len(prefix), at - len(prefix), full_view, len(prefix) + len(text)
        )
        with rescanning(rescan):
            findings = self._engine.scan(prefix + text, origin="assistant")
        self.violations = output_violations(findings, self._prompt, self._settings)
        if self._references.overflow and self._settings.block_exfiltration:
            self.violations.append(_too_many_references(self._base + end))
        self._scanned_to = end
        floor = max(0, end - self._context)
        self._next_start = floor if self._open_at is None else min(floor, self._open_at)
        # No later rescan starts before this (see above).
        self._judged.forget_before(self._base + self._next_start - LABEL_REACH - 2)

    def _first_unjudged_destination(self, start: int, end: int) -> int | None:
        """The "]" of the first destination in ``[start, end)`` that may name a host and
        has not passed a rescan yet."""
        passed, base = self._judged.passed, self._base
        for m in HOSTED_DESTINATION.finditer(self._text, start, end):
            if base + m.start() not in passed:
                return m.start()
        return None

    def feed(self, chunk: str) -> str:
        if self.violations:
            return ""
        self._text += chunk  # a copy of what is held: see _drop_dead_text
        end = len(self._text)
        if end - self._released <= self._window:
            return ""
        self._track_open(end)
        release_to = end - self._window
        if self._open_at is not None:
            release_to = min(release_to, self._open_at)
        if release_to <= self._released:
            # Nothing could be released: the scan waits (it covers all since the last).
            return ""
        self._scan_tail(end if self._open_at is None else self._open_at)
        if self.violations:
            return ""
        out = self._text[self._released : release_to]
        self._released = release_to
        self._drop_dead_text()
        return out

    def _drop_dead_text(self) -> None:
        """Drop the text no later call reads, once there is as much of it as of the rest
        (and ``_DEAD_TEXT`` at least). Each delta copies the text kept, and each drop the
        rest: kept whole, a 400 KB answer in 8-char deltas cost 1 to 4.5 s of copying."""
        end = len(self._text)
        if end < _DEAD_TEXT:
            return
        self._styles.advance(self._text)
        # Searches for open constructs go back to one char before the last found (or
        # the last check); a few more chars are kept, should one be found a char back.
        positions = [self._released, self._next_start - LABEL_REACH - 2, self._open_to]
        positions += [at for at in (self._open_at, self._markup_at) if at is not None]
        cut = min(*positions, self._styles.first_read) - _SPARE
        if cut < max(_DEAD_TEXT, end - cut):
            return
        self._text = self._text[cut:]
        self._base += cut
        self._released -= cut
        self._scanned_to -= cut
        self._next_start -= cut
        self._open_to -= cut
        if self._open_at is not None:
            self._open_at -= cut
        if self._markup_at is not None:
            self._markup_at -= cut
        self._styles.shift(cut)
        self._escaped.shift(cut)

    def release_all(self) -> str:
        """Everything held back, unchecked (for a guard that failed open)."""
        out = self._text[self._released :]
        self._released = len(self._text)
        return out

    def finish(self) -> str:
        if self.violations:
            return ""
        if self._scanned_to < len(self._text) or not self._text:
            self._open_at = None  # the answer is complete: judge everything
            self._scan_tail(len(self._text))
        if self.violations:
            return ""
        out = self._text[self._released :]
        self._released = len(self._text)
        return out
