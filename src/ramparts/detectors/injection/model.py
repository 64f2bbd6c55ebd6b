"""The shipped injection classifier: a linear model over word n-grams, pure Python.

Weights are a ``{ngram: weight}`` table (gzip JSON under ``model/``);
inference is a dict lookup per token and bigram: no numpy, no scikit-learn.
A window's logit is ``bias + sum(weights) / sqrt(max(distinct ngrams, min_norm))``
(binary features scaled to unit length, as in training; ``min_norm`` keeps a
three-word text from having huge feature values); Platt scaling turns it into a
calibrated probability. A text with fewer than ``evidence.min_ngrams`` distinct
n-grams carries little evidence, so its calibrated log-odds are shrunk toward
a benign prior in proportion to how short it is: "Hello, Claude" cannot reach
a blocking score on two or three lucky n-grams.

The weights are added with ``math.fsum`` (the exact sum, rounded once), so a
score does not depend on the order of a set (hash order, which changes from
one process to the next) and the compiled kernel (``ramparts.detectors.native``,
when built) gives bit-identical scores.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import chain, pairwise
from typing import TYPE_CHECKING, Any

from ramparts.detectors import native
from ramparts.detectors.injection.features import ONE_WINDOW, WINDOW, windows
from ramparts.errors import DetectorError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ramparts.detectors._native import NgramWeights

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
    ngrams: int = 0  # distinct n-grams in the window: how much evidence the score rests on


class InjectionModel:
    """Calibrated linear scorer; load once with :func:`load_model`.

    Weights are kept per n-gram length, keyed by the token itself or a tuple of
    tokens, so scoring is a few C-level set and dict operations per window: no
    n-gram strings are built and unknown n-grams cost one failed lookup. With
    ``use_native`` (the default) and the compiled kernels present, a bigram model
    scores windows in C from its own copy of the tables (same results).
    """

    def __init__(self, payload: dict[str, Any], use_native: bool = True) -> None:
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
        self.min_norm = int(payload.get("min_norm", 1))
        evidence: dict[str, float] = payload.get("evidence", {})
        self.min_ngrams = int(evidence.get("min_ngrams", 0))
        prior = float(evidence.get("prior", 0.5))
        self.prior_log_odds = math.log(prior / (1.0 - prior))
        self._unigrams: dict[str, float] = {}
        self._longer: tuple[dict[tuple[str, ...], float], ...] = tuple(
            {} for _ in range(self.order - 1)
        )
        intern: dict[str, str] = {}  # one string object per token across the tables
        for gram, weight in weights.items():
            if not weight:
                continue  # zero weights would be dropped by the filter(None, ...) sums
            parts = tuple(intern.setdefault(part, part) for part in gram.split(" "))
            if len(parts) == 1:
                self._unigrams[parts[0]] = weight
            else:
                self._longer[len(parts) - 2][parts] = weight
        self._native = self._native_tables() if use_native else None

    def _native_tables(self) -> NgramWeights | None:
        """The compiled copy of the tables, for a bigram model of finite weights."""
        if native.ngram_weights is None or self.order != 2:
            return None
        bigrams: dict[Any, float] = self._longer[0]
        try:
            return native.ngram_weights(self._unigrams, bigrams)
        except (ValueError, OverflowError):  # non-finite weights: the Python code copes
            return None

    @property
    def uses_native(self) -> bool:
        """Whether windows are scored by the compiled kernel."""
        return self._native is not None

    def calibrate(self, logit: float, ngrams: int | None = None) -> float:
        """Calibrated probability; with ``ngrams`` given, short texts shrink toward the prior."""
        z = self.platt_a * logit + self.platt_b
        if ngrams is not None and ngrams < self.min_ngrams:
            z = self.prior_log_odds + (z - self.prior_log_odds) * ngrams / self.min_ngrams
        if z < -40.0:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def score(self, tokens: list[str], vocabulary: set[str] | None = None) -> WindowScore:
        """Score every window of ``tokens`` and keep the most suspicious one.

        ``vocabulary`` may pass ``set(tokens)`` when the caller has built it already.
        """
        # Overlapping windows catch an injection cut by a window edge; on bulk
        # documents, adjacent windows halve the cost.
        stride = WINDOW // 2 if len(tokens) <= LONG_TEXT_TOKENS else WINDOW
        logit, count, start, end = self._best(tokens, stride, vocabulary)
        return WindowScore(self.calibrate(logit, count), logit, start, end, count)

    def window_logit(
        self, tokens: list[str], unigrams: set[str] | None = None
    ) -> tuple[float, int]:
        """Logit of one window of tokens and its number of distinct n-grams.

        ``unigrams`` may pass ``set(tokens)`` when the caller has built it already.
        """
        total, count = self._weights(tokens, 0, len(tokens), unigrams)
        return self._logit(total, count), count

    def _logit(self, total: float, count: int) -> float:
        return self.bias + total / math.sqrt(max(count, self.min_norm))

    def _weights(
        self, tokens: list[str], start: int, end: int, unigrams: set[str] | None = None
    ) -> tuple[float, int]:
        """Summed weights and number of the distinct n-grams of ``tokens[start:end]``."""
        if self._native is not None:
            try:
                return self._native.window(tokens, start, end)
            except TypeError:  # not a list of str: the reference below takes any tokens
                pass
        whole = start == 0 and end == len(tokens)  # a prompt-sized text: no copy
        return self.weights_python(tokens if whole else tokens[start:end], unigrams)

    def weights_python(
        self, tokens: list[str], unigrams: set[str] | None = None
    ) -> tuple[float, int]:
        """:meth:`_weights` of a whole list in pure Python: the reference."""
        if unigrams is None:
            unigrams = set(tokens)
        weights: Iterable[float | None] = map(self._unigrams.get, unigrams)
        count = len(unigrams)
        if self._longer:
            grams: set[tuple[str, ...]] = set(pairwise(tokens))
            weights = chain(weights, map(self._longer[0].get, grams))
            count += len(grams)
        if len(self._longer) > 1:
            grams = set(zip(tokens, tokens[1:], tokens[2:], strict=False))
            weights = chain(weights, map(self._longer[1].get, grams))
            count += len(grams)
        return math.fsum(filter(None, weights)), count

    def _best(
        self, tokens: list[str], stride: int, vocabulary: set[str] | None
    ) -> tuple[float, int, int, int]:
        if not tokens:
            return self.bias, 0, 0, 0
        if len(tokens) <= ONE_WINDOW:  # a prompt-sized text: one window, no copy
            logit, count = self.window_logit(tokens, vocabulary)
            return logit, count, 0, len(tokens)
        best = (-math.inf, 0, 0, 0)
        spans = windows(len(tokens), stride)
        for start, end in spans:
            total, count = self._weights(tokens, start, end)
            logit = self._logit(total, count)
            if logit > best[0]:
                best = (logit, count, start, end)
        return best


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
