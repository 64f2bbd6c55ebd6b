"""The place detector: what a place word also is decides how much context it needs."""

from __future__ import annotations

import pytest

from ramparts.detectors.base import ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.pii._location_context import strong_cue, tables
from ramparts.detectors.pii._location_words import (
    ORDINARY_WORD_PLACES,
    WELL_KNOWN_CITIES,
)
from ramparts.detectors.pii.location import LocationDetector


def _places(text: str) -> list[str]:
    findings = LocationDetector().scan(text, ScanContext())
    return [text[finding.start : finding.end] for finding in findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A city that is also an ordinary word needs a place cue, and no word after it.
        ("Switch to Normal mode and Manage the Opportunity.", []),
        ("We moved to Reading last year.", ["Reading"]),
        ("The ferry leaves from Split, then Hvar.", ["Split"]),
        ("What is the official website of the Statue of Liberty?", []),
        # A city that is also a person's name needs a cue that says place.
        ("I'm so jealous! said Felix to Linda", []),
        ("Morrison, Rogers and Torres were the founders.", []),
        ("Unlike the Castro novel, it is short.", []),
        ("She grew up in Florence.", ["Florence"]),
        ("London is expensive; so is Houston.", ["London", "Houston"]),
        # Capitals alone are an acronym or a heading as often as a place.
        ("Put the LENS and the TIME field first.", []),
        ("The Princess Royal arrived at HJELLESTAD this morning.", ["HJELLESTAD"]),
        # A place inside a longer name is no place.
        ("by invoking Article 50 of the Treaty on European Union", []),
        ("Jordan Peterson and Paris Hilton spoke.", []),
        ("We'll meet at Tokyo Cosmos Electric Co.Ltd. at noon.", []),
        ("I work for Japan Animal Referral Medical Center Co.Ltd.", []),
        ("Please fill in the Jersey Number field.", []),
        ("Mission Statement: we help people.", []),
        # Countries and regions are places anywhere; so are regions GeoNames lacks.
        ("France was super fun to visit!", ["France"]),
        ("She lives in Scotland, near the Czech Republic border.", ["Scotland", "Czech Republic"]),
        ("Flights to Europe and North America", ["Europe", "North America"]),
        # Accent-free spellings of accented gazetteer names.
        ("We flew to Zurich and then Montreal.", ["Zurich", "Montreal"]),
        # An unknown name right after a strong place cue.
        ("Mr. Baader is a 21 year old man who grew up in Remniku.", ["Remniku"]),
        ("Telenav is a design agency based in Kulusuk.", ["Kulusuk"]),
        ("When: 2000-04-16 Where: Upton Scudamore Country Club.", ["Upton Scudamore"]),
        ("Anchor Bancorp is a design agency based in Anchor Bancorp Inc.", []),
        # A short cue alone says nothing of an unknown name.
        ("I read it in Zorbquaxel yesterday.", []),
        # All-lower-case text: known places after a cue.
        ("i'm originally from switzerland", ["switzerland"]),
        ("we returned to kiel by helicopter", ["kiel"]),
        ("we need more time in reading", []),
    ],
)
def test_place_context(text: str, expected: list[str]) -> None:
    assert _places(text) == expected


def test_strong_cues() -> None:
    for text in ("I grew up in ", "originally from ", "Where: ", "the city of ", "I\u2019m in "):
        assert strong_cue(text, len(text)), text
    for text in ("said Felix to ", "in ", "the use of ", "Location"):
        assert not strong_cue(text, len(text)), text


def test_word_lists_fit_the_gazetteer() -> None:
    table = tables()
    # Every ordinary-word place is a one-word place, and no country or state.
    assert table.one_word >= ORDINARY_WORD_PLACES
    assert not ORDINARY_WORD_PLACES & table.regions
    assert not ORDINARY_WORD_PLACES & WELL_KNOWN_CITIES
    assert {"scotland", "europe", "czech republic", "zurich"} <= table.places


def test_a_strongly_cued_place_beats_the_person_reading() -> None:
    engine = Engine()
    text = "I'm Marie Langrová, originally from Hørve, and i'm 62 y/o."
    kinds = {(finding.kind, text[finding.start : finding.end]) for finding in engine.scan(text)}
    assert ("location", "Hørve") in kinds
