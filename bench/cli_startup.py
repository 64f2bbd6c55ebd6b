"""Start-up cost of the ``ramparts`` command: CPU time per command, median of N runs.

Run: .venv/bin/python bench/cli_startup.py [--runs 5] [--against /tmp/old/src]

Each command runs as a fresh process (as in pre-commit hooks and CI); its CPU
time (user + system, from the child's resource usage) is steadier than wall
time on a shared machine. ``--against`` also runs another source tree (e.g. the
previous commit's ``src`` from ``git archive``), interleaved run by run, for an
A/B comparison. Prints one JSON object and a rich table.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Running a script puts its folder first on sys.path, where bench/secrets.py would
# shadow the standard library's ``secrets``; drop that entry before other imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

POLICY = """\
rules:
  - id: block-credentials
    match: {families: [secrets]}
    action: block
"""
BASELINE = "python -c pass"
# Runs the CLI's entry point, so an old source tree on PYTHONPATH is measured
# without its own console script.
ENTRY = "import sys; from ramparts.cli.main import main; sys.argv[0] = 'ramparts'; main()"


def commands(workdir: Path) -> dict[str, tuple[list[str], bytes]]:
    """Name -> (arguments, stdin) of the commands measured."""
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    sample = workdir / "notes.txt"
    sample.write_text("Call me at alice@example.com tomorrow.\n" * 20, encoding="utf-8")
    return {
        BASELINE: ([], b""),
        "--version": (["--version"], b""),
        "--help": (["--help"], b""),
        "scan --help": (["scan", "--help"], b""),
        "scan - (hello)": (["scan", "-"], b"hello\n"),
        "scan file": (["scan", str(sample)], b""),
        "policy lint": (["policy", "lint", str(policy)], b""),
        "tenants list": (["tenants", "list", "--json"], b""),
    }


def cpu_seconds(argv: list[str], stdin: bytes, env: dict[str, str], cwd: Path) -> float:
    """CPU (user + system) of one run of ``argv``, from its own resource usage."""
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    assert process.stdin is not None
    try:
        process.stdin.write(stdin)
        process.stdin.close()
    except BrokenPipeError:  # the command exited without reading its input
        pass
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def measure(runs: int, trees: dict[str, str | None]) -> dict[str, dict[str, dict[str, float]]]:
    """Tree label -> command -> median/min/max CPU seconds; runs interleaved across both."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = {**os.environ, "RAMPARTS_DATA_DIR": str(workdir / "data"), "COLUMNS": "120"}
        for name in ("RAMPARTS_DATABASE_URL", "RAMPARTS_CONFIG", "PYTHONPATH"):
            env.pop(name, None)
        envs = {
            label: env | ({"PYTHONPATH": path} if path else {}) for label, path in trees.items()
        }
        cases = commands(workdir)
        times: dict[str, dict[str, list[float]]] = {
            label: {name: [] for name in cases} for label in trees
        }
        # Interleaved, so a busy moment on the machine spreads over every command and tree.
        for _ in range(runs):
            for name, (args, stdin) in cases.items():
                argv = [sys.executable, "-c", "pass" if name == BASELINE else ENTRY, *args]
                for label in trees:
                    times[label][name].append(cpu_seconds(argv, stdin, envs[label], workdir))
    return {
        label: {
            name: {
                "median_s": round(statistics.median(samples), 3),
                "min_s": round(min(samples), 3),
                "max_s": round(max(samples), 3),
            }
            for name, samples in by_command.items()
        }
        for label, by_command in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument(
        "--against", metavar="SRC", help="also run this source tree (PYTHONPATH), interleaved"
    )
    args = parser.parse_args()
    trees: dict[str, str | None] = {"current": None}
    if args.against:
        trees["against"] = args.against
    result = {"runs": args.runs, "against": args.against, "cpu": measure(args.runs, trees)}
    print(json.dumps(result, indent=2))
    table = Table(title=f"ramparts start-up, CPU s (median of {args.runs})")
    table.add_column("command", no_wrap=True)
    for label in trees:
        table.add_column(label, justify="right", no_wrap=True)
    if args.against:
        table.add_column("against / current", justify="right", no_wrap=True)
    for name in result["cpu"]["current"]:
        medians = [result["cpu"][label][name]["median_s"] for label in trees]
        cells = [name, *(f"{median:.3f}" for median in medians)]
        if args.against:
            cells.append(f"{medians[1] / max(medians[0], 1e-9):.1f}x")
        table.add_row(*cells)
    Console(stderr=True).print(table)


if __name__ == "__main__":
    main()
