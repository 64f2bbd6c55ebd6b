"""Train the shipped prompt-injection model (dev only: needs scikit-learn).

    .venv/bin/python training/injection/train.py            # rebuild model + manifest
    .venv/bin/python training/injection/train.py --check    # verify data matches manifest

Deterministic: same data files (checked by sha256 against manifest.json), same
model. Only "train OK" sources that are not held out are used (see
``ramparts.detectors.injection.dataset``). 20% of training rows (stable hash of
the deduplicated text) are kept aside to calibrate scores and pick thresholds.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from ramparts.detectors.injection.dataset import (
    AMBIGUOUS_HARMFUL,
    HELD_OUT,
    MEASURE_ONLY,
    Example,
    dedup_key,
    load_examples,
    sha256_file,
    split_bucket,
)
from ramparts.detectors.injection.features import WINDOW, ngrams, prepare, windows
from ramparts.detectors.injection.model import FORMAT, MODEL_FILE, InjectionModel

sys.path.insert(0, str(Path(__file__).parent))
from supplement import CODE_SOURCE as CODE_SUPPLEMENT
from supplement import SOURCE as SUPPLEMENT
from supplement import benign_supplement, code_supplement

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "injection"
DEFAULT_MODEL = ROOT / "src" / "ramparts" / "detectors" / "injection" / "model" / MODEL_FILE
DEFAULT_MANIFEST = Path(__file__).with_name("manifest.json")
CALIBRATION_BUCKETS = 2  # of 10: 20% of training rows
STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "this",
        "that",
        "these",
        "those",
        "i",
        "me",
        "my",
        "we",
        "our",
    ]
)
_LONE_PUNCT = re.compile(r"[^\w\s]")
DEDUP_RULE = "casefold + collapse whitespace; first row wins, an attack replaces a non-attack"


def window_rows(tokens: list[str], order: int) -> list[set[str]]:
    """The distinct n-grams of each training window (non-overlapping windows)."""
    return [set(ngrams(tokens[a:b], order)) for a, b in windows(len(tokens), WINDOW)]


def balance_group(source: str) -> str:
    """BIPIA attacks are planted in BIPIA documents: balance the pair as one source."""
    return "bipia" if source.startswith("bipia_") else source


def featurize(
    examples: list[Example],
    vocabulary: dict[str, int] | None,
    min_df: int,
    harmful_weight: float = 1.0,
    order: int = 2,
    min_sources: int = 1,
    balance_sources: bool = False,
    min_norm: int = 1,
    supplement_weight: float = 1.0,
    drop_punct: bool = False,
    drop_stopwords: bool = False,
    code_supplement_weight: float = 1.0,
) -> tuple[csr_matrix, np.ndarray, np.ndarray, dict[str, int]]:
    rows: list[set[str]] = []
    labels: list[int] = []
    weights: list[float] = []
    row_sources: list[str] = []
    per_source = Counter(balance_group(example.source) for example in examples)
    mean_size = len(examples) / max(1, len(per_source))
    for example in examples:
        parts = window_rows(prepare(example.text).tokens, order) or [set()]
        weight = harmful_weight if example.original_label == "harmful" else 1.0
        if example.source == SUPPLEMENT:
            weight *= supplement_weight
        elif example.source == CODE_SUPPLEMENT:
            weight *= code_supplement_weight
        if balance_sources:  # every source weighs the same in total
            size = per_source[balance_group(example.source)]
            weight *= mean_size / size
        for part in parts:
            rows.append(part)
            labels.append(example.label)
            row_sources.append(example.source)
            weights.append(weight / len(parts))  # a long document counts once in total
    if vocabulary is None:
        frequency: Counter[str] = Counter()
        for row in rows:
            frequency.update(row)
        keep = {g for g, n in frequency.items() if n >= min_df}
        if drop_punct:  # a lone comma or colon is a source's style, not an attack
            keep = {g for g in keep if not _LONE_PUNCT.fullmatch(g)}
        if drop_stopwords:  # "the" alone said more about a source's style than its intent
            keep -= STOPWORDS
        if min_sources > 1:  # n-grams seen in one source only are that source's style
            seen_in: dict[str, set[str]] = {}
            for row, source in zip(rows, row_sources, strict=True):
                for gram in row & keep:
                    seen_in.setdefault(gram, set()).add(source)
            keep = {g for g, sources in seen_in.items() if len(sources) >= min_sources}
        vocabulary = {gram: i for i, gram in enumerate(sorted(keep))}
    indptr, indices, values = [0], [], []
    for row in rows:
        scale = 1.0 / math.sqrt(max(len(row), min_norm)) if row else 0.0
        for gram in row:
            column = vocabulary.get(gram)
            if column is not None:
                indices.append(column)
                values.append(scale)
        indptr.append(len(indices))
    matrix = csr_matrix((values, indices, indptr), shape=(len(rows), len(vocabulary)))
    return matrix, np.array(labels), np.array(weights), vocabulary


def fit_platt(logits: list[float], labels: list[int]) -> tuple[float, float]:
    platt = LogisticRegression(C=1e4, max_iter=1000)
    platt.fit(np.array(logits).reshape(-1, 1), np.array(labels))
    return float(platt.coef_[0][0]), float(platt.intercept_[0])


def threshold_at_fpr(probabilities: list[float], labels: list[int], fpr: float) -> float:
    benign = sorted((p for p, y in zip(probabilities, labels, strict=True) if y == 0), reverse=True)
    allowed = math.floor(fpr * len(benign))
    return round(min(0.999, benign[allowed] + 1e-6), 4) if benign else 0.5


def file_manifest(data_dir: Path, train_sources: set[str]) -> list[dict[str, Any]]:
    """Every data file with its sha256, row count and role in this model."""
    entries = []
    for path in sorted(data_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            count = sum(1 for line in handle if line.strip())
        role = (
            "measure_only"
            if path.stem in MEASURE_ONLY
            else "train"
            if path.stem in train_sources
            else "held_out"
        )
        entries.append(
            {"file": path.name, "sha256": sha256_file(path), "rows": count, "role": role}
        )
    return entries


def check_manifest(data_dir: Path, manifest_path: Path) -> list[str]:
    manifest = json.loads(manifest_path.read_text())
    problems = []
    for entry in manifest["files"]:
        path = data_dir / entry["file"]
        if not path.exists():
            problems.append(f"{entry['file']}: missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{entry['file']}: sha256 differs from manifest")
    return problems


def with_supplement(examples: list[Example], enabled: bool, code: bool = True) -> list[Example]:
    """``examples`` plus the project-authored benign rows they do not already hold.

    The developer prompts (``supplement_code.py``) count as their own source, so
    their weight can be set apart (``--code-supplement-weight``).
    """
    if not enabled:
        return examples
    seen = {dedup_key(e.text) for e in examples}
    developer = set(code_supplement()) if code else set()
    return examples + [
        Example(text, 0, CODE_SUPPLEMENT if text in developer else SUPPLEMENT, "benign")
        for text in benign_supplement(code_prompts=code)
        if dedup_key(text) not in seen
    ]


def fit_payload(examples: list[Example], args: argparse.Namespace) -> dict[str, Any]:
    """Fit, calibrate and pick thresholds: the model payload without its ``meta``.

    20% of ``examples`` (stable hash of the dedup key) are kept out of fitting to
    calibrate; the thresholds come from the calibrated scores as the detector sees them.
    """
    calibration = [e for e in examples if split_bucket(dedup_key(e.text)) < CALIBRATION_BUCKETS]
    fitting = [e for e in examples if split_bucket(dedup_key(e.text)) >= CALIBRATION_BUCKETS]
    matrix, labels, sample_weight, vocabulary = featurize(
        fitting,
        None,
        args.min_df,
        args.harmful_weight,
        args.order,
        args.min_sources,
        args.balance_sources,
        args.min_norm,
        args.supplement_weight,
        args.drop_punct,
        args.drop_stopwords,
        args.code_supplement_weight,
    )
    classifier = LogisticRegression(
        C=args.C, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=0
    )
    classifier.fit(matrix, labels, sample_weight=sample_weight)
    coefficients = classifier.coef_[0]
    order = np.argsort(-np.abs(coefficients))[: args.max_features]
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    weights = {
        names[i]: round(float(coefficients[i]), 4) for i in order if abs(coefficients[i]) >= 1e-4
    }
    payload: dict[str, Any] = {
        "format": FORMAT,
        "ngram_order": args.order,
        "min_norm": args.min_norm,
        "bias": round(float(classifier.intercept_[0]), 6),
        "weights": dict(sorted(weights.items())),
        "calibration": {"a": 1.0, "b": 0.0},
        "thresholds": {},
        "meta": {
            "trained_on": [],
            "examples": {"fit": len(fitting), "calibration": len(calibration)},
        },
    }
    model = InjectionModel(payload)
    cal_scores = [model.score(prepare(e.text).tokens) for e in calibration]
    cal_labels = [e.label for e in calibration]
    a, b = fit_platt([s.logit for s in cal_scores], cal_labels)
    payload["calibration"] = {"a": round(a, 6), "b": round(b, 6), "method": "platt"}
    payload["evidence"] = {"min_ngrams": args.evidence_ngrams, "prior": args.evidence_prior}
    model = InjectionModel(payload)  # thresholds come from the scores the detector will see
    probabilities = [model.calibrate(s.logit, s.ngrams) for s in cal_scores]
    payload["thresholds"] = {
        "default": 0.5,
        "strict_1pct_fpr": threshold_at_fpr(probabilities, cal_labels, 0.01),
        "lenient_5pct_fpr": threshold_at_fpr(probabilities, cal_labels, 0.05),
    }
    return payload


def train_sources_of(data_dir: Path, held_out_flag: str | None) -> tuple[set[str], set[str]]:
    """(training sources, held-out sources) for a ``--held-out`` value."""
    stems = {path.stem for path in data_dir.glob("*.jsonl")}
    held_out = set(held_out_flag.split(",")) - {""} if held_out_flag is not None else set(HELD_OUT)
    return stems - MEASURE_ONLY - held_out, held_out


def train(args: argparse.Namespace) -> dict[str, Any]:
    data_dir: Path = args.data_dir
    train_sources, held_out = train_sources_of(data_dir, args.held_out)
    examples = with_supplement(
        load_examples(data_dir, sorted(train_sources)), args.supplement, args.code_supplement
    )
    supplement = benign_supplement(code_prompts=args.code_supplement) if args.supplement else []
    supplement_record = {
        "source": f"training/injection/supplement.py ({SUPPLEMENT}"
        + (f"; supplement_code.py, {CODE_SUPPLEMENT})" if args.code_supplement else ")"),
        "rows": len(supplement),
        "sha256": hashlib.sha256("\n".join(supplement).encode()).hexdigest(),
    }
    payload = fit_payload(examples, args)
    fit_counts = payload["meta"]["examples"]
    files = file_manifest(data_dir, train_sources)
    used = Counter(e.source for e in examples)
    payload["meta"] = {
        "trained_on": [
            {**entry, "examples_used": used.get(Path(entry["file"]).stem, 0)}
            for entry in files
            if entry["role"] == "train"
        ],
        "supplement": supplement_record,
        "held_out": sorted(held_out),
        "measure_only": sorted(MEASURE_ONLY),
        "dedup": DEDUP_RULE,
        "excluded_harmful_subsets": AMBIGUOUS_HARMFUL.pattern,
        "examples": fit_counts,
        "params": {
            "C": args.C,
            "min_df": args.min_df,
            "max_features": args.max_features,
            "harmful_weight": args.harmful_weight,
            "supplement": args.supplement,
            "ngram_order": args.order,
            "min_sources": args.min_sources,
            "balance_sources": args.balance_sources,
            "min_norm": args.min_norm,
            "supplement_weight": args.supplement_weight,
            "code_supplement": args.code_supplement,
            "code_supplement_weight": args.code_supplement_weight,
            "drop_punct": args.drop_punct,
            "drop_stopwords": args.drop_stopwords,
            "evidence": payload["evidence"],
        },
        "window_tokens": WINDOW,
    }
    args.model.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    args.model.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    manifest = {
        "data_dir": "../shared/data/injection",
        "dedup": DEDUP_RULE,
        "calibration_split": f"sha256(dedup key) bucket < {CALIBRATION_BUCKETS} of 10",
        "files": files,
        "supplement": supplement_record,
        "examples_used": dict(sorted(used.items())),
        "model_file": f"src/ramparts/detectors/injection/model/{MODEL_FILE}",
        "features_kept": len(payload["weights"]),
        "thresholds": payload["thresholds"],
        "calibration": payload["calibration"],
        "evidence": payload["evidence"],
    }
    args.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def recipe_parser(description: str | None) -> argparse.ArgumentParser:
    """The recipe's flags (shared with ``loso.py``, which measures a recipe)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--C", type=float, default=1.0)
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--max-features", type=int, default=25000)
    parser.add_argument("--order", type=int, default=2, choices=(1, 2, 3))
    parser.add_argument("--min-sources", type=int, default=1)
    parser.add_argument(
        "--balance-sources",
        action="store_true",
        help="give every source the same total weight (tried: no held-out gain)",
    )
    parser.add_argument("--harmful-weight", type=float, default=1.0)
    parser.add_argument(
        "--min-norm", type=int, default=16, help="feature scale 1/sqrt(max(n-grams, this))"
    )
    parser.add_argument(
        "--evidence-ngrams",
        type=int,
        default=16,
        help="texts with fewer distinct n-grams shrink toward --evidence-prior",
    )
    parser.add_argument("--evidence-prior", type=float, default=0.05)
    parser.add_argument("--supplement-weight", type=float, default=2.0)
    parser.add_argument(
        "--code-supplement-weight",
        type=float,
        default=2.0,
        help="weight of the developer prompts of supplement_code.py",
    )
    parser.add_argument(
        "--no-code-supplement",
        dest="code_supplement",
        action="store_false",
        help="skip the developer prompts of supplement_code.py",
    )
    parser.add_argument("--drop-punct", action="store_true", help="no lone-punctuation features")
    parser.add_argument("--drop-stopwords", action="store_true", help="no function-word unigrams")
    parser.add_argument(
        "--no-supplement", dest="supplement", action="store_false", help="skip supplement.py rows"
    )
    parser.add_argument("--held-out", help="comma-separated sources to hold out (experiments)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = recipe_parser(__doc__)
    parser.add_argument("--check", action="store_true", help="only verify data vs manifest")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_manifest(args.data_dir, args.manifest)
        print("\n".join(problems) or "data matches manifest")
        return 1 if problems else 0
    manifest = train(args)
    print(json.dumps({k: manifest[k] for k in ("examples_used", "features_kept", "thresholds")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
