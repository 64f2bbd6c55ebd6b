"""Hostile or damaged log content: broken-line samples keep no values, over-long lines are
skipped unread, impossible times and odd headers become broken lines, never a crash."""

from __future__ import annotations

import gzip
import io
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramparts.discovery.catalog import Catalog
from ramparts.discovery.parsers import ParseContext, ParseStats, SourceStats, read_records
from ramparts.discovery.parsers import inputs as inputs_module
from ramparts.discovery.parsers.detect import parser_for
from ramparts.discovery.parsers.inputs import MAX_LINE_CHARS, LongLines, bounded_lines
from ramparts.discovery.parsers.record import BAD_TIME, LogRecord, line_shape
from ramparts.discovery.pipeline import RunOptions, run_discovery
from ramparts.discovery.report import render_html, render_json

GOOD = (
    "1700000000.100 5 10.0.0.1 TCP_MISS/200 1234 POST https://chatgpt.com/c alice "
    "HIER_DIRECT/1.2.3.4 text/html"
)
ZEEK_HTTP_FIELDS = (
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri referrer "
    "version user_agent origin request_body_len response_body_len status_code status_msg "
    "info_code info_msg tags username password proxied"
)
SECRETS = ("Hunter2-Sup3rSecret", "BobsPassw0rd!", "carol", "s3cr3t-token", "10.9.8.7")


def records_of(items: Any) -> list[LogRecord]:
    return [r for _f, r in items if isinstance(r, LogRecord)]


def zeek_http_with_passwords(path: Path) -> Path:
    """A Zeek http log whose username/password columns are filled, one line a field short."""
    rows = ["#separator \\x09", "#path\thttp", "#fields\t" + ZEEK_HTTP_FIELDS.replace(" ", "\t")]
    common = "C1\t10.0.0.1\t5555\t1.2.3.4\t80\t1\tPOST\tchatgpt.com\t/c\t-\t1.1\tcurl\t-\t100\t200"
    rows.append(f"1700000000.1\t{common}\t200\tOK\t-\t-\t(empty)\talice\tHunter2-Sup3rSecret\t-")
    rows.append(f"1700000000.2\t{common}\t200\tOK\t-\t-\t(empty)\tbob\tBobsPassw0rd!")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_broken_tab_and_comma_lines_leave_no_value_in_any_report(
    tmp_path: Path, catalog: Catalog
) -> None:
    zeek = zeek_http_with_passwords(tmp_path / "http.log")
    nss = tmp_path / "nss.csv"
    nss.write_text(
        "datetime,login,dept,cip,eurl,hostname,reqsize,respsize,reqmethod\n"
        "2026-01-01 00:00:00,carol,s3cr3t-token,10.9.8.7,,,1,2,POST\n"
    )
    report = run_discovery(
        [str(zeek), str(nss)], catalog, RunOptions(), progress=None, on_file=None
    )
    samples = [s for source in report["sources"] for s in source["broken_samples"]]
    assert samples == [
        "line 5: zeek line with the wrong number of fields: 23 tab-separated fields "
        "(number, text, ip, number, ip, number, number, text, text, text, -, number, …), "
        "120 chars",
        "line 2: zscaler-nss line without a usable host: 9 comma-separated fields "
        "(text, text, text, ip, empty, empty, number, number, text), 58 chars",
    ]
    for text in (render_json(report), render_html(report)):
        for secret in SECRETS[1:]:
            assert secret not in text


def test_line_shape_of_long_word_runs_reads_a_bounded_prefix() -> None:
    # The old masks rescanned word runs (minutes for 100k chars); the shape only ever
    # looks at a prefix, so multi-megabyte runs are described at once.
    for run in ("A" * 3_000_000, "a=" * 1_500_000, "x.y@" * 750_000, "\t" * 2_000_000):
        line = "1700000000.2 x " + run
        shape = line_shape(line)
        assert len(shape) < 200
        assert shape.endswith(f"{len(line):,} chars")
        assert "AAAA" not in shape
        assert "a=a" not in shape


def test_multi_megabyte_line_is_skipped_unread_and_counted(tmp_path: Path) -> None:
    long_line = "1700000000.200 5 10.0.0.1 TCP_MISS/200 1 GET https://x.example/?" + (
        "k=v&" * 2_000_000  # 8 MB in one line
    )
    path = tmp_path / "big.log.gz"
    path.write_bytes(gzip.compress(f"{GOOD}\n{long_line}\n{GOOD}\n".encode()))
    sources: list[SourceStats] = []
    tracemalloc.start()
    try:
        records = records_of(read_records([str(path)], sources=sources))
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stats = sources[0].stats
    assert len(records) == 2
    assert (stats.lines, stats.records, stats.broken) == (3, 2, 1)
    assert stats.broken_samples == [
        f"line 2: line longer than {MAX_LINE_CHARS:,} characters, skipped unread"
    ]
    assert peak < 2_000_000  # the 8 MB line was never held whole


