"""Zeek http, dns, ssl and conn logs, as TSV (with its ``#fields`` header) or JSON lines.

What each log can show: http has host, path, user (basic auth) and body sizes; dns the
queried name only; ssl the SNI only; conn only IPs and byte counts, so conn records
name a host only from a DNS answer the same client got shortly before (dns logs are read
first; see :mod:`ramparts.discovery.parsers.answers`).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator
from operator import itemgetter
from typing import Any

import orjson

from ramparts.discovery.parsers.record import (
    BAD_TIME,
    EARLIEST_TS,
    MAX_CACHED_HOST_CHARS,
    LogRecord,
    ParseContext,
    ParseStats,
    SkippedRows,
    byte_count,
    normalise_host,
    records_by_line,
    to_float,
    to_int,
)
from ramparts.discovery.parsers.tabular import parse_time

try:  # polars is the fast path; without it every line goes through Python
    from ramparts.discovery.parsers.vectorised import BATCH_LINES, http_batch

    vectorised = True
except ImportError:  # pragma: no cover - polars is a pinned dependency
    vectorised = False
    BATCH_LINES = 0
BATCH_CHARS = 32 * 1024 * 1024  # a batch of long lines is flushed early: memory stays flat

_UNSET = frozenset({"-", "(empty)", ""})


def _kind(fields: Iterable[str]) -> str | None:
    names = set(fields)
    if "query" in names:
        return "dns"
    if "server_name" in names:
        return "ssl"
    if "host" in names and "uri" in names:
        return "http"
    if "orig_bytes" in names and "id.resp_h" in names:
        return "conn"
    return None


def zeek_time(value: object) -> float | None:
    """A Zeek ``ts``: epoch seconds as text (whatever ``float()`` reads, like the http fast
    paths) or a JSON number, or ISO 8601 text (``json_timestamps`` = ``TS_ISO8601``)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return parse_time(value)
    return to_float(value)


def build_record(kind: str, raw: Any, ctx: ParseContext) -> LogRecord | None:
    """One record from a field getter (TSV and JSON share this); None without a host."""

    def get(name: str) -> str:
        value = raw(name)  # JSON may hold numbers, lists or objects: only text counts
        return value if isinstance(value, str) else ""

    client = get("id.orig_h")
    ts = zeek_time(raw("ts"))
    responder = get("id.resp_h")
    if kind == "dns":
        query = normalise_host(get("query"))
        if not query:
            return None
        answers = raw("answers")
        items = answers if isinstance(answers, list) else str(answers or "").split(",")
        host = ctx.answers.learn(client, query, items, ts)
        return LogRecord(ts, client, "", host, None, None, None, "DNS", inferred=host != query)
    # http without a Host header, ssl without SNI and conn: the server address, named
    # when this client looked it up shortly before.
    seen = get("host") if kind == "http" else get("server_name") if kind == "ssl" else ""
    inferred = False
    if seen:
        host = normalise_host(seen)
    else:
        named = ctx.answers.name_for(client, responder, ts) if responder else None
        inferred = named is not None
        host = named or (normalise_host(responder) if kind != "conn" else responder)
    if not host:
        return None
    if kind == "http":
        return LogRecord(
            ts,
            client,
            get("username"),
            host,
            get("uri") or "/",
            byte_count(raw("request_body_len")),
            byte_count(raw("response_body_len")),
            get("method"),
            inferred=inferred,
        )
    if kind == "ssl":
        return LogRecord(ts, client, "", host, None, None, None, "TLS", inferred=inferred)
    up, down = byte_count(raw("orig_bytes")), byte_count(raw("resp_bytes"))
    return LogRecord(ts, client, "", host, None, up, down, "CONN", inferred=inferred)


def gives_dns_answers(sample: list[str]) -> bool:
    """True when ``sample`` (a file's first lines) is a Zeek dns log with answers."""
    for line in sample:
        if line.startswith("#fields") or _bare_header(line):
            names = line.rstrip("\r\n").split("\t")
            if "query" in names and "answers" in names:
                return True
        elif line.lstrip().startswith("{") and '"query"' in line and '"id.orig_h"' in line:
            return True
    return False


