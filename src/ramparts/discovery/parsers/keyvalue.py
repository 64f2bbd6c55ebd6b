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

# A key starts a word: trying "\w+=" inside a long word at every character is quadratic
# (a 64k-character line took 40 s); from word starts only it is linear, same matches.
_FORTI_PAIR = re.compile(r'(?<!\w)(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
# A CEF key follows a space (or starts the extension); its value runs to the next key.
# Values are split on key positions, not on "=": many producers leave the "=" of a URL
# query unescaped (request=https://x.example/c?model=y).
_CEF_KEY = re.compile(r"(?<!\S)(\w+)=")


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
        ts = None
        if "eventtime" in f and f["eventtime"].isdecimal() and len(f["eventtime"]) <= 20:
            raw = int(f["eventtime"])
            ts = raw / 1e9 if raw > 1e15 else raw / 1e3 if raw > 1e12 else float(raw)
        elif "date" in f and "time" in f:
            ts = _epoch(f["date"], f["time"])
        client = f.get("srcip", "")
        host, inferred = f.get("hostname") or "", False
        if not host:
            host, inferred = _named(ctx, client, f.get("dstip", ""), ts)
        host = normalise_host(host)
        if not host:
            return None
        url = f.get("url")
        user = f.get("user") or f.get("unauthuser") or ""
        return LogRecord(
            ts,
            client,
            user,
            host,
            url if url and url.startswith("/") else None,
            to_int(f.get("sentbyte", "")),
            to_int(f.get("rcvdbyte", "")),
            f.get("reqtype", f.get("method", "")),
            inferred=inferred,
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
        ext = _cef_extension(header[7])
        ts, client = _cef_time(ext.get("rt", "")), ext.get("src", "")
        host, path, inferred = "", None, False
        if ext.get("request"):
            host, path = split_url(ext["request"])
        host = host or normalise_host(ext.get("dhost", ""))
        if not host and ext.get("dst"):
            host, inferred = _named(ctx, client, ext["dst"], ts)
        if not host:
            return None
        return LogRecord(
            ts,
            client,
            ext.get("suser", ""),
            host,
            path,
            to_int(ext.get("out", "")),
            to_int(ext.get("in", "")),
            ext.get("requestMethod", ""),
            inferred=inferred,
        )


def _named(ctx: ParseContext, client: str, address: str, ts: float | None) -> tuple[str, bool]:
    """(host, inferred) for a record that shows only the server ``address``."""
    name = ctx.answers.name_for(client, address, ts) if address else None
    return (name, True) if name is not None else (address, False)


def _cef_extension(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of a CEF extension (``\\=`` read as ``=``)."""
    keys = list(_CEF_KEY.finditer(text))
    ext: dict[str, str] = {}
    for key, following in zip(keys, [*keys[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        ext[key[1]] = text[key.end() : end].replace("\\=", "=").strip()
    return ext


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
