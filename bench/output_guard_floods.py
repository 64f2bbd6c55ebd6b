"""Output guard benchmark: CPU time on answers a prompt-injected model may write.

Each answer is checked whole (``Engine.scan`` and the guard's verdict) and streamed in
8-char deltas through ``StreamOutputGuard``, as the gateway does. Floods (a unit
repeated to 25, 50 and 100 KB; linear cost doubles with the size) and a link-heavy
markdown answer of 20 KB (links to allowlisted and other hosts, images, reference
definitions, autolinks, code spans). CPU time (``time.process_time``), median of
--repeat runs; compare two versions of the code in turn on a busy machine.

    python bench/output_guard_floods.py [--repeat 3] [--only escaped_label,realistic]

Prints one JSON line per measurement, then a table.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from ramparts.policy.book import CompiledPolicy, compile_policy
from ramparts.policy.guard import StreamOutputGuard, output_violations
from ramparts.policy.model import parse_policy

FLOOD_POLICY = "guards:\n  output: {window_tokens: 16, allowed_domains: [python.org]}\n"
LINKS_POLICY = (
    "guards:\n  output: {window_tokens: 64,"
    " allowed_domains: [python.org, github.com, readthedocs.io]}\n"
)
FLOODS = {
    "escaped_label": "\\[",  # each "[" opens a label that runs on to its limit
    "hosted_dest": "](https://x/",  # each an image (its label may start 600 chars back)
    "bracket_paren": "[](",
    "bang_label": "![a](",
    "link_bracket": "[a](x[",
    "allowed_link": "[a](https://python.org/x) ",
}


def link_heavy(size: int, seed: int = 7) -> str:
    """Markdown of ``size`` chars, dense with links the guard lets through."""
    rnd = random.Random(seed)
    allowed = ["docs.python.org/3/library", "github.com/psf/requests", "pip.readthedocs.io/en"]
    other = ["en.wikipedia.org/wiki", "stackoverflow.com/questions", "developer.mozilla.org/en"]
    words = ["the", "module", "reads", "a", "file", "and", "returns", "its", "lines", "so"]
    parts = ["# Answer\n\nHere is a summary with references.\n\n"]
    n = 0
    while sum(map(len, parts)) < size:
        n += 1
        prose = " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 20)))
        host = rnd.choice(allowed if n % 2 else other)
        parts.append(
            [
                f"- [{prose[:30]}](https://{host}/page{n}.html) {prose}\n",
                f"{prose} ([source](https://{host}/p{n}#sec)). ",
                f"![diagram {n}](https://docs.python.org/3/_images/fig{n}.png)\n\n",
                f"{prose} [ref {n}][r{n}].\n\n[r{n}]: https://{host}/ref{n}\n\n",
                f"`code [{n}]` and {prose} <https://{host}/auto{n}>\n",
                f"1. **{prose[:20]}**: see [the docs](https://{host}/x?id={n}).\n",
                f"{prose}. {prose}\n\n",
            ][n % 7]
        )
    return "".join(parts)[:size]


def compiled(policy: str) -> CompiledPolicy:
    result = compile_policy(parse_policy(policy), "bench", 1, b"k" * 32)
    assert result.output_engine is not None
    assert result.policy is not None
    return result


def whole(policy: CompiledPolicy, text: str) -> bool:
    assert policy.output_engine is not None
    assert policy.policy is not None
    findings = policy.output_engine.scan(text, origin="assistant")
    return bool(output_violations(findings, [], policy.policy.guards.output))


def streamed(policy: CompiledPolicy, text: str, delta: int = 8) -> bool:
    assert policy.output_engine is not None
    assert policy.policy is not None
    guard = StreamOutputGuard(policy.output_engine, policy.policy.guards.output, [])
    for at in range(0, len(text), delta):
        guard.feed(text[at : at + delta])
        if guard.violations:
            return True
    guard.finish()
    return bool(guard.violations)


def cpu(run: Callable[[], bool], repeat: int) -> tuple[float, bool]:
    times, blocked = [], False
    for _ in range(repeat):
        started = time.process_time()
        blocked = run()
        times.append(time.process_time() - started)
    return statistics.median(times), blocked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated case names")
    parser.add_argument("--sizes", default="25,50,100", help="flood sizes in KB")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    flood_policy, links_policy = compiled(FLOOD_POLICY), compiled(LINKS_POLICY)
    whole(flood_policy, "warm up ![a](https://x.example/p) [b]: https://y/ <img src=x>")
    cases = [
        (name, kb, unit * (kb * 1000 // len(unit)), flood_policy)
        for name, unit in FLOODS.items()
        for kb in map(int, args.sizes.split(","))
    ]
    cases.append(("link_heavy", 20, link_heavy(20_000), links_policy))
    table = Table("answer", "KB", "whole s", "streamed s", "blocked")
    for name, kb, text, policy in cases:
        if only and name not in only:
            continue
        row: dict[str, object] = {"case": name, "kb": kb}
        for mode, check in (("whole", whole), ("streamed", streamed)):
            seconds, blocked = cpu(functools.partial(check, policy, text), args.repeat)
            row[f"{mode}_cpu_s"] = round(seconds, 3)
            row["blocked"] = blocked
        print(json.dumps(row), flush=True)
        table.add_row(
            name, str(kb), str(row["whole_cpu_s"]), str(row["streamed_cpu_s"]), str(row["blocked"])
        )
    Console().print(table)


if __name__ == "__main__":
    main()
