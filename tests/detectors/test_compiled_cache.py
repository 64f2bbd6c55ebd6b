"""Compiled Hyperscan databases are cached on disk, privately, and never trusted blindly."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import hyperscan
import pytest

from ramparts.detectors import compiled
from ramparts.detectors.compiled import cache_directory, compile_database
from ramparts.detectors.pattern_set import PatternSet

PATTERNS = ["foo", "ba+r", r"\d{3}-\d{4}"]
FLAGS = [0, hyperscan.HS_FLAG_SINGLEMATCH, 0]


class CompileCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = hyperscan.Database

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(hyperscan, "Database", counting)


def hits(database: Any, text: bytes) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []

    def note(pattern_id: int, _start: int, end: int, _flags: int, _context: Any) -> None:
        found.append((pattern_id, end))

    database.scan(text, note, scratch=hyperscan.Scratch(database))
    return sorted(found)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RAMPARTS_CACHE_DIR", str(tmp_path))
    return tmp_path / compiled.SUBDIRECTORY


def test_a_second_compile_loads_the_same_database(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CompileCounter(monkeypatch)
    first = compile_database(PATTERNS, range(3), FLAGS)
    second = compile_database(PATTERNS, range(3), FLAGS)
    assert counter.count == 1
    text = b"foo baaar 555-0100 bar"
    assert hits(first, text) == hits(second, text) == [(0, 3), (1, 9), (2, 18)]
    [stored] = cache.iterdir()
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_a_loaded_database_scans_without_a_scratch_of_its_own(cache: Path) -> None:
    compile_database(PATTERNS, range(3), FLAGS)
    loaded = compile_database(PATTERNS, range(3), FLAGS)
    found: list[int] = []
    loaded.scan(b"foo", match_event_handler=lambda *args: found.append(1))
    assert found == [1]


def test_other_patterns_or_flags_get_their_own_database(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = CompileCounter(monkeypatch)
    compile_database(PATTERNS, range(3), FLAGS)
    compile_database(PATTERNS, range(3), [0, 0, 0])
    compile_database([*PATTERNS[:2], "baz"], range(3), FLAGS)
    assert counter.count == 3 and len(list(cache.iterdir())) == 3


def test_a_corrupt_file_is_compiled_afresh_and_replaced(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_database(PATTERNS, range(3), FLAGS)
    [stored] = cache.iterdir()
    good = stored.read_bytes()
    stored.write_bytes(good[:64] + bytes(len(good) - 64))
    counter = CompileCounter(monkeypatch)
    database = compile_database(PATTERNS, range(3), FLAGS)
    assert counter.count == 1 and hits(database, b"foo") == [(0, 3)]
    assert stored.read_bytes() == good


def test_a_file_others_may_write_is_not_trusted(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database decides what detectors see: one that could have been planted is ignored."""
    compile_database(["never-matches-anything"], [0], [0])
    [planted] = cache.iterdir()
    compile_database(PATTERNS, range(3), FLAGS)
    real = next(p for p in cache.iterdir() if p != planted)
    real.write_bytes(planted.read_bytes())  # a database that finds nothing
    real.chmod(0o666)
    counter = CompileCounter(monkeypatch)
    database = compile_database(PATTERNS, range(3), FLAGS)
    assert counter.count == 1 and hits(database, b"foo") == [(0, 3)]
    assert stat.S_IMODE(real.stat().st_mode) == 0o600  # replaced by a private copy


def test_off_and_unwritable_caches_still_compile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAMPARTS_CACHE_DIR", "off")
    assert cache_directory() is None
    assert hits(compile_database(PATTERNS, range(3), FLAGS), b"foo") == [(0, 3)]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("RAMPARTS_CACHE_DIR", str(blocker))
    assert hits(compile_database(PATTERNS, range(3), FLAGS), b"foo") == [(0, 3)]


def test_the_default_folder_follows_xdg() -> None:
    assert cache_directory({"XDG_CACHE_HOME": "/x"}) == Path("/x/ramparts/hyperscan")
    assert cache_directory({"RAMPARTS_CACHE_DIR": "/y"}) == Path("/y/hyperscan")
    assert cache_directory({}) == Path.home() / ".cache/ramparts/hyperscan"


def test_pattern_sets_use_the_cache(cache: Path) -> None:
    PatternSet(["alpha", "beta"])
    assert len(list(cache.iterdir())) == 1
    assert PatternSet(["alpha", "beta"]).scan("x beta alpha") == [(1, 6), (0, 12)]
