from __future__ import annotations

import gzip
import io
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
import zstandard

from ramparts.discovery.parsers import (
    LogRecord,
    ParseContext,
    ParseStats,
    SkippedRows,
    SourceStats,
    detect,
    read_records,
)
from ramparts.discovery.parsers.detect import parser_for
from ramparts.discovery.parsers.record import line_shape
from ramparts.errors import ConfigError, ParseError

SAMPLES: dict[str, list[str]] = {
    "squid-native": [
        "1767225600.123    120 10.0.0.5 TCP_MISS/200 4512 POST https://chatgpt.com/backend-api/conversation jdoe HIER_DIRECT/104.18.32.47 application/json",
    ],
    "squid-common": [
        '10.0.0.5 - jdoe [01/Jan/2026:00:00:00 +0000] "POST https://claude.ai/api/append HTTP/1.1" 200 812 "-" "Mozilla/5.0"',
    ],
    "zeek-tsv": [
        "#separator \\x09",
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod\thost\turi\trequest_body_len\tresponse_body_len\tusername",
        "1767225600.5\tC1\t10.0.0.5\t5000\t1.2.3.4\t443\tPOST\tapi.openai.com\t/v1/chat/completions\t2048\t512\t-",
    ],
    "zeek-json": [
        '{"ts":1767225600.5,"uid":"C1","id.orig_h":"10.0.0.5","id.resp_h":"1.2.3.4","query":"chat.deepseek.com","answers":["1.2.3.4"]}',
    ],
    "zscaler-nss": [
        '{"sourcetype":"zscalernss-web","event":{"datetime":"2026-01-01 00:00:00","login":"jdoe@acme.com","dept":"Finance","cip":"10.0.0.5","eurl":"https://gemini.google.com/app","hostname":"gemini.google.com","reqsize":"3000","respsize":"900","reqmethod":"POST"}}',
    ],
    "umbrella-dns": [
        '"2026-01-01 00:00:00","jdoe (jdoe@acme.com)","jdoe,LAPTOP-1","10.0.0.5","198.51.100.1","Allowed","1 (A)","NOERROR","perplexity.ai.","Generative AI"',
    ],
    "fortinet": [
        'date=2026-01-01 time=00:00:00 devname="FGT" devid="FG100" logid="0316013056" type="utm" subtype="webfilter" srcip=10.0.0.5 dstip=1.2.3.4 hostname="poe.com" url="/chat" user="jdoe" sentbyte=1500 rcvdbyte=300 reqtype="direct"',
    ],
    "cef": [
        "CEF:0|Acme|Proxy|1.0|100|web|3|rt=1767225600000 src=10.0.0.5 suser=jdoe request=https://www.perplexity.ai/search?q\\=x requestMethod=GET out=1200 in=4000",
    ],
    "paloalto-url": [
        ',2026/01/01 00:00:00,0123,THREAT,url,2561,2026/01/01 00:00:00,10.0.0.5,1.2.3.4,0.0.0.0,0.0.0.0,rule1,acme\\jdoe,,ssl,vsys1,trust,untrust,e1,e2,fwd,,1,1,5000,443,0,0,0x0,tcp,alert,"claude.ai/api/append",(9999),generative-ai,informational,client-to-server',
    ],
    "paloalto-traffic": [
        ",2026/01/01 00:00:00,0123,TRAFFIC,end,2561,2026/01/01 00:00:00,10.0.0.5,1.2.3.4,0.0.0.0,0.0.0.0,rule1,acme\\jdoe,,ssl,vsys1,trust,untrust,e1,e2,fwd,,1,1,5000,443,0,0,0x0,tcp,allow,9000,7000,2000,10",
    ],
}

