"""Review 11, parser findings: key=value scans, DNS-answer naming (read order, per-client
keys, CNAME chains, bounds), duplicate inputs, BOM, Zeek times, URL authorities, long
hosts, per-run host caches, Spark host normalisation, vectorised broken-line numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ramparts.discovery.catalog import Catalog, ServiceMatcher, load_catalog
from ramparts.discovery.parsers import (
    ParseContext,
    ParseStats,
    expand_inputs,
    keyvalue,
    read_records,
)
from ramparts.discovery.parsers.inputs import open_text
from ramparts.discovery.parsers.keyvalue import CefParser, FortinetParser
from ramparts.discovery.parsers.record import LogRecord, split_url
from ramparts.discovery.parsers.squid import SquidNativeParser
from ramparts.discovery.parsers.zeek import ZeekJsonParser, ZeekTsvParser
from ramparts.discovery.pipeline import RunOptions, run_discovery

T = 1_717_000_000.0
DNS_HEADER = (
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"
    "\tquery\tanswers\n"
)
CONN_HEADER = (
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto"
    "\torig_bytes\tresp_bytes\n"
)
HTTP_HEADER = (
    "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmethod"
    "\thost\turi\tuser_agent\trequest_body_len\tresponse_body_len\tusername\n"
)


def dns_line(ts: float, client: str, query: str, answers: str) -> str:
    return f"{ts}\tD{ts}\t{client}\t5353\t10.0.0.53\t53\tudp\t{query}\t{answers}\n"


def conn_line(ts: float, client: str, server: str, up: int) -> str:
    return f"{ts}\tC{ts}\t{client}\t40000\t{server}\t443\ttcp\t{up}\t100\n"


def dns_answers(*args: Any, **kwargs: Any) -> Any:
    from ramparts.discovery.parsers.answers import DnsAnswers  # new in review 11

    return DnsAnswers(*args, **kwargs)


def user_services(report: dict[str, Any]) -> dict[str, list[str]]:
    return {u["user"]: u["services"] for u in report["users"]}


def records(parser: Any, lines: list[str], ctx: ParseContext | None = None) -> list[LogRecord]:
    stats = ParseStats(parser.name)
    return [r for r in parser.parse(lines, stats, ctx or ParseContext())]


# --- f1: key=value scans are linear -------------------------------------------------


@pytest.mark.parametrize("name", ["_FORTI_PAIR", "_CEF_KEY"])
def test_a_key_match_never_starts_inside_a_word(name: str) -> None:
    # Linear scan: a key can only start where a word starts, so "\w+" runs over each word
    # once. The old patterns started a key at every character of a word (64k chars: 43 s).
    key: re.Pattern[str] = getattr(keyvalue, name)
    word = "A" * 200
    text = f"{word}= x {word}=1"
    starts = [m.start() for m in key.finditer(text)]
    assert starts == [0, len(word) + 4]
    assert all(key.match(text, pos) is None for pos in range(1, len(word)))


def test_long_words_in_key_value_lines_parse_right() -> None:
    token = "A" * 60_000
    cef = (
        "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|0|act=Allowed rt=1717000000000 src=10.0.0.1 "
        f"suser=bob request=https://chatgpt.com/c?auth=={token} requestMethod=POST"
    )
    forti = (
        'date=2024-05-29 time=10:00:00 logid="0316013056" type="utm" srcip=10.0.0.1 '
        f'hostname="chatgpt.com" agent="x" {token}" sentbyte=1 rcvdbyte=2'
    )
    (c,) = records(CefParser(), [cef])
    assert (c.host, c.user, c.method, c.path) == ("chatgpt.com", "bob", "POST", f"/c?auth=={token}")
    (f,) = records(FortinetParser(), [forti])
    assert (f.host, f.bytes_up, f.bytes_down) == ("chatgpt.com", 1, 2)


# --- f18: CEF values with an unescaped "=" ------------------------------------------


def test_cef_value_with_an_unescaped_equals_keeps_its_record() -> None:
    line = (
        "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|0|act=Allowed src=10.0.0.1 suser=bob "
        "request=https://chatgpt.com/backend?model=gpt-4&x=a\\=b requestMethod=POST out=5000000"
    )
    (rec,) = records(CefParser(), [line])
    assert (rec.host, rec.path, rec.user, rec.bytes_up, rec.method) == (
        "chatgpt.com",
        "/backend?model=gpt-4&x=a=b",
        "bob",
        5_000_000,
        "POST",
    )


# --- f7, f6: DNS answers name conn records: read first, per client, CNAME chains -------


def test_a_zeek_directory_names_conn_records_from_its_dns_log(
    tmp_path: Path, catalog: Catalog
) -> None:
    zeek = tmp_path / "zeek"
    zeek.mkdir()
    (zeek / "dns.log").write_text(
        DNS_HEADER + dns_line(T, "10.0.0.1", "api.deepseek.com", "203.0.113.7")
    )
    (zeek / "conn.log").write_text(CONN_HEADER + conn_line(T + 5, "10.0.0.1", "203.0.113.7", 5000))
    report = run_discovery([str(zeek)], catalog)  # conn.log sorts before dns.log
    assert [Path(s["path"]).name for s in report["sources"]] == ["dns.log", "conn.log"]
    assert report["totals"]["bytes_up"] == 5000
    assert user_services(report) == {"ip:10.0.0.1": ["deepseek-api"]}


def test_dns_answers_name_only_the_asking_clients_connections(
    tmp_path: Path, catalog: Catalog
) -> None:
    dns = tmp_path / "dns.log"
    dns.write_text(
        DNS_HEADER
        # alice resolves claude.ai to a shared CDN address
        + dns_line(T, "10.0.0.1", "claude.ai", "160.79.104.10")
        # carol resolves a vanity name that is a CNAME for api.openai.com
        + dns_line(T + 1, "10.0.0.3", "gw.carol-tools.example", "api.openai.com,162.159.140.245")
    )
    conn = tmp_path / "conn.log"
    conn.write_text(
        CONN_HEADER
        + conn_line(T + 100, "10.0.0.2", "160.79.104.10", 50_000_000)  # bob: never asked
        + conn_line(T + 101, "10.0.0.3", "162.159.140.245", 50_000_000)
        + conn_line(T + 102, "10.0.0.1", "160.79.104.10", 10)
    )
    report = run_discovery([str(conn), str(dns)], catalog)
    services = user_services(report)
    assert "ip:10.0.0.2" not in services
    assert services["ip:10.0.0.3"] == ["openai-api"]
    assert services["ip:10.0.0.1"] == ["anthropic-claude"]


def test_names_from_answers_are_marked_inferred_and_expire() -> None:
    ctx = ParseContext(answers=dns_answers(lambda name: name == "api.openai.com"))
    dns = records(
        ZeekTsvParser(),
        [
            *DNS_HEADER.splitlines(),
            dns_line(T, "10.0.0.3", "gw.example", "api.openai.com,192.0.2.5").rstrip("\n"),
        ],
        ctx,
    )
    assert [(r.host, r.inferred) for r in dns] == [("api.openai.com", True)]
    conn = records(
        ZeekTsvParser(),
        [
            *CONN_HEADER.splitlines(),
            conn_line(T + 60, "10.0.0.3", "192.0.2.5", 1).rstrip("\n"),
            conn_line(T + 7200, "10.0.0.3", "192.0.2.5", 2).rstrip("\n"),  # 2 h later
            conn_line(T + 60, "10.0.0.4", "192.0.2.5", 3).rstrip("\n"),  # another client
        ],
        ctx,
    )
    assert [(r.host, r.inferred) for r in conn] == [
        ("api.openai.com", True),
        ("192.0.2.5", False),
        ("192.0.2.5", False),
    ]


# --- f5: the answer map is bounded ----------------------------------------------------


def test_dns_answers_are_bounded_and_keep_the_most_recent() -> None:
    answers = dns_answers(limit=3)
    for i in range(5):
        answers.learn("10.0.0.1", f"h{i}.example", [f"192.0.2.{i}"], T + i)
    assert len(answers) == 3
    assert answers.name_for("10.0.0.1", "192.0.2.0", T + 10) is None
    assert answers.name_for("10.0.0.1", "192.0.2.4", T + 10) == "h4.example"
    answers.learn("10.0.0.1", "long.example", ["x" * 254, "192.0.2.9"], T)
    assert answers.name_for("10.0.0.1", "192.0.2.9", T) == "long.example"


def test_answers_for_names_no_service_could_match_are_not_kept() -> None:
    answers = dns_answers(lambda name: name.endswith("openai.com"))
    for i in range(1000):
        answers.learn("10.0.0.1", f"host{i}.example.net", [f"edge{i}.cdn.example", "10.0.0.9"], T)
    assert len(answers) == 0
    answers.learn("10.0.0.1", "chat.openai.com", ["10.0.0.9"], T)
    assert len(answers) == 1


# --- f2: a file named twice is read once ------------------------------------------------


def test_a_file_named_twice_is_read_once(tmp_path: Path, catalog: Catalog) -> None:
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "access.log"
    log.write_text(
        "1717000000.000 10 10.0.0.1 TCP_MISS/200 500 GET https://chatgpt.com/c alice "
        "HIER_DIRECT/1.2.3.4 text/html\n"
    )
    (tmp_path / "link.log").symlink_to(log)
    specs = [str(tmp_path / "logs"), str(log), f"{tmp_path}/logs/./access.log"]
    specs.append(str(tmp_path / "link.log"))
    assert expand_inputs(specs) == [str(log)]
    assert expand_inputs(["-", "-"]) == ["-"]
    report = run_discovery(specs, catalog)
    assert report["totals"]["ai_requests"] == 1


# --- f3: a UTF-8 byte-order mark at the start is dropped ---------------------------------


def test_a_byte_order_mark_at_the_start_is_dropped(tmp_path: Path, catalog: Catalog) -> None:
    csv = (
        "datetime,login,dept,cip,eurl,hostname,reqsize,respsize,reqmethod\n"
        "2024-05-29 10:00:00,alice@acme.com,Sales,10.0.0.1,chatgpt.com/c,chatgpt.com,200,100,POST\n"
    )
    plain, marked = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_text(csv, encoding="utf-8")
    marked.write_text("\ufeff" + csv, encoding="utf-8")
    expected = run_discovery([str(plain)], catalog)
    got = run_discovery([str(marked)], catalog)
    assert got["window"] == expected["window"]
    assert got["window"]["first"] == "2024-05-29T10:00:00Z"
    squid = tmp_path / "squid.log"
    squid.write_text(
        "\ufeff1717000000.000 10 10.0.0.1 TCP_MISS/200 500 GET https://chatgpt.com/c alice "
        "HIER_DIRECT/1.2.3.4 text/html\n\ufeffx\n",
        encoding="utf-8",
    )
    with open_text(str(squid)) as stream:
        text = stream.read()
    assert text.startswith("1717") and "\ufeffx" in text  # only the first one is a mark


# --- f20: Zeek JSON with ISO 8601 times -------------------------------------------------


def test_zeek_json_iso_times_are_read(tmp_path: Path, catalog: Catalog) -> None:
    rec = {"ts": "2024-05-29T16:26:40.123456Z", "uid": "C1", "id.orig_h": "10.0.0.1",
           "id.orig_p": 5, "id.resp_h": "1.2.3.4", "id.resp_p": 443, "method": "POST",
           "host": "chatgpt.com", "uri": "/c", "request_body_len": 100}  # fmt: skip
    (parsed,) = records(ZeekJsonParser(), [json.dumps(rec)])
    assert parsed.ts == pytest.approx(1_717_000_000.123456, abs=1e-3)
    log = tmp_path / "http.json"
    log.write_text(json.dumps(rec) + "\n")
    later = run_discovery([str(log)], catalog, RunOptions(since=1_717_200_000.0))
    assert later["totals"]["ai_requests"] == 0  # --since can now skip it


# --- f12: the authority ends at the first of / ? # ---------------------------------------


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        ("http://api.openai.com?model=gpt-4o", "api.openai.com", "/?model=gpt-4o"),
        ("https://chatgpt.com#c/123", "chatgpt.com", "/#c/123"),
        ("chat.deepseek.com?x=1", "chat.deepseek.com", "/?x=1"),
        ("http://evil.example?@chatgpt.com", "evil.example", "/?@chatgpt.com"),
        ("http://u:p@evil.example#@chatgpt.com/x", "evil.example", "/#@chatgpt.com/x"),
        ("https://user@claude.ai:443/chat", "claude.ai", "/chat"),
        ("claude.ai:443", "claude.ai", None),
    ],
)
def test_split_url_cuts_the_authority_at_path_query_or_fragment(
    url: str, host: str, path: str | None
) -> None:
    assert split_url(url) == (host, path)


def test_a_query_in_the_authority_does_not_fake_a_service(catalog: Catalog) -> None:
    lines = [
        f"{T:.3f} 10 10.0.0.1 TCP_MISS/200 500 GET {url} alice HIER_DIRECT/1.2.3.4 text/html"
        for url in ("http://evil.example?@chatgpt.com", "http://api.openai.com?k=v")
    ]
    assert [r.host for r in records(SquidNativeParser(), lines)] == [
        "evil.example",
        "api.openai.com",
    ]


# --- f4: hosts longer than a DNS name are broken lines, never cached -----------------------


def test_hosts_longer_than_a_dns_name_are_broken(catalog: Catalog) -> None:
    long_host = "a" * 250 + ".chatgpt.com"
    stats = ParseStats("squid-native")
    line = (
        f"{T:.3f} 1 10.0.0.1 TCP_TUNNEL/200 0 CONNECT {long_host}:443 alice HIER_DIRECT/1.2.3.4 -"
    )
    assert list(SquidNativeParser().parse([line], stats, ParseContext())) == []
    assert stats.broken == 1
    matcher = ServiceMatcher(catalog)
    assert matcher.match(long_host) is None
    assert not matcher.is_candidate(long_host)
    assert matcher.match("a" * 200 + ".chatgpt.com") is not None  # 212 chars: a name


# --- f16: one host cache per run -------------------------------------------------------------


def test_a_later_run_with_another_catalog_is_not_fooled_by_an_earlier_one(
    tmp_path: Path, catalog: Catalog
) -> None:
    log = tmp_path / "http.log"
    log.write_text(
        HTTP_HEADER + f"{T}\tC1\t10.0.0.1\t1\t1.2.3.4\t443\tPOST\tllm.acme.example\t/v1\tua\t100"
        "\t200\talice\n"
    )
    overlay = tmp_path / "acme.yaml"
    overlay.write_text(
        "tenant: acme\nadd:\n  - {id: acme-llm, name: Acme LLM, vendor: Acme, category: chat, "
        "hq: DE, web: [llm.acme.example], src: tenant}\n"
    )
    assert run_discovery([str(log)], catalog)["services"] == []
    acme = load_catalog(overlay)
    report = run_discovery([str(log)], acme)
    assert [s["id"] for s in report["services"]] == ["acme-llm"]


# --- f17: Spark normalises hosts like the local parsers ----------------------------------------


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("chatgpt.com:443", "openai-chatgpt"),
        ("API.OPENAI.COM.", "openai-api"),
        ("bob@claude.ai", "anthropic-claude"),
        ("", None),
    ],
)
def test_spark_matches_hosts_as_the_local_pipeline_does(
    catalog: Catalog, host: str, service: str | None
) -> None:
    from ramparts.discovery.spark import match_host

    found = match_host(catalog, host, None)
    assert (found[0] if found else None) == service


# --- f8: the vectorised Zeek path agrees with the line path -------------------------------------


def test_vectorised_broken_lines_have_numbers_and_times_agree(
    tmp_path: Path, catalog: Catalog
) -> None:
    good = f"{T}\tC1\t10.0.0.1\t1\t1.2.3.4\t80\tPOST\tchatgpt.com\t/x\tua\t100\t200\talice\n"
    log = tmp_path / "http.log"
    log.write_text(
        HTTP_HEADER
        + good
        + "1717000000.0\tC3\t10.0.0.1\t1\t-\t80\tPOST\t-\t/x\tua\t100\t200\tbob\n"  # line 4
        + "99999999999\tC4\t10.0.0.1\t1\t1.2.3.4\t80\tPOST\tchatgpt.com\t/x\tua\t1\t2\tbob\n"
        + "1_716_000_000\tC5\t10.0.0.1\t1\t1.2.3.4\t80\tPOST\tchatgpt.com\t/x\tua\t1\t2\tbob\n"
    )
    fast = run_discovery([str(log)], catalog, RunOptions(vectorised=True))
    slow = run_discovery([str(log)], catalog, RunOptions(vectorised=False))
    samples = fast["sources"][0]["broken_samples"]
    assert [s.split(":")[0] for s in samples] == ["line 4", "line 5"]
    assert samples == slow["sources"][0]["broken_samples"]
    assert fast["window"] == slow["window"]
    assert fast["window"]["first"] == "2024-05-18T02:40:00Z"  # 1_716_000_000 read alike


def test_read_records_reads_dns_logs_first(tmp_path: Path) -> None:
    conn = tmp_path / "a-conn.log"
    conn.write_text(CONN_HEADER + conn_line(T + 5, "10.0.0.1", "203.0.113.7", 1))
    dns = tmp_path / "b-dns.log"
    dns.write_text(DNS_HEADER + dns_line(T, "10.0.0.1", "api.deepseek.com", "203.0.113.7"))
    ctx = ParseContext(answers=dns_answers())
    got = [
        (fmt, r.host)
        for fmt, r in read_records([str(conn), str(dns)], ctx=ctx)
        if isinstance(r, LogRecord)
    ]
    assert got == [("zeek-tsv", "api.deepseek.com"), ("zeek-tsv", "api.deepseek.com")]
