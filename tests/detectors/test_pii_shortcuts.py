"""Shortcuts in the number-shaped detectors must answer exactly as what they replace.

Each one stands in for a library call or a simpler search (stdnum's Luhn and
mod-97, phonenumbers' prefix stripping and type lookup, a plain alternation of
words, one anchored search per identifier scheme); these compare the two.
"""

from __future__ import annotations

import importlib
import itertools
import random
import re
from typing import Any

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType
from phonenumbers.phonemetadata import PhoneMetadata
from phonenumbers.phonenumberutil import (
    _maybe_strip_national_prefix_carrier_code,
    _test_number_length,
)
from stdnum import iban, luhn
from stdnum.iso7064 import mod_97_10

from ramparts.detectors.base import forget_scanned_texts
from ramparts.detectors.pii import _phone_validity, card, national_id
from ramparts.detectors.pii._anchors import anchored, clusters_with
from ramparts.detectors.pii._context import words_pattern
from ramparts.detectors.pii.iban import _checksum_holds


def _plain_alternation(*words: str) -> re.Pattern[str]:
    """What ``words_pattern`` compiled to before its prefixes were factored out."""
    escaped = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{escaped})(?![a-z])")


_WORD_SETS = (
    ("ssn", "social security", "social sec", "ss#", "ss #", "taxpayer"),
    ("id", "identity", "identification", "nie", "nir", "national", "tax", "codice fiscale"),
    ("ref", "reference", "postal", "postcode", "licence", "license", "card", "cc", "tel"),
    ("a", "ab", "abc", "b"),
)


def test_factored_words_match_where_the_plain_alternation_does() -> None:
    rng = random.Random(5)
    alphabet = "abcdefghijklmnopqrstuvwxyz #.\\0\u00e9"
    for words in _WORD_SETS:
        plain, factored = _plain_alternation(*words), words_pattern(*words)
        for _ in range(20000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(1, 3)):
                word = rng.choice(words)
                text += word[: rng.randint(1, len(word))] if rng.random() < 0.3 else word
                text += "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
            want, got = plain.search(text), factored.search(text)
            assert (want and want.span()) == (got and got.span()), (text, words)


def test_luhn_agrees_with_stdnum() -> None:
    rng = random.Random(2)
    for _ in range(50000):
        digits = "".join(rng.choices("0123456789", k=rng.randint(0, 20)))
        if rng.random() < 0.02:
            digits += rng.choice(["\u0663", "\u00b2", "a", " "])
        assert card.luhn_valid(digits) == luhn.is_valid(digits), digits


def test_iban_checksum_precheck_agrees_with_stdnum() -> None:
    rng = random.Random(1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" + "0123456789" * 3 + "  "
    passed = 0
    for _ in range(20000):
        value = "".join(rng.choices(alphabet, k=rng.randint(15, 40))).strip()
        if len(value.replace(" ", "")) < 5:
            continue
        number = iban.compact(value)
        assert _checksum_holds(value) == mod_97_10.is_valid(number[4:] + number[:4]), value
        passed += _checksum_holds(value)
    assert passed > 100
    assert _checksum_holds("DE89 3704 0044 0532 0130 00")


def _reference_national_number(normalized: str, code: str) -> str | None:
    metadata = PhoneMetadata.metadata_for_region(code, None)
    if metadata is None or len(normalized) < 2:
        return None
    _, stripped, _ = _maybe_strip_national_prefix_carrier_code(normalized, metadata)
    if _test_number_length(stripped, metadata) not in _phone_validity._TOO_SHORT_TO_STRIP:
        normalized = stripped
    return normalized if 2 <= len(normalized) <= 17 else None


def _example_numbers(code: str) -> list[str]:
    types = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE)
    examples = (phonenumbers.example_number_for_type(code, kind) for kind in types)
    return [phonenumbers.national_significant_number(ex) for ex in examples if ex is not None]


