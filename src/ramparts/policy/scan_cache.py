"""Findings remembered per piece of text, so a conversation's history is scanned once.

Chat clients resend the whole conversation on every turn: the system prompt,
earlier user turns and earlier answers come back again and again, and only the
newest message is new. Detectors are pure (same text, origin and settings, same
findings), so the input guard can reuse what it found last time.

The cache belongs to one compiled policy (one tenant and team, one policy
version): a policy change builds a new engine and a new, empty cache. Texts are
keyed by a keyed BLAKE2b digest, so the cache holds no prompt text, and its
size is bounded (least recently used entries go first).
"""

from __future__ import annotations

import hashlib
import os
import threading

from ramparts.detectors.base import Finding
from ramparts.detectors.engine import Engine

_DIGEST_BYTES = 16


class ScanCache:
    """An engine's findings per (origin, text), for at most ``max_entries`` texts."""

    def __init__(self, engine: Engine, max_entries: int) -> None:
        self._engine = engine
        self._max_entries = max_entries
        self._key = os.urandom(32)  # per cache: digests mean nothing outside this process
        self._entries: dict[bytes, tuple[Finding, ...]] = {}
        # Large texts are scanned in worker threads while the event loop scans small ones.
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _digest(self, text: str, origin: str) -> bytes:
        digest = hashlib.blake2b(
            text.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES, key=self._key
        )
        digest.update(b"\0" + origin.encode())
        return digest.digest()

    def contains(self, text: str, *, origin: str) -> bool:
        return self._max_entries > 0 and self._digest(text, origin) in self._entries

    def scan(self, text: str, *, origin: str = "user") -> list[Finding]:
        """``engine.scan(text, origin=origin)``, answered from the cache when possible."""
        if self._max_entries <= 0:
            return self._engine.scan(text, origin=origin)
        key = self._digest(text, origin)
        entries = self._entries
        with self._lock:
            cached = entries.pop(key, None)
            if cached is not None:
                self.hits += 1
                entries[key] = cached  # re-inserted: dicts keep insertion order, newest last
                return list(cached)
            self.misses += 1
        findings = self._engine.scan(text, origin=origin)
        with self._lock:
            while len(entries) >= self._max_entries:
                del entries[next(iter(entries))]  # the least recently used
            entries[key] = tuple(findings)
        return findings

    def __repr__(self) -> str:
        return f"<ScanCache entries={len(self._entries)} max={self._max_entries}>"
