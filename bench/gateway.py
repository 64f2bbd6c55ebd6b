"""Gateway benchmark: overhead against calling the upstream directly, throughput, TTFT, RSS.

Layout (as the issue asks): the gateway is pinned to core 0; the mock upstream and
this load generator to core 1. Guardrails are off; the prompt is 1 KB.

    python bench/gateway.py [--seconds 5] [--json-only]

Prints a JSON document and a table. Targets: overhead p50 <= 1 ms at concurrency 1,
>= 1,200 non-streaming requests/s at concurrency 16, peak RSS <= 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
import yaml
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
RAMPARTS = Path(sys.executable).with_name("ramparts")
PROMPT = ("The quarterly planning notes mention supply chain risks and hiring. " * 15)[:1024]
GATEWAY_CORE, CLIENT_CORE = "0", "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def pinned(core: str, args: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["taskset", "-c", core, *args], **kwargs)


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def start_gateway(
    tmp: Path, upstream_port: int, extra: dict[str, Any] | None = None
) -> tuple[subprocess.Popen[bytes], int, str]:
    port = free_port()
    config: dict[str, Any] = {
        "data_dir": str(tmp / "data"),
        "server": {"port": port},
        "providers": {
            "mock": {
                "type": "openai-compatible",
                "base_url": f"http://127.0.0.1:{upstream_port}/v1",
            }
        },
        "models": [{"name": "bench", "provider": "mock", "retries": 0}],
        "guardrails": {"enabled": False},
    }
    for section, values in (extra or {}).items():
        config[section] = {**config.get(section, {}), **values}
    path = tmp / "ramparts.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "RAMPARTS_CONFIG": str(path)}
    subprocess.run(
        [str(RAMPARTS), "tenants", "create", "bench"], env=env, check=True, capture_output=True
    )
    created = subprocess.run(
        [str(RAMPARTS), "keys", "create", "--tenant", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    log = (tmp / "gateway.log").open("wb")
    process = pinned(GATEWAY_CORE, [str(RAMPARTS), "serve"], env=env, stdout=log, stderr=log)
    wait_port(port)
    return process, port, key


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# One counter for every load of this process: a gateway measured in several loads
# (rounds, concurrency levels) never sees a prompt twice, so no cache answers for one.
_PROMPT_NUMBERS = itertools.count()


def request_bodies(prompt: str, stream: bool, history: list[dict[str, str]]) -> Iterator[bytes]:
    """Request bodies; a ``{n}`` in the prompt becomes a counter, so no two are the same."""
    for n in _PROMPT_NUMBERS:
        messages = [*history, {"role": "user", "content": prompt.replace("{n}", str(n))}]
        yield json.dumps({"model": "bench", "messages": messages, "stream": stream}).encode()


async def run_load(
    url: str,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    stream: bool,
    prompt: str,
    history: list[dict[str, str]] | None = None,
    cpu_pid: int | None = None,
) -> dict[str, Any]:
    """Warm up, then load for ``seconds``; with ``cpu_pid``, that process's CPU per
    request over the measured requests only (the warm-up is not counted)."""
    bodies = request_bodies(prompt, stream, history or [])
    latencies: list[float] = []
    first_bytes: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def one() -> None:
            nonlocal errors
            started = time.perf_counter()
            async with session.post(
                url, data=next(bodies), headers={"content-type": "application/json"}
            ) as r:
                if stream:
                    await r.content.readany()
                    first_bytes.append(time.perf_counter() - started)
                await r.read()
                if r.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - started)

        async def worker(deadline: float) -> None:
            while time.perf_counter() < deadline:
                await one()

        warm = time.perf_counter() + min(1.0, seconds / 3)
        await asyncio.gather(*(worker(warm) for _ in range(concurrency)))
        latencies.clear()
        first_bytes.clear()
        cpu_start = cpu_seconds(cpu_pid) if cpu_pid else 0.0
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        cpu_used = cpu_seconds(cpu_pid) - cpu_start if cpu_pid else 0.0
    result = {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }
    if cpu_pid:
        result["cpu_us_per_request"] = cpu_used / max(len(latencies), 1) * 1e6
    if first_bytes:
        result["ttfb_p50_ms"] = statistics.median(first_bytes) * 1000
    return result


def load(
    url: str,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    stream: bool = False,
    prompt: str = PROMPT,
    history: list[dict[str, str]] | None = None,
    cpu_pid: int | None = None,
) -> dict[str, Any]:
    # The load generator itself runs on the client core.
    os.sched_setaffinity(0, {int(CLIENT_CORE)})
    return uvloop.run(
        run_load(url, headers, concurrency, seconds, stream, prompt, history, cpu_pid)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per point")
    parser.add_argument("--json-only", action="store_true")
    args = parser.parse_args()

    upstream_port = free_port()
    upstream = pinned(
        CLIENT_CORE, [sys.executable, str(HERE / "mock_upstream.py"), str(upstream_port)]
    )
    wait_port(upstream_port)
    with tempfile.TemporaryDirectory() as tmp_dir:
        gateway, port, key = start_gateway(Path(tmp_dir), upstream_port)
        try:
            direct_url = f"http://127.0.0.1:{upstream_port}/v1/chat/completions"
            gateway_url = f"http://127.0.0.1:{port}/v1/chat/completions"
            auth = {"authorization": f"Bearer {key}"}
            points = []
            for concurrency in (1, 16, 64):
                direct = load(direct_url, {}, concurrency, args.seconds)
                through = load(gateway_url, auth, concurrency, args.seconds, cpu_pid=gateway.pid)
                points.append(
                    {
                        "concurrency": concurrency,
                        "direct": direct,
                        "gateway": through,
                        # CPU the gateway spent per measured request; robust to other
                        # load on the machine, unlike rps.
                        "gateway_cpu_us_per_request": through["cpu_us_per_request"],
                        "overhead_p50_ms": through["p50_ms"] - direct["p50_ms"],
                        "overhead_p95_ms": through["p95_ms"] - direct["p95_ms"],
                        "overhead_p99_ms": through["p99_ms"] - direct["p99_ms"],
                    }
                )
            stream_direct = load(direct_url, {}, 1, args.seconds, stream=True)
            stream_gateway = load(gateway_url, auth, 1, args.seconds, stream=True)
            rss = peak_rss_mb(gateway.pid)
        finally:
            gateway.terminate()
            gateway.wait(30)
            upstream.terminate()
            upstream.wait(10)

    best_rps = max(p["gateway"]["rps"] for p in points)
    c16 = next(p for p in points if p["concurrency"] == 16)
    c1 = next(p for p in points if p["concurrency"] == 1)
    report = {
        "benchmark": "gateway",
        "prompt_bytes": len(PROMPT),
        "seconds_per_point": args.seconds,
        "points": points,
        "max_rps": best_rps,
        "cpu_bound_rps_c16": 1e6 / c16["gateway_cpu_us_per_request"],
        "stream_ttft_overhead_ms": stream_gateway["ttfb_p50_ms"] - stream_direct["ttfb_p50_ms"],
        "peak_rss_mb": rss,
        "targets": {
            "overhead_p50_c1_ms<=1": c1["overhead_p50_ms"] <= 1.0,
            "rps_c16>=1200": c16["gateway"]["rps"] >= 1200,
            "peak_rss_mb<=150": rss <= 150,
        },
    }
    print(json.dumps(report, indent=2))
    if args.json_only:
        return
    table = Table(title="Ramparts gateway (guardrails off, 1 KB prompt, gateway on one core)")
    for column in (
        "concurrency",
        "direct rps",
        "gateway rps",
        "CPU µs/req",
        "p50 +ms",
        "p95 +ms",
        "p99 +ms",
        "errors",
    ):
        table.add_column(column, justify="right")
    for p in points:
        table.add_row(
            str(p["concurrency"]),
            f"{p['direct']['rps']:.0f}",
            f"{p['gateway']['rps']:.0f}",
            f"{p['gateway_cpu_us_per_request']:.0f}",
            f"{p['overhead_p50_ms']:.2f}",
            f"{p['overhead_p95_ms']:.2f}",
            f"{p['overhead_p99_ms']:.2f}",
            str(p["gateway"]["errors"]),
        )
    console = Console()
    console.print(table)
    console.print(
        f"stream TTFT overhead p50: {report['stream_ttft_overhead_ms']:.2f} ms"
        f" · peak RSS {rss:.0f} MB · targets: {report['targets']}"
    )


if __name__ == "__main__":
    main()
