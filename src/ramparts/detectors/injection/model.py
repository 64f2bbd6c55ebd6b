"""The shipped injection classifier: a linear model over word n-grams, pure Python.

Weights are a ``{ngram: weight}`` table (gzip JSON under ``model/``);
inference is a dict lookup per token and bigram: no numpy, no scikit-learn.
A window's logit is ``bias + sum(weights) / sqrt(distinct ngrams)`` (binary
features scaled to unit length, as in training); Platt scaling turns it into a calibrated
probability.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from ramparts.detectors.injection.features import WINDOW, windows
from ramparts.errors import DetectorError

MODEL_FILE = "injection_model.json.gz"
FORMAT = "ramparts-injection-linear/1"
LONG_TEXT_TOKENS = 16 * WINDOW


@dataclass(frozen=True, slots=True)
class WindowScore:
    """The best-scoring token window of a text and its calibrated probability."""

    probability: float
    logit: float
    start: int
    end: int


class InjectionModel:
    """Calibrated linear scorer; load once with :func:`load_model`.

    At load, n-gram strings become tuples of token ids packed into ints, so
    scoring hashes each token once and never builds bigram strings.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        if payload.get("format") != FORMAT:
            raise DetectorError(
                f"injection model has format {payload.get('format')!r}, expected {FORMAT!r}: "
                "rebuild it with training/injection/train.py"
            )
        weights: dict[str, float] = payload["weights"]
        self.size = len(weights)
        self.bias = float(payload["bias"])
        self.platt_a = float(payload["calibration"]["a"])
        self.platt_b = float(payload["calibration"]["b"])
        self.thresholds: dict[str, float] = payload["thresholds"]
        self.meta: dict[str, Any] = payload["meta"]
        self.order = int(payload.get("ngram_order", 2))
        self._token_id: dict[str, int] = {}
        # One table per n-gram length: key = ids packed _SHIFT bits apart.
        self._tables: tuple[dict[int, float], ...] = tuple({} for _ in range(self.order))
        for gram, weight in weights.items():
            ids = [self._token_id.setdefault(part, len(self._token_id)) for part in gram.split(" ")]
            self._tables[len(ids) - 1][_pack(ids)] = weight

    def calibrate(self, logit: float) -> float:
        z = self.platt_a * logit + self.platt_b
        if z < -40.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def score(self, tokens: list[str]) -> WindowScore:
        """Score every window of ``tokens`` and keep the most suspicious one."""
        # Overlapping windows catch an injection cut by a window edge; on bulk
        # documents, adjacent windows halve the cost.
        stride = WINDOW // 2 if len(tokens) <= LONG_TEXT_TOKENS else WINDOW
        logit, start, end = self._best(tokens, stride=stride)
        return WindowScore(self.calibrate(logit), logit, start, end)

    def _ids(self, tokens: list[str]) -> list[int]:
        """Token ids; unknown tokens get fresh ids above the vocabulary (distinct per string)."""
        get = self._token_id.get
        ids = [get(token, -1) for token in tokens]
        if -1 in ids:
            unknown: dict[str, int] = {}
            base = len(self._token_id)
            ids = [
                i if i >= 0 else unknown.setdefault(t, base + len(unknown))
                for i, t in zip(ids, tokens, strict=True)
            ]
        return ids

    def _best(self, tokens: list[str], stride: int) -> tuple[float, int, int]:
        if not tokens:
            return self.bias, 0, 0
        ids = self._ids(tokens)
        # grams[n][i] is the (n+1)-gram starting at token i.
        grams = [ids]
        if self.order >= 2:
            grams.append([a << _SHIFT | b for a, b in pairwise(ids)])
        if self.order >= 3:
            grams.append([g << _SHIFT | c for g, c in zip(grams[1], ids[2:], strict=False)])
        best = (-math.inf, 0, 0)
        for start, end in windows(len(tokens), stride):
            total = 0.0
            count = 0
            for n, (table, keys) in enumerate(zip(self._tables, grams, strict=True)):
                distinct = set(keys[start : end - n])
                count += len(distinct)
                total += sum(map(table.__getitem__, filter(table.__contains__, distinct)))
            logit = self.bias + total / math.sqrt(count)
            if logit > best[0]:
                best = (logit, start, end)
        return best


_SHIFT = 32


def _pack(ids: list[int]) -> int:
    key = 0
    for token_id in ids:
        key = key << _SHIFT | token_id
    return key


def read_payload() -> dict[str, Any]:
    """The raw model file (weights, calibration, thresholds, training manifest)."""
    source = resources.files("ramparts.detectors.injection").joinpath("model", MODEL_FILE)
    try:
        with source.open("rb") as handle:
            data: dict[str, Any] = json.loads(gzip.decompress(handle.read()))
    except FileNotFoundError:
        raise DetectorError(
            f"injection model file model/{MODEL_FILE} is missing from the package: "
            "rebuild it with training/injection/train.py"
        ) from None
    return data


@cache
def load_model() -> InjectionModel:
    """The shipped model, loaded once per process."""
    return InjectionModel(read_payload())
