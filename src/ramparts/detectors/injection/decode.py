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
from itertools import repeat

_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")
# A run of 16 base64 characters, found without the regex engine: bytes.translate
# maps every base64 character to "a" and everything else to " ", then one
# substring search (~1 us per KB instead of ~12 us for the regex
# "[A-Za-z0-9+/_-]{16}"). Base64 characters are ASCII and UTF-8 encodes every
# other character as bytes >= 0x80, so runs are the same in bytes and in text.
_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-"
BASE64_MASK = bytes(0x61 if byte in _BASE64_CHARS else 0x20 for byte in range(256))
_RUN_OF_16 = b"a" * 16  # 16 masked characters in a row
_BASE64_BYTES = re.compile(_BASE64.pattern.encode("ascii"))  # same pattern, on UTF-8 bytes
# Every pair must start with 2-7 (printable ASCII), which also keeps the regex from
# trying every run of hex-looking letters in ordinary prose ("added", "face").
_HEX = re.compile(r"(?<![0-9A-Fa-f])(?:(?:\\x|0x)?[2-7][0-9A-Fa-f][ :]?){8,}(?![0-9A-Fa-f])")
# Runs of characters a hex dump is made of; the full pattern only runs inside them,
# because trying it at every position of ordinary prose costs ~30 µs per KB.
_HEX_RUN = re.compile(r"[0-9A-Fa-fx: \\]{16,}")
# The same runs found the cheap way (see BASE64_MASK): no run, no hex dump.
_HEX_CHARS = b"0123456789ABCDEFabcdefx: \\"
_HEX_MASK = bytes(0x61 if byte in _HEX_CHARS else 0x20 for byte in range(256))
# Hex-encoded text: printable ASCII bytes all start with a digit 2-7.
_HEX_HINT = re.compile(
    r"[2-7][0-9A-Fa-f][ :]?(?:\\x|0x)?[2-7][0-9A-Fa-f][ :]?(?:\\x|0x)?[2-7][0-9A-Fa-f]"
)
_HEX_HINT_BYTES = re.compile(_HEX_HINT.pattern.encode("ascii"))
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
# The words (maximal runs of a-z) of the lower-case ASCII bytes are counted with one
# split and one dict look-up each, adding up three counts in one int, 21 bits
# apiece: 1 for a common word of 3+ letters; 1 << 21 for a word whose rot13 is
# common and which is not common itself (rot13 maps a word to one of the same
# length, so rot13(w) is common exactly when w is a rot13 of a common word); and
# 1 << 42 for a word of one or two letters (not counted as a word).
_LETTERS_ONLY = bytes(byte if 0x61 <= byte <= 0x7A else 0x20 for byte in range(256))
_FIELD = 21
_FIELD_MASK = (1 << _FIELD) - 1
_COMMON3 = frozenset(word for word in _COMMON_BYTES if len(word) >= 3)
_SHORT_WORDS = [bytes([a]) for a in range(0x61, 0x7B)] + [
    bytes([a, b]) for a in range(0x61, 0x7B) for b in range(0x61, 0x7B)
]
_WORD_HITS = {
    **dict.fromkeys(_SHORT_WORDS, 1 << (2 * _FIELD)),
    **{word.translate(_ROT13_BYTES): 1 << _FIELD for word in _COMMON3},
    **dict.fromkeys(_COMMON3, 1),  # a common word counts as common, never as rot13
}
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
    return _RUN_OF_16 in raw.translate(BASE64_MASK)


def _runs_of_16(masked: bytes) -> list[tuple[int, int]]:
    """Maximal runs of 16 or more ``a`` in a mask (``BASE64_MASK``/``_HEX_MASK``),
    as byte spans: two substring searches per run, no regex over the text."""
    runs: list[tuple[int, int]] = []
    start = masked.find(_RUN_OF_16)
    while start >= 0:
        end = masked.find(b" ", start + 16)
        if end < 0:
            runs.append((start, len(masked)))
            break
        runs.append((start, end))
        start = masked.find(_RUN_OF_16, end)
    return runs


def _char_offset(text: str, raw: bytes, offset: int) -> int:
    """The character offset of byte ``offset`` of ``raw`` (``text`` in UTF-8), which
    must fall between two characters (as the ASCII runs found in masks do)."""
    if len(raw) == len(text):
        return offset  # ASCII: bytes are characters
    return len(raw[:offset].decode("utf-8", "surrogatepass"))


def _base64_segments(text: str, raw: bytes | None = None) -> list[Decoded]:
    """``_BASE64`` matches that decode to readable text.

    A match can only start where a maximal run of 16+ base64 characters starts (the
    lookbehind excludes every other position), so the pattern is tried only there,
    on the UTF-8 bytes (the same characters: base64 is ASCII, and other characters
    encode as bytes >= 0x80 that no part of the pattern accepts).
    """
    found: list[Decoded] = []
    if raw is None:
        raw = text.encode("utf-8", "surrogatepass")
    for run_start, _ in _runs_of_16(raw.translate(BASE64_MASK)):
        match = _BASE64_BYTES.match(raw, run_start)
        if match is None:
            continue  # "=" before the run, or "=" / a third "=" after it
        segment = match.group(0)
        if segment.isalpha() and (segment.islower() or segment.isupper()):
            continue  # a long word, not base64
        body = segment.rstrip(b"=")[:_MAX_DECODE_CHARS]
        padded = body + b"=" * (-len(body) % 4)
        try:
            data = base64.b64decode(padded.replace(b"-", b"+").replace(b"_", b"/"), validate=True)
        except (binascii.Error, ValueError):
            continue
        decoded = _readable(data)
        if decoded:
            start = _char_offset(text, raw, match.start())
            found.append(Decoded("base64", start, start + len(segment), decoded))
        if len(found) >= _MAX_SEGMENTS:
            break
    return found


