"""``_place_end``'s first-word shortcut gives the ends a plain longest-first lookup gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.pii import address, gazetteer


def place_end_reference(text: str, at: int, spaced: bool) -> int | None:
    """The lookup without the shortcut: every span, longest first, case-folded."""
    ends: list[int] = []
    pos = at
    for _ in range(address._MAX_PLACE_WORDS):
        word = address._PLACE_WORD.match(text, pos)
        if word is None:
            break
        ends.append(word.end())
        gap = address._SPACES.match(text, word.end())
        if gap is None:
            break
        pos = gap.end()
    for end in reversed(ends):
        value = text[at:end]
        if value.casefold() in gazetteer.places() or (not spaced and address._place_like(value)):
            return end
    return None


@pytest.mark.parametrize(
    "tail",
    [
        "New York City 10001",
        "new york",
        "NEW YORK NY",
        "New\tYork",
        "New  York later",
        "Rio de Janeiro Brazil",
        "Ostrov nad Ohrí",
        "Mora de Rubielos",
        "Grand-Leez Belgium",
        "Den Haag Zuid-Holland Can I",
        "Findlay, United States",
        "Artilleros\n, CO",
        "Unknownville Somewhere Else Entirely Here",
        "the market on Friday",
        "Straße Gießen",
        "ZÜRICH",
        "Saint Petersburg Russia",
        "São Paulo",
        "Paris2",
        "",
    ],
)
@pytest.mark.parametrize("spaced", [True, False])
def test_place_end_matches_plain_lookup(tail: str, spaced: bool) -> None:
    text = "12 Main Street " + tail
    at = len("12 Main Street ")
    assert address._place_end(text, at, spaced) == place_end_reference(text, at, spaced)


_WORDS = ["New", "new", "York", "YORK", "City", "de", "Rio", "Janeiro", "Paris", "São", "Paulo"]
_WORDS += ["Main", "the", "Straße", "Zürich", "Grand-Leez", "Den", "Haag", "nad", "Ohrí", "x1"]


@given(
    st.lists(st.sampled_from(_WORDS), min_size=1, max_size=7),
    st.lists(st.sampled_from([" ", "  ", "\t", ", ", "\n"]), min_size=7, max_size=7),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_place_end_matches_plain_lookup_generated(
    words: list[str], gaps: list[str], spaced: bool
) -> None:
    tail = "".join(word + gap for word, gap in zip(words, gaps, strict=False))
    text = "12 Main Street " + tail
    at = len("12 Main Street ")
    assert address._place_end(text, at, spaced) == place_end_reference(text, at, spaced)
