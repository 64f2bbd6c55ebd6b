"""The escaped-reference tracker finds what a search of its pattern finds, at any growth."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.policy.open_references import OpenEscapedReferences, escaped_reference_pattern

# Pieces that make and break labels, escapes, definitions and their URLs.
_PIECES = ["[", "]", "\\", "\\[", "\\]", "!", ":", "]:", "][", " ", "\t", "\n", "\r", "\r\n"]
_PIECES += ["<", ">", "a", "bc", "(", "x"]
# Small bounds reach the label, space and URL limits in short texts.
_BOUNDS = [(2, 1, 2), (3, 2, 4), (5, 3, 6), (999, 64, 4096)]


@st.composite
def growths(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]]]:
    """A text, and the (end, lo) of each search as the text grows, ``lo`` as the stream
    guard passes it (just before the last one found, or the last end) or anywhere."""
    text = "".join(draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=40)))
    steps = []
    end = 0
    while end < len(text):
        end = min(len(text), end + draw(st.integers(1, 6)))
        anywhere = draw(st.booleans()) and draw(st.booleans())
        steps.append((end, draw(st.integers(0, end)) if anywhere else -1))
    return text, steps


@settings(max_examples=300, deadline=None)
@given(growths(), st.sampled_from(_BOUNDS))
def test_tracker_finds_what_the_pattern_finds(
    growth: tuple[str, list[tuple[int, int]]], bounds: tuple[int, int, int]
) -> None:
    text, steps = growth
    pattern = escaped_reference_pattern(*bounds)
    tracker = OpenEscapedReferences(*bounds)
    last: int | None = None
    last_end = 0
    for end, anywhere in steps:
        lo = anywhere if anywhere >= 0 else max(0, (last_end if last is None else last) - 1)
        match = pattern.search(text, lo, end)
        expected = None if match is None else match.start()
        assert tracker.search(text, lo, end) == expected, (text[:end], lo)
        last, last_end = expected, end


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The first "[" with at most 999 tokens after it (3 in each 4 chars).
        ("a \\[" * 3000, 12000 - 4 * 333 - 1),
        ("x ![a\\]b][r\\]", 2),
        ("[r\\]x]: \r", None),  # no match until the "\n": then one again
        ("[r\\]x]: \r\n https://evil.example/t.png", 0),
        ("[a]: " + "u" * 4096, 0),
        ("[a]: " + "u" * 4097, None),
        ("[a\\]b]x", None),
    ],
)
def test_tracker_examples(text: str, expected: int | None) -> None:
    tracker = OpenEscapedReferences()
    for end in range(1, len(text) + 1):
        tracker.search(text, 0, end)
    assert tracker.search(text, 0, len(text)) == expected


@settings(max_examples=400, deadline=None)
@given(growths(), st.sampled_from(_BOUNDS), st.lists(st.sampled_from("dsx"), min_size=1))
def test_tracker_forgets_the_text_dropped_before_its_searches(
    growth: tuple[str, list[tuple[int, int]]], bounds: tuple[int, int, int], plan: str
) -> None:
    # As the stream guard drops text no later search reaches (``shift``, "d"), searches
    # on what is left find what the pattern finds there, also after steps where the
    # guard did not ask (no "\\" in view, "s").
    text, steps = growth
    pattern = escaped_reference_pattern(*bounds)
    tracker = OpenEscapedReferences(*bounds)
    base = 0
    last: int | None = None
    last_end = 0
    for index, (end, _) in enumerate(steps):
        lo = max(base, (last_end if last is None else last) - 1)
        step = plan[index % len(plan)]
        if step == "d" and lo > base:
            tracker.shift(lo - base)
            base = lo
        kept = text[base:end]
        match = pattern.search(kept, lo - base)
        expected = None if match is None else match.start() + base
        if step != "s":
            found = tracker.search(kept, lo - base, end - base)
            assert (None if found is None else found + base) == expected, (text[:end], lo)
        last, last_end = expected, end
