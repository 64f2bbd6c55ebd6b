"""The input guard's scan cache: same findings as the engine, bounded, keyed without text."""

from __future__ import annotations

import pytest

from ramparts.detectors.base import Finding, Sensitivity
from ramparts.detectors.engine import Engine
from ramparts.policy.guard import TextUnit, scan_units
from ramparts.policy.scan_cache import MAX_FINDINGS_PER_ENTRY, ScanCache

TEXT = "write to ann@example.com or call +44 20 7946 0958 about card 4111 1111 1111 1111"
SCOPE = b"policy-1:key-1"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _finding(n: int) -> Finding:
    return Finding("email", "email", n, n + 1, 0.9, "test", Sensitivity.CONFIDENTIAL, "f" * 16)


def _units(*texts: str) -> list[TextUnit]:
    return [TextUnit("user", text, lambda value: None) for text in texts]


def test_scanning_through_the_cache_gives_the_engine_findings(engine: Engine) -> None:
    cache = ScanCache(8)
    units = _units(TEXT, "nothing here")
    expected = scan_units(engine, units)
    assert {item.finding.detector for item in expected} >= {"email", "phone", "payment_card"}
    first = [cache.lookup(SCOPE, u.text, u.origin) for u in units]
    assert all(lookup.findings is None for lookup in first)
    assert scan_units(engine, units, cache, first) == expected
    second = [cache.lookup(SCOPE, u.text, u.origin) for u in units]
    assert all(lookup.findings is not None for lookup in second)
    assert scan_units(engine, units, cache, second) == expected
    assert (cache.hits, cache.misses) == (2, 2)


def test_policy_caller_and_origin_are_all_part_of_the_key() -> None:
    cache = ScanCache(8)
    key = cache.key(SCOPE, TEXT, "user")
    cache.store(key, [_finding(0)])
    assert cache.lookup(SCOPE, TEXT, "user").findings is not None
    assert cache.lookup(b"policy-1:key-2", TEXT, "user").findings is None  # another caller
    assert cache.lookup(b"policy-2:key-1", TEXT, "user").findings is None  # another policy
    assert cache.lookup(SCOPE, TEXT, "tool").findings is None


def test_least_recently_used_texts_go_first_at_the_entry_bound() -> None:
    cache = ScanCache(3)
    for n in range(3):
        cache.store(cache.key(SCOPE, f"text {n}", "user"), [])
    assert cache.lookup(SCOPE, "text 0", "user").findings is not None  # now the newest
    cache.store(cache.key(SCOPE, "text 3", "user"), [])
    assert len(cache) == 3
    assert cache.lookup(SCOPE, "text 0", "user").findings is not None
    assert cache.lookup(SCOPE, "text 1", "user").findings is None


def test_findings_held_are_bounded_and_crowded_texts_are_not_kept() -> None:
    cache = ScanCache(100, max_findings=10)
    for n in range(5):
        cache.store(cache.key(SCOPE, f"t{n}", "user"), [_finding(i) for i in range(4)])
    assert cache.findings_held <= 10
    assert len(cache) == 2  # the two newest
    crowded = [_finding(i) for i in range(MAX_FINDINGS_PER_ENTRY + 1)]
    cache.store(cache.key(SCOPE, "crowded", "user"), crowded)
    assert cache.lookup(SCOPE, "crowded", "user").findings is None
    # Storing the same key again replaces it without double counting.
    key = cache.key(SCOPE, "t4", "user")
    cache.store(key, [_finding(0)])
    cache.store(key, [_finding(0)])
    assert cache.findings_held == 5


def test_zero_entries_turns_the_cache_off(engine: Engine) -> None:
    cache = ScanCache(0)
    assert not cache.enabled
    cache.store(cache.key(SCOPE, TEXT, "user"), [_finding(0)])
    assert len(cache) == 0


def test_no_text_is_held_or_shown(engine: Engine) -> None:
    cache = ScanCache(8)
    units = _units(TEXT)
    scan_units(engine, units, cache, [cache.lookup(SCOPE, TEXT, "user")])
    assert len(cache) == 1
    assert "ann@example.com" not in repr(cache)
    held = repr(cache._entries)  # digests and findings only
    assert "ann@example.com" not in held and "4111" not in held
    # Digests are keyed per process: they cannot be compared across processes.
    assert cache.key(SCOPE, TEXT, "user") != ScanCache(8).key(SCOPE, TEXT, "user")


class CountingEngine(Engine):
    def __init__(self) -> None:
        super().__init__()
        self.scanned: list[int] = []

    def scan(self, text: str, *, origin: str = "user") -> list[Finding]:
        self.scanned.append(len(text))
        return super().scan(text, origin=origin)


def test_a_hit_is_used_even_if_its_entry_is_evicted_before_the_scan() -> None:
    engine = CountingEngine()
    cache = ScanCache(1)
    big = "history " * 5000
    cache.store(cache.key(SCOPE, big, "user"), [])
    units = _units("new message", big)
    lookups = [cache.lookup(SCOPE, u.text, u.origin) for u in units]
    # Scanning the new message stores it, which evicts the big text's entry; the
    # lookup taken before the scan (and used to decide inline vs thread) still holds.
    scan_units(engine, units, cache, lookups)
    assert engine.scanned == [len("new message")]
