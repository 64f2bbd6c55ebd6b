"""Detection engine benchmark: latency, throughput, adversarial inputs and memory.

Run: .venv/bin/python bench/detectors.py [--data-dir ../shared/data] [--quick] [--workers N]

Prints one JSON object and rich tables. Times are CPU (process) time, which
is steadier than wall time on a shared machine; the adversarial ratios and the
parallel ``--jsonl`` run use wall time. Targets (issue 3): all input detectors
on a 1 KB prompt p50 <= 0.5 ms and p99 <= 2 ms; >= 10 MB/s bulk; adversarial
inputs scale linearly; loaded engine <= 150 MB RSS.

Sections: ``chat_1kb`` / ``pii_dense_1kb`` latency per engine (the default
engine also without trigger gating); ``gating_ab``: the default engine with and
without gating, interleaved text by text (the fair comparison on a busy
machine); ``per_detector``: CPU us
per 1 KB prompt for each detector as the engine runs it (0 when its triggers
did not fire) and the share of prompts it ran on; ``bulk_*``: one 4 MB text;
``jsonl``: ``ramparts scan --jsonl``'s code path on 1 KB chat lines, in process
(CPU MB/s, one core) and with worker processes (wall MB/s).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running a script puts its folder first on sys.path, where bench/secrets.py would
# shadow the standard library's ``secrets``; drop that entry before other imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pathlib  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ramparts.detectors import business, pii  # noqa: E402
from ramparts.detectors.engine import Engine  # noqa: E402
from ramparts.detectors.registry import Registry, default_registry  # noqa: E402
from ramparts.detectors.scanning import default_workers, scan_jsonl  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pack(pieces: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = ""
        while len(text) < 1024:
            text += rng.choice(pieces) + " "
        out.append(text[:1024])
    return out


def prompts(data_dir: pathlib.Path, count: int) -> dict[str, list[str]]:
    """1 KB prompts: PII-dense (Presidio sentences) and ordinary chat/documents."""
    pii_path = data_dir / "pii" / "presidio_faker_en_seed42_3000_dev.jsonl"
    sentences = [json.loads(line)["full_text"] for line in pii_path.open(encoding="utf-8")]
    chat: list[str] = []
    for name in ("awesome_chatgpt_prompts.jsonl", "bipia_contexts_train.jsonl", "mt_bench.jsonl"):
        path = data_dir / "injection" / name
        chat.extend(json.loads(line)["text"] for line in path.open(encoding="utf-8"))
    return {"pii_dense": _pack(sentences, count, 7), "chat": _pack(chat, count, 8)}


def latency(engine: Engine, texts: list[str]) -> dict[str, float]:
    for text in texts[:50]:
        engine.scan(text)
    samples = []
    for text in texts:
        start = time.process_time()
        engine.scan(text)
        samples.append((time.process_time() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 4),
        "p99_ms": round(samples[int(len(samples) * 0.99) - 1], 4),
        "mean_ms": round(statistics.fmean(samples), 4),
    }


def gating_ab(gated: Engine, ungated: Engine, texts: list[str]) -> dict[str, float]:
    """Both engines on each text in turn (alternating which goes first), so load drift on a
    shared machine hits both alike; the saving is the median of the per-text differences."""
    for text in texts[:50]:
        gated.scan(text)
        ungated.scan(text)
    on: list[float] = []
    off: list[float] = []
    for index, text in enumerate(texts):
        order = ((gated, on), (ungated, off)) if index % 2 else ((ungated, off), (gated, on))
        for engine, samples in order:
            start = time.process_time()
            engine.scan(text)
            samples.append((time.process_time() - start) * 1000)
    saved = sorted(b - a for a, b in zip(on, off, strict=True))
    on.sort()
    off.sort()
    return {
        "gated_p50_ms": round(statistics.median(on), 4),
        "ungated_p50_ms": round(statistics.median(off), 4),
        "gated_p99_ms": round(on[int(len(on) * 0.99) - 1], 4),
        "ungated_p99_ms": round(off[int(len(off) * 0.99) - 1], 4),
        "median_saving_ms": round(statistics.median(saved), 4),
    }


def throughput(engine: Engine, text: str) -> float:
    """MB/s of CPU time (process time): steadier than wall time on a shared machine."""
    start = time.process_time()
    engine.scan(text)
    return len(text.encode("utf-8")) / (time.process_time() - start) / 1e6


def per_detector(engine: Engine, sets: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """CPU us per prompt for each detector (0 when skipped) and the share it ran on."""
    result: dict[str, dict[str, Any]] = {}
    for set_name, texts in sets.items():
        engine.detector_costs(texts[:50])  # warm caches
        costs = engine.detector_costs(texts)
        for name, cost in costs.items():
            row = result.setdefault(name, {})
            row[f"{set_name}_us"] = round(cost.seconds / len(texts) * 1e6, 1)
            row[f"{set_name}_ran"] = round(cost.runs / len(texts), 3)
    return dict(sorted(result.items(), key=lambda item: -item[1].get("pii_dense_us", 0.0)))


def jsonl_input(texts: list[str], size: int) -> bytes:
    lines = []
    total = 0
    while total < size:
        for number, text in enumerate(texts):
            line = json.dumps({"id": number, "text": text}).encode("utf-8") + b"\n"
            lines.append(line)
            total += len(line)
    return b"".join(lines)[:size].rsplit(b"\n", 1)[0] + b"\n"


def _make_engine() -> Engine:
    return Engine()


def jsonl_throughput(engine: Engine, data: bytes, workers: int) -> dict[str, float]:
    """``scan --jsonl`` on ``data``: CPU MB/s in process, and wall MB/s with workers."""
    start = time.process_time()
    scan_jsonl(engine, io.BytesIO(data), io.BytesIO())
    cpu = time.process_time() - start
    start = time.perf_counter()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    scan_jsonl(engine, io.BytesIO(data), io.BytesIO(), workers=workers, make_engine=_make_engine)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return {
        "mb": round(len(data) / 1e6, 1),
        "cpu_mb_s_one_core": round(len(data) / cpu / 1e6, 2),
        "workers": workers,
        "wall_mb_s_workers": round(len(data) / wall / 1e6, 2),
        "worker_cpu_mb_s_per_core": round(len(data) / max(child_cpu, 1e-9) / 1e6, 2),
    }


ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "digit_run": lambda n: "7" * n,
    "spaced_digits": lambda n: "1 " * (n // 2),
    "huge_token": lambda n: "a" * n,
    "at_signs": lambda n: "a@" * (n // 2),
    "capitalised_words": lambda n: "Abc " * (n // 4),
    "hex_colons": lambda n: "ab:" * (n // 3),
    "nested_brackets": lambda n: "[" * (n // 2) + "]" * (n // 2),
    "dots_digits": lambda n: "1." * (n // 2),
}


def adversarial(engine: Engine, small: int, factor: int) -> list[dict[str, Any]]:
    rows = []
    for name, make in ADVERSARIAL.items():
        times = []
        for size in (small, small * factor):
            text = make(size)
            start = time.perf_counter()
            engine.scan(text)
            times.append(time.perf_counter() - start)
        rows.append(
            {
                "input": name,
                "small_chars": small,
                "large_chars": small * factor,
                "small_ms": round(times[0] * 1000, 3),
                "large_ms": round(times[1] * 1000, 3),
                "ratio": round(times[1] / max(times[0], 1e-9), 1),
                "large_mb_s": round(small * factor / times[1] / 1e6, 2),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=pathlib.Path, default=pathlib.Path("../shared/data"))
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--workers", type=int, default=default_workers(), help="jsonl workers")
    args = parser.parse_args()
    base_rss = rss_mb()
    engines = {
        "all_input_detectors": Engine(),
        "all_input_ungated": Engine(gating=False),
        "pii_and_business": Engine(registry=Registry((*pii.DETECTORS, *business.DETECTORS))),
        "pii_only": Engine(registry=Registry(pii.DETECTORS)),
    }
    loaded_rss = rss_mb()
    sets = prompts(args.data_dir, 300 if args.quick else 2000)
    bulk = " ".join(sets["pii_dense"])
    while len(bulk) < 4_000_000:
        bulk += " " + bulk
    prose = ("The quarterly planning meeting moved to Thursday afternoon. " * 70000)[:4_000_000]
    result: dict[str, Any] = {
        "detectors": default_registry().names(),
        "active": engines["all_input_detectors"].detector_names,
        "rss_mb": {"before_engine": round(base_rss, 1), "engine_loaded": round(loaded_rss, 1)},
    }
    chat_bulk = " ".join(sets["chat"])
    while len(chat_bulk) < 4_000_000:
        chat_bulk += " " + chat_bulk
    for name, engine in engines.items():
        result[name] = {
            "chat_1kb": latency(engine, sets["chat"]),
            "pii_dense_1kb": latency(engine, sets["pii_dense"]),
        }
        if name == "all_input_ungated":
            continue  # latency only: how much gating saves
        result[name] |= {
            "bulk_chat_mb_s": round(throughput(engine, chat_bulk[:4_000_000]), 2),
            "bulk_pii_dense_mb_s": round(throughput(engine, bulk[:4_000_000]), 2),
            "bulk_prose_mb_s": round(throughput(engine, prose), 2),
        }
    default = engines["all_input_detectors"]
    result["gating_ab"] = {
        name: gating_ab(default, engines["all_input_ungated"], texts)
        for name, texts in sets.items()
    }
    result["per_detector"] = per_detector(default, sets)
    data = jsonl_input(sets["chat"], 1_000_000 if args.quick else 4_000_000)
    result["jsonl"] = jsonl_throughput(default, data, args.workers)
    result["adversarial"] = adversarial(default, 10_000, 100)
    result["rss_mb"]["after_runs"] = round(rss_mb(), 1)
    result["rss_mb"]["peak"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, indent=2))
    console = Console()
    table = Table(title="detection engine (1 KB prompts, ms; bulk MB/s)")
    columns = ("engine", "chat p50", "chat p99", "pii p50", "pii p99", "chat MB/s", "pii MB/s")
    for column in columns:
        table.add_column(column, no_wrap=True)
    for name in engines:
        row = result[name]
        table.add_row(
            name,
            str(row["chat_1kb"]["p50_ms"]),
            str(row["chat_1kb"]["p99_ms"]),
            str(row["pii_dense_1kb"]["p50_ms"]),
            str(row["pii_dense_1kb"]["p99_ms"]),
            str(row.get("bulk_chat_mb_s", "-")),
            str(row.get("bulk_pii_dense_mb_s", "-")),
        )
    console.print(table)
    detectors = Table(title="per detector, default engine (CPU us per 1 KB prompt; ran = share)")
    for column in ("detector", "chat us", "chat ran", "pii us", "pii ran"):
        detectors.add_column(column, no_wrap=True)
    for name, row in result["per_detector"].items():
        detectors.add_row(
            name,
            str(row["chat_us"]),
            f"{row['chat_ran']:.0%}",
            str(row["pii_dense_us"]),
            f"{row['pii_dense_ran']:.0%}",
        )
    console.print(detectors)
    for name, row in result["gating_ab"].items():
        console.print(
            f"gating A/B on {name}: p50 {row['ungated_p50_ms']} -> {row['gated_p50_ms']} ms,"
            f" p99 {row['ungated_p99_ms']} -> {row['gated_p99_ms']} ms,"
            f" median saving {row['median_saving_ms']} ms per prompt"
        )
    jsonl = result["jsonl"]
    console.print(
        f"scan --jsonl on {jsonl['mb']} MB of 1 KB chat lines: {jsonl['cpu_mb_s_one_core']} MB/s"
        f" on one core (CPU time); {jsonl['wall_mb_s_workers']} MB/s wall with"
        f" {jsonl['workers']} workers ({jsonl['worker_cpu_mb_s_per_core']} MB/s per worker core)"
    )
    adv = Table(title="adversarial inputs (100x larger)")
    for column in ("input", "small ms", "large ms", "ratio", "MB/s"):
        adv.add_column(column)
    for row in result["adversarial"]:
        adv.add_row(
            row["input"],
            str(row["small_ms"]),
            str(row["large_ms"]),
            str(row["ratio"]),
            str(row["large_mb_s"]),
        )
    console.print(adv)
    console.print(f"RSS: {result['rss_mb']}")


if __name__ == "__main__":
    main()