def test_national_prefix_stripping_agrees_with_phonenumbers() -> None:
    rng = random.Random(5)
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        metadata = PhoneMetadata.metadata_for_region(code, None)
        assert metadata is not None
        prefix = metadata.national_prefix or "0"
        numbers = [p + n[: len(n) - cut] for n in _example_numbers(code) for p in ("", prefix, "1")
                   for cut in (0, 1, 2)]  # fmt: skip
        for _ in range(300):
            lead = rng.choice(["", "", "0", "1", "00", "8", "180020", "06"])
            numbers.append(lead + "".join(rng.choices("0123456789", k=rng.randint(0, 17))))
        for number in numbers:
            got = _phone_validity._national_number(number, code)
            assert got == _reference_national_number(number, code), (number, code)


def test_type_lookup_by_length_agrees_with_each_type() -> None:
    rng = random.Random(11)
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        rules = _phone_validity._region(code)
        assert rules is not None
        samples = _example_numbers(code)
        for _ in range(200):
            if samples and rng.random() < 0.5:
                number = "".join(
                    ch if rng.random() > 0.15 else rng.choice("0123456789")
                    for ch in rng.choice(samples)
                )
            else:
                number = "".join(rng.choices("0123456789", k=rng.randint(1, 18)))
            want = _phone_validity._matches(number, rules.general) and any(
                _phone_validity._matches(number, desc) for desc in rules.types
            )
            assert rules.has_type(number) == want, (code, number)


_DIGITS = st.text("0123456789" * 4 + " .-+()/Ab\u0661", max_size=60)


@settings(max_examples=400, deadline=None)
@given(_DIGITS)
def test_one_walk_over_clusters_finds_each_schemes_anchored_matches(text: str) -> None:
    try:
        found = national_id._clustered_matches(text, clusters_with(text, 8))
        for scheme in national_id._CLUSTERED:
            expected = anchored(scheme.pattern, text, min_digits=scheme.digits, clustered=True)
            assert [m.span() for m in found[scheme.kind]] == [m.span() for m in expected]
    finally:
        forget_scanned_texts()


def _reference_runs(text: str) -> tuple[tuple[int, ...], tuple[int, ...], list[tuple[int, ...]]]:
    """Digit runs, and the runs of each cluster, found the plain way."""
    runs = [match.span() for match in re.finditer(r"\d+", text)]
    clusters: list[tuple[int, ...]] = []
    for match in re.finditer(r"\d+(?:[ .\-()+]{1,3}\d+)*", text):
        clusters.append(tuple(s for s, _ in runs if match.start() <= s < match.end()))
    return tuple(s for s, _ in runs), tuple(e for _, e in runs), clusters


@settings(max_examples=400, deadline=None)
@given(_DIGITS)
def test_digit_runs_and_clusters_are_the_plain_ones(text: str) -> None:
    from ramparts.detectors.pii._anchors import _scan

    found = _scan(text)
    starts, ends, clusters = _reference_runs(text)
    assert (found.starts, found.ends) == (starts, ends)
    assert [members for _, members in found.clusters] == clusters
    assert [size for size, _ in found.clusters] == [
        sum(ends[starts.index(s)] - s for s in members) for members in clusters
    ]
    assert found.digits == sum(e - s for s, e in zip(starts, ends, strict=True))


def _reference_run_sequence(text: str, lengths: tuple[int, ...], gap: int) -> bool:
    runs = [match.span() for match in re.finditer(r"\d+", text)]
    for index in range(len(runs) - len(lengths) + 1):
        window = runs[index : index + len(lengths)]
        sized = all(end - start == n for (start, end), n in zip(window, lengths, strict=True))
        if sized and all(b[0] - a[1] == gap for a, b in itertools.pairwise(window)):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(_DIGITS, st.sampled_from([(2, 2, 3), (1,), (2, 1), (3, 3, 3, 3), (1, 1, 1, 1, 1, 1)]))
def test_run_sequences_are_the_plain_ones(text: str, lengths: tuple[int, ...]) -> None:
    from ramparts.detectors.pii._anchors import has_run_sequence

    try:
        for gap in (1, 2):
            assert has_run_sequence(text, lengths, gap) == _reference_run_sequence(
                text, lengths, gap
            )
    finally:
        forget_scanned_texts()


