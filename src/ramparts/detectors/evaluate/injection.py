"""Measure the ``prompt_injection`` detector on ``shared/data/injection``, per source.

Sources are scored with the full detector (normalisation, rules and model).
Rows whose deduplicated text also appears in the model's training sources are
dropped from held-out sources, so held-out numbers never see training text.

Most sources hold one class only, so per-source metrics use a shared benign
reference: the pooled held-out benign rows (``tensortrust_defenses``,
``mt_bench``), except BIPIA attacks, which are measured against the same BIPIA
documents without the injection. For an attack source, recall@1%FPR uses
the score threshold that flags 1% of that pool, and ROC AUC ranks the source's
attacks against the pool. Harmful rows (no injection framing) are reported as a
flag rate only: they are neither positives nor negatives.

``evaluate(..., scorer=...)`` measures another scorer (a candidate tier, such
as the sentence-embedding experiment of ``training/injection``) with exactly
the same protocol, given the sources it was trained on.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ramparts.detectors.base import ScanContext
from ramparts.detectors.injection.dataset import Example, dedup_key, load_examples
from ramparts.detectors.injection.detector import PromptInjectionDetector
from ramparts.detectors.injection.model import InjectionModel, load_model
from ramparts.errors import ConfigError

TRIGGER_WORDS = re.compile(
    r"\bignore\b|system prompt|\bact as\b|\binstructions?\b|\bpretend\b|\bjailbreak|"
    r"\bpassword\b|\bdisregard\b|\brole-?play\b|\boverride\b",
    re.IGNORECASE,
)


# The real origin of each source's text; everything else is a user prompt.
ORIGINS = {
    "bipia_attacks_train": "document",
    "bipia_contexts_train": "document",
}


# Attack sources with their own benign counterpart (same documents, no injection).
PAIRED_NEGATIVES = {"bipia_attacks_train": "bipia_contexts_train"}

# A calibrated attack score for ``(text, origin)``.
Scorer = Callable[[str, str], float]


def _score(detector: PromptInjectionDetector, text: str, origin: str, rules: bool) -> float:
    return detector.assess(text, ScanContext(origin=origin, options={"rules": rules})).score


def roc_auc(positives: list[float], negatives: list[float]) -> float | None:
    """Probability that a random positive outscores a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        average_rank = (i + j + 1) / 2
        rank_sum += average_rank * sum(label for _, label in ranked[i:j])
        i = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def threshold_for_fpr(negatives: list[float], fpr: float) -> float:
    """Smallest score threshold that flags at most ``fpr`` of ``negatives``."""
    ordered = sorted(negatives, reverse=True)
    allowed = math.floor(fpr * len(ordered))
    return ordered[allowed] + 1e-9 if allowed < len(ordered) else 0.0


