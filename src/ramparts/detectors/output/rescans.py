"""Markdown destinations a streamed answer's rescans have already judged.

The streamed output guard rescans an answer's tail after each delta, and a markdown
destination's label is read from the ``LABEL_REACH`` chars before it, so every rescan
that held a destination reached back that far and judged it again: about 30 times each
in a link-heavy answer. A rescan of the guard now tells the link detector (through
:func:`rescanning`, a context variable: detectors see only their text) which inline
destinations an earlier rescan judged, with their whole label in view, and found
nothing: it skips them, so it reports what the same rescan reaching back would, and the
guard reaches back only for destinations not judged yet.

Only positions are kept (the "]" of each destination in the answer), never text.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class JudgedDestinations:
    """The "]" of each inline destination of one streamed answer that a rescan judged,
    its whole label in view, without a finding (positions in the answer)."""

    passed: set[int] = field(default_factory=set)
    _kept: int = 0  # how many were kept at the last pruning

    def forget_before(self, at: int) -> None:
        """Drop those before ``at`` (no rescan reaches them again), now and then."""
        if len(self.passed) > 2 * self._kept + 64:
            self.passed = {p for p in self.passed if p >= at}
            self._kept = len(self.passed)


@dataclass(frozen=True, slots=True)
class Rescan:
    """How the text the link detector is given lies in the answer."""

    judged: JudgedDestinations
    begin: int  # where the answer's text starts (after context put in front of it)
    offset: int  # the answer position of the text's first char
    full_view: int  # the first "]" (text index) whose label view is all the answer's
    length: int  # the text's length (another text, a window of it say, is not this one)

    def passed(self, bracket: int) -> bool:
        return bracket >= self.begin and bracket + self.offset in self.judged.passed

    def note_passed(self, bracket: int) -> None:
        if bracket >= self.full_view:
            self.judged.passed.add(bracket + self.offset)


_RESCAN: ContextVar[Rescan | None] = ContextVar("ramparts_output_rescan", default=None)


@contextmanager
def rescanning(rescan: Rescan) -> Iterator[None]:
    """Scans inside are of ``rescan``'s text (the link detector reads it)."""
    token = _RESCAN.set(rescan)
    try:
        yield
    finally:
        _RESCAN.reset(token)


def current_rescan(text: str) -> Rescan | None:
    """The rescan ``text`` is, if a streamed guard is scanning it."""
    rescan = _RESCAN.get()
    return rescan if rescan is not None and rescan.length == len(text) else None
