"""Find and decode embedded base64, hex and rot13 so the scorer sees the payload.

Only segments that decode to readable text count: random tokens, hashes and
binary blobs (images) decode to noise and are ignored.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass, field

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
# A run of 16 base64 characters, found without the regex engine: bytes.translate
# maps every base64 character to "a" and everything else to " ", then one
# substring search (~1 us per KB instead of ~12 us for the regex
# "[A-Za-z0-9+/_-]{16}"). Base64 characters are ASCII and UTF-8 encodes every
# other character as bytes >= 0x80, so runs are the same in bytes and in text.
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
_BASE64_MASK = bytes(0x61 if byte in _BASE64_CHARS else 0x20 for byte in range(256))
_RUN_OF_16 = b"a" * 16  # 16 masked characters in a row
# Every pair must start with 2-7 (printable ASCII), which also keeps the regex from
# trying every run of hex-looking letters in ordinary prose ("added", "face").
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:(?:\\x|0x)?[2-7][0-9A-Fa-f][ :]?){8,}(?![0-9A-Fa-f])")
# Runs of characters a hex dump is made of; the full pattern only runs inside them,
# because trying it at every position of ordinary prose costs ~30 µs per KB.
_HEX_RUN = re.compile(r"[0-9A-Fa-fx: \\]{16,}")
# The same runs found the cheap way (see _BASE64_MASK): no run, no hex dump.
_HEX_CHARS = b"0123456789ABCDEFabcdefx: \\"
_HEX_MASK = bytes(0x61 if byte in _HEX_CHARS else 0x20 for byte in range(256))
# Hex-encoded text: printable ASCII bytes all start with a digit 2-7.
_HEX_HINT = re.compile(
    r"[2-7][0-9A-Fa-f][ :]?(?:\\x|0x)?[2-7][0-9A-Fa-f][ :]?(?:\\x|0x)?[2-7][0-9A-Fa-f]"
)
_WORD3_BYTES = re.compile(rb"[a-z]{3,}")
_WORD3_ANY_CASE = re.compile(r"[A-Za-z]{3,}")
_ROT13_MENTION = re.compile(r"rot[ -]?13|caesar|rotate (?:each|every|the) letter")
_ROT13 = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm",
)
# Frequent English words plus injection vocabulary: enough to tell rot13 from prose.
_COMMON = frozenset(
    [
        "the",
        "be",
        "to",
        "of",
        "and",
        "a",
        "in",
        "that",
        "have",
        "it",
        "for",
        "not",
        "on",
        "with",
        "he",
        "as",
        "you",
        "do",
        "at",
        "this",
        "but",
        "his",
        "by",
        "from",
        "they",
        "we",
        "say",
        "her",
        "she",
        "or",
        "an",
        "will",
        "my",
        "one",
        "all",
        "would",
        "there",
        "their",
        "what",
        "so",
        "up",
        "out",
        "if",
        "about",
        "who",
        "get",
        "which",
        "go",
        "me",
        "when",
        "make",
        "can",
        "like",
        "time",
        "no",
        "just",
        "him",
        "know",
        "take",
        "people",
        "into",
        "year",
        "your",
        "good",
        "some",
        "could",
        "them",
        "see",
        "other",
        "than",
        "then",
        "now",
        "look",
        "only",
        "come",
        "its",
        "over",
        "think",
        "also",
        "back",
        "after",
        "use",
        "two",
        "how",
        "our",
        "work",
        "first",
        "well",
        "way",
        "even",
        "new",
        "want",
        "because",
        "any",
        "these",
        "give",
        "day",
        "most",
        "us",
        "is",
        "are",
        "was",
        "were",
        "has",
        "had",
        "been",
        "am",
        "tell",
        "said",
        "please",
        "must",
        "should",
        "now",
        "ignore",
        "previous",
        "instructions",
        "instruction",
        "prompt",
        "system",
        "password",
        "secret",
        "reveal",
        "forget",
        "rules",
        "above",
        "below",
        "print",
        "output",
        "repeat",
        "everything",
        "say",
        "write",
        "answer",
        "respond",
        "reply",
        "question",
        "follow",
        "following",
        "disregard",
        "hidden",
        "key",
        "access",
        "granted",
        "admin",
        "mode",
        "act",
        "pretend",
        "jailbreak",
        "bypass",
    ]
)
_COMMON_BYTES = frozenset(word.encode() for word in _COMMON)
_ROT13_BYTES = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"nopqrstuvwxyzabcdefghijklm")
_MAX_SEGMENTS = 8
_MAX_DECODE_CHARS = 8192


@dataclass(frozen=True, slots=True)
class Decoded:
    """A segment of the input that decoded to readable text."""

    encoding: str
    start: int
    end: int
    text: str = field(repr=False)


def _readable(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 4:
        return None
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    letters = sum(ch.isalpha() or ch == " " for ch in text)
    if printable < 0.95 * len(text) or letters < 0.6 * len(text):
        return None
    # Readable text has words, not one long run of letters (which is noise).
    return text if " " in text.strip() or len(text) < 24 else None


def _has_base64_run(text: str) -> bool:
    """Whether ``text`` has 16 base64 characters in a row (a candidate segment)."""
    raw = text.encode("utf-8", "surrogatepass")
    return _RUN_OF_16 in raw.translate(_BASE64_MASK)


def _base64_segments(text: str) -> list[Decoded]:
    found: list[Decoded] = []
    if not _has_base64_run(text):
        return found
    for match in _BASE64.finditer(text):
        segment = match.group(0)
        if segment.isalpha() and (segment.islower() or segment.isupper()):
            continue  # a long word, not base64
        body = segment.rstrip("=")[:_MAX_DECODE_CHARS]
        padded = body + "=" * (-len(body) % 4)
        try:
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _readable(raw)
        if decoded:
            found.append(Decoded("base64", match.start(), match.end(), decoded))
        if len(found) >= _MAX_SEGMENTS:
            break
    return found


def _hex_segments(text: str) -> list[Decoded]:
    found: list[Decoded] = []
    if _RUN_OF_16 not in text.encode("utf-8", "surrogatepass").translate(_HEX_MASK):
        return found
    if not _HEX_HINT.search(text):
        return found
    matches = (
        match
        for run in _HEX_RUN.finditer(text)
        for match in _HEX.finditer(text, run.start(), run.end())
    )
    for match in matches:
        digits = re.sub(r"\\x|0x|[ :]", "", match.group(0))[:_MAX_DECODE_CHARS]
        if len(digits) % 2:
            digits = digits[:-1]
        try:
            raw = bytes.fromhex(digits)
        except ValueError:
            continue
        decoded = _readable(raw)
        if decoded:
            found.append(Decoded("hex", match.start(), match.end(), decoded))
        if len(found) >= _MAX_SEGMENTS:
            break
    return found


# "the" and "and" are ~8% of English prose and almost absent from a rot13 text
# (" the " becomes " gur "): two str.count calls rule out most prose before the
# word-by-word check below (measured: 95-100% of 1 KB English samples).
_FREQUENT = (" the ", " and ")


def _plainly_english(lower: str) -> bool:
    words = lower.count(" ") + 1
    return sum(map(lower.count, _FREQUENT)) >= 0.03 * words


def _rot13_mentioned(lower: str) -> bool:
    # Each branch of the regex needs one of these substrings; "rot" alone is in
    # "wrote" and "protect", so it would run the regex on much ordinary prose.
    if not (("13" in lower and "rot" in lower) or "caesar" in lower or "rotate" in lower):
        return False
    return _ROT13_MENTION.search(lower) is not None


def _rot13_segment(text: str, lower: str) -> list[Decoded]:
    """Decode the whole text when its words read better under rot13.

    ``lower`` is the lower-case text, used for the word statistics (as ASCII
    bytes: ``bytes.translate`` is much cheaper than ``str.translate``).
    """
    mentioned = _rot13_mentioned(lower)
    if not mentioned and _plainly_english(lower):
        return []
    raw = lower.encode("ascii", "replace")
    # One- and two-letter words ("a" <-> "n") prove nothing either way.
    words = _WORD3_BYTES.findall(raw)
    if len(words) < 3 and not mentioned:
        return []
    common = _COMMON_BYTES
    plain_hits = sum(map(common.__contains__, words))
    if plain_hits > 0.2 * len(words) and not mentioned:
        return []  # ordinary prose
    rotated = _WORD3_BYTES.findall(raw.translate(_ROT13_BYTES))  # same word boundaries
    rot_hits = sum(
        1 for w, r in zip(words, rotated, strict=True) if r in common and w not in common
    )
    if not ((rot_hits >= 3 and rot_hits * 2 >= plain_hits) or (mentioned and rot_hits >= 1)):
        return []
    spans = [
        match.span()
        for match in _WORD3_ANY_CASE.finditer(text)
        if match.group(0).lower() not in _COMMON
        and match.group(0).lower().translate(_ROT13) in _COMMON
    ]
    if not spans:
        return []
    first, last = spans[0][0], spans[-1][1]
    return [Decoded("rot13", first, last, text[first:last].translate(_ROT13))]


def decode_segments(text: str, lower: str | None = None) -> list[Decoded]:
    """Every embedded encoded segment of ``text`` that decodes to readable text.

    ``lower`` may pass an already lower-cased copy of ``text`` to save work.
    """
    found = _base64_segments(text) + _hex_segments(text)
    if not found:
        found = _rot13_segment(text, text.lower() if lower is None else lower)
    return found


def rot13(text: str) -> str:
    """rot13 of ``text`` (used by tests and the training data augmenter)."""
    return codecs.encode(text, "rot13")
