"""The compiled capitalised-word runs (``_native_runs``) give exactly the Python results.

``pii._tokens.runs_python`` (the ``_RUN`` regex and its splitting) is the
reference; every comparison is ``==`` on the whole tuple of word spans.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramparts.detectors import native
from ramparts.detectors.pii import _tokens
from ramparts.detectors.pii._tokens import runs_python

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "pii"
SOURCE = ROOT / "src" / "ramparts" / "detectors" / "_native_runs.c"
FORCED_OFF = os.environ.get(native.ENV, "").strip() == "0"
needs_native = pytest.mark.skipif(not native.RUNS_LOADED, reason=native.RUNS_STATUS)


def _compiled(text: str) -> tuple[_tokens.Run, ...]:
    assert native.capitalized_runs is not None
    return native.capitalized_runs(text)


def _texts() -> list[str]:
    """Every text of the shared PII data."""
    assert DATA.is_dir(), f"shared data expected at {DATA}"
    texts: list[str] = []
    for path in sorted(DATA.iterdir()):
        if path.suffix == ".jsonl":
            rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
        elif path.suffix == ".json":
            rows = json.loads(path.read_text(encoding="utf-8"))
        else:
            continue
        texts += [row[key] for row in rows for key in ("full_text", "text") if key in row]
    assert len(texts) > 1000
    return texts


# Pieces that exercise each part of the pattern: titles, initials, particles,
# possessives, joiners, boundaries (\n escapes, '@', '.'), Latin-1, titlecase,
# letters that are not alphabetic (², Roman numerals), digits of other
# scripts, final sigma, CJK, astral letters, emoji and lone surrogates.
PIECES = [
    *("A", "B", "T", "Smith", "O'Neil", "Jean-Luc", "Ørsted", "Émile", "ǅ", "Σ", "ς", "ß"),
    *("Mr", "Dr", "Mrs", "Prof", "St", "MR", "MRS", "Rev", "Mx", "Ms", "DR", "MS"),
    *("van", "von", "de", "der", "den", "della", "del", "al", "el", "bin", "ibn", "ter"),
    *(" ", "  ", ".", ". ", "'s", "\u2019s", "'", "\u2019", "-", "@", "_", "\\", "\\n", "\\t"),
    *("n", "r", "a", "x", "1", "\u00b2", "\u216b", "\u217b", "\u0663", "\u0660", "\n", "\t"),
    *(
        "\u2460",
        "\u65e5\u672c",
        "\U0001d400",
        "\U0001f600",
        "\ud800",
        "\udfff",
        "\x85",
        "\u3000",
        "\xa0",
    ),
]
ALL_CHARS = st.characters(blacklist_categories=())  # surrogates and unassigned too


def test_extension_is_built_and_loaded() -> None:
    """CI must not lose the extension silently (it would only get slower)."""
    if FORCED_OFF:
        pytest.skip(f"{native.ENV}=0")
    assert native.RUNS_LOADED, native.RUNS_STATUS
    assert _tokens._runs is native.capitalized_runs


@needs_native
def test_the_loaded_extension_was_built_from_this_source() -> None:
    """A stale build (the C file edited, not reinstalled) must not pass the tests."""
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == native.RUNS_SOURCE_SHA256


@needs_native
def test_runs_match_python_on_the_pii_data() -> None:
    for text in _texts():
        assert _compiled(text) == runs_python(text), text[:80]


@needs_native
@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join))
def test_runs_match_python_on_tricky_pieces(text: str) -> None:
    assert _compiled(text) == runs_python(text)


@needs_native
@settings(max_examples=1500, deadline=None)
@given(st.text(ALL_CHARS, max_size=60))
def test_runs_match_python_on_any_text(text: str) -> None:
    assert _compiled(text) == runs_python(text)


@needs_native
@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from("AaBb .'\u2019-@\\nÉé\u00b2_1"), max_size=40))
def test_runs_match_python_on_ascii_and_latin1(text: str) -> None:
    assert _compiled(text) == runs_python(text)


@needs_native
def test_runs_match_python_around_every_character() -> None:
    for code in range(0x110000):
        char = chr(code)  # in several contexts, kept apart by ';'
        text = f"{char}b;A{char};X {char}y Z;Ab.{char}C;\\{char}D"
        assert _compiled(text) == runs_python(text), hex(code)


@needs_native
@pytest.mark.parametrize(
    "text",
    [
        "",
        "Dr. Katrine T. Jørgensen met Ludwig van der Berg and Sandra\u2019s O'Neil-Smith.",
        "Mr Jean de la Fontaine, Prof. A. B. Charles Darwin Esq and MRS. X",
        "\\nJohn Smith\\tParis\\rRome",
        "A B C D E F G H I J K L",  # more than five words: the run stops and starts again
        "Aa " * 50_000,
        "A" * 200_000 + "@",
        "A.b" * 30_000,
        "van " * 40_000 + "Berg",
        "\U0001d400\U0001d401 \U0001d402. \ud800A \udfffB \u01c5ab Cd",
    ],
)
def test_runs_match_python_on_odd_inputs(text: str) -> None:
    assert _compiled(text) == runs_python(text)


@needs_native
def test_runs_refuse_what_is_not_a_str() -> None:
    assert native.capitalized_runs is not None
    for value in (b"John Smith", None, 3, ["John"]):
        with pytest.raises(TypeError):
            native.capitalized_runs(value)  # type: ignore[arg-type]


@needs_native
def test_no_memory_is_kept_across_calls() -> None:
    text = "Dr. Katrine T. Jørgensen met Ludwig van der Berg in New York City; Sandra's " * 10
    for _ in range(200):
        _compiled(text)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2000):
            _compiled(text)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 10_000


def test_the_env_var_forces_the_python_code() -> None:
    code = (
        "from ramparts.detectors import native; from ramparts.detectors.pii import _tokens; "
        "print(native.RUNS_LOADED, _tokens._runs is _tokens.runs_python)"
    )
    env = {**os.environ, native.ENV: "0"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "True"]