EXPECTED: dict[str, LogRecord] = {
    "squid-native": LogRecord(
        1767225600.123,
        "10.0.0.5",
        "jdoe",
        "chatgpt.com",
        "/backend-api/conversation",
        None,
        4512,
        "POST",
    ),
    "squid-common": LogRecord(
        1767225600.0, "10.0.0.5", "jdoe", "claude.ai", "/api/append", None, 812, "POST"
    ),
    "zeek-tsv": LogRecord(
        1767225600.5, "10.0.0.5", "", "api.openai.com", "/v1/chat/completions", 2048, 512, "POST"
    ),
    "zeek-json": LogRecord(
        1767225600.5, "10.0.0.5", "", "chat.deepseek.com", None, None, None, "DNS"
    ),
    "zscaler-nss": LogRecord(
        1767225600.0,
        "10.0.0.5",
        "jdoe@acme.com",
        "gemini.google.com",
        "/app",
        3000,
        900,
        "POST",
        "Finance",
    ),
    "umbrella-dns": LogRecord(
        1767225600.0, "10.0.0.5", "jdoe (jdoe@acme.com)", "perplexity.ai", None, None, None, ""
    ),
    "fortinet": LogRecord(
        1767225600.0, "10.0.0.5", "jdoe", "poe.com", "/chat", 1500, 300, "direct"
    ),
    "cef": LogRecord(
        1767225600.0, "10.0.0.5", "jdoe", "www.perplexity.ai", "/search?q=x", 1200, 4000, "GET"
    ),
    "paloalto-url": LogRecord(
        1767225600.0, "10.0.0.5", "acme\\jdoe", "claude.ai", "/api/append", None, None, ""
    ),
    "paloalto-traffic": LogRecord(
        1767225600.0, "10.0.0.5", "acme\\jdoe", "1.2.3.4", None, 7000, 2000, ""
    ),
}


def only_records(items: Iterable[LogRecord | SkippedRows]) -> list[LogRecord]:
    """Records only (no prefilter is set in these tests, so nothing else should appear)."""
    out = []
    for item in items:
        assert isinstance(item, LogRecord)
        out.append(item)
    return out


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_each_format_is_detected_and_parsed_exactly(fmt: str) -> None:
    lines = SAMPLES[fmt]
    parser = detect(lines, "sample")
    assert parser.name == fmt
    stats = ParseStats(fmt)
    records = list(parser.parse(lines, stats, ParseContext()))
    assert records == [EXPECTED[fmt]]
    assert stats.broken == 0


def test_dns_answers_name_conn_hosts() -> None:
    ctx = ParseContext()
    dns = detect(SAMPLES["zeek-json"], "dns")
    list(dns.parse(SAMPLES["zeek-json"], ParseStats("dns"), ctx))
    conn = [
        '{"ts":1767225601,"uid":"C2","id.orig_h":"10.0.0.5","id.resp_h":"1.2.3.4","orig_bytes":900,"resp_bytes":100}'
    ]
    records = only_records(detect(conn, "conn").parse(conn, ParseStats("conn"), ctx))
    assert [(r.host, r.bytes_up, r.bytes_down) for r in records] == [
        ("chat.deepseek.com", 900, 100)
    ]


def test_squid_extended_format_from_the_real_fixture(real_logs: Path) -> None:
    sources: list[SourceStats] = []
    records = only_records(r for _f, r in read_records([str(real_logs / "squid")], sources=sources))
    assert [s.stats.format for s in sources] == ["squid-native"]
    assert len(records) == 11
    assert sources[0].stats.broken == 0
    first = records[0]
    assert (first.host, first.user, first.bytes_down, first.bytes_up) == (
        "example.com",
        "badeyek",
        904,
        123,
    )
    connect = [r for r in records if r.method == "CONNECT"]
    assert {r.host for r in connect} == {"www.google.com", "api.github.com", "secure.example.com"}
    assert all(r.path is None for r in connect)