class ZeekTsvParser:
    name = "zeek-tsv"

    def sniff(self, sample: list[str]) -> bool:
        return any(s.startswith(("#separator", "#fields")) or _bare_header(s) for s in sample[:12])

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord | SkippedRows]:
        index: dict[str, int] = {}
        row = _TsvRow(index)
        kind: str | None = None
        sep = "\t"
        sep_ok = True  # False after a #separator header that cannot be read
        latest = ctx.latest_ts
        http: itemgetter[list[str]] | None = None  # picks the http fast-path columns
        host_at = 0
        hosts: dict[str, str] = {}
        batch: list[str] = []  # data lines waiting for the vectorised path
        numbers: list[int] = []  # their line numbers, for broken-line samples
        batch_chars = 0
        batched = False
        count = good = 0
        try:
            for line in lines:
                count += 1
                line = line.rstrip("\r\n")
                if not line:
                    continue
                if line.startswith("#") or (not index and _bare_header(line)):
                    if batch:
                        good += yield from self._flush(
                            batch, numbers, index, sep, kind, row, stats, ctx
                        )
                        batch_chars = 0
                    if line.startswith("#separator"):
                        found = _separator(line.split(" ", 1)[1]) if " " in line else "\t"
                        sep_ok = found is not None
                        sep = found or "\t"
                        if not sep_ok:
                            # Its data cannot be split: every line until a good header is broken.
                            index, kind, http, batched = {}, None, None, False
                            reason = "zeek #separator header that cannot be read"
                            stats.broken_line(line, reason, stats.lines + count)
                    elif line.startswith("#fields") and not sep_ok:
                        stats.broken_line(
                            line, "zeek #fields header after a bad #separator", stats.lines + count
                        )
                    elif line.startswith("#fields") or not line.startswith("#"):
                        if not line.startswith("#"):  # a bare header is tab-separated
                            sep, sep_ok = "\t", True
                        names = line.split(sep)[1:] if line.startswith("#") else line.split("\t")
                        index = {name: i for i, name in enumerate(names)}
                        row = _TsvRow(index)
                        kind = _kind(names)
                        http = _http_columns(index) if kind == "http" else None
                        host_at = index.get("host", 0)
                        batched = http is not None and ctx.prefilter is not None and vectorised
                    continue
                if kind is None:
                    stats.broken_line(
                        line, "zeek data before a usable #fields header", stats.lines + count
                    )
                    continue
                if batched:
                    if line.count(sep) != len(index) - 1:
                        stats.broken_line(
                            line, "zeek line with the wrong number of fields", stats.lines + count
                        )
                        continue
                    batch.append(line)
                    numbers.append(stats.lines + count)
                    batch_chars += len(line)
                    if len(batch) >= BATCH_LINES or batch_chars >= BATCH_CHARS:
                        good += yield from self._flush(
                            batch, numbers, index, sep, kind, row, stats, ctx
                        )
                        batch_chars = 0
                    continue
                parts = line.split(sep)
                if len(parts) != len(index):
                    stats.broken_line(
                        line, "zeek line with the wrong number of fields", stats.lines + count
                    )
                    continue
                record: LogRecord | None
                if http is not None and parts[host_at] not in _UNSET:
                    # Hot path, inlined: http with a Host header and every usual column.
                    ts, orig, method, host, uri, up, down, user = http(parts)
                    try:  # zeek_time, inlined
                        when: float | None = float(ts)
                    except ValueError:
                        when = parse_time(ts)
                    if when is not None and not EARLIEST_TS <= when <= latest:  # NaN too
                        stats.broken_line(line, BAD_TIME, stats.lines + count)
                        continue
                    name = hosts.get(host)
                    if name is None:
                        name = normalise_host(host)
                        if name and len(host) <= MAX_CACHED_HOST_CHARS:
                            if len(hosts) > 100_000:
                                hosts.clear()
                            hosts[host] = name
                    if not name:
                        reason = "zeek http line without a host or address"
                        stats.broken_line(line, reason, stats.lines + count)
                        continue
                    record = LogRecord(
                        when,
                        "" if orig in _UNSET else orig,
                        "" if user in _UNSET else user,
                        name,
                        "/" if uri in _UNSET else uri,
                        to_int(up),
                        to_int(down),
                        "" if method in _UNSET else method,
                    )
                else:
                    row.parts = parts
                    record = build_record(kind, row.get, ctx)
                if record is None:
                    reason = f"zeek {kind} line without a host or address"
                    stats.broken_line(line, reason, stats.lines + count)
                    continue
                if ctx.bad_time(record.ts):
                    stats.broken_line(line, BAD_TIME, stats.lines + count)
                    continue
                good += 1
                yield record
            if batch:
                good += yield from self._flush(batch, numbers, index, sep, kind, row, stats, ctx)
        finally:
            stats.lines += count
            stats.records += good

    @staticmethod
    def _flush(
        batch: list[str],
        numbers: list[int],
        index: dict[str, int],
        sep: str,
        kind: str | None,
        row: _TsvRow,
        stats: ParseStats,
        ctx: ParseContext,
    ) -> Generator[LogRecord | SkippedRows, None, int]:
        """Yield what one batch holds; return how many good records it had."""
        assert ctx.prefilter is not None
        assert kind is not None
        skipped, records, slow = http_batch(batch, index, sep, ctx.prefilter, ctx.latest_ts)
        good = skipped.records + skipped.before_since + len(records)
        if skipped.records or skipped.before_since:
            yield skipped
        yield from records
        for i in slow:
            line = batch[i]
            row.parts = line.split(sep)
            record = build_record(kind, row.get, ctx)
            if record is None:
                stats.broken_line(line, f"zeek {kind} line without a host or address", numbers[i])
                continue
            if ctx.bad_time(record.ts):
                stats.broken_line(line, BAD_TIME, numbers[i])
                continue
            good += 1
            yield record
        batch.clear()  # the caller is paused until now: it appends only after this
        numbers.clear()
        return good


