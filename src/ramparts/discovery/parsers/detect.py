"""Pick the parser for a log from its first lines (each file is sniffed on its own)."""

from __future__ import annotations

from collections.abc import Mapping

from ramparts.discovery.parsers.keyvalue import CefParser, FortinetParser
from ramparts.discovery.parsers.record import LogParser
from ramparts.discovery.parsers.squid import SquidCommonParser, SquidNativeParser
from ramparts.discovery.parsers.tabular import (
    generic_parser,
    paloalto_parsers,
    umbrella_parser,
    zscaler_parser,
)
from ramparts.discovery.parsers.zeek import ZeekJsonParser, ZeekTsvParser
from ramparts.errors import ConfigError, ParseError


def all_parsers() -> list[LogParser]:
    """Every built-in parser, most specific sniff first."""
    return [
        ZeekTsvParser(),
        CefParser(),
        ZeekJsonParser(),
        zscaler_parser(),
        FortinetParser(),
        *paloalto_parsers(),
        umbrella_parser(),
        SquidNativeParser(),
        SquidCommonParser(),
    ]


FORMATS = (*(p.name for p in all_parsers()), "generic")


def parser_for(name: str, mapping: Mapping[str, str] | None = None) -> LogParser:
    if name == "generic":
        if not mapping:
            raise ConfigError("the generic format needs a column mapping (--map ts=col,...)")
        return generic_parser(mapping)
    for parser in all_parsers():
        if parser.name == name:
            return parser
    raise ConfigError("unknown log format", key=name, allowed=list(FORMATS))


def detect(sample: list[str], source: str, mapping: Mapping[str, str] | None = None) -> LogParser:
    """The parser whose sniff accepts ``sample``; a mapping means generic CSV/JSONL."""
    if mapping:
        return generic_parser(mapping)
    lines = [line for line in sample if line.strip()]
    if not lines:
        return SquidNativeParser()  # empty input: any parser yields nothing
    for parser in all_parsers():
        if parser.sniff(lines):
            return parser
    raise ParseError(
        f"cannot tell the log format of '{source}': pass --format "
        f"({', '.join(FORMATS)}) or --map for generic CSV/JSONL"
    )
