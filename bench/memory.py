"""Memory benchmark: resident memory of the loaded engine, per input size, over many scans.

Run: .venv/bin/python bench/memory.py [--data-dir ../shared/data] [--quick]

Prints one JSON object and rich tables. Every measurement runs in a fresh
process, so one input's peak cannot hide another's. Target (issue 3): the
loaded engine, model included, <= 150 MB RSS, and flat on inputs of any size.

Sections:

- ``engine_scan``: ``Engine().scan`` of one text (ordinary chat text, and
  PII-dense Presidio sentences) of 10 KB to 16 MB. ``loaded_mb`` is VmRSS
  after ``Engine().warm_up()``; the text is then built and the peak (VmHWM) is
  reset, so ``scan_peak_mb`` is what the scan itself adds at its peak, over the
  loaded engine and the text (VmHWM after the scan, minus VmRSS before it).
  ``py_peak_mb`` is tracemalloc's peak of Python allocations during the scan
  (a separate run, up to 4 MB: tracing costs time and memory), ``py_kept_mb``
  what the scan leaves allocated (its findings).
- ``creep``: many distinct 1 KB scans in one process (chat, PII-dense, and
  adversarial texts of ever new words and numbers): VmRSS after each block of
  scans. A cache keyed by prompt words would grow here.
- ``cli``: ``ramparts scan --format json`` on a 50 MB file and ``ramparts scan
  --jsonl`` (one worker) on 50 MB of 1 KB lines: the child's peak RSS (from
  ``wait4``), against the same commands on 5 MB.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running a script puts its folder first on sys.path, where bench/secrets.py would
# shadow the standard library's ``secrets``; drop that entry before other imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any  # noqa: E402

KB = 1000
MB = 1000 * 1000
SIZES = (10 * KB, 100 * KB, 1 * MB, 4 * MB, 16 * MB)
QUICK_SIZES = (10 * KB, 1 * MB, 4 * MB)
TRACED_UP_TO = 4 * MB  # tracemalloc makes a scan several times slower
CLI_SIZES = (5 * MB, 50 * MB)
QUICK_CLI_SIZES = (2 * MB, 20 * MB)
SECTIONS = ("engine", "creep", "cli")
KINDS = ("chat", "pii_dense")


def status_mb(field: str) -> float:
    """A ``/proc/self/status`` field (``VmRSS``, ``VmHWM``) in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Reset VmHWM to the current VmRSS (Linux: writing 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")


def pieces(data_dir: Path, kind: str) -> list[str]:
    """The texts ``kind`` is made of (as bench/detectors.py's ``prompts``)."""
    if kind == "pii_dense":
        path = data_dir / "pii" / "presidio_faker_en_seed42_3000_dev.jsonl"
        return [json.loads(line)["full_text"] for line in path.open(encoding="utf-8")]
    chat: list[str] = []
    for name in ("awesome_chatgpt_prompts.jsonl", "bipia_contexts_train.jsonl", "mt_bench.jsonl"):
        path = data_dir / "injection" / name
        chat.extend(json.loads(line)["text"] for line in path.open(encoding="utf-8"))
    return chat


def text_of(source: list[str], size: int, seed: int) -> str:
    """Random pieces of ``source`` joined to ``size`` characters."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        part = rng.choice(source)
        parts.append(part)
        total += len(part) + 1
    return " ".join(parts)[:size]


# --- children: one measurement each, in a fresh process -------------------------


def child_engine(data_dir: Path, kind: str, size: int, traced: bool) -> dict[str, Any]:
    from ramparts.detectors.engine import Engine

    started = status_mb("VmRSS")
    engine = Engine()
    engine.warm_up()
    loaded = status_mb("VmRSS")
    text = text_of(pieces(data_dir, kind), size, seed=size)
    gc.collect()
    result: dict[str, Any] = {"start_mb": started, "loaded_mb": loaded}
    if traced:
        tracemalloc.start()
        traced_from = tracemalloc.get_traced_memory()[0]
        findings = engine.scan(text)
        kept, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return result | {
            "py_peak_mb": (peak - traced_from) / MB,
            "py_kept_mb": (kept - traced_from) / MB,
            "findings": len(findings),
        }
    reset_peak()
    before = status_mb("VmRSS")
    cpu = time.process_time()
    findings = engine.scan(text)
    cpu = time.process_time() - cpu
    return result | {
        "text_mb": before - loaded,
        "scan_peak_mb": status_mb("VmHWM") - before,
        "after_mb": status_mb("VmRSS"),
        "findings": len(findings),
        "cpu_s": cpu,
    }


def _adversarial_text(rng: random.Random) -> str:
    """1 KB of words, names, numbers and addresses never seen before."""
    words: list[str] = []
    while sum(map(len, words)) < 1000:
        choice = rng.randrange(6)
        token = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 12)))
        if choice == 0:
            words.append(token.capitalize())
        elif choice == 1:
            words.append(
                f"+{rng.randint(1, 999)} {rng.randint(100, 999)} {rng.randint(10**6, 10**7)}"
            )
        elif choice == 2:
            words.append(f"{token}@{token[::-1]}.example")
        elif choice == 3:
            words.append(f"in {token.capitalize()} {token[:4].capitalize()}")
        elif choice == 4:
            words.append(f"{rng.randint(1, 9999)} {token.capitalize()} Street")
        else:
            words.append(token)
    return " ".join(words)[:1024]


def child_creep(data_dir: Path, count: int, blocks: int) -> dict[str, Any]:
    from ramparts.detectors.engine import Engine

    engine = Engine()
    engine.warm_up()
    gc.collect()
    loaded = status_mb("VmRSS")
    rng = random.Random(1)
    sources = {kind: pieces(data_dir, kind) for kind in KINDS}
    series: dict[str, list[float]] = {}
    for name in (*KINDS, "new_words"):
        points: list[float] = []
        for _ in range(blocks):
            for index in range(count // blocks):
                if name == "new_words":
                    text = _adversarial_text(rng)
                else:
                    text = text_of(sources[name], 1024, seed=rng.randrange(1 << 30) + index)
                engine.scan(text)
            gc.collect()
            points.append(round(status_mb("VmRSS"), 1))
        series[name] = points
    return {"loaded_mb": loaded, "scans_per_series": count, "rss_mb": series}


# --- the parent -----------------------------------------------------------------


def run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    row: dict[str, Any] = json.loads(done.stdout)
    return row


def peak_of(command: list[str], stdin_path: str | None) -> tuple[float, float, int]:
    """(peak RSS MB, wall seconds, exit code) of a command, output discarded.

    The peak is the child's VmHWM, polled while it runs: ``wait4``'s ``ru_maxrss``
    would count the parent too (a vfork'ed child's high-water mark at ``exec`` is
    its parent's).
    """
    peak = 0.0
    with open(stdin_path or os.devnull, "rb") as stdin:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL)
        status = f"/proc/{process.pid}/status"
        while process.poll() is None:
            try:
                with open(status, encoding="ascii") as lines:
                    for line in lines:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:  # exited between poll() and open()
                pass
            time.sleep(0.05)
        wall = time.perf_counter() - started
    return peak, wall, process.returncode


def write_inputs(folder: Path, source: list[str], size: int) -> tuple[Path, Path]:
    """A text file and a JSON-lines file of 1 KB texts, each of ``size`` bytes or so,
    written piece by piece (a whole-file string would inflate this process)."""
    plain = folder / f"text_{size}.txt"
    rng = random.Random(3)
    with plain.open("w", encoding="utf-8") as out:
        for _ in range(0, size, MB):
            out.write(text_of(source, MB, rng.randrange(1 << 30)) + "\n")
    lines = folder / f"lines_{size}.jsonl"
    with lines.open("w", encoding="utf-8") as out:
        written = number = 0
        while written < size:
            item = {"id": number, "text": text_of(source, 1024, rng.randrange(1 << 30))}
            line = json.dumps(item)
            out.write(line + "\n")
            written += len(line) + 1
            number += 1
    return plain, lines


def cli_rows(data_dir: Path, sizes: tuple[int, ...], folder: Path) -> list[dict[str, Any]]:
    ramparts = str(Path(sys.executable).with_name("ramparts"))
    source = pieces(data_dir, "chat") + pieces(data_dir, "pii_dense")
    rows = []
    for size in sizes:
        plain, lines = write_inputs(folder, source, size)
        for name, command, stdin in (
            ("scan --format json", [ramparts, "scan", "--format", "json", str(plain)], None),
            ("scan --jsonl", [ramparts, "scan", "--jsonl", "--workers", "1"], str(lines)),
        ):
            peak, wall, code = peak_of(command, stdin)
            rows.append(
                {
                    "command": name,
                    "mb": round(size / MB),
                    "peak_rss_mb": round(peak, 1),
                    "wall_s": round(wall, 1),
                    "exit": code,
                }
            )
        plain.unlink()
        lines.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--quick", action="store_true", help="fewer sizes and scans")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--child", choices=("engine", "creep"), help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=KINDS, default="chat", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    if args.child == "engine":
        print(json.dumps(child_engine(data_dir, args.kind, args.size, args.traced)))
        return
    if args.child == "creep":
        print(json.dumps(child_creep(data_dir, args.count, 10)))
        return
    report(data_dir, args.quick, args.sections.split(","))


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        key: round(value, 2) if isinstance(value, float) else value for key, value in row.items()
    }


def report(data_dir: Path, quick: bool, sections: list[str]) -> None:
    base = ["--data-dir", str(data_dir)]
    result: dict[str, Any] = {}
    if "engine" in sections:
        scans: list[dict[str, Any]] = []
        for kind in KINDS:
            for size in QUICK_SIZES if quick else SIZES:
                common = [*base, "--child", "engine", "--kind", kind, "--size", str(size)]
                row = run_child(common)
                if size <= TRACED_UP_TO:
                    row |= run_child([*common, "--traced"])
                scans.append({"kind": kind, "chars": size} | _rounded(row))
        result["loaded_mb"] = max(row["loaded_mb"] for row in scans)
        result["engine_scan"] = scans
    if "creep" in sections:
        count = 2000 if quick else 20000
        result["creep"] = run_child([*base, "--child", "creep", "--count", str(count)])
    if "cli" in sections:
        with tempfile.TemporaryDirectory() as folder:
            sizes = QUICK_CLI_SIZES if quick else CLI_SIZES
            result["cli"] = cli_rows(data_dir, sizes, Path(folder))
    print(json.dumps(result, indent=2))
    print_tables(result)


def print_tables(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if "engine_scan" in result:
        table = Table(title="Engine().scan of one text, a fresh process each (MB)")
        columns = ("kind", "size", "loaded RSS", "scan peak +", "py peak", "py kept", "findings")
        for column in columns:
            table.add_column(column, no_wrap=True)
        for row in result["engine_scan"]:
            table.add_row(
                row["kind"],
                f"{row['chars'] / MB:g} MB",
                str(row["loaded_mb"]),
                str(row["scan_peak_mb"]),
                str(row.get("py_peak_mb", "-")),
                str(row.get("py_kept_mb", "-")),
                str(row["findings"]),
            )
        console.print(table)
    if "creep" in result:
        creep = result["creep"]
        table = Table(title=f"VmRSS over {creep['scans_per_series']} distinct 1 KB scans (MB)")
        for column in ("texts", "loaded", "after each tenth"):
            table.add_column(column)
        for name, points in creep["rss_mb"].items():
            table.add_row(name, str(round(creep["loaded_mb"], 1)), " ".join(map(str, points)))
        console.print(table)
    if "cli" in result:
        table = Table(title="CLI peak RSS (VmHWM of the child, MB)")
        for column in ("command", "input MB", "peak RSS", "wall s", "exit"):
            table.add_column(column)
        for row in result["cli"]:
            table.add_row(
                row["command"],
                str(row["mb"]),
                str(row["peak_rss_mb"]),
                str(row["wall_s"]),
                str(row["exit"]),
            )
        console.print(table)


if __name__ == "__main__":
    main()
