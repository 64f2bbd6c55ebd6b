"""The street-address detector's shortcuts agree with the plain code they stand for.

Each shortcut skips a regex or a scan when it cannot succeed; these property
tests compare it with the plain form on text built from the characters that
matter (digits, ASCII and non-ASCII letters, the Unicode case-folding oddities
long s, dotless i, dotted capital I and the Kelvin sign, separators and line breaks).
"""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import lowered_text
from ramparts.detectors.pii import _anchors, address

from .test_address_place_end import place_end_reference

_PIECES = (
    "12", "5", "123456", "7b", "4B", "٣", "²", "_", "a", "Z", "é", "\u017f", "\u0131", "\u0130", "\u212a",
    " ", "\t", "\n", "\\n", ",", ".", "-", "#", "'", "apt", "APT", "Suite", "\u017fte", "SU\u0130TE",
    "unit", "FL", "Room", "floor", "po ", "PO ", "box", "Via", "Roma", "Loorenstrasse",
    "Linges veg", "ul.", "Main", "Street", "Berlin", "New York", "Mora de Rubielos",
    "Spain", "Ohio", "Grand-Leez", "Belgium", "lives", "during", "via ", "Calle Mayor ",
    " 149", "Plaza ", "al.",
)  # fmt: skip
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_house_number_end_is_the_house_number_pattern(text: str) -> None:
    runs = _anchors._scan(text)
    for start, end in zip(runs.starts, runs.ends, strict=True):
        match = address._HOUSE_NUMBER.match(text, start)
        assert address._house_number_end(text, start, end) == (match.end() if match else None)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_unit_before_is_the_unit_pattern_search(text: str) -> None:
    for pos in range(len(text) + 1):
        expected = address._UNIT_BEFORE.search(text, max(0, pos - 24), pos) is not None
        assert address._unit_before(text, pos) == expected


@pytest.mark.parametrize(
    "text",
    ["Main \u017fte 5", "Main SU\u0130TE 5", "Main UN\u0131T 5", "12 Elm St # 4", "Main St 5"],
)
def test_unit_before_keeps_case_folded_unit_words(text: str) -> None:
    # Case-insensitive matching folds these onto ASCII unit words; lower() does not.
    expected = address._UNIT_BEFORE.search(text, 0, len(text)) is not None
    assert address._unit_before(text, len(text)) == expected


_PLACES = st.lists(
    st.sampled_from(
        ("New", "York", "City", "Mora", "de", "Rubielos", "Berlin", "Spain", "Santa", "Cruz",
         "Rio", "Grande", "the", "Grand-Leez", " ", "  ", "\t", ",", "2", "Ohio", "São", "Paulo")
    ),
    max_size=12,
).map(" ".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_PLACES)
def test_place_end_reads_only_the_words_it_needs(text: str) -> None:
    for at in range(len(text) + 1):
        for spaced in (False, True):
            assert address._place_end(text, at, spaced) == place_end_reference(text, at, spaced)


def _plain_military_starts(text: str) -> list[int]:
    """The military part of ``_other_core_starts`` as it was: each marker on its own."""
    starts: set[int] = set()
    for marker, keywords in (
        ("PO ", address._MILITARY_STARTS),
        ("po ", address._MILITARY_STARTS_LOWER),
    ):
        if marker not in text:
            continue
        for keyword in keywords:
            index = text.find(keyword)
            while index >= 0:
                starts.add(index)
                index = text.find(keyword, index + 1)
    return sorted(starts)


_MILITARY = st.lists(
    st.sampled_from(
        ("PSC 1234", "Unit 5", "USNS Mercy", "uss", "usnv", "USCGC ", "APO AE", "apo aa", "FPO",
         "Po ", "pO ", " ", ",", "12", "\n")
    ),
    max_size=10,
).map(" ".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_MILITARY)
def test_one_po_scan_keeps_every_military_start(text: str) -> None:
    text = text.replace("box", "")  # the PO-box starts are another part, unchanged
    lowered = text.lower()
    if len(lowered) == len(text):
        assert address._other_core_starts(text, lowered) == _plain_military_starts(text)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_line_bounded_keyword_precheck_keeps_every_name_first_street(text: str) -> None:
    lowered = lowered_text(text)
    for start in [end for end in range(1, len(text) + 1) if text[end - 1].isalpha()]:
        with mock.patch.object(address, "_may_be_name_first", return_value=True):
            full = address._name_first_start(text, start, lowered)
        assert address._name_first_start(text, start, lowered) == full
