"""Trigger gating (``Detector.triggers``) never changes what the engine finds.

The engine skips a detector whose triggers do not match; these tests run it
with and without that gating over the shared data sets and adversarial
strings and demand identical findings, and check the Unicode corner cases
where Python's ``re`` and Hyperscan disagree.
"""

from __future__ import annotations

import json
import pathlib
import re
import string
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors.base import TRIGGER_SPACE, Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.engine import (
    _DECIMALS_BELOW,
    Engine,
    TriggerSet,
    _python_only_matches,
    _trigger_database,
)
from ramparts.detectors.registry import Registry, default_registry
from ramparts.errors import DetectorError

DATA = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "data"
GATED = Registry(cls for cls in default_registry() if cls.triggers)


@pytest.fixture(scope="module")
def gated() -> Engine:
    return Engine(registry=GATED)


@pytest.fixture(scope="module")
def ungated() -> Engine:
    return Engine(registry=GATED, gating=False)


def _rows(text: str, engine: Engine) -> list[tuple[str, str, int, int, float]]:
    return [(f.detector, f.kind, f.start, f.end, f.score) for f in engine.scan(text)]


def _assert_same(texts: Iterator[str], gated: Engine, ungated: Engine) -> int:
    count = 0
    for text in texts:
        assert _rows(text, gated) == _rows(text, ungated), text[:200]
        count += 1
    return count


def _jsonl(path: pathlib.Path, key: str) -> Iterator[str]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)[key]


def test_most_built_in_cheap_detectors_are_gated() -> None:
    assert {"email", "phone", "payment_card", "iban", "us_ssn", "source_code"} <= set(GATED.names())


def test_same_findings_on_the_presidio_sentences(gated: Engine, ungated: Engine) -> None:
    path = DATA / "pii" / "presidio_faker_en_seed42_3000_dev.jsonl"
    assert _assert_same(_jsonl(path, "full_text"), gated, ungated) == 3000


@pytest.mark.parametrize(
    "name",
    [
        "awesome_chatgpt_prompts.jsonl",
        "bipia_contexts_train.jsonl",
        "mt_bench.jsonl",
        "cse_prompt_injection_ml.jsonl",  # fifteen languages
        "wildguard_benign.jsonl",
    ],
)
def test_same_findings_on_chat_texts(name: str, gated: Engine, ungated: Engine) -> None:
    assert _assert_same(_jsonl(DATA / "injection" / name, "text"), gated, ungated) > 50


def test_same_findings_on_the_secrets_samples(gated: Engine, ungated: Engine) -> None:
    files = sorted(path for path in (DATA / "secrets" / "samples").rglob("*") if path.is_file())
    texts = (path.read_bytes().decode("utf-8", errors="replace") for path in files)
    assert _assert_same(texts, gated, ungated) > 200


ADVERSARIAL = [
    "7" * 5000,
    "1 " * 3000,
    "a" * 20000,
    "a@" * 3000,
    "Abc " * 2000,
    "ab:" * 3000,
    "[" * 3000 + "]" * 3000,
    "1." * 3000,
    "SSN \u0661\u0662\u0663-\u0664\u0665-\u0666\u0667\u0668\u0669 and card "
    + " ".join(["\uff14\uff11\uff11\uff11"] * 4),  # other scripts' digits
    "p\u0130ssport? no: PASSPORT \u0131 X1234567; born on 1990-01-02",
    "Classification\x1c:\x1cCONFIDENTIAL",  # Python's \\s includes 0x1C
    "SELECT name FROM users;\nINSERT INTO t VALUES (1);\n",
    "\u017felect a from b\n\u017felect c from d\n",  # long s
    "DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432",
    "RSSMRA85T10A562S codice fiscale",
    "fe80::1%eth0 and 00:1A:2B:3C:4D:5E and 0000.1111.2222",
    "x\ud800y 123-45-6789",  # a lone surrogate: the text cannot be UTF-8 encoded
]


@pytest.mark.parametrize("text", ADVERSARIAL)
def test_same_findings_on_adversarial_text(text: str, gated: Engine, ungated: Engine) -> None:
    assert _rows(text, gated) == _rows(text, ungated)


_PIECES = [
    "passport", "PASSPORT", "born", "DOB", "d.o.b", "SSN", "card", "iban", "CONFIDENTIAL",
    "label:", "def f(x):", "import os", "x := 1", "$x = 1", "end", "@", "example.com", ":", "::",
    "-", ".", "+", "(", ")", " ", "\n", "\t", "\x1c", "\u0130", "\u0131", "\u017f", "\u212a", "\u0663",
    "\uff14", "salary", "diagnosis", "4111 1111 1111 1111", "123-45-6789", "AB 12 34 56 C", "+44",
    "192.168.0.1", "DE89", "ab:cd:ef:01:23:45",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_PIECES),
            st.text(alphabet=string.digits + " .-()+/:", max_size=20),
            st.text(max_size=8),
        ),
        max_size=30,
    )
)
def test_same_findings_on_generated_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert _rows(text, _HYPOTHESIS_ENGINES[0]) == _rows(text, _HYPOTHESIS_ENGINES[1])