def _hex_segments(text: str, raw: bytes | None = None) -> list[Decoded]:
    """``_HEX`` matches inside each ``_HEX_RUN`` run that decode to readable text.

    The runs come from the mask; a run without ``_HEX_HINT`` (three printable pairs,
    part of every ``_HEX`` match) cannot hold a match, so most runs of digits and
    spaces (phone and card numbers) stop at one bytes search.
    """
    found: list[Decoded] = []
    if raw is None:
        raw = text.encode("utf-8", "surrogatepass")
    for run_start, run_end in _runs_of_16(raw.translate(_HEX_MASK)):
        if not _HEX_HINT_BYTES.search(raw, run_start, run_end):
            continue
        start = _char_offset(text, raw, run_start)
        for match in _HEX.finditer(text, start, start + run_end - run_start):
            digits = re.sub(r"\\x|0x|[ :]", "", match.group(0))[:_MAX_DECODE_CHARS]
            if len(digits) % 2:
                digits = digits[:-1]
            try:
                data = bytes.fromhex(digits)
            except ValueError:
                continue
            decoded = _readable(data)
            if decoded:
                found.append(Decoded("hex", match.start(), match.end(), decoded))
            if len(found) >= _MAX_SEGMENTS:
                return found
    return found


# "the" and "and" are ~8% of English prose and almost absent from a rot13 text
# (" the " becomes " gur "): two str.count calls rule out most prose before the
# word-by-word check below (measured: 95-100% of 1 KB English samples).
_FREQUENT = (" the ", " and ")


def _plainly_english(lower: str) -> bool:
    frequent = sum(map(lower.count, _FREQUENT))
    # None at all is never enough, however few the words: no need to count them.
    return frequent > 0 and frequent >= 0.03 * (lower.count(" ") + 1)


def _rot13_mentioned(lower: str) -> bool:
    # Each branch of the regex needs one of these substrings; "rot" alone is in
    # "wrote" and "protect", so it would run the regex on much ordinary prose.
    # ("rotate" contains "rot": one search rules out both branches that need it.)
    if not (("rot" in lower and ("13" in lower or "rotate" in lower)) or "caesar" in lower):
        return False
    return _ROT13_MENTION.search(lower) is not None


def _word_counts(raw: bytes) -> tuple[int, int, int]:
    """Words of 3+ letters (maximal runs of a-z) in lower-case ASCII ``raw``, how many
    are common words and how many are not but their rot13 is."""
    words = raw.translate(_LETTERS_ONLY).split()
    if len(words) > _FIELD_MASK:  # a count could overflow its field: count apart
        short = sum(1 for word in words if len(word) < 3)
        plain = sum(map(_COMMON3.__contains__, words))
        rot = sum(_WORD_HITS.get(word) == 1 << _FIELD for word in words)
        return len(words) - short, plain, rot
    hits = sum(map(_WORD_HITS.get, words, repeat(0)))
    return (
        len(words) - (hits >> (2 * _FIELD)),
        hits & _FIELD_MASK,
        (hits >> _FIELD) & _FIELD_MASK,
    )


def _rot13_segment(text: str, lower: str) -> list[Decoded]:
    """Decode the whole text when its words read better under rot13.

    ``lower`` is the lower-case text, used for the word statistics (as ASCII
    bytes: ``bytes.translate`` is much cheaper than ``str.translate``).
    """
    mentioned = _rot13_mentioned(lower)
    if not mentioned and _plainly_english(lower):
        return []
    words, plain_hits, rot_hits = _word_counts(lower.encode("ascii", "replace"))
    # One- and two-letter words ("a" <-> "n") prove nothing either way.
    if words < 3 and not mentioned:
        return []
    if plain_hits > 0.2 * words and not mentioned:
        return []  # ordinary prose
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


def decode_segments(
    text: str, lower: str | None = None, encoded: bytes | None = None
) -> list[Decoded]:
    """Every embedded encoded segment of ``text`` that decodes to readable text.

    ``lower`` may pass an already lower-cased copy of ``text`` and ``encoded``
    ``text.encode("utf-8", "surrogatepass")`` to save work.
    """
    if encoded is None:
        encoded = text.encode("utf-8", "surrogatepass")
    found = _base64_segments(text, encoded) + _hex_segments(text, encoded)
    if not found:
        found = _rot13_segment(text, text.lower() if lower is None else lower)
    return found


def rot13(text: str) -> str:
    """rot13 of ``text`` (used by tests and the training data augmenter)."""
    return codecs.encode(text, "rot13")
