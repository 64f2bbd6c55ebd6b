"""DNS answers seen in a run, so logs that show only an address (Zeek conn, PAN-OS
traffic, Fortinet/CEF without a host, http/ssl without Host/SNI) can be named.

An answer names an address for the client that asked, within a time window: one user's
lookup of ``claude.ai`` never names another user's connection to the same (often shared
CDN) address. A record named this way is an inference, not what the log saw, and says
so (``LogRecord.inferred``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Iterable

MAX_NAME_CHARS = 253  # the longest DNS name; longer text is no host name
MAX_ANSWERS = 100_000  # (client, address) pairs kept; the least recent go first
ANSWER_WINDOW = 3600.0  # an answer names connections up to an hour after it
ANSWER_SLACK = 5.0  # ...and a few seconds before it (sensor clocks and log order)
_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")
_NAME = re.compile(r"[\w.-]+")


def is_address(text: str) -> bool:
    """True for an IPv4 or IPv6 address as logs write it."""
    return _ADDRESS.fullmatch(text) is not None


class DnsAnswers:
    """(client, address) -> (name, time of the answer), bounded.

    ``wanted(name)`` says which names are worth keeping (those the catalog could match):
    the first wanted name of an answer chain (the query, then its CNAME targets) is what
    the addresses are named after; an answer with no wanted name is not kept at all, so
    memory follows AI lookups, not DNS volume. Without ``wanted`` the query is kept.
    """

    def __init__(
        self,
        wanted: Callable[[str], bool] | None = None,
        *,
        limit: int = MAX_ANSWERS,
        window: float = ANSWER_WINDOW,
    ) -> None:
        self.wanted = wanted
        self.limit = limit
        self.window = window
        self._names: OrderedDict[tuple[str, str], tuple[str, float | None]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._names)

    def learn(self, client: str, query: str, answers: Iterable[object], ts: float | None) -> str:
        """Remember what ``query`` (already normalised) resolved to for ``client``; return
        the name the chain stands for (the query unless only a CNAME target is wanted)."""
        chain = [query]
        addresses: list[str] = []
        for item in answers:
            text = str(item).strip() if isinstance(item, str | int | float) else ""
            if not text or len(text) > MAX_NAME_CHARS:
                continue
            if is_address(text):
                addresses.append(text)
            elif _NAME.fullmatch(text):
                chain.append(text.rstrip(".").lower())
        name = self._pick(chain)
        if name is None:
            return query
        for address in addresses:
            key = (client, address)
            self._names.pop(key, None)  # re-learnt: now the most recent
            self._names[key] = (name, ts)
        while len(self._names) > self.limit:
            self._names.popitem(last=False)
        return name

    def name_for(self, client: str, address: str, ts: float | None) -> str | None:
        """The name ``client`` looked up for ``address`` shortly before ``ts``, or None."""
        found = self._names.get((client, address))
        if found is None:
            return None
        name, seen = found
        if ts is not None and seen is not None and not -ANSWER_SLACK <= ts - seen <= self.window:
            return None  # expired, or learnt long after this record
        return name

    def _pick(self, chain: list[str]) -> str | None:
        wanted = self.wanted
        if wanted is None:
            return chain[0] if chain[0] else None
        return next((name for name in chain if name and wanted(name)), None)
