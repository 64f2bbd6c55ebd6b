"""The detection view: a text as detectors read it, with the way back to the original.

Sensitive values slip past pattern detectors when written with characters that
look like the usual ones or show nothing at all: a zero-width space inside an
e-mail address, no-break spaces between card digit groups, full-width or
Arabic-Indic digits, an en dash in an SSN. The engine hands its detectors a view
of each text in which

- one character stands for one, so offsets hold: decimal digits of every script
  become ASCII digits, space separators a space (line and paragraph separators a
  line break), dashes and minus signs ``-``, full-width ASCII forms their ASCII
  character;
- characters that show nothing are dropped: zero-width and invisible formatting
  characters, soft hyphens, bidi controls, tag characters; the joiners ZWJ/ZWNJ
  only next to ASCII letters and digits (emoji sequences and Persian or Indic
  words need theirs); combining marks only after an ASCII character, where they
  decorate a value rather than spell a word (an accent on a key's letter would
  otherwise hide it; a decomposed "e" and acute accent reads as "e");
- Cyrillic, Greek and Armenian letters that look like ASCII ones are read as
  those, in tokens that mix them with ASCII letters or digits (a Cyrillic "A"
  opening an AWS key id), one for one;
- escapes of one printable ASCII character read as it: percent-encoding
  (``alice%40example.com``), HTML character references (``&#64;``, ``&commat;``),
  ``\\u0041`` and ``\\x41``; a backslash line continuation inside a value is
  dropped (``ramparts.detectors.view_decoding`` says which and where).

A finding on the view is mapped back so that it starts at its first character's
original offset and ends after its last character's (a decoded escape's last
character included): characters dropped inside a value fall inside its span
(and are redacted with it). Fingerprints are of the value as the view reads
it, so a card number with and without no-break spaces, or an address with and
without ``%40``, has one fingerprint.

ASCII text, nearly all text, is its own view at the cost of one ``str.isascii``
and a look for ``%``, ``&`` and ``\\`` (``in``: about 0.5 us per KB together); the
escape regexes run only on text holding one. Other text is looked at through
its non-ASCII characters only (about ten per kilobyte of European prose); the
text is rebuilt only when one of them needs it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ramparts.detectors.base import Finding, new_finding
from ramparts.detectors.view_decoding import (
    LOOKALIKE_CHARS,
    Edit,
    applied,
    escape_edits,
    folded_lookalikes,
)

# Shown as nothing. A superset of the prompt-injection normaliser's invisible and bidi
# characters (a test checks it), with the byte-order mark, LRM/RLM/ALM and the
# interlinear annotation controls; tag characters are added as a range below.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f"
    "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164"
    "\ufeff\uffa0\ufff9\ufffa\ufffb"
)
_TAGS = (0xE0000, 0xE007F)
# Needed by emoji sequences and some scripts: dropped only next to ASCII letters/digits.
_JOINERS = frozenset("\u200c\u200d")
# Unicode decimal digits, dashes and combining marks all live below this (checked by a
# test), but for the variation selectors supplement, added as a range.
_TABLE_LIMIT = 0x20000
_VARIATION_SUPPLEMENT = (0xE0100, 0xE01EF)
_CATEGORIES = frozenset({"Nd", "Zs", "Zl", "Zp", "Pd", "Mn", "Me"})
_EXTRA_MINUS = "\u02d7\u2212\u2796"  # modifier-letter minus, minus sign, heavy minus
_FULL_WIDTH = (0xFF01, 0xFF5E)
_FULL_WIDTH_SHIFT = 0xFEE0
# Past this many distinct characters to replace, one translate pass beats a replace each.
_MANY_REPLACEMENTS = 16
_ASCII_BYTES = bytes(range(128))
_ASCII_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True, slots=True)
class _Tables:
    one_for_one: dict[str, str]
    replaceable: frozenset[str]  # the keys of one_for_one
    translation: dict[int, str]
    invisible: frozenset[str]  # tag characters included
    marks: frozenset[str]
    # Characters whose presence means work: the keys of one_for_one, and the droppable.
    work: frozenset[str]
    droppable: frozenset[str]


@functools.cache
def _tables() -> _Tables:
    """Built on first use (tens of ms), not at import: ASCII-only callers never pay it."""
    one_for_one: dict[str, str] = {}
    marks = list(map(chr, range(_VARIATION_SUPPLEMENT[0], _VARIATION_SUPPLEMENT[1] + 1)))
    codes = range(0x80, _TABLE_LIMIT)
    categories = list(map(unicodedata.category, map(chr, codes)))
    for code in itertools.compress(codes, map(_CATEGORIES.__contains__, categories)):
        char = chr(code)
        category = categories[code - 0x80]
        if category == "Nd":
            one_for_one[char] = str(unicodedata.decimal(char))
        elif category == "Zs":
            one_for_one[char] = " "
        elif category in ("Zl", "Zp"):
            one_for_one[char] = "\n"
        elif category == "Pd":
            one_for_one[char] = "-"
        elif char not in _INVISIBLE:  # a combining mark
            marks.append(char)
    for char in _EXTRA_MINUS:
        one_for_one[char] = "-"
    for code in range(_FULL_WIDTH[0], _FULL_WIDTH[1] + 1):
        one_for_one[chr(code)] = chr(code - _FULL_WIDTH_SHIFT)
    invisible = _INVISIBLE | frozenset(map(chr, range(_TAGS[0], _TAGS[1] + 1)))
    droppable = invisible | _JOINERS | frozenset(marks)
    return _Tables(
        one_for_one,
        frozenset(one_for_one),
        {ord(char): value for char, value in one_for_one.items()},
        invisible,
        frozenset(marks),
        frozenset(one_for_one) | droppable,
        droppable,
    )


@dataclass(frozen=True, slots=True)
class DetectionView:
    """A text as detectors read it; ``dropped`` says where characters were removed.

    ``dropped`` holds, for each removed character in order, the view offset of the
    character that followed it (a run of three removed characters adds one offset
    three times). Empty when nothing was removed: offsets are then the original ones.
    A decoded escape (``%40`` read as ``@``) is its first character kept and the rest
    removed; ``wide`` maps the view offset of such a character to how many removed
    characters it also stands for, so a value ending with it ends after them. A view
    made from another (escapes decoded on the view of a text with invisible
    characters) has that one as ``below``: offsets map through it to the original.
    """

    text: str
    dropped: tuple[int, ...] = ()
    wide: Mapping[int, int] = field(default_factory=dict)
    below: DetectionView | None = None

    def original(self, offset: int) -> int:
        """The original offset of the view's character at ``offset``."""
        own = offset + bisect.bisect_right(self.dropped, offset)
        return own if self.below is None else self.below.original(own)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the view's ``[start, end)``: from its first character to
        just after its last (and what it stands for), so characters removed inside the
        span are inside it."""
        first = start + bisect.bisect_right(self.dropped, start)
        if end <= start:
            after = first
        else:
            last = end - 1
            after = last + bisect.bisect_right(self.dropped, last) + 1 + self.wide.get(last, 0)
        return (first, after) if self.below is None else self.below.original_span(first, after)

    def mapped(self, findings: list[Finding]) -> list[Finding]:
        """``findings`` made on the view, with their spans on the original text."""
        if not self.dropped and self.below is None:
            return findings
        mapped: list[Finding] = []
        for finding in findings:
            start, end = self.original_span(finding.start, finding.end)
            mapped.append(
                new_finding(
                    finding.detector,
                    finding.kind,
                    start,
                    end,
                    finding.score,
                    finding.explanation,
                    finding.sensitivity,
                    finding.fingerprint,
                )
            )
        return mapped


def detection_view(text: str) -> DetectionView | None:
    """The view of ``text`` (see the module docstring); None when it is ``text`` itself."""
    view = None if text.isascii() else _unicode_view(text)
    shown = text if view is None else view.text
    edits = escape_edits(shown)
    return view if not edits else _edited(shown, edits, view)


def _edited(text: str, edits: list[Edit], below: DetectionView | None) -> DetectionView:
    """The view of ``text`` (the view ``below`` shows, or the original) with ``edits``."""
    edited, dropped, wide = applied(text, edits)
    if below is not None and not below.dropped and below.below is None:
        below = None  # one for one: its offsets are the original ones
    return DetectionView(edited, dropped, wide, below)


def _unicode_view(text: str) -> DetectionView | None:
    """The view of a non-ASCII text's Unicode variants and look-alike letters."""
    tables = _tables()
    # The distinct non-ASCII characters, found on the text with its ASCII bytes deleted.
    residue = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    others = residue.decode("utf-8", "surrogatepass")
    distinct = set(others)  # then each table is intersected with a few characters
    present = tables.work.intersection(distinct)
    lookalikes = LOOKALIKE_CHARS.intersection(distinct)
    if not present and not lookalikes:
        return None
    replaced = present & tables.replaceable
    if len(replaced) > _MANY_REPLACEMENTS:
        text = text.translate(tables.translation)
    else:
        for char in replaced:
            text = text.replace(char, tables.one_for_one[char])
    hidden = present & tables.droppable
    view = _without_hidden(text, hidden, tables) if hidden else None
    if lookalikes:
        shown = text if view is None else view.text
        folded = folded_lookalikes(shown, lookalikes, len(others))
        if folded is not None:
            return DetectionView(folded) if view is None else DetectionView(folded, view.dropped)
    if view is None and replaced:
        return DetectionView(text)
    return view


