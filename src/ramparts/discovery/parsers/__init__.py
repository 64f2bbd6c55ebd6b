"""Log parsers: one module per log family, plus auto-detection and input handling."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from ramparts.discovery.parsers.answers import DnsAnswers
from ramparts.discovery.parsers.detect import FORMATS, detect, parser_for
from ramparts.discovery.parsers.inputs import (
    STDIN,
    LongLines,
    bounded_lines,
    expand_inputs,
    head_lines,
    open_text,
    read_sample,
)
from ramparts.discovery.parsers.record import (
    LogRecord,
    ParseContext,
    ParseStats,
    Prefilter,
    SkippedRows,
)
from ramparts.discovery.parsers.zeek import gives_dns_answers
from ramparts.errors import ParseError

UNRECOGNISED = "unrecognised"


@dataclass
class SourceStats:
    """Parse statistics for one input file."""

    path: str
    stats: ParseStats


def read_records(
    specs: list[str],
    *,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    sources: list[SourceStats] | None = None,
    ctx: ParseContext | None = None,
    on_file: Callable[[int, int, str], None] | None = None,
) -> Iterator[tuple[str, LogRecord | SkippedRows]]:
    """(format name, record) for every record in every input; stats go to ``sources``.

    ``on_file(done, total, path)`` is called before each file (for progress bars).
    Files holding DNS answers are read first: conn and traffic logs are named from them.
    """
    ctx = ctx or ParseContext()
    paths = answers_first(expand_inputs(specs))
    for done, path in enumerate(paths):
        if on_file is not None:
            on_file(done, len(paths), path)
        with open_text(path) as stream:
            failures: list[str] = []
            long_lines = LongLines()
            sample, lines = read_sample(bounded_lines(stream, long_lines, failures))
            try:
                parser = parser_for(fmt, mapping) if fmt else detect(sample, path, mapping)
            except ParseError:
                # One unreadable file never stops the run: count it and move on (an
                # over-long line is one of these broken lines already).
                stats = ParseStats(UNRECOGNISED)
                for line in lines:
                    stats.lines += 1
                    stats.broken_line(line, "unrecognised log format", stats.lines)
                if sources is not None:
                    sources.append(SourceStats(path, stats))
                continue
            stats = ParseStats(parser.name)
            long_lines.attach(stats)
            if sources is not None:
                sources.append(SourceStats(path, stats))
            name = parser.name
            for record in parser.parse(lines, stats, ctx):
                yield name, record
            for failure in failures:
                stats.broken_line(
                    None, f"input ended early ({failure}); the rest of the file is lost"
                )


def answers_first(paths: list[str]) -> list[str]:
    """``paths`` with the Zeek dns logs first, otherwise in their order (``conn.log``
    sorts before ``dns.log``, and a conn record is named only from answers already read).
    """
    if len(paths) < 2:
        return paths
    dns = [p for p in paths if p != STDIN and gives_dns_answers(head_lines(p))]
    if not dns:
        return paths
    first = set(dns)
    return dns + [p for p in paths if p not in first]


__all__ = [
    "FORMATS",
    "DnsAnswers",
    "LogRecord",
    "ParseContext",
    "ParseStats",
    "Prefilter",
    "SkippedRows",
    "SourceStats",
    "detect",
    "expand_inputs",
    "parser_for",
    "read_records",
]
