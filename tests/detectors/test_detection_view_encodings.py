"""The detection view reading through escapes and look-alike letters, and the e-mail
detector's bracketed "at" (review 10)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.view import DetectionView, detection_view

ENGINE = Engine()
ZWSP = "\u200b"
CYRILLIC_A, CYRILLIC_CAPITAL_A, CYRILLIC_O, CYRILLIC_ES = "\u0430", "\u0410", "\u043e", "\u0441"
GREEK_CAPITAL_OMICRON = "\u039f"
KEY = "AKIAZ7VRSKN4PXJ3QL5M"  # an AWS access key id shape (not a real key)


def _view(text: str) -> DetectionView:
    view = detection_view(text)
    return DetectionView(text) if view is None else view


def _spans(text: str, detector: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in ENGINE.scan(text) if f.detector == detector]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("alice%40example.com", "alice@example.com"),
        ("mailto:alice%40example.com", "mailto:alice@example.com"),
        ("alice%2Ebob%40example%2Ecom", "alice.bob@example.com"),
        ("alice&#64;example.com", "alice@example.com"),
        ("alice&#x40;example&period;com", "alice@example.com"),
        ("alice&commat;example.com", "alice@example.com"),
        ("card 4111&nbsp;1111", "card 4111 1111"),
        ("\\u0041KIA \\x41\\x4b \\u{41}", "AKIA AK A"),
        ("AKIA\\\nZ7VR", "AKIAZ7VR"),
        ("AKIA\\\r\n    Z7VR", "AKIAZ7VR"),
    ],
)
def test_escapes_are_read_as_their_character(text: str, read: str) -> None:
    view = _view(text)
    assert view.text == read
    assert view.original_span(0, len(read)) == (0, len(text))


@pytest.mark.parametrize(
    "text",
    [
        "Oran (%70 Mekanik) ve 50% of 100",  # per cent, not an escape
        "token AAAA%2BeiuSd%2FUa%3D",  # "+", "/", "=" stay (Twitter bearer tokens)
        "postgres://user:p%40ss@db.example.com/x",  # a literal "@" in the token
        "a %40 b",  # an escape that touches no letter or digit
        "\\u00e9t\\u00e9 and \\u000a",  # only printable ASCII is decoded
        "&amp; &lt;b&gt; &#1040;",
        "line one \\\n next",  # a continuation between words, not inside a value
    ],
)
def test_escapes_left_as_they_are(text: str) -> None:
    assert _view(text).text == text


def test_a_decoded_character_ending_a_value_carries_its_escape() -> None:
    view = _view("x%41 y")
    assert view.text == "xA y"
    assert view.original_span(0, 2) == (0, 4)
    assert view.original_span(1, 2) == (1, 4)
    assert view.original_span(2, 4) == (4, 6)
    assert [view.original(i) for i in range(4)] == [0, 1, 4, 5]


def test_escapes_and_invisible_characters_together_map_back() -> None:
    text = f"mail al{ZWSP}ice%40exa{ZWSP}mple.com ok"
    view = _view(text)
    assert view.text == "mail alice@example.com ok"
    assert view.below is not None  # the escapes were decoded on the invisible-free view
    start = view.text.index("alice")
    assert view.original_span(start, start + len("alice@example.com")) == (5, len(text) - 3)


def test_look_alikes_fold_in_tokens_mixed_with_ascii() -> None:
    text = f"key {CYRILLIC_CAPITAL_A}KIA and {CYRILLIC_A}lice@ex{CYRILLIC_A}mple.{CYRILLIC_ES}{CYRILLIC_O}m"
    view = _view(text)
    assert view.text == "key AKIA and alice@example.com"
    assert view.dropped == ()  # one for one
    assert _view(f"x{GREEK_CAPITAL_OMICRON}K").text == "xOK"


@pytest.mark.parametrize(
    "text",
    [
        "Привет, мир! Москва 2024",  # Russian: no ASCII in its words
        "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1 \u03ba\u03cc\u03c3\u03bc\u03b5, \u039f\u039a",  # Greek
        "Python-разработчик, iPhone-ом",  # a mix with letters that have no ASCII twin
        "5 \u03bcm, \u03b1-helix",
    ],
)
def test_words_of_other_scripts_are_left_alone(text: str) -> None:
    assert _view(text).text == text


def test_many_look_alikes_take_the_regex_path() -> None:
    russian = (
        "\u042d\u0442\u043e \u043e\u0431\u044b\u0447\u043d\u044b\u0439 \u0440\u0443\u0441\u0441\u043a\u0438\u0439 \u0442\u0435\u043a\u0441\u0442 \u043e \u043f\u043e\u0433\u043e\u0434\u0435. "
        * 20
    )
    assert _view(russian).text == russian
    mixed = russian + f" ключ {CYRILLIC_CAPITAL_A}KIAZ7VR"
    assert _view(mixed).text == russian + " ключ AKIAZ7VR"


_ALPHABET = [
    "a",
    "Z",
    "4",
    "0",
    "%",
    "&",
    "#",
    ";",
    "\\",
    "u",
    "x",
    "\n",
    " ",
    ZWSP,
    CYRILLIC_A,
    "%40",
    "&#64;",
    "\\u0041",
    "\\x4b",
    "&commat;",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_ALPHABET), max_size=30).map("".join))
def test_every_view_character_maps_to_its_own_original_span(text: str) -> None:
    view = _view(text)
    spans = [view.original_span(i, i + 1) for i in range(len(view.text))]
    for (start, end), (next_start, _) in itertools.pairwise(spans):
        assert start < end <= next_start
    for char, (start, end) in zip(view.text, spans, strict=True):
        source = text[start:end].replace(ZWSP, "")
        assert source in (char, CYRILLIC_A) or len(source) > 1
    if spans:
        assert view.original_span(0, len(view.text)) == (spans[0][0], spans[-1][1])


# Engine: the value found, its span the whole obfuscated value.
_FOUND = [
    ("email", "mail ", "alice%40example.com", " ok"),
    ("email", "link mailto:", "alice%2Ebob%40example%2Ecom", " ok"),
    ("email", "mail ", "alice&#64;example&#46;com", " ok"),
    ("email", "mail ", "alice&commat;example.com", " ok"),
    ("email", "mail ", "alice\\u0040example.com", " ok"),
    ("email", "mail ", f"{CYRILLIC_A}lice@ex{CYRILLIC_A}mple.{CYRILLIC_ES}{CYRILLIC_O}m", " ok"),
    ("secrets.provider", "key ", f"{CYRILLIC_CAPITAL_A}KIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("secrets.provider", "key ", "\\u0041KIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("secrets.provider", "key ", "\\x41\\x4b\\x49\\x41Z7VRSKN4PXJ3QL5M", " ok"),
    ("secrets.provider", "key ", "%41KIAZ7VRSKN4PXJ3QL5M", " ok"),
    ("secrets.provider", "key = ", "AKIAZ7VRSK\\\nN4PXJ3QL5M", "\n"),
    ("email", "write to ", "alice [at] example [dot] com", " today"),
    ("email", "write to ", "alice.smith(at)mail(.)co(.)uk", ", thanks"),
    ("email", "write to ", "bob {@} example.org", "."),
    ("email", "write to ", "carol ( AT ) example dot com", " now"),
    ("national_id", "dni_", "12345678Z", ".pdf"),
    ("national_id", "tax_id_", "65929970489", " ok"),
]


@pytest.mark.parametrize(("detector", "before", "value", "after"), _FOUND)
def test_an_encoded_value_is_found_whole(
    detector: str, before: str, value: str, after: str
) -> None:
    text = before + value + after
    assert _spans(text, detector) == [(len(before), len(before) + len(value))]


@pytest.mark.parametrize(
    "text",
    [
        "let's look (at) this. Then the rest",
        "cost (at) most 5 dollars",
        "see [at] example",
        "meet me at home dot com",  # a bare " at " is prose
    ],
)
def test_prose_with_a_bracketed_at_is_not_an_address(text: str) -> None:
    assert _spans(text, "email") == []


def test_fingerprints_are_of_the_plain_value() -> None:
    plain = ScanContext().fingerprint("alice@example.com")
    for text in (
        "mail alice%40example.com ok",
        "mail alice&#64;example.com ok",
        "mail alice [at] example [dot] com ok",
        f"mail {CYRILLIC_A}lice@example.com ok",
    ):
        assert [f.fingerprint for f in ENGINE.scan(text) if f.detector == "email"] == [plain]


def test_the_bracketed_at_trigger_gates_the_email_detector() -> None:
    gated, ungated = Engine(), Engine(gating=False)
    for text in ("x alice [at] example [dot] com", "look (at) it", "c{@}x.io"):
        assert gated.scan(text) == ungated.scan(text)
