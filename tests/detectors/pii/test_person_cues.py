"""Cue tests of the person-name scoring: the two-character tail prefilters are exact.

``Cues.ends`` / ``Cues.suffix`` and the tail lookups the scoring does before
calling them must answer like the plain ``endswith`` rules they shortcut.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.pii import _names_context, person
from ramparts.detectors.pii._names_context import PLACE, STRONG, TITLE, WEAK, Cues

_ALL = (STRONG, TITLE, WEAK, PLACE)
_PIECES = [*sorted({word for cues in _ALL for word in cues.words}), " ", "\n", ",", ".", "x", "é"]


def _suffix_rule(cues: Cues, lowered: str, low: int, high: int) -> bool:
    return lowered.endswith(cues.words, low, high)


def _ends_rule(cues: Cues, lowered: str, low: int, high: int) -> bool:
    window = lowered[low:high]
    return any(
        window.endswith(word) and (len(window) == len(word) or not window[-len(word) - 1].isalnum())
        for word in cues.words
    )


_texts = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_texts, data=st.data())
def test_cue_tests_match_their_rules(text: str, data: st.DataObject) -> None:
    high = data.draw(st.integers(0, len(text)))
    low = data.draw(st.integers(0, high))
    for cues in _ALL:
        assert cues.suffix(text, low, high) == _suffix_rule(cues, text, low, high)
        assert cues.ends(text, low, high) == _ends_rule(cues, text, low, high)
        if text[high - 2 : high] not in cues.tails:  # the scoring's inline prefilter
            assert not _suffix_rule(cues, text, low, high)


def test_every_cue_word_passes_its_prefilter() -> None:
    for cues in _ALL:
        for word in cues.words:
            text = "so " + word
            assert text[len(text) - 2 :] in cues.tails
            assert cues.ends(text, 0, len(text))


def test_one_character_cue_words_are_refused() -> None:
    with pytest.raises(ValueError, match="two characters"):
        Cues(("a", "bc"))


def test_lone_word_base_matches_base_score() -> None:
    for word_class in ("first", "given", "last", "unknown", "common", "suffix"):
        assert person._LONE_BASE.get(word_class, 0.15) == person.base_score([word_class])


def test_cue_tables_hold_only_cue_words() -> None:
    for cues in _ALL:
        assert cues.tails == frozenset(word[-2:] for word in cues.words)
    assert person._STRONG_TAILS is STRONG.tails
    assert person._TITLE_TAILS is _names_context.TITLE.tails
