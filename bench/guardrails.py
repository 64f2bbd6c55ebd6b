"""Guardrails benchmark: what tenant policy costs on the request path.

Same layout as ``bench/gateway.py`` (gateway on core 0, mock upstream and load on
core 1). Two gateways run against the same mock and are measured in turn, --rounds times
(medians are reported, so drift of the machine hits both): guardrails off, and
guardrails on with the built-in policy (which redacts the personal data in the
1 KB prompt and scans the answer). Every request's prompt is different (an order
number counts up), so the input guard's scan cache never answers for it. A second
load, "resent history", sends a three-message conversation plus one new short
turn each time: the way chat clients talk, and where the scan cache helps.

    python bench/guardrails.py [--seconds 3] [--rounds 3]

Targets: added overhead p50 <= 2 ms at concurrency 1; throughput >= 80% of the
guardrails-off figure at concurrency 16; stream TTFT <= 5 ms above guardrails off.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import statistics
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_gateway", HERE / "gateway.py")
assert _spec is not None
assert _spec.loader is not None
bench: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

# 1 KB of ordinary prose with a few personal-data items in it.
PROMPT = (
    "Please draft a short reply to the customer below and keep a friendly tone. "
    "The customer, reachable at jane.doe@example.com or +44 20 7946 0958, says the invoice "
    "for order {n} was charged twice to the card 4111 1111 1111 1111 last Tuesday. "
    + "We value the relationship and want to resolve billing questions quickly and clearly. "
    * 10
)[:1024]


# A conversation resent on every turn: only the last user message (TURN) is new.
HISTORY = [
    {
        "role": "system",
        "content": "You are the billing assistant of Example Ltd. Answer politely, cite the "
        "invoice number, never promise refunds above 500 EUR without a supervisor. " * 3,
    },
    {"role": "user", "content": PROMPT.replace("{n}", "5521")},
    {
        "role": "assistant",
        "content": "Dear Jane, thank you for reaching out about order 5521. We are sorry the "
        "card was charged twice; the duplicate charge will be reversed within five days. " * 3,
    },
]
TURN = "Thanks. Also send a copy to finance{n}@example.com and note ticket {n}."


def measure(url: str, key: str, pid: int, *, seconds: float) -> dict[str, Any]:
    auth = {"authorization": f"Bearer {key}"}
    c1 = bench.load(url, auth, 1, seconds, prompt=PROMPT)
    # The gateway's CPU per request is robust to other load on the machine.
    c16 = bench.load(url, auth, 16, seconds, prompt=PROMPT, cpu_pid=pid)
    history = bench.load(url, auth, 16, seconds, prompt=TURN, history=HISTORY, cpu_pid=pid)
    stream = bench.load(url, auth, 1, seconds, stream=True, prompt=PROMPT)
    return {"c1": c1, "c16": c16, "history_c16": history, "stream": stream}


@contextlib.contextmanager
def running_gateway(upstream_port: int, extra: dict[str, Any]) -> Iterator[tuple[str, str, int]]:
    """A gateway on the gateway core: (chat URL, API key, pid)."""
    with tempfile.TemporaryDirectory() as tmp:
        process, port, key = bench.start_gateway(Path(tmp), upstream_port, extra)
        try:
            yield f"http://127.0.0.1:{port}/v1/chat/completions", key, process.pid
        finally:
            process.terminate()
            process.wait(30)


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each number's median across rounds (nested dicts of the same shape)."""
    first = runs[0]
    if isinstance(first, dict):
        return {key: medians([run[key] for run in runs]) for key in first}
    return statistics.median(runs) if isinstance(first, int | float) else first


