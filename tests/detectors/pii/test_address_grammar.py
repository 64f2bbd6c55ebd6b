"""Street-address grammar: street types, name-first streets, phrase-cued streets, tails.

Each case is a form the detector used to miss (or over-reach on); the negative
cases are prose that looks like an address to a looser grammar.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.pii import _address_cues, _anchors, address

Found = Callable[..., list[tuple[str, str]]]


def _values(found: Found, text: str) -> list[str]:
    return [value for _, value in found("street_address", text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # USPS street types, capitalised
        ("ship it to 7 Svenningsen Coves today", "7 Svenningsen Coves"),
        ("Our office: 903 83 Dora Creek Apt. 176", "903 83 Dora Creek Apt. 176"),
        # ordinal street names
        ("Pedestrians must enter on 2914 184th Street St. the first", "2914 184th Street St."),
        # keyword streets keep their particles and capitalised words
        ("45964 90 Place du Jeu de Paume\\n Apt. 297\\n VIERZON",
         "45964 90 Place du Jeu de Paume\\n Apt. 297\\n VIERZON"),
        # a building number and a name that a unit follows
        ("User: 7732 113 Ane Habib Bourguiba Suite 491, Cegdel, Tunisia 30867",
         "7732 113 Ane Habib Bourguiba Suite 491, Cegdel, Tunisia 30867"),
        # Hungarian, Norwegian, Greek, Spanish street words
        ("The office is at Tas vezér u. 66.", "Tas vezér u. 66"),
        ("Pedestrians must enter on Bem rakpart 81. St.", "Bem rakpart 81"),
        ("it is Vidkuns gate 71, Oslo", "Vidkuns gate 71, Oslo"),
        ("Οδηγός: Λ. Πειραιώς 213", "Λ. Πειραιώς 213"),
        ("taxi to 706 Ctra. de Siles 80 Apt. 397 O Saviñao Spain",
         "706 Ctra. de Siles 80 Apt. 397 O Saviñao Spain"),
        ("the corner of Eichendorffstr. 31 and Calliope Harbors",
         "Eichendorffstr. 31 and Calliope Harbors"),
        # a literal "\n" does not glue its "n" to the street name
        ("address:\\n\\nErzsébet tér 83\\n Suite 962\\n Tarnabod",
         "Erzsébet tér 83\\n Suite 962\\n Tarnabod"),
        # military addresses in lower case or with non-ASCII ship names
        ("sent to uscgc aslakhanov\nfpo ae 44941?", "uscgc aslakhanov\nfpo ae 44941"),
        ("USNS Šimić\nFPO AA 13523", "USNS Šimić\nFPO AA 13523"),
    ],
)  # fmt: skip
def test_street_forms(found: Found, text: str, expected: str) -> None:
    assert _values(found, text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He lives on the north side of Voldi 77.", "Voldi 77"),
        ("Meet me at Vitaly and Metsa 68", "Metsa 68"),
        ("He lives on the north side of Fuente del Gallo 47.", "Fuente del Gallo 47"),
        ("The address of Expert Data Inc is Aqqusinersuaq 99", "Aqqusinersuaq 99"),
        ("Please return to Eyrarodda 66 in case of an issue.", "Eyrarodda 66"),
        ("The restaurant is at 9816 214 Pavlou Drandaki", "9816 214 Pavlou Drandaki"),
        ("his address: 52410 185 M. Sfakianaki", "52410 185 M. Sfakianaki"),
    ],
)
def test_phrase_cued_streets(found: Found, text: str, expected: str) -> None:
    assert _values(found, text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to Windows 10 and reboot",
        "We move to Phase 2. Phase 2 is below",
        "### 8 Key Capabilities",
        "### 1.2 Mission & Vision",
        "What influenced the 2011 Arab Spring?",
        "Top 10 of Beach Fashion",
        "2007 | PNC | Rookie Card | 4 Corners - The Foundations",
        "| Clara Jennifer Chiong Estrada  | 24  | 1.81 m (5 ft 11 in) |",
        "The meeting is at 5 PM.",
        "I ran 5 miles on a run and 3 more on a Run",
        "Chapter 5 is set in Room 101.",
    ],
)
def test_prose_is_not_an_address(found: Found, text: str) -> None:
    assert _values(found, text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # particles and slashes inside a town, an aside after the country
        ("4596 Tylova 285\n Suite 578\n Ostrov nad Ohrí\n Czech Republic 56655",
         "4596 Tylova 285\n Suite 578\n Ostrov nad Ohrí\n Czech Republic 56655"),
        ("5019 Grossmatt 31\\n Apt. 382\\n Biel/Bienne\\n Switzerland 74169",
         "5019 Grossmatt 31\\n Apt. 382\\n Biel/Bienne\\n Switzerland 74169"),
        ("Return to 94941 2505 Heatherleigh Suite 620 Apt. 581, ΠΑΦΟΣ, Cyprus (Greek) 13475 ok",
         "94941 2505 Heatherleigh Suite 620 Apt. 581, ΠΑΦΟΣ, Cyprus (Greek) 13475"),
        # the dot after a Hungarian house number belongs to it only when more follows
        ("233 Erzsébet tér 19.\n Suite 282\n Domoszló", "233 Erzsébet tér 19.\n Suite 282\n Domoszló"),
        ("I live at 233 Erzsébet tér 19. It is nice.", "233 Erzsébet tér 19"),
        # a name-first street and a number-first one that overlap make one address
        ("it is Freistädter Strasse 61 Anna Shoals\n Suite 900\n BRENNDORF",
         "Freistädter Strasse 61 Anna Shoals\n Suite 900\n BRENNDORF"),
    ],
)  # fmt: skip
def test_tails(found: Found, text: str, expected: str) -> None:
    assert _values(found, text) == [expected]


def test_a_full_address_outscores_an_overlapping_name() -> None:
    text = "here: 370 3911 Fourth Avenue Suite 697 Apt. 397, Mora de Rubielos, Spain 16200"
    findings = address.StreetAddressDetector().scan(text, ScanContext())
    assert [(text[f.start : f.end], f.score) for f in findings] == [(text[6:], 0.9)]


# The reversed phrase pattern must agree with the plain forward one it replaces.
_FORWARD_CUE = re.compile(
    r"(?:\baddress(?:es)?\b[^.\n]{0,60}?(?:\bis\b|:)"
    r"|\b(?:lives?|living|resides?|located|situated|is|are|office|station|enter|me)"
    r"[ \t]+(?:at|on)\b|\b(?:corner|side)[ \t]+of\b"
    r"|\b(?:send|sent|return(?:ed)?|deliver(?:ed)?|ship(?:ped)?|mail(?:ed)?|forward(?:ed)?"
    r"|taxi)\b[^.\n]{0,30}?\bto\b|\bstop[ \t]+at\b)"
    r"[ \t]*:?[ \t]*(?:\\n|\n)?[ \t]*(?:the[ \t]+)?(?:[^\W\d_][\w'\-]*[ \t]+and[ \t]+)?\Z",
    re.IGNORECASE,
)
_CUEY = st.lists(
    st.sampled_from(
        ("address", "addresses", " is ", ":", " lives on ", "corner of ", " sent it to ",
         "the ", "Vitaly and ", " ", "\n", "\\n", ".", "stop at ", "x", "Main", "to", "at")
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_CUEY)
def test_reversed_cue_matches_the_forward_pattern(prefix: str) -> None:
    text = prefix + "Metsa 68"
    start = len(prefix)
    expected = _FORWARD_CUE.search(text, max(0, start - 100), start) is not None
    assert _address_cues._cued(text, start) == expected


_STREETY = st.lists(
    st.sampled_from(
        ("221", "B ", "Baker ", "Street", "12-14 ", "Main St", "1234567 ", "7", ".", ",", ":",
         " ", "\t", "\n", "rue ", "Via ", "Roma ", "Apt ", "Suite ", "-", "x", "Coves", "5th ")
    ),
    max_size=25,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(_STREETY)
def test_unit_form_is_needed_only_with_a_unit_word(text: str) -> None:
    if "suite" in text.lower() or "apt" in text.lower():
        return
    for start, _ in _anchors.digit_runs(text):
        full = address._DIGIT_CORE_UNIT.match(text, start)
        short = address._DIGIT_CORE.match(text, start)
        assert (full and full.span()) == (short and short.span())


@pytest.mark.parametrize(
    "text",
    [
        "7" * 200_000,
        "1 Main " * 30_000,
        "1 Main Street " * 15_000,
        "Metsa 68 " * 20_000,
        "lives on " + "Aa " * 50_000 + "12",
        "address: " + "1 " * 60_000,
        "\\n" * 50_000 + "1 Main St",
        "12 " + "Place " * 40_000,
        "Király u. 1." * 20_000,
    ],
)
def test_adversarial_inputs_complete(text: str) -> None:
    # Completion is the assertion: a quadratic or exponential pattern would hang here.
    findings = address.StreetAddressDetector().scan(text, ScanContext())
    assert all(0 <= f.start < f.end <= len(text) for f in findings)


@pytest.mark.parametrize(
    "phone", ["0494 41 18 24", "0494-41-18-24", "09721 88 29 47", "9885 1152", "0910-5877671"]
)
def test_a_phone_number_on_the_next_line_is_not_a_postcode(phone: str) -> None:
    text = f"Maren Høgli\n271 Rue du Pont Simon 172\n Apt. 910\n Anvaing\n Belgium 34866\n{phone}"
    findings = Engine.from_dict({}).scan(text)
    addresses = [text[f.start : f.end] for f in findings if f.kind == "street_address"]
    assert addresses == ["271 Rue du Pont Simon 172\n Apt. 910\n Anvaing\n Belgium 34866"]
    assert phone in [text[f.start : f.end] for f in findings if f.kind == "phone"]
