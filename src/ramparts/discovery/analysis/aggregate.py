"""Streaming aggregation: per service, per user and per department counters.

Memory grows with services x users x active days, never with the number of lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ramparts.discovery.catalog import Catalog, ServiceMatcher
from ramparts.discovery.parsers import LogRecord, SkippedRows
from ramparts.discovery.parsers.record import clean_text
from ramparts.discovery.usermap import UserMap

DAY = 86400
MAX_CACHED_NAME = 256  # characters; longer user names are cleaned every time, not cached
_PERSONAL_MARKERS = (
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.",
    "yahoo.",
    "icloud.com",
    "proton.me",
    "protonmail.",
)


@dataclass
class Usage:
    """Counters for one (service, user) pair, or summed for a service/user/department."""

    requests: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    up_unknown: int = 0  # requests whose source did not log upload bytes
    down_unknown: int = 0
    days: dict[int, int] = field(default_factory=dict)  # day number -> requests
    first: float | None = None
    last: float | None = None
    corporate: int = 0
    personal: int = 0

    def add(self, rec: LogRecord, signal: str) -> None:
        self.requests += 1
        if rec.bytes_up is None:
            self.up_unknown += 1
        else:
            self.bytes_up += rec.bytes_up
        if rec.bytes_down is None:
            self.down_unknown += 1
        else:
            self.bytes_down += rec.bytes_down
        ts = rec.ts
        if ts is not None:
            day = int(ts // DAY)
            self.days[day] = self.days.get(day, 0) + 1
            if self.first is None or ts < self.first:
                self.first = ts
            if self.last is None or ts > self.last:
                self.last = ts
        if signal == "corporate":
            self.corporate += 1
        elif signal == "personal":
            self.personal += 1

    def merge(self, other: Usage) -> None:
        self.requests += other.requests
        self.bytes_up += other.bytes_up
        self.bytes_down += other.bytes_down
        self.up_unknown += other.up_unknown
        self.down_unknown += other.down_unknown
        for day, requests in other.days.items():
            self.days[day] = self.days.get(day, 0) + requests
        self.corporate += other.corporate
        self.personal += other.personal
        for ts in (other.first, other.last):
            if ts is not None:
                self.first = ts if self.first is None else min(self.first, ts)
                self.last = ts if self.last is None else max(self.last, ts)


@dataclass
class FormatCoverage:
    """Which fields one log format actually provided, over all its records."""

    records: int = 0
    ai_records: int = 0
    with_user: int = 0
    with_ts: int = 0
    with_path: int = 0
    with_up: int = 0
    with_down: int = 0


@dataclass
class Aggregate:
    pairs: dict[tuple[str, str], Usage] = field(default_factory=dict)
    weak: dict[str, Usage] = field(default_factory=dict)  # shared-host hits without a path
    weak_users: dict[str, set[str]] = field(default_factory=dict)
    departments: dict[str, str] = field(default_factory=dict)  # user -> department
    user_source: dict[str, int] = field(
        default_factory=lambda: {"log": 0, "mapping": 0, "ip_only": 0}
    )
    coverage: dict[str, FormatCoverage] = field(default_factory=dict)
    records: int = 0
    skipped_before_since: int = 0
    min_ts: float | None = None
    max_ts: float | None = None


class Aggregator:
    def __init__(
        self,
        catalog: Catalog,
        user_map: UserMap | None = None,
        since: float | None = None,
    ) -> None:
        self.catalog = catalog
        self.matcher = ServiceMatcher(catalog)
        self.user_map = user_map or UserMap()
        self.since = since
        self.result = Aggregate()
        self._corporate = tuple(catalog.corporate_hosts)
        self._clean: dict[str, str] = {}  # user as logged -> cleaned name

    def consume(
        self,
        items: Iterable[tuple[str, LogRecord | SkippedRows]],
        progress: Callable[[int], None] | None = None,
    ) -> Aggregate:
        res = self.result
        since = self.since
        match = self.matcher.match
        coverage = res.coverage
        current_fmt = ""
        cov = FormatCoverage()
        count = 0
        for fmt, rec in items:
            if isinstance(rec, SkippedRows):
                count += self._skipped(fmt, rec)
                continue
            count += 1
            if progress is not None and count % 50_000 == 0:
                progress(count)
            ts = rec.ts
            if since is not None and ts is not None and ts < since:
                res.skipped_before_since += 1
                continue
            if fmt != current_fmt:
                cov = coverage.setdefault(fmt, FormatCoverage())
                current_fmt = fmt
            cov.records += 1
            if rec.user:
                cov.with_user += 1
            if ts is not None:
                cov.with_ts += 1
                if res.min_ts is None or ts < res.min_ts:
                    res.min_ts = ts
                if res.max_ts is None or ts > res.max_ts:
                    res.max_ts = ts
            if rec.path is not None:
                cov.with_path += 1
            if rec.bytes_up is not None:
                cov.with_up += 1
            if rec.bytes_down is not None:
                cov.with_down += 1
            found = match(rec.host, rec.path)
            if found is None:
                continue
            cov.ai_records += 1
            self._add(rec, found.service_id, found.strength)
        res.records += count
        if progress is not None:
            progress(count)
        return res

    def _skipped(self, fmt: str, rows: SkippedRows) -> int:
        """Count rows a parser dropped in bulk (never AI, or before ``since``)."""
        res = self.result
        res.skipped_before_since += rows.before_since
        cov = res.coverage.setdefault(fmt, FormatCoverage())
        cov.records += rows.records
        cov.with_user += rows.with_user
        cov.with_ts += rows.with_ts
        cov.with_path += rows.with_path
        cov.with_up += rows.with_up
        cov.with_down += rows.with_down
        for ts in (rows.min_ts, rows.max_ts):
            if ts is not None:
                res.min_ts = ts if res.min_ts is None else min(res.min_ts, ts)
                res.max_ts = ts if res.max_ts is None else max(res.max_ts, ts)
        return rows.records + rows.before_since

    def _add(self, rec: LogRecord, service_id: str, strength: str) -> None:
        res = self.result
        user = self._user(rec)
        if strength == "weak":
            res.weak.setdefault(service_id, Usage()).add(rec, "")
            res.weak_users.setdefault(service_id, set()).add(user)
            return
        key = (service_id, user)
        usage = res.pairs.get(key)
        if usage is None:
            usage = res.pairs[key] = Usage()
        usage.add(rec, self._signal(rec))

    def _user(self, rec: LogRecord) -> str:
        """The identity for ``rec``, cleaned here because every user and department
        name reaches reports and the store through this one place."""
        res = self.result
        user = rec.user
        if user:
            res.user_source["log"] += 1
        else:
            user = self.user_map.user_for(rec.client, rec.ts)
            if user:
                res.user_source["mapping"] += 1
            else:
                res.user_source["ip_only"] += 1
                user = f"ip:{rec.client}" if rec.client else "unknown"
        cleaned = self._clean.get(user)
        if cleaned is None:
            cleaned = clean_text(user) or "unknown"
            # Only names of a plausible length are cached: 100,000 entries of
            # 65k-character names from hostile lines would hold gigabytes.
            if len(user) <= MAX_CACHED_NAME:
                if len(self._clean) >= 100_000:
                    self._clean.clear()
                self._clean[user] = cleaned
        if cleaned not in res.departments:
            # Looked up by the name as logged (or mapped), before cleaning changed it.
            department = rec.department or self.user_map.department_for(user)
            res.departments[cleaned] = clean_text(department)
        return cleaned

    def _signal(self, rec: LogRecord) -> str:
        host = rec.host
        for corp in self._corporate:
            if host == corp or host.endswith("." + corp):
                return "corporate"
        path = rec.path
        if path and ("@" in path or "%40" in path):
            lowered = path.lower()
            if any(m in lowered for m in _PERSONAL_MARKERS):
                return "personal"
        return ""
