"""Column-mapped logs: Zscaler NSS web (CSV/TSV/JSON), Cisco Umbrella DNS, Palo Alto
URL/traffic CSV, and generic CSV/JSONL with a user-given column mapping."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from ramparts.discovery.parsers.answers import is_address
from ramparts.discovery.parsers.record import (
    BAD_TIME,
    LogRecord,
    ParseContext,
    ParseStats,
    byte_count,
    normalise_host,
    split_url,
    to_float,
)

FIELDS = ("ts", "client", "user", "department", "host", "url", "path", "bytes_up", "bytes_down")
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%a %b %d %H:%M:%S %Y",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)
_time_cache: dict[str, float | None] = {}


def parse_time(value: Any) -> float | None:
    """Epoch seconds from epoch s/ms numbers or the usual text formats (UTC when naive).

    May be infinite, NaN or absurd: callers check with :meth:`ParseContext.bad_time`.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = to_float(value)
        return number / 1000.0 if number is not None and number > 1e11 else number
    text = str(value).strip()
    if not text or len(text) > 64:  # no time is that long; keeps the cache small
        return None
    cached = _time_cache.get(text, -1.0)
    if cached != -1.0:
        return cached
    result: float | None = None
    number = to_float(text)
    if number is not None:
        result = number / 1000.0 if number > 1e11 else number
    else:
        iso = text.replace("Z", "+00:00")
        for fmt in _TIME_FORMATS:
            try:
                moment = datetime.strptime(iso, fmt)
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            result = moment.timestamp()
            break
    if len(_time_cache) > 100_000:
        _time_cache.clear()
    _time_cache[text] = result
    return result


def record_from_row(row: Mapping[str, Any], ctx: ParseContext) -> LogRecord | None:
    """A record from a row already keyed by :data:`FIELDS` names (missing = unknown)."""
    host, path = "", None
    url = row.get("url")
    if url:
        host, path = split_url(str(url))
    if row.get("host"):
        host = normalise_host(str(row["host"]))
    if row.get("path"):
        path = str(row["path"])
    if not host:
        return None
    ts = parse_time(row["ts"]) if row.get("ts") not in (None, "") else None
    client = str(row.get("client") or "")
    named = ctx.answers.name_for(client, host, ts) if ctx.answers and is_address(host) else None
    return LogRecord(
        ts,
        client,
        _clean_user(row.get("user")),
        named or host,
        path,
        byte_count(row.get("bytes_up")),
        byte_count(row.get("bytes_down")),
        str(row.get("method") or ""),
        str(row.get("department") or ""),
        inferred=named is not None,
    )


def _clean_user(value: Any) -> str:
    text = str(value or "").strip()
    return "" if text in ("-", "unknown", "(none)") else text


class MappedParser:
    """CSV/TSV (with a header row, or fixed columns) or JSON lines, mapped to record fields.

    ``mapping`` maps record field -> source column name (or index for headerless CSV).
    """

    def __init__(
        self,
        name: str,
        mapping: Mapping[str, str | int],
        *,
        sniff: Callable[[list[str]], bool] | None = None,
        json_root: str | None = None,
    ) -> None:
        self.name = name
        self.mapping = dict(mapping)
        self._sniff = sniff or (lambda sample: False)
        self._json_root = json_root

    def sniff(self, sample: list[str]) -> bool:
        return self._sniff(sample)

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord]:
        header: list[str] | None = None
        by_index = all(isinstance(v, int) for v in self.mapping.values())
        for line in lines:
            stats.lines += 1
            text = line.strip()
            if not text:
                continue
            row = self._row(text, header, by_index)
            if row is _HEADER:
                header = _split(text)
                continue
            record = record_from_row(row, ctx) if isinstance(row, dict) else None
            if record is None:
                stats.broken_line(line, f"{self.name} line without a usable host", stats.lines)
                continue
            if ctx.bad_time(record.ts):
                stats.broken_line(line, BAD_TIME, stats.lines)
                continue
            stats.records += 1
            yield record

    def _row(self, text: str, header: list[str] | None, by_index: bool) -> object:
        if text.startswith("{"):
            try:
                obj = orjson.loads(text)
            except orjson.JSONDecodeError:
                return None
            if (
                self._json_root
                and isinstance(obj, dict)
                and isinstance(obj.get(self._json_root), dict)
            ):
                obj = obj[self._json_root]
            if not isinstance(obj, dict):
                return None
            return {f: obj.get(str(col)) for f, col in self.mapping.items()}
        cells = _split(text)
        if by_index:
            return {
                f: cells[int(col)] if int(col) < len(cells) else None
                for f, col in self.mapping.items()
            }
        if header is None:
            wanted = {str(c) for c in self.mapping.values()}
            return _HEADER if wanted & set(cells) else None
        values = dict(zip(header, cells, strict=False))
        return {f: values.get(str(col)) for f, col in self.mapping.items()}


