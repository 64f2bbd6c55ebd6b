"""Discovery throughput: lines per second for Squid native and Zeek http TSV, end to end
(read, parse, match against the catalog, aggregate, build the report).

    .venv/bin/python bench/discovery.py [--lines 1000000]

Prints one JSON object and a rich table. Synthetic logs: 500 users, 2,000 hosts, 5% AI.
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
    start = time.perf_counter()
    report = run_discovery([str(path)], catalog)
    elapsed = time.perf_counter() - start
    assert report["totals"]["records"] == lines, report["totals"]
    return {
        "lines": lines,
        "seconds": round(elapsed, 3),
        "lines_per_second": round(lines / elapsed),
        "ai_requests": report["totals"]["ai_requests"],
    }


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
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(results))
    table = Table(title="Discovery throughput (end to end, 1 process)")
    for column in ("format", "lines", "seconds", "lines/s", "AI requests"):
        table.add_column(column)
    for name in ("squid-native", "zeek-http-tsv"):
        r = results[name]
        assert isinstance(r, dict)
        table.add_row(
            name,
            f"{r['lines']:,}",
            str(r["seconds"]),
            f"{r['lines_per_second']:,}",
            f"{r['ai_requests']:,}",
        )
    Console().print(table)
    Console().print(f"max RSS {results['max_rss_mb']} MB")


if __name__ == "__main__":
    main()
