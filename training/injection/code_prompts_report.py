"""Score the developer-prompt sets: how many benign code prompts are flagged or blocked.

Sets: the benign and attack prompts of ``tests/detectors/test_injection_code_prompts.py``
and the held-back benign prompts of ``heldback_code_prompts.json`` (reported only).
Prints JSON, then a table.

    .venv/bin/python training/injection/code_prompts_report.py [--model FILE.json.gz] [--rows]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from ramparts.detectors.base import ScanContext
from ramparts.detectors.injection import PromptInjectionDetector
from ramparts.detectors.injection.model import InjectionModel, load_model

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEST_FILE = ROOT / "tests" / "detectors" / "test_injection_code_prompts.py"
HELD_BACK = HERE / "heldback_code_prompts.json"
FLAG, BLOCK = 0.5, 0.8  # the detector's default threshold; the gateway's default block


def _test_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("injection_code_prompts", TEST_FILE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prompt_sets() -> dict[str, list[str]]:
    """``benign``, ``attacks`` (from the test file) and ``held_back`` (from the JSON file)."""
    module = _test_module()
    held_back: list[str] = json.loads(HELD_BACK.read_text(encoding="utf-8"))["prompts"]
    return {
        "benign": list(module.BENIGN_CODE_PROMPTS),
        "attacks": list(module.CODE_ATTACKS),
        "held_back": held_back,
    }


def summarise(scores: list[float]) -> dict[str, Any]:
    return {
        "n": len(scores),
        "at_or_above_0.5": sum(score >= FLAG for score in scores),
        "at_or_above_0.8": sum(score >= BLOCK for score in scores),
        "max": round(max(scores), 3),
        "median": round(sorted(scores)[len(scores) // 2], 3),
    }


def report(model: InjectionModel, with_rows: bool) -> dict[str, Any]:
    detector = PromptInjectionDetector(model)
    result: dict[str, Any] = {}
    for name, prompts in prompt_sets().items():
        scores = [detector.assess(text, ScanContext()).score for text in prompts]
        result[name] = summarise(scores)
        if with_rows and name != "held_back":  # held back: counts only, never inspected
            result[name]["rows"] = [
                {"score": round(score, 3), "text": text[:70]}
                for score, text in zip(scores, prompts, strict=True)
            ]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a candidate model file (default: shipped)")
    parser.add_argument(
        "--rows", action="store_true", help="also list the score of every tested prompt"
    )
    args = parser.parse_args(argv)
    if args.model:
        model = InjectionModel(json.loads(gzip.decompress(args.model.read_bytes())))
    else:
        model = load_model()
    result = report(model, args.rows)
    json.dump(result, sys.stdout, indent=1)
    print("\n\nset        n  >=0.5  >=0.8   max  median")
    for name, row in result.items():
        print(
            f"{name:<9} {row['n']:>3} {row['at_or_above_0.5']:>6} {row['at_or_above_0.8']:>6}"
            f" {row['max']:>5} {row['median']:>7}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