_HTTP_FAST = ("ts", "id.orig_h", "method", "host", "uri", "request_body_len",
              "response_body_len", "username")  # fmt: skip


def _http_columns(index: dict[str, int]) -> itemgetter[list[str]] | None:
    if not all(name in index for name in _HTTP_FAST):
        return None
    getter: itemgetter[list[str]] = itemgetter(*(index[name] for name in _HTTP_FAST))  # type: ignore[assignment]
    return getter


class ZeekJsonParser:
    name = "zeek-json"

    def sniff(self, sample: list[str]) -> bool:
        # Substring test, not a JSON parse: one odd value must not hide the format.
        lines = [s for s in sample if s.lstrip().startswith("{")]
        return bool(lines) and all('"id.orig_h"' in s and '"uid"' in s for s in lines)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        return records_by_line(
            lines,
            stats,
            lambda line: _json_record(line, ctx),
            "not a Zeek http/dns/ssl/conn JSON record",
            ctx,
        )


def _json_record(line: str, ctx: ParseContext) -> LogRecord | None:
    obj = _json(line)
    kind = _kind(obj) if obj is not None else None
    return build_record(kind, _getter(obj), ctx) if obj and kind else None


class _TsvRow:
    """Field access by name on the current TSV line (one object per header, not per line)."""

    __slots__ = ("index", "parts")

    def __init__(self, index: dict[str, int]) -> None:
        self.index = index
        self.parts: list[str] = []

    def get(self, name: str) -> str | None:
        i = self.index.get(name)
        if i is None:
            return None
        value = self.parts[i]
        return None if value in _UNSET else value


def _bare_header(line: str) -> bool:
    # zeek-cut -c and some exports write a bare tab-separated header instead of #fields.
    names = line.rstrip("\r\n").split("\t")
    return len(names) > 2 and ("uid" in names or names[0] == "ts") and _kind(names) is not None


def _getter(obj: dict[str, Any]) -> Any:
    def get(name: str) -> Any:
        value = obj.get(name)
        return None if isinstance(value, str) and value in _UNSET else value

    return get


def _json(line: str) -> dict[str, Any] | None:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


_SEPARATOR = re.compile(r"(?:\\x[0-9a-fA-F]{2}|[^\\])+")
_HEX_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")


def _separator(value: str) -> str | None:
    """The separator a ``#separator`` header names (``\\x09`` escapes or plain text);
    None when it is empty or holds a bad escape."""
    if len(value) > 16 or not _SEPARATOR.fullmatch(value):
        return None
    return _HEX_ESCAPE.sub(lambda m: chr(int(m[1], 16)), value)