def test_a_long_line_in_a_file_of_unknown_format_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "odd.txt"
    path.write_text("what is this\n" + "z" * (MAX_LINE_CHARS + 5) + "\nand this\n")
    sources: list[SourceStats] = []
    assert list(read_records([str(path)], sources=sources)) == []
    assert (sources[0].stats.format, sources[0].stats.lines, sources[0].stats.broken) == (
        "unrecognised",
        3,
        3,
    )


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet="ab\n", max_size=120),
    chunk=st.integers(1, 9),
    limit=st.integers(0, 6),
)
def test_bounded_lines_equal_split_lines_with_long_ones_blanked(
    text: str, chunk: int, limit: int
) -> None:
    expected = text.split("\n")
    if expected[-1] == "":
        expected.pop()  # a final line end does not start another line
    long_lines = LongLines()
    original = inputs_module._CHUNK_CHARS
    inputs_module._CHUNK_CHARS = chunk
    try:
        got = list(bounded_lines(io.StringIO(text), long_lines, limit=limit))
    finally:
        inputs_module._CHUNK_CHARS = original
    assert got == [line if len(line) <= limit else "" for line in expected]
    assert long_lines.pending == [i + 1 for i, line in enumerate(expected) if len(line) > limit]


HOSTILE_TIMES = ["inf", "-inf", "nan", "1e300", "-1e12", "99999999999", "1"]


def _native(ts: str) -> str:
    return f"{ts} 5 10.0.0.2 TCP_MISS/200 1234 POST https://chatgpt.com/x bob HIER_DIRECT/1.2.3.4 text/html"


def _zeek_tsv(ts: str) -> list[str]:
    fields = "ts uid id.orig_h method host uri request_body_len response_body_len username"
    return [
        "#fields\t" + fields.replace(" ", "\t"),
        "1700000000.5\tC1\t10.0.0.1\tPOST\tchatgpt.com\t/c\t1\t2\talice",
        f"{ts}\tC2\t10.0.0.2\tPOST\tchatgpt.com\t/c\t1\t2\tbob",
    ]


LINES_BY_FORMAT: dict[str, Callable[[str], list[str]]] = {
    "squid-native": lambda ts: [GOOD, _native(ts)],
    "zeek-tsv": _zeek_tsv,
    "zeek-json": lambda ts: [
        '{"ts":1700000000.5,"uid":"C1","id.orig_h":"10.0.0.1","host":"chatgpt.com","uri":"/"}',
        f'{{"ts":{ts},"uid":"C2","id.orig_h":"10.0.0.2","host":"chatgpt.com","uri":"/"}}',
    ],
    "cef": lambda ts: [
        "CEF:0|A|B|1|2|n|3|src=10.0.0.1 request=https://chatgpt.com/c rt=1700000000500",
        f"CEF:0|A|B|1|2|n|3|src=10.0.0.2 request=https://chatgpt.com/c rt={ts}",
    ],
}


@pytest.mark.parametrize("fmt", sorted(LINES_BY_FORMAT))
@pytest.mark.parametrize("ts", HOSTILE_TIMES)
def test_impossible_times_are_broken_lines_in_every_parser(fmt: str, ts: str) -> None:
    lines = LINES_BY_FORMAT[fmt](ts)
    if fmt == "zeek-json" and ts in ("inf", "-inf", "nan"):
        lines[1] = lines[1].replace(f'"ts":{ts}', f'"ts":"{ts}"')  # JSON has no inf/nan
    stats = ParseStats(fmt)
    records = records_of(("", r) for r in parser_for(fmt).parse(lines, stats, ParseContext()))
    if fmt == "cef" and ts not in ("99999999999", "1"):
        # CEF's rt is digits only: anything else is an unknown time, not a bad one.
        assert stats.broken == 0
        return
    assert [r.client for r in records] == ["10.0.0.1"]
    assert stats.broken == 1
    assert BAD_TIME in stats.broken_samples[0]


@pytest.mark.parametrize("ts", ["inf", "nan", "1e300", "-1e12", "9999-12-31T23:59:59Z", 1e300])
def test_generic_csv_and_json_times_out_of_range_are_broken(tmp_path: Path, ts: Any) -> None:
    path = tmp_path / "g.jsonl"
    value = f'"{ts}"' if isinstance(ts, str) else repr(ts)
    path.write_text(
        '{"t": 1700000000, "h": "chatgpt.com"}\n' + f'{{"t": {value}, "h": "claude.ai"}}\n'
    )
    sources: list[SourceStats] = []
    records = records_of(
        read_records([str(path)], mapping={"ts": "t", "host": "h"}, sources=sources)
    )
    assert [r.host for r in records] == ["chatgpt.com"]
    assert sources[0].stats.broken == 1


