"""Where a reference with escaped brackets, still open at the end of a growing answer,
starts: found in time linear in the answer.

The streamed output guard holds back any construct the output detectors may still match
(``stream_context.open_construct``). For reference labels with escaped brackets
(``![alt][r\\]x``, ``[r\\]x]: url``) that is the first match of
``escaped_reference_pattern``; searched at every delta, it cost up to 2,000 steps per "["
of a flood like ``\\[\\[\\[…``, since each "[" opens a label that reads on (escaped
brackets included) to its 999-token limit before failing. ``OpenEscapedReferences`` reads
each char about once instead. Every "[" inside one label's run of tokens is escaped, so
it reads the rest of that run the same way: the run is read once, and each such "[" only
needs its count of tokens to the run's end, which is a subtraction.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass, field

LABEL_TOKENS = 999  # label tokens (a char, or "\\" and the char it escapes)
TAIL_SPACES = 64
TAIL_URL = 4096
# A token of a label: a char that is no bracket, "\\" or line break, or a "\\" and the
# char it escapes (alone at the end of the text or a line).
_LABEL_CHAR = r"(?:[^\[\]\\\n]|\\[^\n]?)"
_RUN = re.compile(r"(?:[^\[\]\\\n]++|\\[^\n]?)*+")  # tokens up to a stop: "[", "]", "\n"
_ESCAPE = re.compile(r"\\[^\n]")  # a two-char token, found from a token boundary
_LAST_BAD = re.compile(r"(?s:.*)[\s<>]")  # up to the last char no URL may hold


def reference_tail(spaces: int = TAIL_SPACES, url: int = TAIL_URL) -> str:
    """What may follow a definition's "]": ``: url`` (the URL may be on the next line)."""
    gap = rf"[ \t]{{0,{spaces}}}+"
    return rf":{gap}(?:\r?\n{gap})?<?(?P<url>[^\s<>]{{0,{url}}}+)"


def escaped_reference_pattern(
    label: int = LABEL_TOKENS, spaces: int = TAIL_SPACES, url: int = TAIL_URL
) -> re.Pattern[str]:
    """Every prefix of ``![alt][r\\]x``, ``[r\\]x]: url`` and the like, to the end."""
    return re.compile(
        rf"!?\[{_LABEL_CHAR}{{0,{label}}}+"
        rf"(?:\](?:\[{_LABEL_CHAR}{{0,{label}}}+|{reference_tail(spaces, url)})?)?\Z"
    )


@dataclass
class _Run:
    """The tokens of a label from ``begin``, and the "[" whose labels read like it (the
    one before ``begin``, and escaped ones in it), each with the tokens before its label."""

    begin: int
    resume: int = -1  # a token boundary: tokens before it are counted
    tokens: int = 0  # tokens from ``begin`` to ``resume``
    pending: int = 0  # 1 for a "\\" alone at the end (it may escape the next char)
    stop: int | None = None  # the "[", "]" or line break that ends the run, once seen
    openers: deque[tuple[int, int]] = field(default_factory=deque)

    @classmethod
    def at(cls, bracket: int) -> _Run:
        return cls(bracket + 1, bracket + 1, openers=deque([(bracket, 0)]))

    def read(self, text: str, end: int, label: int) -> None:
        """Read on to ``end`` (or the stop), dropping openers whose labels grew too long."""
        if self.stop is None:
            self._read(text, end)
        total = self.tokens + self.pending
        while self.openers and total - self.openers[0][1] > label:
            self.openers.popleft()

    def _read(self, text: str, end: int) -> None:
        start = self.resume
        stop = _RUN.match(text, start, end).end()  # type: ignore[union-attr]  # matches ""
        escapes = 0
        last_escape = -2
        for m in _ESCAPE.finditer(text, start, stop):
            at = m.start()
            escapes += 1
            last_escape = at
            if text[at + 1] == "[":  # an escaped "[": its label reads like this one
                self.openers.append((at + 1, self.tokens + at - start - escapes + 2))
        self.tokens += stop - start - escapes
        self.resume, self.pending = stop, 0
        if stop < end:
            self.stop = stop
        elif stop > start and text[stop - 1] == "\\" and last_escape != stop - 2:
            # A "\\" alone at the end: the next char may pair with it.
            self.tokens -= 1
            self.resume, self.pending = stop - 1, 1

    @property
    def reaches_end(self) -> bool:
        return self.stop is None

    def first_read(self) -> int:
        """The first position a later call may read (an opener's "!" included)."""
        first = self.resume if self.stop is None else self.stop
        return min(first, self.openers[0][0] - 1) if self.openers else first

    def shift(self, cut: int) -> None:
        self.begin -= cut
        self.resume -= cut
        if self.stop is not None:
            self.stop -= cut
        self.openers = deque((at - cut, tokens) for at, tokens in self.openers)


