"""Secret and output detector benchmark: CPU per KB, latency, bulk MB/s, adversarial inputs.

Run: .venv/bin/python bench/secret_detectors.py [--data-dir ../shared/data] [--rounds 2000]

Prints one JSON object and rich tables. Times are CPU time (time.process_time),
steadier than wall time on a shared machine. Targets (issue 3): the six secret
detectors together at or below 25 µs of CPU per KB of ordinary chat text (the
``chat`` and ``pii_dense`` prompt sets of bench/detectors.py), no slower on code
and config (the CredSweeper fixtures); no pathological slowdown on adversarial input.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import random
import statistics
import string
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from ramparts.detectors.base import Detector, ScanContext
from ramparts.detectors.engine import Engine
from ramparts.detectors.output import DETECTORS as OUTPUT_DETECTORS
from ramparts.detectors.registry import Registry
from ramparts.detectors.secrets import DETECTORS as SECRET_DETECTORS

CONTEXT = ScanContext(options={"canaries": ["CANARY-7f3a9c2e51"], "allowed_domains": ["ok.com"]})
_PROSE = (
    "Please summarise the attached quarterly report for the leadership team. Focus on revenue "
    "growth, churn in the enterprise segment, and the hiring plan for next year. Keep it under "
    "300 words and use a neutral tone. The appendix lists regional numbers and a short note on "
    "the pricing experiment we ran in March. "
)
_CODE = (
    "def connect(settings):\n    url = settings.database_url\n    pool = create_pool(url, "
    "size=settings.pool_size)\n    for attempt in range(3):\n        try:\n            return "
    "pool.acquire(timeout=5)\n        except TimeoutError:\n            log.warning('retry %d', "
    "attempt)\n    raise ConnectionError('database unavailable')\n"
)
_TRIGGERS = (
    "How do I rotate the API key and token for our service account? The password reset flow "
    "sends a secret link; where is the credential stored and which key does auth use? "
)


def _kilobyte(seed_text: str) -> str:
    return (seed_text * (1024 // len(seed_text) + 1))[:1024]


def _latency(detectors: list[Detector], text: str, rounds: int) -> dict[str, float]:
    samples = []
    for _ in range(rounds):
        start = time.process_time()
        for detector in detectors:
            detector.scan(text, CONTEXT)
        samples.append(time.process_time() - start)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples) * 1e3, 4),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1] * 1e3, 4),
    }


def _throughput(detectors: list[Detector], text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for detector in detectors:
            detector.scan(text, CONTEXT)
        best = min(best, time.process_time() - start)
    return round(len(text.encode("utf-8")) / max(best, 1e-9) / 1e6, 2)


def _prompt_sets(data_dir: pathlib.Path, count: int) -> dict[str, list[str]]:
    """The 1 KB ``chat`` and ``pii_dense`` prompts of bench/detectors.py, plus the fixtures."""
    spec = importlib.util.spec_from_file_location(
        "bench_detectors", pathlib.Path(__file__).with_name("detectors.py")
    )
    if spec is None or spec.loader is None:
        raise ImportError("bench/detectors.py not found next to this script")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sets: dict[str, list[str]] = module.prompts(data_dir, count)
    return {**sets, "secrets fixtures (code, config)": _fixtures(data_dir)}


def _cpu_us_per_kb(scan: Any, texts: list[str], repeats: int = 3) -> float:
    """Best of ``repeats`` passes: CPU microseconds per KB of text."""
    kilobytes = sum(len(text) for text in texts) / 1024
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for text in texts:
            scan(text)
        best = min(best, time.process_time() - start)
    return round(best / kilobytes * 1e6, 2)


def cpu_per_kb(data_dir: pathlib.Path, count: int) -> list[dict[str, Any]]:
    """Per-detector CPU per KB, the family's sum, and the family through the gated engine."""
    detectors = [cls() for cls in SECRET_DETECTORS]
    context = ScanContext()
    engine = Engine(registry=Registry(SECRET_DETECTORS))
    rows = []
    for name, texts in _prompt_sets(data_dir, count).items():
        row: dict[str, Any] = {"set": name, "texts": len(texts)}
        for detector in detectors:
            scan = detector.scan
            row[detector.name] = _cpu_us_per_kb(lambda text, scan=scan: scan(text, context), texts)
        row["family (sum)"] = round(sum(row[d.name] for d in detectors), 2)
        row["engine, triggers gating"] = _cpu_us_per_kb(engine.scan, texts)
        rows.append(row)
    return rows


def _fixtures(data_dir: pathlib.Path) -> list[str]:
    """The CredSweeper fixtures as text: code, config and logs dense with secrets."""
    samples = data_dir / "secrets" / "samples"
    pieces = []
    if samples.is_dir():
        for path in sorted(samples.iterdir()):
            data = path.read_bytes()[:20_000]
            if b"\x00" not in data:
                pieces.append(data.decode("utf-8", errors="replace"))
    return pieces


def _corpus(pieces: list[str], weights: list[float], size: int, seed: int) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    total = 0
    while total < size:
        piece = rng.choices(pieces, weights)[0]
        out.append(piece)
        total += len(piece)
    return "".join(out)[:size]


