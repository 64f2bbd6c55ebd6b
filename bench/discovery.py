"""Discovery throughput: lines per second for Squid native and Zeek http TSV, end to end
(read, parse, match against the catalog, aggregate, build the report).

    .venv/bin/python bench/discovery.py [--lines 1000000]

Prints one JSON object and a rich table. Synthetic logs: 500 users, 2,000 hosts, 5% AI.
Also the CPU cost of one hostile 64k-character CEF and Fortinet line (a long word that is
no key: quadratic before review 11, ~40 s; now milliseconds).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ramparts.discovery.catalog import load_catalog
from ramparts.discovery.parsers import ParseContext, ParseStats
from ramparts.discovery.parsers.keyvalue import CefParser, FortinetParser
from ramparts.discovery.parsers.record import LogParser
from ramparts.discovery.pipeline import run_discovery

AI_HOSTS = ["chatgpt.com", "claude.ai", "chat.deepseek.com", "gemini.google.com", "api.openai.com"]
ZEEK_HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi"
    "\treferrer\tversion\tuser_agent\torigin\trequest_body_len\tresponse_body_len\tstatus_code"
    "\tstatus_msg\tinfo_code\tinfo_msg\ttags\tusername\tpassword\tproxied\torig_fuids"
    "\torig_filenames\torig_mime_types\tresp_fuids\tresp_filenames\tresp_mime_types\n"
)


def _hosts(rng: random.Random) -> list[str]:
    other = [f"site{i}.example{i % 50}.com" for i in range(2000)]
    return [rng.choice(AI_HOSTS) if rng.random() < 0.05 else rng.choice(other) for _ in range(4096)]


def write_squid(path: Path, lines: int, rng: random.Random) -> None:
    hosts = _hosts(rng)
    t = 1_760_000_000.0
    with path.open("w") as out:
        for i in range(lines):
            host = hosts[i & 4095]
            out.write(
                f"{t + i * 0.01:.3f}    {i % 900} 10.1.{i % 7}.{i % 250} TCP_MISS/200 {i % 5000 + 300} "  # noqa: E501
                f"GET https://{host}/p/{i % 97} user{i % 500} HIER_DIRECT/198.51.100.{i % 200} text/html\n"  # noqa: E501
            )


def write_zeek(path: Path, lines: int, rng: random.Random) -> None:
    hosts = _hosts(rng)
    t = 1_760_000_000.0
    with path.open("w") as out:
        out.write(ZEEK_HEADER)
        for i in range(lines):
            host = hosts[i & 4095]
            out.write(
                f"{t + i * 0.01:.6f}\tC{i:x}\t10.1.{i % 7}.{i % 250}\t{40000 + i % 20000}\t"
                f"198.51.100.{i % 200}\t443\t1\tPOST\t{host}\t/v1/x/{i % 97}\t-\t1.1\tcurl/8\t-\t"
                f"{i % 7000}\t{i % 5000}\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\t-\t-\t-\n"
            )


def measure(path: Path, lines: int) -> dict[str, float]:
    catalog = load_catalog()
    start, cpu = time.perf_counter(), time.process_time()
    report = run_discovery([str(path)], catalog)
    elapsed = time.perf_counter() - start
    assert report["totals"]["records"] == lines, report["totals"]
    return {
        "lines": lines,
        "seconds": round(elapsed, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "lines_per_second": round(lines / elapsed),
        "ai_requests": report["totals"]["ai_requests"],
    }


def hostile_keyvalue_ms(chars: int = 64_000) -> dict[str, float]:
    """CPU milliseconds to parse one long CEF and one long Fortinet line."""
    token = "A" * chars
    lines: dict[str, tuple[LogParser, str]] = {
        "cef": (
            CefParser(),
            "CEF:0|Zscaler|NSSWeblog|5.7|Allowed|None|0|src=10.0.0.1 suser=bob "
            f"request=https://chatgpt.com/c?auth=={token} requestMethod=POST",
        ),
        "fortinet": (
            FortinetParser(),
            'date=2024-05-29 time=10:00:00 logid="1" type="utm" srcip=10.0.0.1 '
            f'hostname="chatgpt.com" agent="x" {token}" sentbyte=1 rcvdbyte=2',
        ),
    }
    result: dict[str, float] = {}
    for name, (parser, line) in lines.items():
        start = time.process_time()
        list(parser.parse([line], ParseStats(name), ParseContext()))
        result[name] = round((time.process_time() - start) * 1000, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = random.Random(7)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, writer in (("squid-native", write_squid), ("zeek-http-tsv", write_zeek)):
            path = Path(tmp) / f"{name}.log"
            writer(path, args.lines, rng)
            results[name] = measure(path, args.lines)
    results["hostile_keyvalue_line_cpu_ms"] = hostile_keyvalue_ms()
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results))
    table = Table(title="Discovery throughput (end to end, 1 process)")
    for column in ("format", "lines", "seconds", "CPU seconds", "lines/s", "AI requests"):
        table.add_column(column)
    for name in ("squid-native", "zeek-http-tsv"):
        r = results[name]
        assert isinstance(r, dict)
        table.add_row(
            name,
            f"{r['lines']:,}",
            str(r["seconds"]),
            str(r["cpu_seconds"]),
            f"{r['lines_per_second']:,}",
            f"{r['ai_requests']:,}",
        )
    Console().print(table)
    Console().print(f"hostile key=value line: {results['hostile_keyvalue_line_cpu_ms']} ms CPU")
    Console().print(f"max RSS {results['max_rss_mb']} MB")


if __name__ == "__main__":
    main()
