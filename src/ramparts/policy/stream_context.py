"""What a streamed rescan must see besides its own text, to judge as the whole answer.

``StreamOutputGuard`` (``guard.py``) rescans a growing answer from a start it moves
forward. A construct the output detectors match must not be judged half-streamed
(``open_construct`` finds one still open at the end, so the guard holds it back and
starts the next rescan at it), and context from before the start is put in front:
earlier reference-style images and definitions (``ReferenceMemory``), and a "<style>"
when the start lies inside a ``<style>`` element (``StyleElements``).
"""

from __future__ import annotations

import bisect
import re

from ramparts.detectors.output.css import STYLE_CLOSE, STYLE_OPEN
from ramparts.detectors.output.links import REFERENCE, image_reference_labels, reference_label

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
_ESCAPED_LABEL = r"(?:[^\[\]\\\n]|\\[^\n]?)"  # links.LABEL_CHAR, or a "\" at the end
_REFERENCE_TAIL = r":[ \t]{0,64}+(?:\r?\n[ \t]{0,64}+)?<?[^\s<>]{0,4096}+"
_CSS_SPACE = r"[ \t\r\n\f]"
_CSS_ARGUMENT = r"(?:\"[^\"]{0,4096}+|'[^']{0,4096}+|[^\s\"'()]{0,4096}+)"
_STYLE_VALUE = r"(?:\"[^\"]{0,4096}+|'[^']{0,4096}+|[^\s\"'<>]{0,4096}+)"
# Each pattern matches every prefix of what it matches (the search for one still open
# goes back only to the last one found, or the last check).
_OPEN_MARKUP = re.compile(
    r"!?\[" + _LABEL + r"{0,999}+"
    r"(?:\](?:\(" + _OPEN_GAP + r"<?[^\s()<>\[\]]{0,4096}+"  # [label](url
    r"|\[" + _LABEL + r"{0,999}+"  # ![alt][ref
    r"|" + _REFERENCE_TAIL + r")?)?\Z"  # [ref]: url
    r"|\]\(" + _OPEN_GAP + r"<?[^\s()<>\[\]]{0,4096}+\Z"  # ](url of a label it cannot read
    r"|(?i:<(?:(?:" + "|".join(_LONG_TAGS) + r")\b[^<>]{0,4200}+"  # <img src=...
    r"|(?:" + "|".join(reversed(_TAG_PREFIXES)) + r")))\Z"  # "<", "<i", "<im"... at the end
    # style="...": the whole value (its CSS may fetch), from its "s" (the letter before
    # the look back: much faster to search)
    r"|[sS](?<![\w-].)(?:[tT](?:[yY](?:[lL](?:[eE]"
    r"(?:\s{0,4}+(?:=\s{0,4}+" + _STYLE_VALUE + r")?)?)?)?)?)?\Z"
)
# With escaped brackets: ![alt][r\]x, [r\]x]: url (searched only where a "\" is).
_OPEN_ESCAPED_REFERENCE = re.compile(
    r"!?\[" + _ESCAPED_LABEL + r"{0,999}+"
    r"(?:\](?:\[" + _ESCAPED_LABEL + r"{0,999}+|" + _REFERENCE_TAIL + r")?)?\Z"
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


def open_construct(text: str, lo: int, end: int, in_style: bool) -> int | None:
    """Where the earliest construct the output detectors may still match, open at
    ``end``, starts (searched from ``lo``); ``in_style``: ``end`` is in a <style>."""
    match = _OPEN_MARKUP.search(text, lo, end)
    at = None if match is None else match.start()
    escapes = text.find("\\", lo, end) >= 0
    for pattern, needed in ((_OPEN_ESCAPED_REFERENCE, escapes), (_OPEN_CSS, in_style)):
        if needed and (match := pattern.search(text, lo, end)) is not None:
            at = match.start() if at is None else min(at, match.start())
    return at


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

    def inside(self, at: int) -> bool:
        """Whether ``at`` lies after the "<style" of an element and before its end."""
        if self._open is not None and self._open < at:
            return True
        if not self._spans:
            return False
        index = bisect.bisect_left(self._spans, (at,)) - 1
        return index >= 0 and at < self._spans[index][1]
