"""Squid access logs: native (and native with extra fields), common and combined."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime

from ramparts.discovery.parsers.record import (
    BAD_TIME,
    EARLIEST_TS,
    MAX_BYTES_DIGITS,
    MAX_CACHED_HOST_CHARS,
    LogRecord,
    ParseContext,
    ParseStats,
    split_url,
    to_float,
    to_int,
)

HTTP_METHODS = frozenset(
    [
        "GET",
        "POST",
        "PUT",
        "DELETE",
        "HEAD",
        "OPTIONS",
        "PATCH",
        "CONNECT",
        "TRACE",
        "PROPFIND",
        "NONE",
        "ICP_QUERY",
    ]
)


def _looks_native(line: str) -> bool:
    parts = line.split()
    if len(parts) < 10:
        return False
    try:
        float(parts[0])
    except ValueError:
        return False
    return "/" in parts[3] or (len(parts) > 4 and "/" in parts[4] and parts[3].isdigit())


class SquidNativeParser:
    """``time elapsed client code/status bytes method URL user hierarchy type``.

    Native lines carry only bytes sent to the client (download); upload volume is
    unknown. Extended ``logformat``s that insert the client port and request size
    after the client address (Squid's own test format) are read too: the second
    byte count after ``code/status`` is the request size (upload).
    """

    name = "squid-native"

    def sniff(self, sample: list[str]) -> bool:
        # Any good line is enough: a damaged log is still a Squid log (sniffed last).
        return any(_looks_native(s) for s in sample)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        hosts: dict[str, str] = {}  # "scheme://host:port" -> host; hosts repeat a lot
        count = good = 0
        latest = ctx.latest_ts
        digits = MAX_BYTES_DIGITS
        try:
            for line in lines:
                count += 1
                parts = line.split()
                if not parts:
                    continue
                record: LogRecord | None = None
                try:
                    if len(parts) >= 10 and "/" in parts[3]:
                        # Hot path, inlined: native format.
                        method, url, size, user = parts[5], parts[6], parts[4], parts[7]
                        start = url.find("://")
                        slash = url.find("/", start + 3) if start != -1 else -1
                        if method == "CONNECT":
                            prefix, path = url, None
                        elif slash != -1:
                            prefix, path = url[:slash], url[slash:]
                        else:
                            prefix, path = url, ("/" if start != -1 else None)
                        host = hosts.get(prefix)
                        if host is None:
                            if "?" in prefix or "#" in prefix:
                                # A query or fragment before any path ends the host.
                                host, path = split_url(url)
                                path = None if method == "CONNECT" else path
                            else:
                                host = split_url(prefix)[0]
                                if host and len(prefix) <= MAX_CACHED_HOST_CHARS:
                                    if len(hosts) > 100_000:
                                        hosts.clear()
                                    hosts[prefix] = host
                        if not host:
                            raise ValueError("no host")
                        record = LogRecord(
                            float(parts[0]),
                            parts[2],
                            "" if user == "-" else user,
                            host,
                            path,
                            None,
                            int(size) if size.isdecimal() and len(size) <= digits else None,
                            method,
                        )
                    else:
                        record = self._extended(parts)
                except (ValueError, IndexError):
                    record = None
                if record is None:
                    stats.broken_line(line, "not a Squid native line", stats.lines + count)
                    continue
                ts = record.ts
                if ts is None or not EARLIEST_TS <= ts <= latest:  # NaN fails both tests
                    stats.broken_line(line, BAD_TIME, stats.lines + count)
                    continue
                good += 1
                yield record
        finally:
            stats.lines += count
            stats.records += good

    @staticmethod
    def _extended(parts: list[str]) -> LogRecord | None:
        if len(parts) < 10 or "/" not in parts[4] or not parts[3].isdigit():
            return None
        index = next((i for i in range(5, len(parts) - 1) if parts[i] in HTTP_METHODS), None)
        if index is None:
            return None
        counts = parts[5:index]
        when = to_float(parts[0])
        if when is None:
            return None
        host, path = split_url(parts[index + 1])
        if not host:
            return None
        if parts[index] == "CONNECT":
            path = None
        user_at = index + 2
        if user_at < len(parts) and re.fullmatch(r"(HTTP/)?\d\.\d", parts[user_at]):
            user_at += 1
        user = parts[user_at] if user_at < len(parts) else "-"
        return LogRecord(
            when,
            parts[2],
            "" if user == "-" else user,
            host,
            path,
            to_int(counts[1]) if len(counts) > 1 else None,
            to_int(counts[0]) if counts else None,
            parts[index],
        )


_COMMON = re.compile(
    r'^(?P<client>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] "(?P<method>[A-Z_]+) (?P<url>\S+)'
    r'(?: [^"]*)?" (?P<status>\d{3}|-) (?P<bytes>\d+|-)(?P<rest>.*)$'
)


class SquidCommonParser:
    """Common and combined log format (``emulate_httpd_log``); bytes are download only."""

    name = "squid-common"

    def __init__(self) -> None:
        self._times: dict[str, float] = {}

    def sniff(self, sample: list[str]) -> bool:
        return any(_COMMON.match(s) for s in sample)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        for line in lines:
            stats.lines += 1
            if not line.strip():
                continue
            found = _COMMON.match(line)
            ts = self._time(found["time"]) if found else None
            if found is None or ts is None:
                stats.broken_line(line, "not a common/combined log line", stats.lines)
                continue
            if ctx.bad_time(ts):
                stats.broken_line(line, BAD_TIME, stats.lines)
                continue
            host, path = split_url(found["url"])
            if not host:
                stats.broken_line(line, "common/combined log line without a host", stats.lines)
                continue
            if found["method"] == "CONNECT":
                path = None
            user = found["user"]
            stats.records += 1
            yield LogRecord(
                ts,
                found["client"],
                "" if user == "-" else user,
                host,
                path,
                None,
                to_int(found["bytes"]),
                found["method"],
            )

    def _time(self, text: str) -> float | None:
        cached = self._times.get(text)
        if cached is None:
            try:
                cached = datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").timestamp()
            except ValueError:
                return None
            if len(self._times) > 100_000:
                self._times.clear()
            self._times[text] = cached
        return cached
