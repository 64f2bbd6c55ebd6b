"""The normalised log record every parser yields, and the per-run parse bookkeeping."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from ramparts.discovery.parsers.answers import MAX_NAME_CHARS, DnsAnswers

MAX_BROKEN_SAMPLES = 5
# Only this much of a broken line is ever looked at: the sample is its shape, not its text.
_SHAPE_CHARS = 4096
_SHAPE_FIELDS = 12
EARLIEST_TS = 631_152_000.0  # 1990-01-01T00:00:00Z: older times are corrupt, not traffic
FUTURE_SLACK = 86_400.0  # clocks drift; more than a day after the run is corrupt
BAD_TIME = "time before 1990, more than a day after the run, or not a finite number"
MAX_BYTES_DIGITS = 12  # a byte count of 1 TB or more for one request is not a real count


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
    inferred: bool = False  # host named from a DNS answer, not seen in the record itself


@dataclass
class ParseStats:
    """Lines read, records produced and broken lines (counted, a few sampled) for one source."""

    format: str
    lines: int = 0
    records: int = 0
    broken: int = 0
    broken_samples: list[str] = field(default_factory=list)

    def broken_line(self, line: str | None, reason: str, number: int | None = None) -> None:
        """Count a line no record could be made of; sample the first few by their shape.

        ``number`` is the line's number in its file, when the parser knows it; ``line``
        None means there is no line to describe (a cut input, a skipped over-long line).
        """
        self.broken += 1
        if len(self.broken_samples) < MAX_BROKEN_SAMPLES:
            where = f"line {number}: " if number is not None else ""
            shape = f": {line_shape(line)}" if line is not None else ""
            self.broken_samples.append(f"{where}{reason}{shape}")


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
    match the catalog; rows before ``since`` are only counted.

    ``hosts`` caches raw host text -> (host, candidate) for this run only: whether a host
    is a candidate depends on the run's catalog (tenant overlay).
    """

    candidate: Callable[[str], bool]
    since: float | None = None
    hosts: dict[str, tuple[str, bool]] = field(default_factory=dict)


@dataclass
class ParseContext:
    """State shared by the parsers of one run (DNS answers let conn/traffic logs name hosts).

    ``latest_ts`` is the newest believable record time: the run time plus a day.
    """

    answers: DnsAnswers = field(default_factory=DnsAnswers)
    prefilter: Prefilter | None = None
    latest_ts: float = field(default_factory=lambda: time.time() + FUTURE_SLACK)

    def bad_time(self, ts: float | None) -> bool:
        """True for a time no real record has: NaN, infinite, before 1990 or in the future.

        Such a line is broken: one bogus time would poison the window and ``--since last``.
        """
        return ts is not None and not EARLIEST_TS <= ts <= self.latest_ts


