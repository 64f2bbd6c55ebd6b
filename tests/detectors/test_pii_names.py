"""Person names, places and street addresses: behaviour and the shortcuts behind their speed.

Each shortcut (the ASCII run pattern, the hopeless-segment bound, the street
keyword prefilter) is compared with the slower path it replaces.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.evaluate.pii import join_adjacent, score
from ramparts.detectors.pii import _person_score, _tokens, address, gazetteer, person

Found = Callable[..., list[tuple[str, str]]]


def test_given_names_are_international_first_names_not_words() -> None:
    names = gazetteer.given_names()
    assert {"Sven", "Jakob", "Anselmo", "Jonatan"} <= names
    assert not names & gazetteer.first_names()  # census first names are classed "first"
    assert not {"Write", "Table", "Carry"} & names  # English words are left out


def test_international_first_names_make_names(found: Found) -> None:
    assert ("person", "Jakob Thygesen") in found("person_name", "I met Jakob Thygesen today")
    assert ("person", "Anselmo") in found("person_name", "Anselmo lives in Rome")


@pytest.mark.parametrize(
    "text",
    [
        'an earlier song, "Carry Me Back To Spain," which was arranged',
        "the Department Of Better Technology hired him",
        "The Redlaser Orchestra was founded in 1990.",
        "a fully professional orchestra serving Southern Poland",
        "She played at Texas Memorial Stadium last year",
    ],
)
def test_titles_organisations_and_regions_are_not_people(found: Found, text: str) -> None:
    assert found("person_name", text) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Subject: Meeting With Sarah Connor On Friday", ["Sarah Connor"]),
        ("Re: Call With Dr. Smith", ["Smith"]),
        ("Lunch With John Smith And Mary Jones", ["John Smith", "Mary Jones"]),
        ("The Department Of Anna Smith Studies", []),  # an organisation, whole
        ("Gone With The Wind", []),
    ],
)
def test_title_case_runs_are_split_at_their_joining_words(
    found: Found, text: str, names: list[str]
) -> None:
    assert [value for _, value in found("person_name", text)] == names


def test_contractions_are_not_names(found: Found) -> None:
    names = [value for _, value in found("person_name", "Hi Manlio, I'm contacting you")]
    assert names == ["Manlio"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("return to 6210 Rue de Bouillon 178 Apt. 886 Grand-Leez Belgium in case",
         "6210 Rue de Bouillon 178 Apt. 886 Grand-Leez Belgium"),
        ("meet you at 820 250 Theotokopoulou Str., HARSTAD, Norway after",
         "820 250 Theotokopoulou Str., HARSTAD, Norway"),
        ("it is Kvaløyvågvegen 140, Tromsø", "Kvaløyvågvegen 140, Tromsø"),
    ],
)  # fmt: skip
def test_street_address_tails_and_street_words(found: Found, text: str, expected: str) -> None:
    assert [value for _, value in found("street_address", text)] == [expected]


def test_dates_are_not_street_addresses(found: Found) -> None:
    assert found("street_address", "Invoice date: 01 Feb 2022, due 15 Mar 2022") == []


_ASCII_WORDS = st.lists(
    st.sampled_from(
        ("New", "York", "van", "der", "Dr.", "T.", "O'Neil", "Sandra's", "de", "A", "I",
         "Jean-Luc", "\\n", "\n", "ab", "Ab1", "x@Y", "Mr", "St.", ",", "-", "'", "Abc.def", "USA")
    ),
    max_size=10,
).map(" ".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_ASCII_WORDS)
def test_ascii_run_pattern_matches_the_full_pattern(text: str) -> None:
    fast = [match.span() for match in _tokens._RUN_ASCII.finditer(text)]
    assert fast == [match.span() for match in _tokens._RUN.finditer(text)]


_NAMEY = st.lists(
    st.sampled_from(
        ["Dr. ", "my name is ", "Hi ", "said ", "in ", "Karen ", "Smith", "Linux ", "The ",
         "Kowalska ", "Paris ", ": ", ", ", "\n", "\\n", " is ", " lives ", "'s ", "the ", ". ",
         "Mark ", "Brown ", "Acme Corp ", "12 ", "& ", "de ", "O'Neil ", "Sven ", " and ",
         "Of ", "Core Tasks ", "Prof. ", "with ", "Dear "]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=_NAMEY, floor=st.sampled_from([0.3, 0.5, 0.7]))
def test_hopeless_bounds_skip_only_names_under_the_floor(text: str, floor: float) -> None:
    """Skipping words and segments the bounds call hopeless changes no finding."""
    detector = person.PersonNameDetector()
    context = ScanContext(min_score=floor)
    fast = detector.scan(text, context)
    unbounded = functools.partial(_person_score.lone_word_score, bound=False)
    with (
        mock.patch.object(person, "_lone_word_hopeless", return_value=False),
        mock.patch.object(person, "_lone_segment_hopeless", return_value=False),
        mock.patch.object(person, "lone_word_score", unbounded),
    ):
        slow = detector.scan(text, context)
    assert fast == slow


_STREETY = st.lists(
    st.sampled_from(
        ("Via", "via ", "Roma", "Loorenstrasse", "Linges veg", "ul.", "rue", "Plaza", "12",
         "149", " ", "\n", "Main", "string", "al.", "during", "5", "Calle Mayor", "Ring")
    ),
    max_size=10,
).map(" ".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_STREETY)
def test_street_keyword_prefilter_keeps_every_name_first_street(text: str) -> None:
    # Called with the end of the word a house number follows: a letter ends the window.
    for start in [end for end in range(1, len(text) + 1) if text[end - 1].isalpha()]:
        with mock.patch.object(address, "_may_be_name_first", return_value=True):
            full = address._name_first_start(text, start)
        assert address._name_first_start(text, start) == full


def test_io_matching_joins_spans_split_by_whitespace() -> None:
    text = "at 4516 50 Point Walter Road, Perth"
    gold = [(3, 7, "street_address"), (8, 28, "street_address")]
    assert join_adjacent(text, gold) == [(3, 28, "street_address")]
    predicted = [(3, 28, "street_address")]
    assert score([(gold, predicted)], "overlap")["street_address"].fn == 1
    joined = [(join_adjacent(text, gold), join_adjacent(text, predicted))]
    assert score(joined, "overlap")["street_address"].fn == 0
    # A comma between spans keeps them apart.
    assert len(join_adjacent(text, [(3, 28, "street_address"), (30, 35, "street_address")])) == 2


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ask Sven Larsen about it.", "Sven Larsen"),
        ("Tell John I said hi.", "John"),
        ("Remind Anna Berg of the deadline.", "Anna Berg"),
    ],
)
def test_an_imperative_verb_starting_the_sentence_is_not_part_of_the_name(
    text: str, name: str
) -> None:
    found = [text[f.start : f.end] for f in Engine().scan(text) if f.detector == "person_name"]
    assert found == [name]
