"""Never crash, valid spans, no leaked values, and linear time on adversarial input."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import Detector, ScanContext
from ramparts.detectors.output import DETECTORS as OUTPUT_DETECTORS
from ramparts.detectors.secrets import DETECTORS as SECRET_DETECTORS
from support.timing import best_cpu_seconds

ALL: list[Detector] = [cls() for cls in (*SECRET_DETECTORS, *OUTPUT_DETECTORS)]
CTX = ScanContext(options={})
CANARY_CTX = ScanContext(options={"canaries": ["CANARY-7f3a9c2e"], "allowed_domains": ["ok.com"]})

_FRAGMENTS = [
    "AKIA",
    "ghp_",
    "xoxb-",
    "sk-",
    "sk-ant-api03-",
    "eyJ",
    "eyJhbGciOiJIUzI1NiJ9",
    ".",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END",
    "MII",
    "://",
    "user:pw@",
    "password=",
    "pwd:",
    '"kty"',
    "![x](http://a.b/?q=",
    "<img src=",
    "<script>",
    "onerror=",
    "```",
    "data:image/png;base64,",
    "LS0tLS1CRUdJ",
    "\x1b[93m",
    "AAAAAAAAAAAAAAAAAAAA",
    "CANARY-7f3a9c2e",
]
_TEXT = st.lists(
    st.one_of(
        st.sampled_from(_FRAGMENTS),
        st.text(
            alphabet=string.ascii_letters + string.digits + "+/=_-.:@ \n\"'<>()[]{}", max_size=40
        ),
        st.text(max_size=10),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_never_crash_and_spans_are_valid(text: str) -> None:
    for detector in ALL:
        for context in (CTX, CANARY_CTX):
            for finding in detector.scan(text, context):
                assert 0 <= finding.start < finding.end <= len(text), detector.name
                assert finding.detector == detector.name
                assert finding.kind in detector.kinds, (detector.name, finding.kind)
                assert 0.0 <= finding.score <= 1.0
                assert finding.fingerprint == context.fingerprint(text[finding.start : finding.end])
                value = text[finding.start : finding.end]
                if len(value) >= 12:
                    assert value not in finding.explanation
                    assert value not in repr(finding)
                    assert value not in str(finding.to_dict())


@settings(max_examples=60, deadline=None)
@given(_TEXT)
def test_scans_are_pure(text: str) -> None:
    for detector in ALL:
        assert detector.scan(text, CANARY_CTX) == detector.scan(text, CANARY_CTX)


def test_detector_repr_names_the_detector_only() -> None:
    for detector in ALL:
        assert repr(detector) == f"<{type(detector).__name__} name={detector.name!r} cost=cheap>"


def _random_base64(size: int, seed: int) -> str:
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "+/"
    return "".join(rng.choice(alphabet) for _ in range(size))


def _wrapped_base64(size: int, seed: int) -> str:
    blob = _random_base64(size, seed)
    return "\n".join(blob[i : i + 76] for i in range(0, len(blob), 76))


_ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "base64 junk": lambda n: _random_base64(n, 1),
    "wrapped base64": lambda n: _wrapped_base64(n, 2),
    "run of A": lambda n: "A" * n,
    "digits": lambda n: "7" * n,
    "eyJ flood": lambda n: "eyJ" * (n // 3),
    "keyword flood": lambda n: "password=" * (n // 9),
    "url flood": lambda n: "://a:b" * (n // 6),
    "pem headers": lambda n: "-----BEGIN RSA PRIVATE KEY-----\n" * (n // 32),
    "kty flood": lambda n: '"kty"' * (n // 5),
    "brackets": lambda n: "[" * n,
    "markdown links": lambda n: "](" * (n // 2),
    "html tags": lambda n: "<img onerror=" * (n // 13),
    "token run": lambda n: ("sk-" + "a" * 97 + " ") * (n // 101),
    "curl flood": lambda n: "curl | -u " * (n // 10),
    "authorization flood": lambda n: "Authorization: Basic " * (n // 21),
    "pipe flood": lambda n: "1234567890123456|" * (n // 17),
}


def _best_time(text: str) -> float:
    return best_cpu_seconds(lambda: [d.scan(text, CANARY_CTX) for d in ALL], repeats=5)


@pytest.mark.parametrize("name", sorted(_ADVERSARIAL))
def test_adversarial_input_scales_linearly(name: str) -> None:
    """20x the input must cost about 20x the time, not 400x (checked by ratio, not clock)."""
    make = _ADVERSARIAL[name]
    small, large = make(20_000), make(400_000)
    ratio = _best_time(large) / max(_best_time(small), 1e-4)
    # A wide margin for noise and caches, still far below quadratic growth (400x).
    assert ratio < 80, f"{name}: 20x input took {ratio:.1f}x time"
