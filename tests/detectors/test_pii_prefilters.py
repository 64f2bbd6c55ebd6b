"""Prefilters that let number-shaped detectors skip a text must never skip a real value.

Each prefilter is a cheap necessary condition; these properties compare it with
the full search it stands in for, on digit-heavy generated text.
"""

from __future__ import annotations

import random
import re
from unittest import mock

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import ScanContext
from ramparts.detectors.pii import (
    _anchors,
    _phone_validity,
    _tokens,
    address,
    dates,
    national_id,
    network,
)

_FRAGMENTS = (
    "192.168.1.1", "10.0.0.255", "1.2.3", "2001:db8::1", "fe80::1%eth0", "::ffff:1.2.3.4",
    "1:2:3:4:5:6:7:8", "00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e",
    "RSSMRA85T10A562S", "MRTMTT91D08F205J", "12345678Z", "111.444.777-35", "2 55 08 78 901 234 56",
    "tax id", "codice fiscale", "ssn", "\\n", "221B Baker Street", "Via Roma 12", "\u0661\u0662",
)  # fmt: skip
_ALPHABET = "0123456789" * 3 + " .-:()+\t\nABCDEFabcdefRSTxyz\u0661\u00e9"
_TEXT = st.lists(st.sampled_from(_FRAGMENTS) | st.text(_ALPHABET, max_size=12), max_size=10).map(
    "".join
)
_CONTEXT = ScanContext()


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_ipv4_anchors_find_every_address(text: str) -> None:
    full = [match.span() for match in network._IPV4.finditer(text)]
    anchored = [
        match.span()
        for match in _anchors.anchored(
            network._IPV4, text, min_digits=4, clustered=True, min_runs=4
        )
    ]
    assert anchored == full


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_ipv6_prefilter_skips_only_texts_without_addresses(text: str) -> None:
    if not network._may_hold_ipv6(text):
        assert not any(network._is_ipv6(match.group()) for match in network._IPV6.finditer(text))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_mac_prefilter_skips_only_texts_without_addresses(text: str) -> None:
    if not network._may_hold_mac(text):
        assert network._MAC.search(text) is None


def test_prefilters_pass_real_addresses() -> None:
    assert network._may_hold_mac("mac 00-1a-2b-3c-4d-5e here")
    assert network._may_hold_ipv6("host 1:2:3:4:5:6:7:8 up")
    assert not network._may_hold_ipv6("a: b: c: d: e: f: g: h:")


_FISCAL = next(scheme for scheme in national_id._SCHEMES if scheme.kind == "it_fiscal_code")


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_fiscal_code_prefilter_skips_only_texts_without_codes(text: str) -> None:
    if not _anchors.has_run_sequence(text, national_id._LETTERED_RUNS, gap=1):
        assert _FISCAL.pattern.search(text) is None


def test_run_sequence_needs_exact_lengths_and_gaps() -> None:
    assert _anchors.has_run_sequence("RSSMRA85T10A562S", (2, 2, 3), gap=1)
    assert not _anchors.has_run_sequence("RSSMRA85T10A5621S", (2, 2, 3), gap=1)
    assert not _anchors.has_run_sequence("RSSMRA85TT10A562S", (2, 2, 3), gap=1)
    assert not _anchors.has_run_sequence("85T10", (2, 2, 3), gap=1)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_national_id_prefilter_keeps_every_finding(text: str) -> None:
    detector = national_id.NationalIdDetector()
    prefiltered = detector.scan(text, _CONTEXT)
    with (
        mock.patch.object(national_id, "has_run_sequence", return_value=True),
        mock.patch.object(national_id, "cluster_starts", return_value=(0,)),
    ):
        full = detector.scan(text, _CONTEXT)
    assert prefiltered == full


def _dotted(letters: str) -> st.SearchStrategy[str]:
    """``letters`` in either case, each followed by a dot or not ("D.oB", "do.b.")."""
    pairs = [
        st.tuples(st.sampled_from((ch, ch.upper())), st.sampled_from(("", "."))) for ch in letters
    ]
    return st.tuples(*pairs).map(lambda got: "".join(letter + dot for letter, dot in got))


_BIRTHY = st.lists(
    _dotted("dob")
    | st.sampled_from(
        ("birth", "BIRTH", "born", "date", "Date of ", "day", " ", ": ", "12/03/1985",
         "1985-03-12", "3 March 1985", "\u0131", "\u0130", "\n", "x")
    ),
    max_size=8,
).map("".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_BIRTHY)
def test_date_of_birth_precheck_skips_only_texts_without_a_match(text: str) -> None:
    found = dates.DateOfBirthDetector().scan(text, _CONTEXT)
    assert [(f.start, f.end) for f in found] == [
        match.span("date") for match in dates._DOB.finditer(text)
    ]


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_address_skips_only_numbers_no_word_can_precede(text: str) -> None:
    for start, _ in _anchors.digit_runs(text):
        if start == 0 or text[start - 1] not in " \t":
            assert address._word_end_before(text, start) is None


_CLUSTER_REFERENCE = re.compile(r"\d++(?:[ .\-()+]{1,3}\d++)*+")


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_cluster_pattern_matches_its_possessive_form(text: str) -> None:
    clusters = [match.group() for match in _anchors._CLUSTER.finditer(text)]
    assert clusters == _CLUSTER_REFERENCE.findall(text)


_WORDY = st.lists(
    st.sampled_from(
        ("New", "York", "City", "van", "der", "Dr.", "T.", "O'Neil", "Sandra's", "Ⅻ", "Ørsted",
         "é", "İstanbul", "x²", "Mc-Kay", "de", "Bin", "A", "Jean-Luc", "\\n", "ab", "Ab1")
    ),
    max_size=8,
).map(lambda words: " ".join(words))  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(_WORDY)
def test_plain_run_fast_path_splits_like_the_word_walk(text: str) -> None:
    for match in _tokens._RUN.finditer(text):
        plain = _tokens._plain_run(match.group(), match.start())
        if plain is not None:
            assert [plain] == _tokens._split_words(text, match.start(), match.end())


def test_plain_run_takes_only_plain_words() -> None:
    assert _tokens._plain_run("New York", 3) == ((3, 6), (7, 11))
    assert _tokens._plain_run("Ludwig van Beethoven", 0) is None
    assert _tokens._plain_run("Sandra's Home", 0) is None


def _region_of_reference(national: str, regions: tuple[str, ...]) -> str | None:
    """phonenumbers' ``_region_code_for_number_from_list``, region by region."""
    for code in regions:
        rules = _phone_validity._region(code)
        if rules is None:
            continue
        if rules.leading_digits is not None:
            if rules.leading_digits.match(national):
                return code
        elif rules.has_type(national):
            return code
    return None


def test_combined_leading_digits_pick_the_same_region() -> None:
    rng = random.Random(3)
    shared = {
        code: regions
        for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items()
        if len(regions) > 1
    }
    assert 1 in shared
    checked = 0
    for regions in shared.values():
        for _ in range(2000):
            national = "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12)))
            expected = _region_of_reference(national, regions)
            assert _phone_validity._region_of(national, regions) == expected, (regions, national)
            checked += expected is not None
    assert checked > 1000  # most numbers land in some region