def test_real_zeek_logs_never_stop_the_run(real_logs: Path) -> None:
    sources: list[SourceStats] = []
    records = only_records(
        r for _f, r in read_records([str(real_logs / "zeek-testsuite")], sources=sources)
    )
    assert len(sources) == 147
    formats = {s.stats.format for s in sources}
    assert {"zeek-tsv", "zeek-json"} <= formats
    assert len(records) > 300
    assert sum(s.stats.records for s in sources) == len(records)
    hosts = {r.host for r in records}
    assert "bits.wikimedia.org" in hosts
    for source in sources:
        assert source.stats.lines >= source.stats.records + source.stats.broken
        assert len(source.stats.broken_samples) <= 5


def test_unrecognised_files_are_counted_not_fatal(real_logs: Path) -> None:
    sources: list[SourceStats] = []
    records = list(read_records([str(real_logs / "proxifier")], sources=sources))
    assert records == []
    assert sources[0].stats.format == "unrecognised"
    assert sources[0].stats.broken == 2000


def test_broken_lines_are_counted_sampled_and_redacted(tmp_path: Path) -> None:
    good = SAMPLES["squid-native"][0]
    lines = (
        [good]
        + [f"broken line {i} https://x.example/?api_key=SECRET{i}" for i in range(8)]
        + [good]
    )
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    sources: list[SourceStats] = []
    records = list(read_records([str(path)], sources=sources))
    stats = sources[0].stats
    assert (len(records), stats.broken, len(stats.broken_samples)) == (2, 8, 5)
    assert not any("SECRET" in s for s in stats.broken_samples)
    assert stats.broken_samples[0].startswith("line 2: ")  # line 1 is the good one
    assert stats.broken_samples[4].startswith("line 6: ")


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        (
            'date=2026-01-02 srcip=10.0.0.7 user="alice.smith" msg="login password=Hunter2!"',
            "5 space-separated fields (text, text, text, text, text), 79 chars",
        ),
        (
            "CEF:0|Zscaler|NSS|1|1|n|1|suser=alice@corp.example cs1=Authorization: Bearer sk-ab12",
            "4 space-separated fields (text, text, text, text), 84 chars",
        ),
        (
            "mail from bob.jones@example.com failed, token 'abc'",
            "6 space-separated fields (text, text, text, text, text, text), 51 chars",
        ),
        (
            "1700000000.2\tC2\t10.0.0.1\t-\t\tbob\tBobsPassw0rd!",
            "7 tab-separated fields (number, text, ip, -, empty, text, text), 45 chars",
        ),
        (
            '2026-01-01,alice,"Hunter2, the password",https://x.example/?k=v',
            "5 comma-separated fields (text, text, text, text, url), 63 chars",
        ),
        ('{"user": "alice", "password": "Hunter2"}', "JSON text, 40 chars"),
    ],
)
def test_broken_line_samples_keep_the_shape_not_the_values(line: str, kept: str) -> None:
    # The shape only: tab- and comma-separated values (Zeek username/password columns,
    # CSV cells) are as private as key=value ones.
    sample = line_shape(line)
    assert sample == kept
    for value in ("alice", "Hunter2", "10.0.0.7", "sk-ab12", "bob", "abc", "Passw0rd", "x.example"):
        assert value not in sample


@pytest.mark.parametrize("fmt", ["fortinet", "cef", "zeek-json"])
def test_broken_line_samples_name_their_line(fmt: str) -> None:
    stats = ParseStats(fmt)
    lines = ["", "{not a record", "garbage user=alice"]
    list(parser_for(fmt).parse(lines, stats, ParseContext()))
    assert stats.broken == 2
    assert [s.split(":")[0] for s in stats.broken_samples] == ["line 2", "line 3"]


def _write_variants(tmp_path: Path) -> list[Path]:
    body = ("\n".join(SAMPLES["squid-native"] * 3) + "\n").encode()
    plain = tmp_path / "a.log"
    plain.write_bytes(body)
    gz = tmp_path / "b.log.gz"
    gz.write_bytes(gzip.compress(body))
    zst = tmp_path / "sub" / "c.log.zst"
    zst.parent.mkdir()
    zst.write_bytes(zstandard.ZstdCompressor().compress(body))
    return [plain, gz, zst]