def _shapes(items: Any) -> set[str]:
    """Every string a simple pattern matches, as "d" for a digit and "s" for anything
    else (enough to tell where its digit runs end); fails on what it cannot model."""
    sre = importlib.import_module("re._constants")  # the parser's opcodes (private)

    shapes = {""}
    for op, arg in items:
        if op is sre.LITERAL:
            options = {"d" if chr(arg).isdigit() else "s"}
        elif op is sre.IN:
            digit = [
                (kind is sre.CATEGORY and value is sre.CATEGORY_DIGIT)
                or (kind is sre.LITERAL and chr(value).isdigit())
                or (kind is sre.RANGE and all(chr(v).isdigit() for v in value))
                for kind, value in arg
            ]
            assert all(digit) or not any(digit), arg  # a class mixing digits and others
            options = {"d" if all(digit) else "s"}
        elif op is sre.MAX_REPEAT:
            low, high, inner = arg
            assert high <= 20, arg
            part = _shapes(inner)
            options = set()
            for count in range(low, high + 1):
                repeated = {""}
                for _ in range(count):
                    repeated = {head + tail for head in repeated for tail in part}
                options |= repeated
        elif op is sre.SUBPATTERN:
            options = _shapes(arg[-1])
        else:
            raise AssertionError(f"cannot model {op}")
        shapes = {head + tail for head in shapes for tail in options}
    return shapes


def test_first_run_lengths_are_those_the_patterns_allow() -> None:
    parser = importlib.import_module("re._parser")
    for scheme in national_id._CLUSTERED:
        body = scheme.pattern.pattern
        # The scheme's own pattern, without the boundary checks _scheme() wraps it in.
        body = body.removeprefix(r"(?<![^\W_])(?<![\-.])").removesuffix(r"(?![^\W_]|[\-.]\d)")
        shapes = _shapes(parser.parse(body))
        first_runs = {len(shape) - len(shape.lstrip("d")) for shape in shapes}
        assert all(shape.startswith("d") for shape in shapes)
        assert first_runs == scheme.first_runs, scheme.kind


def _reference_phone_score(candidate: str, in_context: bool) -> float:
    """``phone_score`` as first written, with the context always looked at."""
    from ramparts.detectors.pii import phone

    core = phone._EXTENSION.sub("", candidate)
    digits = "".join(ch for ch in core if ch.isdigit())
    if not 6 <= len(digits) <= 15 or phone._DATE_LIKE.match(core) or phone._IPV4_LIKE.match(core):
        return 0.0
    if phone._DECIMAL.match(core):
        return 0.0
    separated = any(ch in core for ch in " .-()")
    if core.startswith("+") or core.startswith("00"):
        if _phone_validity.valid_international(core):
            return 0.95
        return 0.7 if in_context else 0.5
    if not separated and not in_context:
        return 0.0
    if len(digits) >= 9 and _phone_validity.valid_with_regions(core, phone._REGIONS):
        return 0.85 if separated or in_context else 0.5
    if in_context:
        return 0.7
    return 0.55 if len(digits) >= 7 else 0.4


def test_phone_score_looks_at_context_at_most_once_and_scores_as_before() -> None:
    from ramparts.detectors.pii.phone import phone_score

    rng = random.Random(4)
    for _ in range(5000):
        body = "".join(rng.choices("0123456789", k=rng.randint(3, 14)))
        separator = rng.choice(["", " ", "-", ".", "(", ")"])
        for _ in range(rng.randint(1, 3) if separator else 0):
            cut = rng.randint(1, len(body) - 1)
            body = body[:cut] + separator + body[cut:]
        lead = rng.choice(["", "", "+", "00", "+44 ", "+1 ", "0"])
        candidate = lead + body + rng.choice(["", "", " x12", "ext 5"])
        for in_context in (True, False):
            looked: list[bool] = []

            def check(value: bool = in_context, seen: list[bool] = looked) -> bool:
                seen.append(value)
                return value

            assert phone_score(candidate, check) == _reference_phone_score(candidate, in_context)
            assert len(looked) <= 1
