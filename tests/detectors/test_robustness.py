"""Never crash, valid spans, no value in reprs, and linear time on adversarial input."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors.engine import Engine
from support.timing import best_cpu_seconds

_PIECES = st.sampled_from(
    [*"0123456789 -.:@+()/\\n\nabcXYZé\u200bİß", "Street", "Mr. ", "SSN ", "John ", "\\n"]
)
_TEXT = st.lists(_PIECES, max_size=80).map("".join) | st.text(max_size=200)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXT)
def test_any_text_gives_valid_spans(own_engine: Engine, text: str) -> None:
    for finding in own_engine.scan(text):
        assert 0 <= finding.start < finding.end <= len(text)
        assert 0.0 <= finding.score <= 1.0
        value = text[finding.start : finding.end]
        # The sensitivity level's own name ("RESTRICTED") is a label, not the value.
        shown = repr(finding).replace(repr(finding.sensitivity), "")
        if len(value) >= 4:
            assert value not in shown


def _elapsed(engine: Engine, text: str) -> float:
    return best_cpu_seconds(lambda: engine.scan(text), repeats=3)


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digit_run": lambda n: "7" * n,
    "spaced_digits": lambda n: "1 " * (n // 2),
    "dashed_digits": lambda n: "12-" * (n // 3),
    "huge_token": lambda n: "a" * n,
    "at_signs": lambda n: "a@" * (n // 2),
    "capitalised_words": lambda n: "Abc " * (n // 4),
    "hex_colons": lambda n: "ab:" * (n // 3),
    "street_words": lambda n: "12 Main Main Main " * (n // 18),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_inputs_scale_linearly(own_engine: Engine, name: str) -> None:
    make = ADVERSARIAL[name]
    small, large = make(2_000), make(200_000)
    ratio = _elapsed(own_engine, large) / max(_elapsed(own_engine, small), 1e-6)
    # 100x the input may cost up to 300x (noise, caches), never quadratic (10,000x).
    assert ratio < 300, f"{name}: {ratio:.0f}x slower for 100x the input"


# Prefilters and anchors must find exactly what a plain full-text regex pass finds.
_NUMBERISH = st.lists(
    st.sampled_from(
        [*"0123456789 -.:()+/\nabcdefXYZ%", "12", "345", "2001:db8", "::", "fe80", "ab:cd",
         "DE89", "GB", "AB", "C", "4111 1111", " 1111", "eth0", "x", "ext", "é"]
    ),
    max_size=60,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=_NUMBERISH)
def test_digit_clusters_skip_no_number_value(text: str) -> None:
    from ramparts.detectors.pii import _anchors, card, national_id, network, phone

    patterns = [
        (card._CANDIDATE, 12, "", ()),
        (phone._CANDIDATE, 6, "+(", ()),
        (network._IPV4, 4, "", ()),
        (national_id._SSN, 9, "", ()),
        (national_id._NINO, 6, "", (3, 2)),
        *((scheme.pattern, 8, "", ()) for scheme in national_id._SCHEMES if not scheme.back_by),
    ]
    for pattern, digits, back, back_by in patterns:
        every_run = [
            m.span()
            for m in _anchors.anchored(pattern, text, back=back, back_by=back_by, min_digits=digits)
        ]
        clustered = [
            m.span()
            for m in _anchors.anchored(
                pattern, text, back=back, back_by=back_by, min_digits=digits, clustered=True
            )
        ]
        assert clustered == every_run, pattern.pattern


@settings(max_examples=300, deadline=None)
@given(text=_NUMBERISH)
def test_ipv6_candidates_match_a_full_scan(text: str) -> None:
    from ramparts.detectors.pii import network

    full = [m.span() for m in network._IPV6.finditer(text) if ":" in m.group()]
    assert [m.span() for m in network.ipv6_candidates(text)] == full


_OLD_MAC = (
    r"(?<![\w:\-])[0-9A-Fa-f]{2}([:\-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:\-])"
    r"|(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])"
)


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from([*"0123456789abcdefg:-. \n", "ab", "00:1a", "0a1b.", "-"]), max_size=60
    ).map("".join)
)
def test_mac_hint_and_pattern_match_a_full_scan(text: str) -> None:
    import re

    from ramparts.detectors.pii import network

    full = [m.span() for m in re.finditer(_OLD_MAC, text)]
    fast = [m.span() for m in network._MAC.finditer(text)] if network._may_hold_mac(text) else []
    assert fast == full


_KEYWORDY = st.lists(
    st.sampled_from(
        ["born ", "Born on ", "DOB: ", "d.o.b. ", "do.b ", "date of birth ", "birthday ",
         "12/03/1980", "March 3, 1990", "passport ", "Passnummer ", "X1234567 ",
         "Classification: ", "label=", "CONFIDENTIAL", "Internal Only", "x", " ", "\n", "İ"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=_KEYWORDY)
def test_keyword_anchored_patterns_match_a_full_scan(text: str) -> None:
    from ramparts.detectors.base import keyword_matches
    from ramparts.detectors.business import markings
    from ramparts.detectors.pii import dates, passport

    for pattern, keywords in (
        (dates._DOB, dates._KEYWORDS),
        (passport._PASSPORT, ("pass",)),
        (markings._LABELLED, markings._LABEL_WORDS),
    ):
        full = [m.span() for m in pattern.finditer(text)]
        assert [m.span() for m in keyword_matches(pattern, text, keywords)] == full


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            ["PO Box 12", "P.O. box ", "p o box", "post office box ", "box", "Box ", "12 ",
             "1234567 ", "PSC 1234, Box 5678 ", "Unit 3 Box 4\n", "USNS Comfort ", "APO AE 09012",
             "FPO AP 96601", "\\n", " ", "\t", "x", "-", "İ"]
        ),
        max_size=20,
    ).map("".join)
)  # fmt: skip
def test_po_box_and_military_cores_match_a_full_scan(text: str) -> None:
    from ramparts.detectors.pii import address

    full = [m.span() for m in address._OTHER_CORE.finditer(text)]
    assert [m.span() for m in address._other_cores(text)] == full


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(
            ["221", "B ", "Baker ", "Street", "12-14 ", "Main St", "1234567 ", "7", ".", ",", ":",
             " ", "\t", "\n", "rue ", "Via ", "Roma ", "\u017f", "\u212a", "Apt ", "-", "x"]
        ),
        max_size=25,
    ).map("".join)
)  # fmt: skip
def test_street_core_prefilter_skips_no_core(text: str) -> None:
    from ramparts.detectors.pii import _anchors, address

    for start, end in _anchors.digit_runs(text):
        if not address._may_open_core(text, start, end):
            assert address._DIGIT_CORE.match(text, start) is None
