"""Host (and path) to service matching, with dual-use hosts handled explicitly.

Evidence strength:

* ``strong`` - a host dedicated to the service (``chatgpt.com``, ``api.openai.com``);
* ``path``   - a shared host whose URL path names the AI feature (``bing.com/chat``);
* ``weak``   - a shared host seen without a path (DNS, TLS SNI, CONNECT): may be AI use,
  never reported as proof and kept out of findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ramparts.discovery.catalog.loader import Catalog

Strength = Literal["strong", "path", "weak"]
_CACHE_LIMIT = 200_000
_MAX_HOST_CHARS = 253  # the longest DNS name
_Shared = list[tuple[str, tuple[str, ...]]]  # (service id, AI path prefixes) for a shared host


@dataclass(frozen=True, slots=True)
class Match:
    service_id: str
    strength: Strength
    kind: str  # web, api, cdn or shared


class ServiceMatcher:
    def __init__(self, catalog: Catalog) -> None:
        self._exact: dict[str, tuple[str, str]] = {}
        self._suffix: dict[str, tuple[str, str]] = {}
        self._regex: list[tuple[re.Pattern[str], str, str]] = []
        self._shared: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for entry in catalog.entries.values():
            service = entry.service
            for kind, pattern in service.domains.all():
                if pattern.startswith("regexp:"):
                    self._regex.append((re.compile(pattern[7:]), service.id, kind))
                elif pattern.startswith("full:"):
                    self._exact.setdefault(pattern[5:], (service.id, kind))
                else:
                    self._suffix.setdefault(pattern, (service.id, kind))
            for shared in service.shared:
                self._shared.setdefault(shared.host, []).append((service.id, shared.paths))
        self._host_cache: dict[str, tuple[Match | None, _Shared | None]] = {}

    def match(self, host: str, path: str | None = None) -> Match | None:
        """The service behind ``host`` (+ ``path`` when the log has one), or None."""
        cached = self._host_cache.get(host)
        if cached is None:
            cached = self._remember(host)
        found, shared = cached
        if shared is None:  # the common case: one dict lookup per record
            return found
        for service_id, prefixes in shared:
            if path and path.startswith(prefixes):
                return Match(service_id, "path", "shared")
        if found is not None:
            return found
        return None if path else Match(shared[0][0], "weak", "shared")

    def is_candidate(self, host: str) -> bool:
        """False when no path could make ``host`` match (lets parsers drop rows early)."""
        cached = self._host_cache.get(host) or self._remember(host)
        return cached[0] is not None or cached[1] is not None

    def match_host(self, host: str) -> Match | None:
        """The dedicated-host match only (no dual-use rules)."""
        cached = self._host_cache.get(host)
        return (cached or self._remember(host))[0]

    def _remember(self, host: str) -> tuple[Match | None, _Shared | None]:
        if len(host) > _MAX_HOST_CHARS:
            return None, None  # no host name is that long: nothing to match, nor to keep
        entry = (self._lookup(host), self._shared_for(host))
        if len(self._host_cache) >= _CACHE_LIMIT:
            self._host_cache.clear()
        self._host_cache[host] = entry
        return entry

    def _lookup(self, host: str) -> Match | None:
        hit = self._exact.get(host)
        if hit is not None:
            return Match(hit[0], "strong", hit[1])
        labels = host.split(".")
        for i in range(len(labels) - 1):
            hit = self._suffix.get(".".join(labels[i:]))
            if hit is not None:
                return Match(hit[0], "strong", hit[1])
        for pattern, service_id, kind in self._regex:
            if pattern.fullmatch(host):  # a full-host regex: no prefix matches
                return Match(service_id, "strong", kind)
        return None

    def _shared_for(self, host: str) -> _Shared | None:
        # "www.bing.com" shares "bing.com"'s rules.
        found = self._shared.get(host)
        if found is None and host.startswith("www."):
            found = self._shared.get(host[4:])
        return found
