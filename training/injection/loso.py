"""Leave-one-source-out measurement of a training recipe (dev only: needs scikit-learn).

    .venv/bin/python training/injection/loso.py [recipe flags of train.py] [--json]

For every "train OK" source (the two BIPIA files count as one source: their
attacks are planted in their documents), a model is trained with the recipe on
all the other train-OK sources plus the supplement, and that source is scored
with the full detector (rules and model). Every row is therefore scored by a
model that never saw its source, the way the shipped model meets text from a
source it was not trained on. Rows whose deduplicated text also occurs in that
fold's training rows are dropped.

Pooled over the folds:
- attacks against benign rows, recall at the threshold that flags 1% of the
  pooled out-of-fold benign rows, and ROC AUC, per source and pooled;
- false positives at the threshold on benign rows with trigger words;
- the measure-only Tensor Trust sets, scored by a model trained on every
  train-OK source (as shipped), against the same out-of-fold benign pool.
Harmful rows (no injection framing) are reported as a flag rate only.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from ramparts.detectors.base import ScanContext
from ramparts.detectors.evaluate.injection import (
    ORIGINS,
    TRIGGER_WORDS,
    roc_auc,
    threshold_for_fpr,
)
from ramparts.detectors.injection.dataset import MEASURE_ONLY, Example, dedup_key, load_examples
from ramparts.detectors.injection.detector import PromptInjectionDetector
from ramparts.detectors.injection.model import InjectionModel

sys.path.insert(0, str(Path(__file__).parent))
from train import balance_group, fit_payload, recipe_parser, with_supplement

Scored = list[tuple[Example, float]]


def fold_of(source: str) -> str:
    return balance_group(source)


def score_rows(payload: dict[str, Any], examples: list[Example]) -> Scored:
    detector = PromptInjectionDetector(InjectionModel(payload))
    scored = []
    for example in examples:
        context = ScanContext(origin=ORIGINS.get(example.source, "user"), options={"rules": True})
        scored.append((example, detector.assess(example.text, context).score))
    return scored


def out_of_fold(data_dir: Path, args: argparse.Namespace, log: bool) -> Scored:
    stems = sorted(p.stem for p in data_dir.glob("*.jsonl") if p.stem not in MEASURE_ONLY)
    folds: dict[str, list[str]] = defaultdict(list)
    for stem in stems:
        folds[fold_of(stem)].append(stem)
    scored: Scored = []
    for fold, members in sorted(folds.items()):
        started = time.perf_counter()
        training = with_supplement(
            load_examples(data_dir, [s for s in stems if s not in members]),
            args.supplement,
            args.code_supplement,
        )
        seen = {dedup_key(e.text) for e in training}
        held = [e for e in load_examples(data_dir, members) if dedup_key(e.text) not in seen]
        scored += score_rows(fit_payload(training, args), held)
        if log:
            print(
                f"fold {fold}: {len(held)} rows, {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
    return scored


def _rate(scores: list[float], threshold: float) -> float | None:
    return round(sum(s >= threshold for s in scores) / len(scores), 4) if scores else None


def _auc(positives: list[float], negatives: list[float]) -> float | None:
    value = roc_auc(positives, negatives)
    return None if value is None else round(value, 4)


def report(scored: Scored, measure_only: Scored, threshold: float) -> dict[str, Any]:
    benign = [s for e, s in scored if e.original_label == "benign"]
    attacks = [s for e, s in scored if e.label == 1]
    cut = threshold_for_fpr(benign, 0.01)
    by_source: dict[str, Scored] = defaultdict(list)
    for example, score in scored + measure_only:
        by_source[example.source].append((example, score))
    rows = []
    for source, items in sorted(by_source.items()):
        positives = [s for e, s in items if e.label == 1]
        negatives = [s for e, s in items if e.original_label == "benign"]
        harmful = [s for e, s in items if e.original_label == "harmful"]
        row: dict[str, Any] = {"source": source, "measure_only": source in MEASURE_ONLY}
        if positives:
            row |= {
                "attacks": len(positives),
                "recall_at_threshold": _rate(positives, threshold),
                "recall_at_1pct_fpr": _rate(positives, cut),
                "roc_auc": _auc(positives, benign),
            }
        if negatives:
            row |= {"benign": len(negatives), "fpr_at_threshold": _rate(negatives, threshold)}
            row["fpr_at_1pct_cut"] = _rate(negatives, cut)
        if harmful:
            row |= {"harmful": len(harmful), "harmful_flag_rate": _rate(harmful, threshold)}
        rows.append(row)
    trigger = [
        s for e, s in scored if e.original_label == "benign" and TRIGGER_WORDS.search(e.text)
    ]
    return {
        "protocol": "leave one train-OK source out; every row scored by a model that never "
        "saw its source; benign pool = out-of-fold benign rows of every train-OK source",
        "threshold": threshold,
        "pooled": {
            "attacks": len(attacks),
            "benign": len(benign),
            "threshold_at_1pct_fpr": round(cut, 4),
            "recall_at_1pct_fpr": _rate(attacks, cut),
            "recall_at_threshold": _rate(attacks, threshold),
            "fpr_at_threshold": _rate(benign, threshold),
            "roc_auc": _auc(attacks, benign),
        },
        "trigger_word_benign": {"n": len(trigger), "fpr_at_threshold": _rate(trigger, threshold)},
        "rows": rows,
    }


def print_table(result: dict[str, Any]) -> None:
    pooled, trigger = result["pooled"], result["trigger_word_benign"]
    print(
        f"pooled: {pooled['attacks']} attacks vs {pooled['benign']} benign; recall@1%FPR "
        f"{pooled['recall_at_1pct_fpr']} (cut {pooled['threshold_at_1pct_fpr']}), recall@"
        f"{result['threshold']} {pooled['recall_at_threshold']}, FPR@{result['threshold']} "
        f"{pooled['fpr_at_threshold']}, AUC {pooled['roc_auc']}; trigger-word benign FPR "
        f"{trigger['fpr_at_threshold']} (n={trigger['n']})"
    )
    header = ("source", "atk", "rec@t", "rec@1%", "auc", "ben", "fpr@t", "fpr@1%", "harm@t")
    print("{:<30} {:>5} {:>6} {:>6} {:>6} {:>5} {:>6} {:>6} {:>6}".format(*header))
    for row in result["rows"]:
        name = row["source"] + (" (measure only)" if row["measure_only"] else "")
        cells = [
            row.get(k, "")
            for k in (
                "attacks",
                "recall_at_threshold",
                "recall_at_1pct_fpr",
                "roc_auc",
                "benign",
                "fpr_at_threshold",
                "fpr_at_1pct_cut",
                "harmful_flag_rate",
            )
        ]
        print("{:<30} {:>5} {:>6} {:>6} {:>6} {:>5} {:>6} {:>6} {:>6}".format(name, *cells))


def main(argv: list[str] | None = None) -> int:
    parser = recipe_parser(__doc__)
    parser.add_argument("--json", action="store_true", help="print the JSON report")
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    scored = out_of_fold(data_dir, args, log=not args.json)
    everything = with_supplement(
        load_examples(
            data_dir, sorted(p.stem for p in data_dir.glob("*.jsonl") if p.stem not in MEASURE_ONLY)
        ),
        args.supplement,
        args.code_supplement,
    )
    seen = {dedup_key(e.text) for e in everything}
    measured = [
        e for e in load_examples(data_dir, sorted(MEASURE_ONLY)) if dedup_key(e.text) not in seen
    ]
    measure_only = score_rows(fit_payload(everything, args), measured)
    result = report(scored, measure_only, 0.5)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