_HEADER = object()


def _split(text: str) -> list[str]:
    delimiter = "\t" if "\t" in text and text.count("\t") >= text.count(",") else ","
    try:
        return next(csv.reader([text], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []


def _csv_cells(sample: list[str]) -> list[list[str]]:
    return [_split(s.strip()) for s in sample if s.strip() and not s.lstrip().startswith("{")]


def _json_keys(sample: list[str]) -> set[str]:
    for line in sample:
        if line.strip().startswith("{"):
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                return set()
            if isinstance(obj, dict):
                inner = obj.get("event")
                return set(obj) | (set(inner) if isinstance(inner, dict) else set())
    return set()


# --- Zscaler NSS web: header names follow the NSS field names. ---
ZSCALER_MAPPING = {
    "ts": "datetime",
    "user": "login",
    "department": "dept",
    "client": "cip",
    "url": "eurl",
    "host": "hostname",
    "bytes_up": "reqsize",
    "bytes_down": "respsize",
    "method": "reqmethod",
}


def _zscaler_sniff(sample: list[str]) -> bool:
    keys = _json_keys(sample)
    if keys:
        return "reqsize" in keys and ("eurl" in keys or "url" in keys)
    cells = _csv_cells(sample[:1])
    return bool(cells) and "reqsize" in cells[0] and "respsize" in cells[0]


def zscaler_parser() -> MappedParser:
    return MappedParser("zscaler-nss", ZSCALER_MAPPING, sniff=_zscaler_sniff, json_root="event")


# --- Cisco Umbrella DNS CSV (no header): Timestamp, Most Granular Identity, Identities,
# Internal IP, External IP, Action, Query Type, Response Code, Domain, Categories...
UMBRELLA_MAPPING: dict[str, str | int] = {"ts": 0, "user": 1, "client": 3, "host": 8}


def _umbrella_sniff(sample: list[str]) -> bool:
    rows = _csv_cells(sample)
    return bool(rows) and all(
        len(r) >= 10 and parse_time(r[0]) is not None and r[5] in ("Allowed", "Blocked")
        for r in rows
    )


def umbrella_parser() -> MappedParser:
    return MappedParser("umbrella-dns", UMBRELLA_MAPPING, sniff=_umbrella_sniff)


# --- Palo Alto PAN-OS syslog CSV. THREAT/url: field 31 is the URL; TRAFFIC: 32/33 bytes
# sent/received and no host (named only through DNS answers seen in the same run).
PAN_URL_MAPPING: dict[str, str | int] = {"ts": 6, "client": 7, "user": 12, "url": 31}
PAN_TRAFFIC_MAPPING: dict[str, str | int] = {
    "ts": 6,
    "client": 7,
    "user": 12,
    "host": 8,
    "bytes_up": 32,
    "bytes_down": 33,
}


def _pan_sniff(kind: str) -> Callable[[list[str]], bool]:
    def sniff(sample: list[str]) -> bool:
        rows = _csv_cells(sample)
        return bool(rows) and all(len(r) > 33 and r[3] == kind for r in rows)

    return sniff


def paloalto_parsers() -> list[MappedParser]:
    return [
        MappedParser("paloalto-url", PAN_URL_MAPPING, sniff=_pan_sniff("THREAT")),
        MappedParser("paloalto-traffic", PAN_TRAFFIC_MAPPING, sniff=_pan_sniff("TRAFFIC")),
    ]


def generic_parser(mapping: Mapping[str, str]) -> MappedParser:
    """CSV with a header row, or JSON lines, with ``mapping`` field -> column name."""
    unknown = sorted(set(mapping) - set(FIELDS) - {"method"})
    if unknown:
        from ramparts.errors import ConfigError

        raise ConfigError(
            "unknown field in the column mapping", key=unknown[0], allowed=[*FIELDS, "method"]
        )
    columns: dict[str, str | int] = {
        k: (int(v) if v.isdecimal() else v) for k, v in mapping.items()
    }
    return MappedParser("generic", columns)
