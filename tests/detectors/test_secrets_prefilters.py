"""The Hyperscan prefilters of the secret detectors, and the formats and filters added with them.

Each prefilter must be a necessary condition: where it finds nothing, the
detector finds nothing. Offsets must be characters, not UTF-8 bytes.
"""

from __future__ import annotations

import itertools
import math
import pathlib
import threading
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import Detector, ScanContext
from ramparts.detectors.pattern_set import PatternSet, escape
from ramparts.detectors.secrets import (
    DETECTORS,
    HighEntropyDetector,
    PasswordAssignmentDetector,
    ProviderCredentialDetector,
)
from ramparts.detectors.secrets.rule import has_sequence, shannon_entropy

CTX = ScanContext()
SAMPLES = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data" / "secrets"
RANDOM_40 = "Zq8xLw3vN9pT2kR7mY4bC6dF1gH5jK0sQ8aE3uW6"


def _sample_texts() -> list[str]:
    texts = []
    for path in sorted((SAMPLES / "samples").iterdir()):
        data = path.read_bytes()
        if b"\x00" not in data[:8192]:
            texts.append(data.decode("utf-8", errors="replace"))
    return texts


def test_pattern_set_reports_character_offsets_in_any_script() -> None:
    patterns = PatternSet([escape("pw:"), escape("비번"), "[0-9]{3}"])
    text = "é 비번 ü pw: 123"
    hits = patterns.scan(text)
    assert hits == sorted(hits, key=lambda hit: hit[1])
    ends = {pattern: end for pattern, end in hits}
    assert text[ends[0] - 3 : ends[0]] == "pw:"
    assert text[ends[1] - 2 : ends[1]] == "비번"
    assert text[ends[2] - 3 : ends[2]] == "123"
    assert patterns.scan("") == []


def test_pattern_set_single_patterns_report_once() -> None:
    patterns = PatternSet(["A{10}", "A{10}"], single=[True, False])
    hits = patterns.scan("A" * 100)
    assert [end for pattern, end in hits if pattern == 0] == [10]
    assert len([1 for pattern, _ in hits if pattern == 1]) == 91


def test_pattern_set_is_safe_across_threads() -> None:
    patterns = PatternSet([escape("token")])
    text = "a token here " * 2000
    expected = patterns.scan(text)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                assert patterns.scan(text) == expected
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@pytest.mark.parametrize("detector", [cls() for cls in DETECTORS], ids=lambda d: d.name)
def test_triggers_fire_wherever_the_detector_finds_something(detector: Detector) -> None:
    """The engine skips a detector whose triggers miss: they must cover every finding."""
    triggers = PatternSet(list(detector.triggers))
    texts = _sample_texts()
    assert texts
    for text in texts:
        if detector.scan(text, CTX):
            assert triggers.scan(text)


def _has_sequence_reference(value: str) -> bool:
    run, step = 1, 0
    for previous, current in itertools.pairwise(value):
        delta = ord(current) - ord(previous)
        if delta in (1, -1) and (delta == step or run == 1):
            run, step = run + 1, delta
            if run >= 6:
                return True
        else:
            run, step = (2, delta) if delta in (1, -1) else (1, 0)
    return False


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789abcdefgh+,-./ é", max_size=40))
def test_sequence_check_matches_the_character_walk(value: str) -> None:
    assert has_sequence(value) == _has_sequence_reference(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_entropy_formula_is_shannons(value: str) -> None:
    expected = -sum(c / len(value) * math.log2(c / len(value)) for c in Counter(value).values())
    assert shannon_entropy(value) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        (
            "MAILGUN_KEY=" + "a25a4ac62a074cd52c668c6b9937cf40" + "-432f2836-db15b420",
            "mailgun-private-api-key",
            "a25a4ac62a074cd52c668c6b9937cf40-432f2836-db15b420",
        ),
        (
            "scan otpauth://totp/ACME:bob@example.com?issuer=ACME&secret="
            + "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
            + "&digits=6",
            "otp-auth-uri-secret",
            "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
        ),
        (
            "app token 738204918273645|" + "Xq3v9TbLm2Kp7Rw4Yz8Nc1Df6Gh",
            "facebook-app-token",
            "738204918273645|Xq3v9TbLm2Kp7Rw4Yz8Nc1Df6Gh",
        ),
    ],
)
def test_formats_found_through_prefilter_regexes(text: str, kind: str, value: str) -> None:
    [finding] = ProviderCredentialDetector().scan(text, CTX)
    assert finding.kind == kind
    assert text[finding.start : finding.end] == value


@pytest.mark.parametrize(
    "text",
    [
        "key nfp_0i5OM4MV7L02wV3E6rrwiTwhvtestEXAMPLE here",
        "header eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9 only",
        "F OsnNHsifi5q3u2_there-are-not-the-webhook-you-are-looking-for_8HZjFgIi",
    ],
)
def test_entropy_stays_quiet_on_placeholders_prose_and_jwt_headers(text: str) -> None:
    assert HighEntropyDetector().scan(text, CTX) == [], text


def test_entropy_skips_the_short_last_line_of_a_wrapped_block() -> None:
    body = [RANDOM_40 + "Ab3dEf9hIj8kLm7nOp6q"[i:] + RANDOM_40[:i] for i in range(4)]
    text = "\n".join([*body, "mbcMoz5WjLks//PgWcZ/l2o="])
    assert HighEntropyDetector().scan(text, CTX) == []


@pytest.mark.parametrize(
    "text",
    [
        '{"secretKey": "ENC(2dfRFqV/cS6TzRd+JyO=)"}',
        'curl -u "$USER:$PASSWORD" https://127.0.0.1',
        "IP ID PW 192.168.0.1 master iP33dT_o",
        "ID PW gildong.hong@example.com mailto:{1} IhqSb1Gg",
    ],
)
def test_assignments_skip_encrypted_values_urls_hosts_and_logins(text: str) -> None:
    found = [text[f.start : f.end] for f in PasswordAssignmentDetector().scan(text, CTX)]
    assert not [v for v in found if "ENC(" in v or "://" in v or "@example" in v or "192." in v]