_HYPOTHESIS_ENGINES = (Engine(registry=GATED), Engine(registry=GATED, gating=False))


# --- where Python's re and Hyperscan disagree -------------------------------------


def _fires(pattern: str, text: str) -> bool:
    database = _trigger_database(((0, pattern),))
    fired: list[int] = []
    database.scan(text.encode("utf-8"), match_event_handler=lambda *args: fired.append(1))
    return bool(fired)


def _all_characters() -> str:
    return "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)


def test_python_digits_are_the_decimals_below_the_bound() -> None:
    everything = _all_characters()
    digits = re.findall(r"\d", everything)
    assert digits == [ch for ch in everything if ch.isdecimal()]
    assert max(map(ord, digits)) < _DECIMALS_BELOW


def test_characters_python_alone_matches_disable_gating() -> None:
    sentinel = _python_only_matches()
    for ch in re.findall(r"[^\D0-9]", _all_characters()):
        assert _fires(sentinel, ch), hex(ord(ch))
    for ch in "\u0130\u0131":
        assert _fires(sentinel, ch)
    assert not _fires(sentinel, string.printable + "éß€")


def test_caseless_triggers_cover_what_python_ignorecase_and_lower_cover() -> None:
    everything = _all_characters()
    sentinel = _python_only_matches()
    for letter in string.ascii_lowercase:
        variants = set(re.findall(letter, everything, re.IGNORECASE))
        variants |= {ch for ch in everything if ch.lower() == letter}
        for ch in variants:
            assert _fires(f"(?i){letter}", ch) or _fires(sentinel, ch), (letter, hex(ord(ch)))


def test_trigger_space_covers_python_whitespace() -> None:
    for ch in re.findall(r"\s", _all_characters()):
        assert _fires(TRIGGER_SPACE, ch), hex(ord(ch))


# --- the mechanism ----------------------------------------------------------------


class _Counting(Detector):
    name = "test_counting"
    triggers: ClassVar[tuple[str, ...]] = ("needle",)
    calls: ClassVar[list[str]] = []

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        self.calls.append(text)
        start = text.find("needle")
        if start < 0:
            return []
        return [
            self.finding(
                context, text, start, start + 6, kind="needle", score=1.0, explanation="test",
                sensitivity=Sensitivity.INTERNAL,
            )
        ]  # fmt: skip


class _Plugin(Detector):
    """No triggers: the engine calls it on every text."""

    name = "test_plugin"
    calls: ClassVar[list[str]] = []

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        self.calls.append(text)
        return []


def test_gated_detectors_run_only_when_triggered() -> None:
    _Counting.calls.clear()
    _Plugin.calls.clear()
    engine = Engine(registry=Registry([_Counting, _Plugin]))
    assert engine.scan("hay hay") == []
    assert [f.kind for f in engine.scan("hay needle hay")] == ["needle"]
    assert _Counting.calls == ["hay needle hay"]
    assert _Plugin.calls == ["hay hay", "hay needle hay"]


def test_texts_hyperscan_cannot_take_run_every_detector() -> None:
    _Counting.calls.clear()
    engine = Engine(registry=Registry([_Counting]))
    engine.scan("hay \ud800 hay")  # lone surrogate
    engine.scan("hay \u0131 hay")  # dotless i: Python's re.I folds it to "i"
    assert len(_Counting.calls) == 2
    # Digits of other scripts are read as ASCII digits (the detection view): gated.
    engine.scan("hay \u0663 hay")
    assert len(_Counting.calls) == 2


def test_gating_can_be_switched_off() -> None:
    _Counting.calls.clear()
    Engine(registry=Registry([_Counting]), gating=False).scan("hay")
    assert _Counting.calls == ["hay"]


def test_a_trigger_hyperscan_rejects_names_its_detector() -> None:
    class _Broken(Detector):
        name = "test_broken"
        triggers: ClassVar[tuple[str, ...]] = ("(?<=x)y",)  # lookbehind: unsupported

        def scan(self, text: str, context: ScanContext) -> list[Finding]:
            return []

    with pytest.raises(DetectorError, match="test_broken"):
        Engine(registry=Registry([_Counting, _Broken]))


def test_trigger_sets_are_thread_safe() -> None:
    import concurrent.futures

    triggers = TriggerSet([("needle",), ()], ["a", "b"])

    def fired(index: int) -> Any:
        return triggers.fired("x" * index + ("needle" if index % 2 else ""))

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(fired, range(200)))
    assert results == [({0} if index % 2 else set()) for index in range(200)]
