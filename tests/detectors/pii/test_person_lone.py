"""The one-pass scoring of one-word runs and the shared cue window of the person-name
detector answer like the general scoring (``PersonNameDetector._name``) they shortcut."""

from __future__ import annotations

import functools
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import ScanContext
from ramparts.detectors.pii import _person_score, gazetteer, person
from ramparts.detectors.pii._names_context import aligned_lower, strip_end, window_before
from ramparts.detectors.pii._tokens import capitalized_runs

_PIECES = [
    "Dr. ", "Mrs ", "my name is ", "Hi ", "said, ", "in ", "at ", "Karen ", "Smith", "Linux ",
    "The ", "Kowalska ", "Paris ", "France ", "Jordan ", "Kenya ", ": ", ", ", "\n", "\\n",
    " is ", " lives ", "'s ", "\u2019s ", "the ", ". ", "Mark ", "Brown ", "Acme Corp ", " 12 ",
    " & ", "de ", "O'Neil ", "Sven ", " and ", "with ", "Dear ", "İstanbul ", "Ólafur ", "\t",
]  # fmt: skip
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)


def _lone_words(text: str) -> list[tuple[int, int, str]]:
    classify = gazetteer.word_classes().classify
    found = []
    for run in capitalized_runs(text):
        if len(run) == 1:
            start, end = run[0]
            word_class = classify(text[start:end])
            if word_class in ("first", "given", "last", "unknown"):
                found.append((start, end, word_class))
    return found


@settings(max_examples=400, deadline=None)
@given(text=_TEXTS, floor=st.sampled_from([0.3, 0.5, 0.7]))
def test_lone_word_score_matches_the_general_scoring(text: str, floor: float) -> None:
    detector = person.PersonNameDetector()
    context = ScanContext()
    lowered = aligned_lower(text)
    for start, end, word_class in _lone_words(text):
        general = detector._name(
            context, text, lowered, ((start, end),), [text[start:end]], [word_class], 0, 1, floor
        )
        unbounded = _person_score.lone_word_score(
            text, lowered, start, end, word_class, floor, bound=False
        )
        assert unbounded == (None if general is None else general.score)
        bounded = _person_score.lone_word_score(text, lowered, start, end, word_class, floor)
        assert bounded in (None, unbounded)  # the bound only settles words under the floor


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, floor=st.sampled_from([0.0, 0.3, 0.5, 0.7]))
def test_the_lone_word_bound_changes_no_finding(text: str, floor: float) -> None:
    detector = person.PersonNameDetector()
    context = ScanContext(min_score=floor)
    fast = detector.scan(text, context)
    unbounded = functools.partial(_person_score.lone_word_score, bound=False)
    with mock.patch.object(person, "lone_word_score", unbounded):
        slow = detector.scan(text, context)
    assert fast == slow


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS, data=st.data())
def test_cue_window_ends_are_the_stripped_ends(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    for lowered in (aligned_lower(text), None):
        window, low, high = window_before(text, lowered, start)
        assert _person_score.cue_window(text, lowered, start) == (
            window,
            low,
            strip_end(window, low, high, " \t"),
            strip_end(window, low, high, " \t."),
            strip_end(window, low, high, " \t\n,:"),
        )


@settings(max_examples=200, deadline=None)
@given(text=_TEXTS, floor=st.sampled_from([0.0, 0.5, 0.7]))
def test_final_scores_come_from_the_table(text: str, floor: float) -> None:
    """The table of final scores covers every input the scoring reaches (else it
    computes them: right, but slower) and holds what the rounding gives."""
    for key, value in _person_score._FINAL_SCORES.items():
        assert _person_score._rounded_score(*key) == value
    with mock.patch.object(_person_score, "_rounded_score", side_effect=AssertionError):
        person.PersonNameDetector().scan(text, ScanContext(min_score=floor))
