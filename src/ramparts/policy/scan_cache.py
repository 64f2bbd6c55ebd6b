"""Findings remembered per piece of text, so a conversation's history is scanned once.

Chat clients resend the whole conversation on every turn: the system prompt,
earlier user turns and earlier answers come back again and again, and only the
newest message is new. Detectors are pure (same text, origin and settings, same
findings), so the input guard can reuse what it found last time.

One cache serves the whole process. An entry is keyed by a keyed BLAKE2b digest
of the compiled policy it was found under (a policy change starts afresh), the
caller's API key (so one user cannot learn from timing whether another sent the
same text), the text's origin and the text itself; no prompt text is held.
Memory is bounded twice: by the number of entries and by the number of findings
held, and a text with many findings is not kept at all.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from ramparts.detectors.base import Finding

# A text with more findings than this is rescanned each time: rare, and it would
# let one request pin a large share of the budget.
MAX_FINDINGS_PER_ENTRY = 32
_DIGEST_BYTES = 16


class Lookup(NamedTuple):
    """One text's cache key and, on a hit, its findings."""

    key: bytes
    findings: tuple[Finding, ...] | None


class ScanCache:
    """Findings per (policy, caller, origin, text): at most ``max_entries`` texts and
    ``max_findings`` findings, least recently used first out."""

    def __init__(self, max_entries: int, max_findings: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_findings = max_findings if max_findings is not None else 16 * max_entries
        self._key = os.urandom(32)  # digests mean nothing outside this process
        # Ordered oldest first. An OrderedDict evicts its oldest entry in constant time; a
        # plain dict would walk over the slots of every entry popped since it last resized.
        self._entries: OrderedDict[bytes, tuple[Finding, ...]] = OrderedDict()
        self._held = 0  # findings held across all entries
        # Large texts are scanned in worker threads while the event loop serves others.
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def findings_held(self) -> int:
        return self._held

    def key(self, scope: bytes, text: str, origin: str) -> bytes:
        """The entry key: ``scope`` names the compiled policy and the caller."""
        digest = hashlib.blake2b(scope, digest_size=_DIGEST_BYTES, key=self._key)
        digest.update(b"\0" + origin.encode() + b"\0")
        digest.update(text.encode("utf-8", "surrogatepass"))
        return digest.digest()

    def lookup(self, scope: bytes, text: str, origin: str) -> Lookup:
        """The key for ``text`` and its remembered findings, if any (a hit refreshes it)."""
        key = self.key(scope, text, origin)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self._entries.move_to_end(key)  # now the newest
        return Lookup(key, found)

    def store(self, key: bytes, findings: Sequence[Finding]) -> None:
        """Remember ``findings`` under ``key`` (from :meth:`lookup`), within the bounds."""
        if not self.enabled or len(findings) > MAX_FINDINGS_PER_ENTRY:
            return
        kept = tuple(findings)
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._held -= len(previous)
            self._entries[key] = kept
            self._held += len(kept)
            while len(self._entries) > self.max_entries or self._held > self.max_findings:
                self._held -= len(self._entries.popitem(last=False)[1])

    def __repr__(self) -> str:
        return (
            f"<ScanCache entries={len(self._entries)}/{self.max_entries}"
            f" findings={self._held}/{self.max_findings}>"
        )
