"""Parsers never crash: arbitrary text, damaged real lines and odd bytes become records or
counted broken lines, never exceptions."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.discovery.parsers import (
    LogRecord,
    ParseContext,
    ParseStats,
    SourceStats,
    read_records,
)
from ramparts.discovery.parsers.detect import all_parsers, detect
from ramparts.discovery.parsers.tabular import generic_parser
from ramparts.errors import ParseError

SEEDS = [
    "1767225600.123    120 10.0.0.5 TCP_MISS/200 4512 POST https://chatgpt.com/x jdoe HIER_DIRECT/1.2.3.4 text/html",
    '10.0.0.5 - jdoe [01/Jan/2026:00:00:00 +0000] "GET http://a.example/ HTTP/1.1" 200 812',
    "#fields\tts\tuid\tid.orig_h\thost\turi",
    '{"ts":1,"uid":"C","id.orig_h":"1.2.3.4","query":"a.example","answers":[1,{"x":2}]}',
    "CEF:0|A|B|1|2|n|3|src=1.2.3.4 request=http://x.example/ out=abc in=-1",
    'date=2026-01-01 time=00:00:00 logid="1" type="utm" hostname="x.example" sentbyte=-5',
    '"2026-01-01 00:00:00","u","i","10.0.0.1","1.1.1.1","Allowed","1 (A)","NOERROR","x.example.","c"',
]

line_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(SEEDS).flatmap(
        lambda seed: st.tuples(st.integers(0, len(seed)), st.text(max_size=20)).map(
            lambda cut: seed[: cut[0]] + cut[1] + seed[cut[0] :]
        )
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(line_text, max_size=12))
def test_every_parser_survives_any_lines(lines: list[str]) -> None:
    parsers = [*all_parsers(), generic_parser({"ts": "ts", "host": "host", "user": "user"})]
    for parser in parsers:
        stats = ParseStats(parser.name)
        records = list(parser.parse(lines, stats, ParseContext()))
        assert stats.records == len(records)
        assert stats.broken <= stats.lines == len(lines)
        for record in records:
            assert isinstance(record, LogRecord)
            assert record.host


@settings(max_examples=100, deadline=None)
@given(st.lists(line_text, max_size=12))
def test_detection_either_picks_a_parser_or_says_why(lines: list[str]) -> None:
    try:
        detect(lines, "fuzz")
    except ParseError as exc:
        message = str(exc)
    else:
        return
    assert "--format" in message


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_in_a_file(tmp_path_factory: object, data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "blob.log"
        path.write_bytes(data)
        sources: list[SourceStats] = []
        records = list(read_records([str(path)], sources=sources))
        assert len(records) == sum(s.stats.records for s in sources)
