"""Memory stays bounded whatever the input: bounded caches, windowed and streamed scans.

Structural checks only (cache sizes, window sizes, lazy reading): RSS figures are
measured by bench/memory.py, not asserted here.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from collections.abc import Iterator
from typing import Any

import phonenumbers
import pytest

import ramparts.detectors
from ramparts.detectors import base, scanning_files
from ramparts.detectors import engine as engine_module
from ramparts.detectors.base import LONG_TEXT_CHARS, SHORT_TEXTS_HELD, lowered_text
from ramparts.detectors.engine import CONTEXT_CHARS, Engine
from ramparts.detectors.pii import _phone_validity
from ramparts.detectors.scanning import (
    JSONL_BATCH_BYTES,
    JSONL_BATCH_LINES,
    OVERLAP_CHARS,
    scan_jsonl,
)
from ramparts.detectors.scanning_files import read_source

_LINE = "Dear Maria Garcia, mail maria.garcia@example.com or call +1 415-555-2671.\n"


def _detector_caches() -> list[tuple[str, Any]]:
    """Every functools cache at module level in ramparts.detectors, once each."""
    found: dict[int, tuple[str, Any]] = {}
    for info in pkgutil.walk_packages(ramparts.detectors.__path__, "ramparts.detectors."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if hasattr(value, "cache_parameters"):
                found.setdefault(id(value), (f"{info.name}.{name}", value))
    return list(found.values())


def test_every_cache_with_a_key_has_a_size_limit() -> None:
    # A cache keyed by something a prompt controls (a word, a number) grows with every
    # new prompt unless it has a maxsize: a memory leak, and a denial of service.
    caches = _detector_caches()
    assert len(caches) > 10  # the walk found the detectors' caches
    unbounded = [
        name
        for name, cache in caches
        if cache.cache_parameters()["maxsize"] is None
        and inspect.signature(cache.__wrapped__).parameters
    ]
    assert unbounded == []


def test_the_phone_code_caches_hold_every_code_phonenumbers_knows() -> None:
    # Bounded, but never evicting: a number's validity check stays as fast as before.
    regions = len(phonenumbers.SUPPORTED_REGIONS) + len(phonenumbers.SUPPORTED_SHORT_REGIONS)
    codes = len(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)
    assert max(regions, codes) <= _phone_validity.CACHED_CODES
    for cache in (
        _phone_validity._region,
        _phone_validity._general_lengths,
        _phone_validity._region_steps,
        _phone_validity._prefix,
    ):
        assert cache.cache_parameters()["maxsize"] == _phone_validity.CACHED_CODES


def test_a_per_scan_cache_keeps_only_the_latest_long_text() -> None:
    base.forget_scanned_texts()
    short = [f"text number {n}" for n in range(SHORT_TEXTS_HELD + 2)]
    for text in short:
        lowered_text(text)
    assert base.scanned_texts_held() == SHORT_TEXTS_HELD  # a few, for concurrent scans
    long = [(chr(ord("a") + n) * (LONG_TEXT_CHARS + 1)) for n in range(3)]
    for text in long:
        assert lowered_text(text) == text.lower()
    # Only the last long text besides the short ones: windows do not pile up.
    assert base.scanned_texts_held() == SHORT_TEXTS_HELD + 1
    assert lowered_text(long[-1]) is lowered_text(long[-1])  # still a cache
    base.forget_scanned_texts()
    assert base.scanned_texts_held() == 0


def test_a_long_scan_goes_through_windows_holding_one_window_in_the_caches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = LONG_TEXT_CHARS + 1000  # windows count as long texts
    monkeypatch.setattr(engine_module, "WINDOW_CHARS", window)
    text = _LINE * (6 * window // len(_LINE))
    held: list[int] = []
    sizes: list[int] = []
    scan_window = Engine._scan_window

    def recording(self: Engine, piece: str, origin: str) -> list[Any]:
        held.append(base.scanned_texts_held())
        sizes.append(len(piece))
        return scan_window(self, piece, origin)

    monkeypatch.setattr(Engine, "_scan_window", recording)
    findings = Engine().scan(text)
    assert len(findings) > 1000
    assert len(sizes) >= 6
    assert max(sizes) <= window + engine_module.OVERLAP_CHARS + CONTEXT_CHARS
    # Each cached function holds at most the previous window's text, not all of them.
    cached_functions = len(base._SCAN_CACHES) // 2
    assert max(held) <= cached_functions
    assert base.scanned_texts_held() == 0


def test_a_streamed_source_is_read_and_scanned_in_bounded_pieces(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chunk = 40_000  # smaller chunks than the CLI's, the same code
    monkeypatch.setattr(scanning_files, "CHUNK_BYTES", chunk)
    data = (_LINE * (5 * chunk // len(_LINE))).encode("utf-8")
    reads: list[int] = []
    windows: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    engine = Engine()
    scan = engine.scan

    def recording(text: str, **kwargs: Any) -> list[Any]:
        windows.append(len(text))
        return scan(text, **kwargs)

    engine.scan = recording  # type: ignore[method-assign]
    found = read_source(engine, "big.txt", Recording(data)).result()
    assert len(found.findings) > 1000
    assert reads and all(0 < size <= chunk for size in reads)  # never the whole file
    assert len(windows) >= 5
    # A window is a chunk, the text not yet reported and some look-back context.
    assert max(windows) <= chunk + 2 * OVERLAP_CHARS + CONTEXT_CHARS


def test_jsonl_answers_as_it_reads() -> None:
    lines_in = JSONL_BATCH_LINES * 3
    consumed = 0
    consumed_at_first_write: list[int] = []

    def lines() -> Iterator[bytes]:
        nonlocal consumed
        for number in range(lines_in):
            consumed += 1
            yield b'{"id": %d, "text": "call +1 415-555-2671"}\n' % number

    class Out(io.BytesIO):
        def write(self, data: Any) -> int:
            if not consumed_at_first_write:
                consumed_at_first_write.append(consumed)
            return super().write(data)

    out = Out()
    counts = scan_jsonl(Engine(), lines(), out)
    assert counts.read == lines_in
    assert out.getvalue().count(b"\n") == lines_in
    # The first batch is answered after at most two batches are read, not the whole input.
    assert consumed_at_first_write[0] <= 2 * JSONL_BATCH_LINES
    assert JSONL_BATCH_BYTES <= 1 << 20