def to_float(value: object) -> float | None:
    """A number from log text (or a JSON number); None when it is not one.

    May be infinite or NaN: :meth:`ParseContext.bad_time` turns those into broken lines.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # a JSON integer too large for a float
            return math.inf
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return float(value)
    except ValueError:
        return None


# What a broken-line sample keeps is its shape (how many fields, of what kind), never a
# value: any field may be a user name, a password column or a token.
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def _field_kind(value: str) -> str:
    if not value:
        return "empty"
    if value in ("-", "(empty)"):
        return "-"
    if _IPV4.fullmatch(value):
        return "ip"
    if _NUMBER.fullmatch(value):
        return "number"
    if "://" in value:
        return "url"
    return "text"


def line_shape(line: str) -> str:
    """A broken line described without any of its values: field count, separator, the
    kind of the first fields (number, ip, url, text, empty, -) and its length.

    Looks at a bounded prefix only, so the cost does not grow with the line.
    """
    head = line[:_SHAPE_CHARS].strip()
    if not head:
        return "empty line"
    longer = "+" if len(line) > _SHAPE_CHARS else ""
    size = f"{len(line):,} chars"
    if head.startswith("{"):
        return f"JSON text, {size}"
    if "\t" in head:
        separator, fields = "tab", head.split("\t")
    elif head.count(",") >= max(2, head.count(" ")):
        separator, fields = "comma", head.split(",")
    else:
        separator, fields = "space", head.split()
    kinds = [_field_kind(f.strip()) for f in fields[:_SHAPE_FIELDS]]
    if len(fields) > _SHAPE_FIELDS:
        kinds.append("…")
    noun = "field" if len(fields) == 1 and not longer else "fields"
    return f"{len(fields)}{longer} {separator}-separated {noun} ({', '.join(kinds)}), {size}"


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
    ctx: ParseContext,
) -> Iterator[LogRecord]:
    """The records of a one-record-per-line format: blank lines are skipped, a line
    ``record_of`` cannot read is counted (and sampled) as broken with ``broken_reason``,
    a line with an impossible time as broken with :data:`BAD_TIME`."""
    for line in lines:
        stats.lines += 1
        if not line.strip():
            continue
        record = record_of(line)
        if record is None:
            stats.broken_line(line, broken_reason, stats.lines)
            continue
        if ctx.bad_time(record.ts):
            stats.broken_line(line, BAD_TIME, stats.lines)
            continue
        stats.records += 1
        yield record


def to_int(value: str) -> int | None:
    """Parse a byte count; '-', '', negative, absurdly large and garbage become None
    (unknown), never an error."""
    # isdecimal, not isdigit: int() rejects superscripts like "²" that isdigit accepts.
    if value.isdecimal() and len(value) <= MAX_BYTES_DIGITS:
        return int(value)
    return None


def byte_count(value: object) -> int | None:
    """A byte count from a JSON value or text: only whole numbers 0 <= n < 1 TB count;
    anything else (negative, fractional, bool, huge) is unknown, not summed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**MAX_BYTES_DIGITS else None
    return to_int(value) if isinstance(value, str) else None


_AUTHORITY_END = re.compile(r"[/?#]")
MAX_CACHED_HOST_CHARS = 512  # raw host text longer than this is never a cache key


def split_url(url: str) -> tuple[str, str | None]:
    """(host, path) from an absolute URL, ``host:port`` (CONNECT) or bare host.

    The authority ends at the first ``/``, ``?`` or ``#`` (RFC 3986): in
    ``http://evil.example?@chatgpt.com`` the host is ``evil.example``. A query or
    fragment without a path gets the path ``/``: ``http://a.example?q`` -> ``/?q``.
    """
    start = url.find("://")
    rest = url[start + 3 :] if start != -1 else url
    end = _AUTHORITY_END.search(rest)
    if end is None:
        return normalise_host(rest), (None if start == -1 else "/")
    at = end.start()
    path = rest[at:] if rest[at] == "/" else "/" + rest[at:]
    return normalise_host(rest[:at]), path


def normalise_host(hostport: str) -> str:
    """Lower-case host without userinfo, port, brackets or trailing dot; "" when there is
    none or it is longer than a DNS name can be (such a line is broken)."""
    host = hostport
    at = host.rfind("@")
    if at != -1:
        host = host[at + 1 :]
    if host.startswith("["):
        end = host.find("]")
        host = host[1:end] if end != -1 else host
    else:
        if host.count(":") == 1:
            host = host.split(":", 1)[0]
        host = host.rstrip(".")
    return host.lower() if len(host) <= MAX_NAME_CHARS else ""


LineFilter = Callable[[str], bool]


MAX_TEXT_CHARS = 256  # the store's user and department columns hold 256 characters
# C0/C1 controls (NUL included), DEL and lone surrogates: a store may refuse them and a
# terminal may act on them.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Log text fit for reports and the store: no control characters, at most ``limit``
    characters (a cut value ends with "…")."""
    text = _UNPRINTABLE.sub("", value[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"
