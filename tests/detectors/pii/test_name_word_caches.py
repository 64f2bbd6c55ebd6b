"""Word classes of the name and place detectors: no prompt word outlives its scan.

The classes come from tables built once over the gazetteers (no memo of prompt
words at all); these tests check both that the tables answer exactly like the
rules they replace and that nothing in these modules keeps a scanned word.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import scanned_texts_held
from ramparts.detectors.engine import Engine
from ramparts.detectors.pii import (
    _names_context,
    _tokens,
    address,
    gazetteer,
    location,
    person,
)

# Made-up words: in no gazetteer, so any copy of them came from the scanned text.
_SECRET_WORDS = ("Zorbquaxel", "Vlimprodt", "Qwendolyx", "Sharnovitzka", "Glebworth")
_TEXT = (
    "Dear Zorbquaxel Vlimprodt, Qwendolyx Sharnovitzka moved to Paris.\n"
    "Glebworth and Zorbquaxel live at 12 Vlimprodtstrasse 4, Berlin."
)
_MODULES = (person, location, address, _tokens, _names_context, gazetteer)


def _holds_secret(value: Any) -> bool:
    if isinstance(value, str):
        return any(word in value for word in _SECRET_WORDS)
    if isinstance(value, dict):
        return any(_holds_secret(key) or _holds_secret(item) for key, item in value.items())
    if isinstance(value, (set, frozenset, list, tuple)):
        return any(_holds_secret(item) for item in value)
    slots = getattr(type(value), "__slots__", ())
    return any(_holds_secret(getattr(value, slot, None)) for slot in slots)


def _caches(module: ModuleType) -> list[tuple[str, Any]]:
    return [
        (name, value)
        for name, value in vars(module).items()
        if callable(value) and hasattr(value, "cache_info")
    ]


def test_no_scanned_word_stays_in_a_cache_of_the_name_modules() -> None:
    findings = Engine().scan(_TEXT)
    assert {"person_name", "location", "street_address"} <= {f.detector for f in findings}
    assert scanned_texts_held() == 0
    for module in _MODULES:
        for name, cache in _caches(module):
            if cache.cache_info().currsize == 0:
                continue
            # Only argument-free tables built from the gazetteers may stay filled.
            assert cache.__wrapped__.__code__.co_argcount == 0, f"{module.__name__}.{name}"
            assert not _holds_secret(cache()), f"{module.__name__}.{name}"
        for name, value in vars(module).items():
            assert not _holds_secret(value), f"{module.__name__}.{name}"


_TRICKY = (
    "The", "THE", "Mark", "MARK", "Jr", "JR", "III", "Iii", "Dvm", "Smith", "SMITH", "McDONALD",
    "Mcdonald", "DeShawn", "Sven", "SVEN", "Ids", "IDs", "Kowalska", "Szöllösy", "Ünal", "Aaa",
    "A", "I", "Linux", "Inc", "Cyprus", "New", "İstanbul", "ǅemal", "\u212aing", "Ab", "Ǆ",
    "Sigurmundsson", "Ov", "Dottir", "O'Neil", "Jean-Luc", "Straße", "Weg", "Mr", "MR",
)  # fmt: skip


def _all_classes(word: str) -> tuple[str, str]:
    return gazetteer.word_classes().classify(word), gazetteer.classify_word(word)


def _listed(word: str) -> bool:
    names = (gazetteer.first_names(), gazetteer.last_names(), gazetteer.given_names())
    return any(word in table for table in names)


def test_table_and_memo_classes_match_the_rules() -> None:
    for word in _TRICKY:
        fast, rules = _all_classes(word)
        assert fast == rules, word


@settings(max_examples=500, deadline=None)
@given(
    st.text(st.sampled_from("AaBbEeIiKkNnOoSsVvZzÉéÖößİ\u0131ǅ'-\u212a"), min_size=1, max_size=9)
)
def test_unlisted_words_are_classed_like_the_rules(word: str) -> None:
    fast, rules = _all_classes(word)
    assert fast == rules
    if not _listed(word):
        assert gazetteer.WordClasses.unlisted(word) == rules


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(gazetteer.last_names())[::97])
    | st.sampled_from(_TRICKY)
    | st.text(st.sampled_from("BankStreLoorenstrasWgCmpyİ."), min_size=1, max_size=9)
)
@example("Co.")
def test_non_person_words_match_the_rule(word: str) -> None:
    # Run words hold no dot (see _tokens), so the rule takes a word as it is: "Co." is
    # not "co" here (stripping it made this test fail whenever Hypothesis drew "Co.").
    lowered = word.lower()
    says_it = lowered in gazetteer.NOT_PERSON_WORDS or lowered.endswith(person._STREET_ENDINGS)
    # A lone word starts no place of two words: only the word rule is left.
    assert person._names_a_non_person([word]) == says_it
    assert person._names_a_non_person([word, "Smith"]) == (
        says_it or word.casefold() + " smith" in gazetteer.places()
    )


@functools.cache
def _one_word_places_by_rule() -> frozenset[str]:
    return frozenset(place for place in gazetteer.places() if " " not in place)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(_one_word_places_by_rule())[::53]).map(str.title)
    | st.text(st.sampled_from("ParisBerlnoßSİ\u0131"), min_size=1, max_size=8)
)
def test_place_words_match_the_gazetteer(word: str) -> None:
    folded = word.casefold()
    expected = folded in gazetteer.place_lengths() and folded in gazetteer.places()
    assert (folded in location._one_word_places()) == expected


_BELOW_LISTED = st.lists(
    st.sampled_from(
        ("Jørgensen", "Émile", "van", "der", "Dr.", "T.", "O\u2019Neil", "Ǆemal", "ß", "Ωmega",
         "Борис", "ª", "²", "\u2013", "\xa0", "A", "\n", "\\n", "@", "-", "'", "x", "Łódź", "İ")
    )
    | st.characters(max_codepoint=0x206F),
    max_size=12,
).map(" ".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_BELOW_LISTED)
def test_listed_run_pattern_matches_the_full_pattern(text: str) -> None:
    assert _tokens._BEYOND_LISTED.search(text) is None
    listed = [match.span() for match in _tokens._run_listed().finditer(text)]
    assert listed == [match.span() for match in _tokens._RUN.finditer(text)]