def _rate(scores: Iterable[float], threshold: float) -> float | None:
    values = list(scores)
    return round(sum(s >= threshold for s in values) / len(values), 4) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def evaluate(
    data_dir: Path,
    *,
    rules: bool = True,
    model: InjectionModel | None = None,
    scorer: Scorer | None = None,
    trained_on: set[str] | None = None,
    threshold: float | None = None,
) -> dict[str, Any]:
    """Per-source precision, recall, recall@1%FPR and ROC AUC, plus benign FPR.

    ``data_dir`` is ``shared/data`` or its ``injection`` folder; ``model``
    defaults to the shipped one (training scripts pass a candidate). With
    ``scorer`` (and the ``trained_on`` sources it learnt from, and its
    ``threshold``), that scorer is measured instead of the detector.
    """
    if (data_dir / "injection").is_dir():
        data_dir = data_dir / "injection"
    if not any(data_dir.glob("*.jsonl")):
        raise ConfigError(
            f"injection data set not found: no {data_dir / 'injection'} folder and no "
            f"*.jsonl files in {data_dir}; pass --data-dir pointing at shared/data"
        )
    model = model or load_model()
    detector = PromptInjectionDetector(model)
    if threshold is None:
        threshold = float(model.thresholds.get("default", 0.5))
    trained = {Path(entry["file"]).stem for entry in model.meta["trained_on"]}
    if scorer is not None:
        trained = set(trained_on or ())
    score: Scorer = scorer or (lambda text, origin: _score(detector, text, origin, rules))
    stems = sorted(path.stem for path in data_dir.glob("*.jsonl"))
    training_keys = {dedup_key(e.text) for e in load_examples(data_dir, sorted(trained))}
    started = time.perf_counter()
    scored: dict[str, list[tuple[Example, float]]] = {}
    for stem in stems:
        examples = load_examples(data_dir, [stem])
        if stem not in trained:
            examples = [e for e in examples if dedup_key(e.text) not in training_keys]
        origin = ORIGINS.get(stem, "user")
        scored[stem] = [(e, score(e.text, origin)) for e in examples]
    reference = [
        s
        for stem, rows in scored.items()
        if stem not in trained
        for e, s in rows
        if e.original_label == "benign"
    ]
    at_1pct = threshold_for_fpr(reference, 0.01)
    rows_out = []
    for stem, rows in scored.items():
        own = PAIRED_NEGATIVES.get(stem)
        negatives = [s for _, s in scored.get(own, [])] if own else reference
        cut = threshold_for_fpr(negatives, 0.01) if own else at_1pct
        rows_out.append(_source_row(stem, rows, stem not in trained, negatives, threshold, cut))
    held_pos = [
        s for stem, rows in scored.items() if stem not in trained for e, s in rows if e.label == 1
    ]
    by_reference = {
        stem: {
            "n": len(negatives),
            "recall_at_1pct_fpr": _rate(held_pos, threshold_for_fpr(negatives, 0.01)),
            "roc_auc": _round(roc_auc(held_pos, negatives)),
        }
        for stem, rows in scored.items()
        if stem not in trained
        for negatives in [[s for e, s in rows if e.original_label == "benign"]]
        if negatives
    }
    trigger_by_source = {
        stem: _rate(hits, threshold)
        for stem, rows in scored.items()
        for hits in [
            [s for e, s in rows if e.original_label == "benign" and TRIGGER_WORDS.search(e.text)]
        ]
        if hits
    }
    trigger_benign = [
        s
        for stem, rows in scored.items()
        for e, s in rows
        if e.original_label == "benign" and TRIGGER_WORDS.search(e.text)
    ]
    trigger_benign_held = [
        s
        for stem, rows in scored.items()
        if stem not in trained
        for e, s in rows
        if e.original_label == "benign" and TRIGGER_WORDS.search(e.text)
    ]
    total = sum(len(rows) for rows in scored.values())
    return {
        "dataset": "injection",
        "detector": detector.name if scorer is None else "custom scorer",
        "rules": rules,
        "threshold": threshold,
        "threshold_at_1pct_fpr_on_held_out_benign": round(at_1pct, 4),
        "rows": rows_out,
        "held_out": {
            "attacks": len(held_pos),
            "benign": len(reference),
            "recall_at_threshold": _rate(held_pos, threshold),
            "recall_at_1pct_fpr": _rate(held_pos, at_1pct),
            "fpr_at_threshold": _rate(reference, threshold),
            "roc_auc": _round(roc_auc(held_pos, reference)),
            "by_benign_reference": by_reference,
        },
        "trigger_word_benign": {
            "description": "benign rows containing ignore/system prompt/act as/instructions/...",
            "n_all": len(trigger_benign),
            "fpr_all": _rate(trigger_benign, threshold),
            "n_held_out": len(trigger_benign_held),
            "fpr_held_out": _rate(trigger_benign_held, threshold),
            "fpr_by_source": trigger_by_source,
        },
        # How the detector treats origin=system; not defined for another scorer.
        "system_origin_fpr": _system_origin_fpr(detector, data_dir) if scorer is None else None,
        "trained_on": sorted(trained),
        "seconds": round(time.perf_counter() - started, 2),
        "texts_scored": total,
    }


def _system_origin_fpr(detector: PromptInjectionDetector, data_dir: Path) -> dict[str, Any]:
    """tensortrust_defenses are system prompts: what the detector does with them by default."""
    examples = load_examples(data_dir, ["tensortrust_defenses"])
    context = ScanContext(origin="system")
    flagged = sum(
        any(f.kind != "invisible_text" for f in detector.scan(e.text, context)) for e in examples
    )
    return {
        "source": "tensortrust_defenses",
        "n": len(examples),
        "fpr": round(flagged / len(examples), 4) if examples else None,
        "note": "origin=system skips the model and rules unless scan_system is set",
    }


def _source_row(
    stem: str,
    rows: list[tuple[Example, float]],
    held_out: bool,
    reference: list[float],
    threshold: float,
    at_1pct: float,
) -> dict[str, Any]:
    positives = [s for e, s in rows if e.label == 1]
    benign = [s for e, s in rows if e.original_label == "benign"]
    harmful = [s for e, s in rows if e.original_label == "harmful"]
    row: dict[str, Any] = {
        "source": stem,
        "held_out": held_out,
        "n": len(rows),
        "attacks": len(positives),
        "benign": len(benign),
        "harmful": len(harmful),
    }
    if positives:
        negatives = benign or reference
        true_pos = sum(s >= threshold for s in positives)
        false_pos = sum(s >= threshold for s in negatives)
        row["recall"] = _rate(positives, threshold)
        row["precision"] = round(true_pos / (true_pos + false_pos), 4) if true_pos else 0.0
        row["recall_at_1pct_fpr"] = _rate(positives, at_1pct)
        row["roc_auc"] = _round(roc_auc(positives, negatives))
    if benign:
        row["fpr"] = _rate(benign, threshold)
    if harmful:
        row["harmful_flag_rate"] = _rate(harmful, threshold)
    return row


def main() -> None:
    """``python -m ramparts.detectors.evaluate.injection [DATA_DIR]``: print the JSON report."""
    import json
    import sys

    default = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "injection"
    data_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(json.dumps(evaluate(data_dir), indent=2))


if __name__ == "__main__":
    main()
