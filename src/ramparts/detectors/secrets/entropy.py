"""Catch-all for secrets of unknown formats: long, random-looking tokens.

A token is a run of 20+ base64/base64url characters. It is reported when its
Shannon entropy is high for its length and it mixes upper case, lower case
and digits like generated keys do. It stays quiet on what merely looks random:
UUIDs, hex digests (commit ids, checksums), base64 images (``data:`` URIs and
PNG/JPEG/GIF magic), identifiers, placeholders and JWT headers on their own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import ClassVar

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity
from ramparts.detectors.options import Number, OptionSpec, options_of
from ramparts.detectors.pattern_set import PatternSet
from ramparts.detectors.secrets.jwt import decode_segment
from ramparts.detectors.secrets.media import data_uri_spans, inside
from ramparts.detectors.secrets.rule import has_sequence, is_look_alike, shannon_entropy

_RUN_CHARS = r"A-Za-z0-9+/=_\-"
_MIN_TOKEN = 20
_MAX_TOKEN = 1024
_TOKEN = re.compile(rf"[{_RUN_CHARS}]{{{_MIN_TOKEN},{_MAX_TOKEN}}}+")
_RUN_STARTS = PatternSet([rf"(?:^|[^{_RUN_CHARS}])[{_RUN_CHARS}]{{{_MIN_TOKEN}}}"])
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]+")
# Base64 of common image and archive magic numbers: PNG, JPEG, GIF, WebP/RIFF, PDF, zip.
_MEDIA_MAGIC = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UklGR", "JVBERi0", "UEsDB", "AAAA")
_WRAP_WINDOW = 1100
_RUN = re.compile(rf"[{_RUN_CHARS}]*+")


def entropy_floor(length: int) -> float:
    """Entropy a random base62 token of this length easily clears; capped at 4.5 bits."""
    return min(4.5, 0.85 * math.log2(length))


class HighEntropyDetector(Detector):
    """Random-looking tokens that match no known format.

    Options: ``min_entropy`` (bits per character; default depends on length).
    """

    name = "secrets.high_entropy"
    kinds = ("high-entropy-string",)
    option_specs: ClassVar[dict[str, OptionSpec]] = {
        "min_entropy": Number(
            0, 8, unit="bits per character", help="0 (default): a floor set by token length"
        ),
    }
    description = "Long random-looking tokens (entropy catch-all for unknown secret formats)"
    triggers = (f"[{_RUN_CHARS}]{{{_MIN_TOKEN}}}",)

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        floor: float = options_of(self, context.options).get("min_entropy", 0.0)
        findings: list[Finding] = []
        media: list[tuple[int, int]] | None = None
        for start, end in _long_runs(text):
            if end - start > _MAX_TOKEN:
                continue  # runs longer than a token are blobs (certificates, binaries)
            token = text[start:end].strip("=-_/+")
            if len(token) < _MIN_TOKEN or _is_benign(token):
                continue
            if media is None:
                media = data_uri_spans(text)
            if inside(media, start) or _in_wrapped_block(text, start, end):
                continue
            entropy = shannon_entropy(token)
            needed = floor or entropy_floor(len(token))
            if entropy < needed:
                continue
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="high-entropy-string",
                    score=min(0.75, 0.5 + (entropy - needed) / 4),
                    explanation=f"random-looking token of {len(token)} characters "
                    f"({entropy:.1f} bits per character)",
                    sensitivity=Sensitivity.CONFIDENTIAL,
                )
            )
        return findings


def _long_runs(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the runs of token characters that are at least ``_MIN_TOKEN`` long.

    Hyperscan reports each run once, where its first ``_MIN_TOKEN`` characters end
    (the run must start after a non-token character), so prose costs one C pass.
    """
    for _, hit in _RUN_STARTS.scan(text):
        start = hit - _MIN_TOKEN
        yield start, _run_end(text, hit)


def _is_benign(token: str) -> bool:
    """Random-looking but harmless: ids, digests, media, paths, placeholders, JWT headers.

    Cheap C-level tests run first; the per-character Python ones only on survivors.
    """
    # Generated keys mix upper case, lower case and digits (string methods run in C).
    if token.lower() == token or token.upper() == token:
        return True
    if sum(map(str.isdigit, token)) < 2 or token.startswith(_MEDIA_MAGIC):
        return True
    if _HEX.fullmatch(token) or (_UUID.search(token) and len(_UUID.sub("", token)) < 20):
        return True
    if is_look_alike(token):
        return True  # ...EXAMPLE, your_key_here, not-the-token-you-want: not a credential
    if token.startswith("eyJ") and isinstance(decode_segment(token), dict):
        return True  # a JWT header alone ({"alg": ...}) carries no secret
    # Paths and identifiers: mostly letters between separators (src/Foo/BarBaz_v2).
    parts = [p for p in re.split(r"[/_\-]", token) if p]
    if len(parts) >= 3 and all(len(p) < 12 for p in parts):
        return True
    return has_sequence(token)  # hand-made values such as ...abcdef... or ...123456...


def _run_end(text: str, position: int) -> int:
    run = _RUN.match(text, position)
    return run.end() if run else position


def _in_wrapped_block(text: str, start: int, end: int) -> bool:
    """Line-wrapped base64 (certificates, binaries, key bodies): a neighbour line looks the same.

    A short token counts too: it is the last line of such a block.

    Every search is bounded to a short window so a huge single-line text stays linear.
    """
    before = text.rfind("\n", max(0, start - _WRAP_WINDOW), start)
    after = text.find("\n", end, end + _WRAP_WINDOW)
    neighbours = []
    if before > 0:
        previous = text.rfind("\n", max(0, before - _WRAP_WINDOW), before)
        neighbours.append(text[previous + 1 : before])
    if after != -1:
        following = text.find("\n", after + 1, after + 1 + _WRAP_WINDOW)
        neighbours.append(text[after + 1 : following if following != -1 else after + 1])
    for neighbour in neighbours:
        stripped = neighbour.strip().strip("\"',+\\n")
        if len(stripped) >= 40 and _TOKEN.fullmatch(stripped):
            return True
    return False