def test_plain_gzip_zstd_files_dirs_and_globs(tmp_path: Path) -> None:
    plain, gz, zst = _write_variants(tmp_path)
    for spec in (
        [str(plain), str(gz), str(zst)],
        [str(tmp_path)],
        [str(tmp_path / "*.log*"), str(zst)],
    ):
        records = only_records(r for _f, r in read_records(spec))
        assert len(records) == 9, spec
        assert {r.host for r in records} == {"chatgpt.com"}


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = ("\n".join(SAMPLES["squid-common"] * 2) + "\n").encode()
    fake = io.TextIOWrapper(io.BytesIO(data))
    monkeypatch.setattr(sys, "stdin", fake)
    assert [f for f, _r in read_records(["-"])] == ["squid-common", "squid-common"]


def test_missing_input_says_what_to_do() -> None:
    with pytest.raises(ParseError, match="no log files match"):
        list(read_records(["/nonexistent/*.log"]))


def test_generic_mapping_csv_and_jsonl(tmp_path: Path) -> None:
    csv_path = tmp_path / "g.csv"
    csv_path.write_text("when,who,dest,up\n2026-01-01T00:00:00Z,ann,mistral.ai,10\nbad\n")
    jsonl = tmp_path / "g.jsonl"
    jsonl.write_text('{"when": 1767225600, "who": "ann", "dest": "chat.mistral.ai", "up": 5}\n')
    mapping = {"ts": "when", "user": "who", "host": "dest", "bytes_up": "up"}
    sources: list[SourceStats] = []
    records = only_records(
        r for _f, r in read_records([str(csv_path), str(jsonl)], mapping=mapping, sources=sources)
    )
    assert [(r.ts, r.user, r.host, r.bytes_up) for r in records] == [
        (1767225600.0, "ann", "mistral.ai", 10),
        (1767225600.0, "ann", "chat.mistral.ai", 5),
    ]
    assert sources[0].stats.broken == 1
    with pytest.raises(ConfigError, match="unknown field"):
        list(read_records([str(csv_path)], mapping={"colour": "x"}))


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    body = ("\n".join(SAMPLES["squid-native"] * 2000) + "\n").encode()
    path = tmp_path / "cut.log.gz"
    path.write_bytes(gzip.compress(body)[:-200])
    sources: list[SourceStats] = []
    records = list(read_records([str(path)], sources=sources))
    stats = sources[0].stats
    assert 0 < len(records) < 2000
    assert stats.broken == 1
    assert "input ended early" in stats.broken_samples[0]


def test_zscaler_csv_with_nss_header(tmp_path: Path) -> None:
    path = tmp_path / "nss.csv"
    path.write_text(
        "datetime,login,dept,cip,eurl,hostname,reqsize,respsize,reqmethod\n"
        '"2026-01-01 00:00:00","ann@acme.com","Legal","10.0.0.7",'
        '"https://chat.mistral.ai/chat","chat.mistral.ai","2048","512","POST"\n'
    )
    sources: list[SourceStats] = []
    records = only_records(r for _f, r in read_records([str(path)], sources=sources))
    assert sources[0].stats.format == "zscaler-nss"
    assert records == [
        LogRecord(
            1767225600.0,
            "10.0.0.7",
            "ann@acme.com",
            "chat.mistral.ai",
            "/chat",
            2048,
            512,
            "POST",
            "Legal",
        )
    ]


def test_on_file_reports_progress_per_file(tmp_path: Path) -> None:
    _write_variants(tmp_path)
    calls: list[tuple[int, int, str]] = []
    list(read_records([str(tmp_path)], on_file=lambda d, t, p: calls.append((d, t, Path(p).name))))
    assert calls == [(0, 3, "a.log"), (1, 3, "b.log.gz"), (2, 3, "c.log.zst")]