def run_rounds(
    upstream_port: int, on_settings: dict[str, Any], seconds: float, rounds: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both gateways measured in turn, ``rounds`` times: the machine's drift hits both."""
    off_settings = {"guardrails": {"enabled": False}}
    with (
        running_gateway(upstream_port, off_settings) as off_gateway,
        running_gateway(upstream_port, on_settings) as on_gateway,
    ):
        off_runs, on_runs = [], []
        for _ in range(rounds):
            off_runs.append(measure(*off_gateway, seconds=seconds))
            on_runs.append(measure(*on_gateway, seconds=seconds))
    return medians(off_runs), medians(on_runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per load, per round")
    parser.add_argument(
        "--rounds", type=int, default=3, help="off/on measured in turn; medians are reported"
    )
    parser.add_argument(
        "--policy",
        default="builtin",
        help="policy for the guardrails-on gateway: 'builtin' or a YAML file",
    )
    args = parser.parse_args()
    policy = args.policy if args.policy == "builtin" else str(Path(args.policy).resolve())
    upstream_port = bench.free_port()
    upstream = bench.pinned(
        bench.CLIENT_CORE, [sys.executable, str(HERE / "mock_upstream.py"), str(upstream_port)]
    )
    bench.wait_port(upstream_port)
    try:
        on_settings = {"guardrails": {"enabled": True, "default_policy": policy}}
        off, on = run_rounds(upstream_port, on_settings, args.seconds, args.rounds)
    finally:
        upstream.terminate()
        upstream.wait(10)
    report = {
        "benchmark": "guardrails",
        "prompt_bytes": len(PROMPT),
        "policy": policy,
        "rounds": args.rounds,
        "off": off,
        "on": on,
        "added_p50_c1_ms": on["c1"]["p50_ms"] - off["c1"]["p50_ms"],
        "added_p99_c1_ms": on["c1"]["p99_ms"] - off["c1"]["p99_ms"],
        "throughput_ratio_c16": on["c16"]["rps"] / off["c16"]["rps"],
        "cpu_ratio_c16": off["c16"]["cpu_us_per_request"] / on["c16"]["cpu_us_per_request"],
        "history_throughput_ratio_c16": on["history_c16"]["rps"] / off["history_c16"]["rps"],
        "added_ttft_ms": on["stream"]["ttfb_p50_ms"] - off["stream"]["ttfb_p50_ms"],
    }
    report["targets"] = {
        "added_p50_c1_ms<=2": report["added_p50_c1_ms"] <= 2,
        "throughput_ratio_c16>=0.8": report["throughput_ratio_c16"] >= 0.8,
        "added_ttft_ms<=5": report["added_ttft_ms"] <= 5,
        # A blocked or failed request would make "on" look cheaper than it is.
        "no_failed_requests": all(
            point["errors"] == 0 for run in (off, on) for point in run.values()
        ),
    }
    print(json.dumps(report, indent=2))
    table = Table(
        title="Guardrails on vs off (1 KB prompt with personal data, gateway on one core)"
    )
    for column in ("measure", "off", "on", "difference"):
        table.add_column(column, justify="right")
    rows = [
        ("p50 ms, c=1", off["c1"]["p50_ms"], on["c1"]["p50_ms"]),
        ("p99 ms, c=1", off["c1"]["p99_ms"], on["c1"]["p99_ms"]),
        ("requests/s, c=16", off["c16"]["rps"], on["c16"]["rps"]),
        (
            "gateway CPU µs/request, c=16",
            off["c16"]["cpu_us_per_request"],
            on["c16"]["cpu_us_per_request"],
        ),
        ("resent history: requests/s, c=16", off["history_c16"]["rps"], on["history_c16"]["rps"]),
        (
            "resent history: gateway CPU µs/request",
            off["history_c16"]["cpu_us_per_request"],
            on["history_c16"]["cpu_us_per_request"],
        ),
        ("stream TTFT p50 ms", off["stream"]["ttfb_p50_ms"], on["stream"]["ttfb_p50_ms"]),
    ]
    for name, a, b in rows:
        table.add_row(name, f"{a:.2f}", f"{b:.2f}", f"{b - a:+.2f}")
    Console().print(table)
    Console().print(f"targets: {report['targets']}")


if __name__ == "__main__":
    main()
