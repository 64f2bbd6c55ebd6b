"""The model's view of a text: one function shared by training and inference.

Training (``training/injection/train.py``) and the detector both call
:func:`prepare`, so the features the model was fitted on are exactly the ones
it sees at run time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from ramparts.detectors import native
from ramparts.detectors.encoded import MIN_RUN, blanked
from ramparts.detectors.injection.decode import BASE64_MASK, Decoded, decode_segments
from ramparts.detectors.injection.normalize import Normalized, normalize

# Words, and short runs of punctuation (delimiters such as "###", "<|", "]]"):
# the tokens of TOKENS_PATTERN. _FAST_TOKEN finds the same tokens faster: it starts
# with one class (a token's first character, then the rest of the word or up to
# two more marks), so re skips whitespace without trying two branches at every
# position; and listing the ASCII word characters before \w spares the Unicode
# database look-ups for them in non-ASCII text (tests compare the patterns).
TOKENS_PATTERN = r"\w+|[^\w\s]{1,3}"
_WORD = r"[0-9A-Za-z_\w]"
_MARK = r"[^0-9A-Za-z_\w\s]"
_FAST_TOKEN = rf"\S(?:(?<={_WORD}){_WORD}*|(?<!{_WORD}){_MARK}{{0,2}})"
_TOKEN = re.compile(_FAST_TOKEN)
_TOKEN_ASCII = re.compile(_FAST_TOKEN, re.ASCII)  # same tokens, faster on ASCII
# Scoring window in tokens: long documents are scored piecewise so one
# injected paragraph is not diluted by pages of benign text.
WINDOW = 256
ONE_WINDOW = WINDOW + WINDOW // 2  # up to this many tokens, one window: a 1 KB prompt
_LONG_RUN = b"a" * MIN_RUN  # in BASE64_MASK: a run long enough to be an encoded blob


@dataclass(slots=True)
class Prepared:
    """A text ready to score: the view the rules and the model read, and its tokens.

    ``view`` is the normalised text followed by any decoded payloads;
    ``vocabulary`` is ``set(tokens)``, built once for the rules and the model.
    """

    normalized: Normalized
    decoded: list[Decoded]
    view: str = field(repr=False)
    tokens: list[str] = field(repr=False)
    vocabulary: set[str] = field(repr=False)


def tokenize_python(view: str) -> list[str]:
    """Words and short runs of punctuation of a (lower-case) view: the reference."""
    return (_TOKEN_ASCII if view.isascii() else _TOKEN).findall(view)


# The compiled tokenizer gives the same tokens (tests/detectors/test_native_*) without
# the regex engine: ~5 us per KB instead of ~30 (ASCII) to ~90 (other scripts).
tokenize: Callable[[str], list[str]] = native.tokenize or tokenize_python


def prepare(text: str) -> Prepared:
    """Normalise ``text``, decode embedded payloads and tokenise the result."""
    encoded = text.encode("utf-8", "surrogatepass")  # for the byte-level checks of both
    normalized = normalize(text, encoded)
    decoded = decode_segments(text, normalized.view, encoded)
    view = normalized.view
    if _LONG_RUN in encoded.translate(BASE64_MASK):
        # An inline image or other binary blob: its letters are noise to the model (random
        # base64 scored about 0.5). What decodes to text is scored below, decoded.
        view = blanked(view)
    if decoded:
        view = "\n".join([view, *(segment.text.lower() for segment in decoded)])
    tokens = tokenize(view)
    return Prepared(normalized, decoded, view, tokens, set(tokens))


def windows(count: int, stride: int) -> list[tuple[int, int]]:
    """Token windows ``[start, end)`` of :data:`WINDOW` tokens covering ``count`` tokens."""
    if count <= ONE_WINDOW:
        return [(0, count)]  # one window up to 1.5x: a 1 KB prompt is scored once
    starts = list(range(0, count - WINDOW + 1, stride))
    if starts[-1] + WINDOW < count:
        starts.append(count - WINDOW)
    return [(start, start + WINDOW) for start in starts]


def ngrams(tokens: list[str], order: int = 2) -> list[str]:
    """Word n-grams up to ``order`` (1-3), in order; training builds its vocabulary from these."""
    grams = tokens + [f"{a} {b}" for a, b in pairwise(tokens)] if order >= 2 else list(tokens)
    if order >= 3:
        grams += [f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:], strict=False)]
    return grams
