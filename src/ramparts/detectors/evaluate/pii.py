"""Span-level precision, recall and F1 per entity type on the Presidio-format sets.

Four matchings are reported: ``overlap`` (a prediction counts when it
overlaps a gold span of the same entity; each gold span is used once),
``overlap_io`` (the same after joining spans of one entity that only
whitespace separates, as an IO tagging of whitespace tokens would: the
generator labels "4516 50 Point Walter Road" as two street-address spans,
building number and street, and presidio-evaluator's own span evaluation
rebuilds spans from IO tags), ``exact`` (same start and end) and ``token``
(presidio-evaluator style: each whitespace token is labelled by the gold and
the predicted span covering it).
The 3,000-row faker set is also split by template id: odd ids form the
``held_out_templates`` split, never looked at while tuning.
"""

from __future__ import annotations

import json
import pathlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ramparts.detectors import pii
from ramparts.detectors.engine import Engine
from ramparts.detectors.registry import Registry
from ramparts.errors import ConfigError

DATASETS = (
    "presidio_faker_en_seed42_3000_dev.jsonl",
    "synth_dataset_v2.json",
    "generated_large.json",
)
GOLD_ENTITIES = {
    "EMAIL_ADDRESS": "email",
    "PHONE_NUMBER": "phone",
    "CREDIT_CARD": "payment_card",
    "IBAN_CODE": "iban",
    "US_SSN": "us_ssn",
    "IP_ADDRESS": "ip_address",
    "STREET_ADDRESS": "street_address",
    "ADDRESS": "street_address",
    "PERSON": "person",
    "GPE": "location",
    "LOCATION": "location",
}
PREDICTED_KINDS = {"ipv4": "ip_address", "ipv6": "ip_address"}
ENTITIES = tuple(dict.fromkeys(GOLD_ENTITIES.values()))

Span = tuple[int, int, str]
_TOKEN = re.compile(r"\S+")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def row(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "support": self.tp + self.fn,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }


def load_rows(path: pathlib.Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ConfigError(
            f"PII data set not found at {path}; pass --data-dir pointing at shared/data"
        )
    if path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, list):
        raise ConfigError(f"{path}: expected a JSON list of rows")
    return loaded


def gold_spans(row: dict[str, Any]) -> list[Span]:
    return [
        (span["start_position"], span["end_position"], GOLD_ENTITIES[span["entity_type"]])
        for span in row.get("spans", [])
        if span["entity_type"] in GOLD_ENTITIES
    ]


def predicted_spans(engine: Engine, text: str) -> list[Span]:
    spans = []
    for finding in engine.scan(text):
        entity = PREDICTED_KINDS.get(finding.kind, finding.kind)
        if entity in ENTITIES:
            spans.append((finding.start, finding.end, entity))
    return spans


def join_adjacent(text: str, spans: list[Span]) -> list[Span]:
    """Spans of one entity separated only by whitespace, joined into one."""
    joined: list[Span] = []
    for span in sorted(spans):
        last = joined[-1] if joined else None
        if (
            last is not None
            and last[2] == span[2]
            and last[1] <= span[0]
            and not text[last[1] : span[0]].strip()
        ):
            joined[-1] = (last[0], max(last[1], span[1]), last[2])
        else:
            joined.append(span)
    return joined


def _matches(gold: Span, predicted: Span, mode: str) -> bool:
    if gold[2] != predicted[2]:
        return False
    if mode == "exact":
        return gold[:2] == predicted[:2]
    return gold[0] < predicted[1] and predicted[0] < gold[1]


def score(pairs: Iterable[tuple[list[Span], list[Span]]], mode: str) -> dict[str, Counts]:
    """Count true/false positives and negatives per entity over (gold, predicted) pairs."""
    counts: dict[str, Counts] = defaultdict(Counts)
    for gold, predicted in pairs:
        unused = list(gold)
        for span in predicted:
            hit = next((g for g in unused if _matches(g, span, mode)), None)
            if hit is None:
                counts[span[2]].fp += 1
            else:
                unused.remove(hit)
                counts[span[2]].tp += 1
        for span in unused:
            counts[span[2]].fn += 1
    return counts


def score_tokens(triples: Iterable[tuple[str, list[Span], list[Span]]]) -> dict[str, Counts]:
    """Token-level counts: a token takes the entity of the span that covers it."""
    counts: dict[str, Counts] = defaultdict(Counts)
    for text, gold, predicted in triples:
        for token in _TOKEN.finditer(text):
            truth = _label(gold, token.start(), token.end())
            guess = _label(predicted, token.start(), token.end())
            if truth and truth == guess:
                counts[truth].tp += 1
                continue
            if truth:
                counts[truth].fn += 1
            if guess:
                counts[guess].fp += 1
    return counts


def _label(spans: list[Span], start: int, end: int) -> str | None:
    return next((span[2] for span in spans if span[0] < end and start < span[1]), None)


def _splits(name: str, rows: list[dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    yield "all", rows
    if name.startswith("presidio_faker"):
        yield "held_out_templates", [r for r in rows if int(r.get("template_id", 0)) % 2 == 1]


def pii_engine() -> Engine:
    """The personal-data detectors alone, with default thresholds."""
    return Engine(registry=Registry(pii.DETECTORS))


def evaluate(data_dir: pathlib.Path) -> dict[str, Any]:
    engine = pii_engine()
    rows: list[dict[str, Any]] = []
    for name in DATASETS:
        data = load_rows(data_dir / "pii" / name)
        predictions = {id(row): predicted_spans(engine, row["full_text"]) for row in data}
        for split, subset in _splits(name, data):
            pairs = [(gold_spans(row), predictions[id(row)]) for row in subset]
            triples = [(row["full_text"], *pair) for row, pair in zip(subset, pairs, strict=True)]
            joined = [
                (join_adjacent(text, gold), join_adjacent(text, predicted))
                for text, gold, predicted in triples
            ]
            for mode in ("overlap", "overlap_io", "exact", "token"):
                if mode == "token":
                    counts = score_tokens(triples)
                elif mode == "overlap_io":
                    counts = score(joined, "overlap")
                else:
                    counts = score(pairs, mode)
                for entity in ENTITIES:
                    rows.append(
                        {"set": name, "split": split, "match": mode, "entity": entity}
                        | counts[entity].row()
                    )
    return {
        "dataset": "pii",
        "rows": rows,
        "matching": "overlap: same entity and overlapping span; overlap_io: the same after"
        " joining spans of one entity separated only by whitespace (IO tagging);"
        " exact: same start and end;"
        " token: whitespace tokens labelled by covering spans (presidio-evaluator style)",
        "detectors": sorted(cls.name for cls in pii.DETECTORS),
    }
