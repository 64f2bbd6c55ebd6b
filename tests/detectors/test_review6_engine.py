"""Review 6: engine arguments, safe reprs, key explanations, category word ends, base64."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest

from ramparts.detectors.base import ScanContext, Sensitivity
from ramparts.detectors.business.categories import BusinessCategoryDetector
from ramparts.detectors.encoded import blanked, blob_spans
from ramparts.detectors.engine import Engine, EngineConfig
from ramparts.detectors.secrets.private_keys import PrivateKeyDetector
from ramparts.errors import DetectorError

KEY = b"tenant-secret-hmac-key"
CANARY = "CANARY-7f3a9c2e"


@pytest.mark.parametrize("side", ["outptu", 5, None, "any"])
def test_an_unknown_side_is_refused(side: Any) -> None:
    with pytest.raises(DetectorError, match="'input', 'output'"):
        Engine(side=side)


@pytest.mark.parametrize("origin", ["sytem", None, 5, ["user"]])
def test_an_unknown_origin_is_refused(origin: Any) -> None:
    with pytest.raises(DetectorError, match="allowed: user, system, assistant, tool, document"):
        Engine().scan("mail a@example.com", origin=origin)


def test_scan_refuses_bytes() -> None:
    with pytest.raises(TypeError, match="takes str"):
        Engine().scan(b"a@example.com")  # type: ignore[arg-type]


def test_reprs_show_neither_the_key_nor_option_values() -> None:
    data = {"detectors": {"output.canary_leak": {"enabled": True, "canaries": [CANARY]}}}
    config = EngineConfig.from_dict(data)
    engine = Engine(config, fingerprint_key=KEY, side="output")
    engine.scan("hello", origin="assistant")
    context = ScanContext(fingerprint_key=KEY, options={"canaries": [CANARY]})
    objects = [context, config, config.detectors["output.canary_leak"], *engine._active]
    objects += [step for plan in engine._plans.values() for step in plan]
    for thing in objects:
        for text in (repr(thing), str(thing)):
            assert CANARY not in text and "tenant-secret" not in text, text
    assert "canaries" in repr(context)


@pytest.mark.parametrize(
    ("words", "label"),
    [
        ("HUNTER2 SECRETWORD ", "PEM private key block"),
        ("HUNTER2 RSA ", "PEM private key block"),
        ("RSA ", "RSA PEM private key block"),
        ("", "PKCS#8 PEM private key block"),
        ("ENCRYPTED ", "ENCRYPTED PEM private key block"),
    ],
)
def test_private_key_explanations_never_echo_header_words(words: str, label: str) -> None:
    body = "\n".join(["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9OiZ1BjP5CE/Wm/Rr500P+K"] * 6)
    block = f"-----BEGIN {words}PRIVATE KEY-----\n{body}\n-----END {words}PRIVATE KEY-----"
    [finding] = PrivateKeyDetector().scan(block, ScanContext())
    assert finding.explanation.startswith(label)
    assert "HUNTER2" not in finding.explanation and "SECRETWORD" not in finding.explanation


def _categories(text: str) -> list[tuple[str, str]]:
    findings = BusinessCategoryDetector().scan(text, ScanContext())
    return [(f.kind, text[f.start : f.end]) for f in findings]


@pytest.mark.parametrize(
    "text",
    ["the hive is busy", "Apache Hive tables", "Hivlov is a code", "see the pipeline", "hives"],
)
def test_category_phrases_must_end_a_word(text: str) -> None:
    assert _categories(text) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("HIV test results", "health"),
        ("HIV-positive", "health"),
        ("two lawsuits and a subpoena", "legal"),
        ("she is pregnant; her pregnancy is high risk; diagnosis", "health"),
        ("indemnification clause; breach of contract", "legal"),
    ],
)
def test_category_phrases_keep_plurals_and_prefix_entries(text: str, kind: str) -> None:
    assert [k for k, _ in _categories(text)] == [kind]


def _inline_image(seed: int, size: int = 30_000) -> str:
    rng = random.Random(seed)
    return "data:image/png;base64," + base64.b64encode(rng.randbytes(size)).decode()


@pytest.mark.parametrize("gating", [True, False])
def test_base64_images_yield_no_names_or_categories(gating: bool) -> None:
    engine = Engine(gating=gating)
    for seed in range(20):
        text = f'<img alt="logo" src="{_inline_image(seed)}">\n'
        words = [f for f in engine.scan(text) if f.detector != "prompt_injection"]
        assert words == [], seed


def test_raw_base64_runs_yield_no_names_but_text_around_them_does() -> None:
    rng = random.Random(3)
    blob = "\n".join(base64.b64encode(rng.randbytes(57)).decode() for _ in range(300))
    text = f"Dear Maria Garcia, the HIV test results are attached:\n{blob}\nRegards"
    found = {(f.detector, text[f.start : f.end]) for f in Engine().scan(text)}
    assert ("person_name", "Maria Garcia") in found
    assert any(detector == "business_category" for detector, _ in found)
    assert all(
        f.end <= text.index(blob) for f in Engine().scan(text) if f.detector != "prompt_injection"
    )


def test_secrets_are_still_found_inside_base64() -> None:
    body = "\n".join(["MIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM9OiZ1BjP5CE/Wm/Rr500P+K"] * 6)
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
    wrapped = base64.b64encode(("config: |\n" + pem).encode()).decode()
    found = Engine().scan(f"Maria Garcia sent: {wrapped}")
    assert ("secrets.private_key", "encoded-private-key") in {(f.detector, f.kind) for f in found}
    assert any(f.sensitivity is Sensitivity.RESTRICTED for f in found)


def test_blanking_keeps_offsets_and_leaves_paths_and_prose_alone() -> None:
    path = "/home/maria/projects/ramparts/src/ramparts/detectors/engine/options/x/y"
    prose = "Maria Garcia " * 20
    assert blob_spans(path) == [] and blob_spans(prose) == []
    text = f"Hi Ana, {_inline_image(1, 300)} bye"
    out = blanked(text)
    assert out == "Hi Ana, " + " " * (len(text) - len("Hi Ana,  bye")) + " bye"