@dataclass
class _Closed:
    """Openers whose labels all end at the "]" at ``close``: open while what follows it
    is (nothing yet, ``[label`` or ``: url``)."""

    close: int
    openers: deque[tuple[int, int]]
    second: _Run | None = None  # the label of ``[alt][label``
    url: int | None = None  # where the URL of ``]: url`` starts, once it has

    def first_read(self) -> int:
        return min(self.openers[0][0] - 1, self.close)

    def shift(self, cut: int) -> None:
        self.close -= cut
        self.openers = deque((at - cut, tokens) for at, tokens in self.openers)
        if self.second is not None:
            self.second.shift(cut)
        if self.url is not None:
            self.url -= cut


@functools.lru_cache(maxsize=8)
def _patterns(
    label: int, spaces: int, url: int
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The patterns an :class:`OpenEscapedReferences` searches with, built once per limits:
    one is made for every choice of every streamed answer, and formatting and looking up
    three patterns in ``re``'s cache cost more than the rest of it."""
    return (
        escaped_reference_pattern(label, spaces, url),
        re.compile(reference_tail(spaces, url) + r"\Z"),
        # ": " then a "\r" at the end: no match until the "\n" comes, then one again.
        re.compile(rf":[ \t]{{0,{spaces}}}+\r\Z"),
    )


class OpenEscapedReferences:
    """The earliest match of ``escaped_reference_pattern`` open at the end of a text that
    grows (the text of each call extends the text of the last)."""

    def __init__(
        self, label: int = LABEL_TOKENS, spaces: int = TAIL_SPACES, url: int = TAIL_URL
    ) -> None:
        self._label = label
        self._url = url
        self._pattern, self._tail, self._tail_at_return = _patterns(label, spaces, url)
        self._reset()

    def _reset(self) -> None:
        self._head: _Run | _Closed | None = None  # holds the earliest opener still open
        self._next = 0  # where the next "[" is looked for when there is no head
        self._end = 0
        self._bad = -1  # the last char before ``_bad_to`` that no URL may hold
        self._bad_to = 0

    def shift(self, cut: int) -> None:
        """The text lost its first ``cut`` chars, and no later search starts before
        them. Openers read from before ``cut`` are forgotten: the "[" from ``cut`` on are
        read afresh (the label one opens depends only on the text after it)."""
        if self._head is not None and self._head.first_read() < cut:
            self._head, self._next = None, cut
        self._next = max(self._next, cut) - cut  # used only when there is no head
        if self._bad_to < cut:  # no URL read from now on starts before ``cut``
            self._bad, self._bad_to = cut - 1, cut
        self._bad -= cut
        self._bad_to -= cut
        self._end -= cut
        if self._head is not None:
            self._head.shift(cut)

    def search(self, text: str, lo: int, end: int) -> int | None:
        """``escaped_reference_pattern().search(text, lo, end)``'s start, or None."""
        if end < self._end:  # not the text this one followed: start again
            self._reset()
        self._end = end
        earliest = self._earliest(text, end)
        if earliest is None:
            return None
        if earliest < lo:  # only when ``lo`` passes over an open one: ask the pattern
            match = self._pattern.search(text, lo, end)
            return None if match is None else match.start()
        return earliest - 1 if earliest > lo and text[earliest - 1] == "!" else earliest

    def _earliest(self, text: str, end: int) -> int | None:
        """The "[" of the earliest match open at ``end``."""
        while True:
            if self._head is None:
                bracket = text.find("[", self._next, end)
                if bracket < 0:
                    self._next = end
                    return None
                self._head = _Run.at(bracket)
            head = self._head
            if isinstance(head, _Run):
                head.read(text, end, self._label)
                if head.reaches_end:
                    return head.openers[0][0] if head.openers else None
                self._head = self._after_stop(text, head)
            else:
                state = self._closed_state(text, end, head)
                if state is not False:
                    return head.openers[0][0] if state else None
                self._head = head.second
                self._next = head.close + 1

    def _after_stop(self, text: str, run: _Run) -> _Closed | None:
        stop = run.stop
        assert stop is not None
        if text[stop] == "]" and run.openers:
            return _Closed(stop, run.openers)
        self._next = stop if text[stop] == "[" else stop + 1
        return None

    def _closed_state(self, text: str, end: int, closed: _Closed) -> bool | None:
        """Whether what follows the "]" keeps its openers open; None: not now, but
        perhaps again (a "\r" that a "\n" may follow)."""
        after = closed.close + 1
        if after == end:
            return True  # "[label]"
        if text[after] == "[":  # "[alt][label": open while that label is
            if closed.second is None:
                closed.second = _Run.at(after)
            second = closed.second
            second.read(text, end, self._label)
            return second.reaches_end and bool(second.openers) and second.openers[0][0] == after
        if text[after] != ":":
            return False
        if closed.url is None:  # ": " so far, at most a few dozen chars: read it again
            match = self._tail.match(text, after, end)
            if match is None:
                return None if self._tail_at_return.match(text, after, end) else False
            if match.end("url") > match.start("url"):
                closed.url = match.start("url")
            return True
        return end - closed.url <= self._url and self._last_bad(text, end) < closed.url

    def _last_bad(self, text: str, end: int) -> int:
        """The last char before ``end`` that no URL may hold (a space, "<" or ">")."""
        match = _LAST_BAD.match(text, self._bad_to, end)
        if match is not None:
            self._bad = match.end() - 1
        self._bad_to = end
        return self._bad