def _without_hidden(text: str, hidden: frozenset[str], tables: _Tables) -> DetectionView | None:
    """``text`` without the characters of ``hidden`` that show nothing where they are."""
    marks = hidden & tables.marks
    joiners = hidden & _JOINERS
    # Marks count only after ASCII characters, joiners only next to ASCII letters and
    # digits (or invisible characters); one regex search says whether any does. In
    # the usual case none: they belong to other scripts' letters and to emoji.
    if hidden.isdisjoint(tables.invisible):
        if not _next_to_ascii(marks, joiners).search(text):
            return None
    elif marks and not _next_to_ascii(marks, frozenset()).search(text):
        hidden -= marks
    drops: list[int] = []  # original offsets, ascending
    size = len(text)
    for start, end in _runs(text, hidden):
        group = text[start:end]
        before = text[start - 1] if start else ""
        if before in _ASCII_ALNUM or (before and before.isascii() and not marks.isdisjoint(group)):
            drops.extend(range(start, end))
            continue
        # Elsewhere invisible characters go; joiners with them, or before an ASCII
        # letter or digit; marks stay (they belong to the letter before them).
        with_invisible = not tables.invisible.isdisjoint(group)
        joiners_go = with_invisible or (end < size and text[end] in _ASCII_ALNUM)
        for offset, char in enumerate(group, start):
            if char in tables.invisible or (joiners_go and char in _JOINERS):
                drops.append(offset)
    if not drops:
        return None
    pieces: list[str] = []
    kept_from = 0
    for offset in drops:
        pieces.append(text[kept_from:offset])
        kept_from = offset + 1
    pieces.append(text[kept_from:])
    return DetectionView("".join(pieces), tuple(offset - n for n, offset in enumerate(drops)))


