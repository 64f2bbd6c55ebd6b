"""The normalised log record every parser yields, and the per-run parse bookkeeping."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

MAX_BROKEN_SAMPLES = 5
_SAMPLE_CHARS = 160


class LogRecord(NamedTuple):
    ts: float | None  # epoch seconds; None when the log has no usable time
    client: str  # client IP, "" when unknown
    user: str  # user as logged, "" when the log has none
    host: str  # lower-case host name (or IP) without port
    path: str | None  # URL path + query; None when the source cannot see it (DNS, SNI, CONNECT)
    bytes_up: int | None  # client to server; None when the source does not log it
    bytes_down: int | None  # server to client
    method: str = ""
    department: str = ""


@dataclass
class ParseStats:
    """Lines read, records produced and broken lines (counted, a few sampled) for one source."""

    format: str
    lines: int = 0
    records: int = 0
    broken: int = 0
    broken_samples: list[str] = field(default_factory=list)

    def broken_line(self, line: str, reason: str, number: int | None = None) -> None:
        """Count a line no record could be made of; sample the first few, values masked.

        ``number`` is the line's number in its file, when the parser knows it.
        """
        self.broken += 1
        if len(self.broken_samples) < MAX_BROKEN_SAMPLES:
            where = f"line {number}: " if number is not None else ""
            self.broken_samples.append(f"{where}{reason}: {redact_line(line)}")


class SkippedRows(NamedTuple):
    """Rows a vectorised parser dropped before making records (no AI host, or before
    ``since``): only what the coverage section needs is kept."""

    records: int
    before_since: int
    with_user: int
    with_ts: int
    with_path: int
    with_up: int
    with_down: int
    min_ts: float | None
    max_ts: float | None


@dataclass
class Prefilter:
    """Lets a parser drop rows early: ``candidate(host)`` is False for hosts that can never
    match the catalog; rows before ``since`` are only counted."""

    candidate: Callable[[str], bool]
    since: float | None = None


@dataclass
class ParseContext:
    """State shared by the parsers of one run (DNS answers let conn/traffic logs name hosts)."""

    resolved: dict[str, str] = field(default_factory=dict)
    prefilter: Prefilter | None = None


# What a broken-line sample keeps is its shape (which fields, in what order), never
# values that may be personal data or credentials: quoted strings, key=value values,
# credentials after an auth scheme, and e-mail addresses are masked.
_MASKS = (
    (re.compile(r'"[^"]*"?'), '"…"'),
    (re.compile(r"'[^']*'?"), "'…'"),
    (re.compile(r"\b(Bearer|Basic|Token|Digest)\s+\S+", re.IGNORECASE), r"\1 …"),
    (re.compile(r"([\w.-]+)=(?![\"'])[^\s&;,|]+"), r"\1=…"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
)


def redact_line(line: str) -> str:
    """A broken-line sample safe for a report: no query strings or values, short."""
    text = line.strip().replace("\t", " ")
    cut = text.find("?")
    if cut != -1:
        text = text[:cut] + "?[query removed]"
    for pattern, mask in _MASKS:
        text = pattern.sub(mask, text)
    return text[:_SAMPLE_CHARS] + ("..." if len(text) > _SAMPLE_CHARS else "")


class LogParser(Protocol):
    """A log family: ``sniff`` a few sample lines, ``parse`` a stream of lines."""

    name: str

    def sniff(self, sample: list[str]) -> bool: ...

    def parse(
        self, lines: Iterable[str], stats: ParseStats, ctx: ParseContext
    ) -> Iterator[LogRecord | SkippedRows]: ...


def records_by_line(
    lines: Iterable[str],
    stats: ParseStats,
    record_of: Callable[[str], LogRecord | None],
    broken_reason: str,
) -> Iterator[LogRecord]:
    """The records of a one-record-per-line format: blank lines are skipped, a line
    ``record_of`` cannot read is counted (and sampled) as broken with ``broken_reason``."""
    for line in lines:
        stats.lines += 1
        if not line.strip():
            continue
        record = record_of(line)
        if record is None:
            stats.broken_line(line, broken_reason, stats.lines)
            continue
        stats.records += 1
        yield record


def to_int(value: str) -> int | None:
    """Parse a byte count; '-', '' and garbage become None (unknown), never an error."""
    # isdecimal, not isdigit: int() rejects superscripts like "²" that isdigit accepts.
    if value.isdecimal():
        return int(value)
    return None


def split_url(url: str) -> tuple[str, str | None]:
    """(host, path) from an absolute URL, ``host:port`` (CONNECT) or bare host."""
    start = url.find("://")
    rest = url[start + 3 :] if start != -1 else url
    slash = rest.find("/")
    if slash == -1:
        hostport, path = rest, (None if start == -1 else "/")
    else:
        hostport, path = rest[:slash], rest[slash:]
    return normalise_host(hostport), path


def normalise_host(hostport: str) -> str:
    host = hostport
    at = host.rfind("@")
    if at != -1:
        host = host[at + 1 :]
    if host.startswith("["):
        end = host.find("]")
        return host[1:end].lower() if end != -1 else host.lower()
    if host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".").lower()


LineFilter = Callable[[str], bool]
