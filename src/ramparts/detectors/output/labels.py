"""Whether a markdown destination ``](url`` belongs to an image or a link.

The simple pattern in ``links`` reads ``![alt](url)`` and ``[text](url)`` with plain
labels. CommonMark labels may also nest brackets, escape them, break lines and run on
for any length, and code spans, HTML, autolinks and an inner link's destination or
title hide the brackets inside them: ``![a `[`](url)`` is an image. So a destination
counts as a link only when the text before it shows that its label opens with a plain
"[" (or that no label opens in its paragraph), else as an image: a link may score as
an image, never the reverse.

Only the ``LABEL_REACH`` chars before the "]" (and two more) are read, so a streamed
rescan that starts that far back judges a destination as the whole answer does.
"""

from __future__ import annotations

import re
from collections.abc import Callable

LABEL_REACH = 600  # how far back a destination looks for its "![" or "["
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_SPACE = re.compile(r"\s")
_STEPS = 64  # brackets or closed images stepped over before giving up (an image then)
# The end of an inner link's title: ``[z](x "[")`` hides the "[" in the title.
_TITLE_END = re.compile(r"[\"')][ \t\r\n]*\)")
_HIDING = ("`", ">", "\\")  # a code span, HTML or an autolink, an escape


def surely_closed(label: str) -> bool:
    """Whether an inline image's plainly read ``label`` surely ends at its "]": nothing
    in it can hide that bracket (so its "![" cannot be the opener of a later one)."""
    return not any(c in label for c in "`<>\\")


def opens_plainly(text: str, at: int, close: int) -> bool:
    """Whether the "[" at ``at`` surely opens the label that the "]" at ``close``
    closes, as the brackets between them were counted: nothing hides it or them."""
    if text[at - 1 : at] == "\\":
        return False
    segment = text[at:close]
    if any(c in segment for c in _HIDING) or _TITLE_END.search(segment):
        return False
    return not _inside_destination(text, max(0, close - LABEL_REACH), at)


def _inside_destination(text: str, lo: int, at: int) -> bool:
    """Whether ``at`` may lie in an inner link's bare destination (``[z](x[``)."""
    inner = text.rfind("](", lo, at)
    if inner < 0:  # one may run in from before the window, without spaces
        return lo > 0 and _SPACE.search(text, lo, at) is None
    rest = text[inner + 1 : at]
    return _SPACE.search(rest) is None and rest.count("(") > rest.count(")")


def label_start(
    text: str, close: int, closed_image: Callable[[int], int | None]
) -> tuple[int, bool]:
    """Where the label of the destination whose "]" is at ``close`` starts, and whether
    it is an image's. ``closed_image`` gives the "]" of the inline image at an "![",
    if its label is surely closed there (see :func:`surely_closed`)."""
    lo = max(0, close - LABEL_REACH)
    bang = _open_bang(text, lo, close, closed_image)
    if bang is not None:
        return bang, True
    # The paragraph starts in view (a blank line, even one just before ``lo``, or the
    # start of the text): the label, if any, opens with a "[" there.
    if lo == 0 or _BLANK_LINE.search(text, max(0, lo - 2), close) is not None:
        opener = text.rfind("[", lo, close)
        return (opener if opener >= 0 else close), False
    plain = _plain_opener(text, lo, close)
    if plain is None:  # the label may open further back, perhaps with "!["
        return lo, True
    return plain, False


def _open_bang(
    text: str, lo: int, close: int, closed_image: Callable[[int], int | None]
) -> int | None:
    """The last "![" in ``text[lo:close]`` and its paragraph not closed before ``close``."""
    at = close
    for _ in range(_STEPS):
        at = text.rfind("![", lo, at)
        if at < 0:
            return None
        end = closed_image(at)
        if end is None or end >= close:
            return at if _BLANK_LINE.search(text, at, close) is None else None
    return lo  # too many closed images to step over: as if one more were open


def _plain_opener(text: str, lo: int, close: int) -> int | None:
    """The "[" in ``text[lo:close]`` that the "]" at ``close`` closes, when it surely is
    a link's; None when the count of brackets back from ``close`` cannot tell."""
    opener = text.rfind("[", lo, close)  # the nearest "[" left of ``at``
    depth = 0
    at = close
    for _ in range(_STEPS):
        if opener < 0:
            return None
        closer = text.rfind("]", opener + 1, at)
        if closer >= 0:
            depth += 1
            at = closer
        elif depth:
            depth -= 1
            at = opener
            opener = text.rfind("[", lo, at)
        elif text[opener - 1 : opener] == "!" or not opens_plainly(text, opener, close):
            return None
        else:
            return opener
    return None
