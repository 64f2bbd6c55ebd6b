"""Key=value logs: Fortinet FortiGate traffic/web-filter logs and ArcSight CEF."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from ramparts.discovery.parsers.record import (
    LogRecord,
    ParseContext,
    ParseStats,
    normalise_host,
    records_by_line,
    split_url,
    to_int,
)

_FORTI_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_CEF_PAIR = re.compile(r"(\w+)=((?:\\=|[^=])*?)(?=\s+\w+=|\s*$)")


def _epoch(date: str, time: str) -> float | None:
    try:
        return (
            datetime.strptime(f"{date} {time}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
        )
    except ValueError:
        return None


class FortinetParser:
    """FortiGate ``key=value`` logs (``hostname``, ``url``, ``user``, ``sentbyte``/``rcvdbyte``)."""

    name = "fortinet"

    def sniff(self, sample: list[str]) -> bool:
        return any(("logid=" in s or "devid=" in s) and "type=" in s for s in sample)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        return records_by_line(
            lines,
            stats,
            lambda line: self._record({k: v.strip('"') for k, v in _FORTI_PAIR.findall(line)}, ctx),
            "Fortinet line without hostname or destination",
            ctx,
        )

    @staticmethod
    def _record(f: dict[str, str], ctx: ParseContext) -> LogRecord | None:
        host = f.get("hostname") or ""
        if not host:
            dst = f.get("dstip", "")
            host = ctx.resolved.get(dst, dst)
        if not host:
            return None
        ts = None
        if "eventtime" in f and f["eventtime"].isdecimal() and len(f["eventtime"]) <= 20:
            raw = int(f["eventtime"])
            ts = raw / 1e9 if raw > 1e15 else raw / 1e3 if raw > 1e12 else float(raw)
        elif "date" in f and "time" in f:
            ts = _epoch(f["date"], f["time"])
        url = f.get("url")
        user = f.get("user") or f.get("unauthuser") or ""
        return LogRecord(
            ts,
            f.get("srcip", ""),
            user,
            normalise_host(host),
            url if url and url.startswith("/") else None,
            to_int(f.get("sentbyte", "")),
            to_int(f.get("rcvdbyte", "")),
            f.get("reqtype", f.get("method", "")),
        )


class CefParser:
    """ArcSight CEF; ``out`` is bytes sent by the source (upload), ``in`` bytes received."""

    name = "cef"

    def sniff(self, sample: list[str]) -> bool:
        return any("CEF:" in s for s in sample)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        return records_by_line(
            lines,
            stats,
            lambda line: self._record(line, ctx),
            "not a CEF line with a destination",
            ctx,
        )

    @staticmethod
    def _record(line: str, ctx: ParseContext) -> LogRecord | None:
        start = line.find("CEF:")
        if start == -1:
            return None
        header = re.split(r"(?<!\\)\|", line[start:], maxsplit=7)
        if len(header) < 8:
            return None
        ext = {k: v.replace("\\=", "=").strip() for k, v in _CEF_PAIR.findall(header[7])}
        host, path = "", None
        if ext.get("request"):
            host, path = split_url(ext["request"])
        host = host or normalise_host(ext.get("dhost", ""))
        if not host and ext.get("dst"):
            host = ctx.resolved.get(ext["dst"], ext["dst"])
        if not host:
            return None
        return LogRecord(
            _cef_time(ext.get("rt", "")),
            ext.get("src", ""),
            ext.get("suser", ""),
            host,
            path,
            to_int(ext.get("out", "")),
            to_int(ext.get("in", "")),
            ext.get("requestMethod", ""),
        )


def _cef_time(value: str) -> float | None:
    if value.isdecimal():
        # A longer number is no time (and int() refuses thousands of digits).
        return int(value) / 1000.0 if len(value) <= 20 else None
    for fmt in ("%b %d %Y %H:%M:%S", "%b %d %Y %H:%M:%S.%f"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None