def _runs(text: str, chars: frozenset[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of ``chars`` in ``text``, in order. Located with
    ``str.find`` per character: a C scan, faster than a regex over the text."""
    offsets: list[int] = []
    for char in chars:
        at = text.find(char)
        while at != -1:
            offsets.append(at)
            at = text.find(char, at + 1)
    offsets.sort()
    runs: list[tuple[int, int]] = []
    for offset in offsets:
        if runs and runs[-1][1] == offset:
            runs[-1] = (runs[-1][0], offset + 1)
        else:
            runs.append((offset, offset + 1))
    return runs


@functools.lru_cache(maxsize=256)
def _next_to_ascii(marks: frozenset[str], joiners: frozenset[str]) -> re.Pattern[str]:
    """Matches where one of ``marks`` follows an ASCII character, or one of ``joiners``
    follows or precedes an ASCII letter or digit."""
    branches = [f"[\\x00-\\x7f][{_class(marks)}]"] if marks else []
    if joiners:
        branches += [f"[A-Za-z0-9][{_class(joiners)}]", f"[{_class(joiners)}][A-Za-z0-9]"]
    return re.compile("|".join(branches))


def _class(chars: Iterable[str]) -> str:
    """A regex character class body holding ``chars``, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        re.escape(chr(low)) if low == high else f"{re.escape(chr(low))}-{re.escape(chr(high))}"
        for low, high in ranges
    )