def bulk_corpora(data_dir: pathlib.Path, size: int) -> dict[str, str]:
    """Chat-like bulk text (prose and code, some fixture files mixed in) and fixtures only."""
    fixtures = _fixtures(data_dir)
    ordinary = [_PROSE, _CODE, _TRIGGERS]
    # Weights by bytes: 95% ordinary prose and code, 5% fixture text.
    weights = [0.95 / len(ordinary) / len(p) for p in ordinary]
    weights += [0.05 / max(len(fixtures), 1) / max(len(p), 1) for p in fixtures]
    corpora = {"prose + code, 5% fixtures": _corpus(ordinary + fixtures, weights, size, 7)}
    if fixtures:
        corpora["fixtures only (secret-dense)"] = _corpus(fixtures, [1.0] * len(fixtures), size, 8)
    return corpora


def _adversarial(size: int) -> dict[str, str]:
    rng = random.Random(3)
    base64ish = "".join(
        rng.choice(string.ascii_letters + string.digits + "+/") for _ in range(size)
    )
    return {
        "base64 junk (1 line)": base64ish,
        "run of one letter": "A" * size,
        "digits": "7" * size,
        "keyword flood": "password=" * (size // 9),
        "eyJ flood": "eyJ" * (size // 3),
        "PEM headers": "-----BEGIN RSA PRIVATE KEY-----\n" * (size // 32),
        "markdown flood": "![x](" * (size // 5),
    }


def run(data_dir: pathlib.Path, rounds: int) -> dict[str, Any]:
    cpu = cpu_per_kb(data_dir, 1000)
    secrets = [cls() for cls in SECRET_DETECTORS]
    outputs = [cls() for cls in OUTPUT_DETECTORS]
    prompts = {
        "prose": _kilobyte(_PROSE),
        "code": _kilobyte(_CODE),
        "trigger words": _kilobyte(_TRIGGERS),
    }
    latency: list[dict[str, Any]] = []
    for name, text in prompts.items():
        latency.append(
            {"set": "all secret detectors", "prompt": name, **_latency(secrets, text, rounds)}
        )
    for detector in secrets + outputs:
        stats = _latency([detector], prompts["prose"], rounds)
        latency.append({"set": detector.name, "prompt": "prose", **stats})
    latency.append(
        {
            "set": "all output detectors",
            "prompt": "prose",
            **_latency(outputs, prompts["prose"], rounds),
        }
    )
    throughput = []
    for name, bulk in bulk_corpora(data_dir, 4_000_000).items():
        for label, group in (("all secret detectors", secrets), ("all output detectors", outputs)):
            rate = _throughput(group, bulk)
            throughput.append({"set": label, "input": f"{name}, 4 MB", "mb_per_s": rate})
    adversarial = []
    for name, text in _adversarial(1_000_000).items():
        small = text[: len(text) // 10]
        large_rate = _throughput(secrets + outputs, text)
        small_rate = _throughput(secrets + outputs, small)
        adversarial.append(
            {
                "input": name,
                "mb_per_s_1mb": large_rate,
                "mb_per_s_100kb": small_rate,
                "slowdown_10x": round(small_rate / large_rate, 2) if large_rate else None,
            }
        )
    return {
        "benchmark": "secrets+output",
        "rounds": rounds,
        "cpu_us_per_kb": cpu,
        "latency": latency,
        "throughput": throughput,
        "adversarial": adversarial,
    }


def _print(result: dict[str, Any]) -> None:
    console = Console()
    cpu = Table(title="CPU µs per KB (best of 3 passes; target: family <= 25 on chat)")
    columns = [key for key in result["cpu_us_per_kb"][0] if key != "texts"]
    for column in columns:
        cpu.add_column(column.replace("secrets.", ""))
    for row in result["cpu_us_per_kb"]:
        cpu.add_row(*(str(row[column]) for column in columns))
    console.print(cpu)
    table = Table(title="1 KB prompt latency")
    for column in ("set", "prompt", "p50 ms", "p99 ms"):
        table.add_column(column)
    for row in result["latency"]:
        table.add_row(row["set"], row["prompt"], f"{row['p50_ms']:.4f}", f"{row['p99_ms']:.4f}")
    console.print(table)
    bulk = Table(title="Bulk throughput")
    for column in ("set", "input", "MB/s"):
        bulk.add_column(column)
    for row in result["throughput"]:
        bulk.add_row(row["set"], row["input"], str(row["mb_per_s"]))
    console.print(bulk)
    adversarial = Table(title="Adversarial input (all detectors): 1 MB vs 100 KB, CPU time")
    for column in ("input", "MB/s at 1 MB", "MB/s at 100 KB", "rate ratio (1 = linear)"):
        adversarial.add_column(column)
    for row in result["adversarial"]:
        adversarial.add_row(
            row["input"],
            str(row["mb_per_s_1mb"]),
            str(row["mb_per_s_100kb"]),
            str(row["slowdown_10x"]),
        )
    console.print(adversarial)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data-dir", type=pathlib.Path, default=pathlib.Path("../shared/data"))
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    result = run(args.data_dir, args.rounds)
    print(json.dumps(result))
    _print(result)


if __name__ == "__main__":
    main()