def test_vectorised_zeek_path_breaks_the_same_lines(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "http.log"
    rows = _zeek_tsv("1700000001")[:1]
    for i, ts in enumerate([*HOSTILE_TIMES, "1700000002.25", "-", "x"]):
        rows.append(f"{ts}\tC{i}\t10.0.0.{i}\tPOST\tchatgpt.com\t/c\t1\t2\tu{i}")
    path.write_text("\n".join(rows) + "\n")
    fast = run_discovery([str(path)], catalog, RunOptions(vectorised=True))
    slow = run_discovery([str(path)], catalog, RunOptions(vectorised=False))
    assert fast["totals"]["broken_lines"] == slow["totals"]["broken_lines"] == len(HOSTILE_TIMES)
    assert fast["totals"]["ai_requests"] == slow["totals"]["ai_requests"] == 3
    assert fast["window"] == slow["window"]
    assert fast["window"]["last"] == "2023-11-14T22:13:22.250000Z"


def test_hostile_times_in_several_files_never_stop_the_run(
    tmp_path: Path, catalog: Catalog
) -> None:
    files = []
    for i, ts in enumerate(HOSTILE_TIMES):
        path = tmp_path / f"{i}.log"
        path.write_text(f"{GOOD}\n{_native(ts)}\n")
        files.append(str(path))
    report = run_discovery(files, catalog, RunOptions())
    assert report["totals"]["broken_lines"] == len(HOSTILE_TIMES)
    assert report["totals"]["ai_requests"] == len(HOSTILE_TIMES)
    assert report["window"]["first"] == report["window"]["last"] == "2023-11-14T22:13:20.100000Z"


@pytest.mark.parametrize(
    "header", ["#separator \\x", "#separator ", "#separator \\xZZ", "#separator \\x0"]
)
def test_unreadable_zeek_separator_breaks_the_file_not_the_run(
    tmp_path: Path, catalog: Catalog, header: str
) -> None:
    zeek = tmp_path / "z.log"
    zeek.write_text(
        f"{header}\n#fields\tts\tuid\tid.orig_h\tquery\n1700000000\tC1\t10.0.0.1\tchatgpt.com\n"
    )
    squid = tmp_path / "a.log"
    squid.write_text(GOOD + "\n")
    report = run_discovery([str(zeek), str(squid)], catalog, RunOptions())
    first, second = report["sources"]
    assert (first["format"], first["lines"], first["records"], first["broken_lines"]) == (
        "zeek-tsv",
        3,
        0,
        3,
    )
    assert first["broken_samples"][0].startswith("line 1: zeek #separator header that cannot")
    assert (second["records"], report["totals"]["ai_requests"]) == (1, 1)


def test_a_good_separator_after_a_bad_one_is_used(tmp_path: Path) -> None:
    lines = [
        "#separator \\x",
        "#separator \\x2c",
        "#fields,ts,uid,id.orig_h,query",
        "1700000000,C1,10.0.0.1,chatgpt.com",
    ]
    stats = ParseStats("zeek-tsv")
    records = records_of(
        ("", r) for r in parser_for("zeek-tsv").parse(lines, stats, ParseContext())
    )
    assert [r.host for r in records] == ["chatgpt.com"]
    assert stats.broken == 1


def test_byte_counts_must_be_whole_non_negative_numbers(tmp_path: Path, catalog: Catalog) -> None:
    path = tmp_path / "http.json"
    row = '{{"ts": {ts}, "uid": "C", "id.orig_h": "10.0.0.1", "host": "chat.deepseek.com", "uri": "/api", "request_body_len": {up}, "username": "alice"}}'
    ups = ["50000000", "-49000000", "true", "1.5e7", '"-3"', "100000000000000000"]
    path.write_text("\n".join(row.format(ts=1700000000 + i, up=up) for i, up in enumerate(ups)))
    report = run_discovery([str(path)], catalog, RunOptions())
    (service,) = report["services"]
    assert (service["bytes_up"], service["upload_unknown_requests"]) == (50_000_000, 5)
    assert "large_upload" in {f["kind"] for f in report["findings"]}


def test_absurd_text_byte_counts_are_unknown_not_a_crash(tmp_path: Path) -> None:
    huge = "9" * 5000  # int() refuses this many digits
    lines = [
        f"1700000000.100 5 10.0.0.1 TCP_MISS/200 {huge} GET https://chatgpt.com/c a H/1.2.3.4 t",
        f"date=2023-11-14 time=22:13:20 logid=1 type=utm hostname=chatgpt.com eventtime={huge} sentbyte={huge}",
        f"CEF:0|A|B|1|2|n|3|src=10.0.0.1 request=https://chatgpt.com/c rt={huge} out={huge}",
    ]
    for fmt, line in zip(("squid-native", "fortinet", "cef"), lines, strict=True):
        stats = ParseStats(fmt)
        records = records_of(("", r) for r in parser_for(fmt).parse([line], stats, ParseContext()))
        assert [(r.bytes_up, r.bytes_down) for r in records] in ([(None, None)], []), fmt
