"""Encodings and look-alike letters the detection view reads through.

:mod:`ramparts.detectors.view` builds the view; this module says what to change:

- letters of other scripts that look like ASCII ones (Cyrillic "a", Greek "O"), in a
  token that also holds ASCII letters or digits and no other foreign letter
  ("AKIA..." with a Cyrillic "A", "alice@example.com" with Cyrillic "e" and "a"):
  folded one for one. Words of Russian or Greek
  text are left alone: they have letters without an ASCII look-alike, or no ASCII;
- escapes that stand for one character: ``%40`` (percent-encoding), ``&#64;``,
  ``&#x40;`` and a few named HTML entities (``&commat;``), ``\\u0040``, ``\\x40``,
  ``\\u{40}``. Only escapes of printable ASCII are decoded (percent-encoding: of
  letters, digits and ``@._+-``): what the detectors look for is ASCII, and a
  percent-encoded space or slash is part of a URL rather than of a value. An ``@``
  is not decoded in a token that holds one already (a URL's password ``p%40ss@host``
  would lose its end to the host);
- a backslash line continuation between two characters of a token (``AKIA\\`` and
  ``Z7VR...`` on the next line), dropped.

(E-mail addresses with a bracketed "at", ``alice [at] example [dot] com``, are the
``email`` detector's: a trigger finds them at no cost to other texts.)

Each change is an :data:`Edit` on the text it is given: a span and the one
character (or none) the view reads there. Every look-up is gated by a check of
one character with ``in`` (a C scan at memory speed, ~0.2 us per KB), so ordinary
text pays a few of those.
"""

from __future__ import annotations

import re

# (start, end, replacement): text[start:end] reads as replacement ("" or one character).
Edit = tuple[int, int, str]

# Cyrillic, Greek and Armenian letters with an ASCII twin (Unicode confusables.txt),
# upper and lower case: one for one, so offsets hold.
_LOOKALIKES = {
    **dict(
        zip(
            "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0405\u0406\u0408\u04ae\u051a\u051c\u04c0"
            "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u04bb\u051b\u051d\u04cf\u043a",
            "ABEKMHOPCTXSIJYQWIaeopcyxsijdhqwlk",
            strict=True,
        )
    ),
    **dict(
        zip(
            "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7\u03f9\u037f"
            "\u03bf\u03b1\u03bd\u03c1\u03b9\u03c5\u03ba\u03f2\u03f3"
            "\u0585",  # Armenian oh
            "ABEZHIKMNOPTYXCJoavpiukcjo",
            strict=True,
        )
    ),
}
LOOKALIKE_CHARS = frozenset(_LOOKALIKES)
_FOLD = str.maketrans(_LOOKALIKES)
_LOOKALIKE_CLASS = "".join(sorted(_LOOKALIKES))
# A look-alike next to an ASCII letter, digit or underscore, or next to "." or "@" that
# is next to one (a Cyrillic "com"): led by the look-alike class, so the regex engine
# skips ahead to look-alikes...
_MIXED = re.compile(
    rf"[{_LOOKALIKE_CLASS}](?:(?=[A-Za-z0-9_]|[.@][A-Za-z0-9])"
    r"|(?<=[A-Za-z0-9_].)|(?<=[A-Za-z0-9][.@].))"
)
# ...or, in text of another script, led by the (then rarer) ASCII letters and digits:
# one next to any non-ASCII character (the token is looked at after).
_MIXED_FROM_ASCII = re.compile(
    r"[A-Za-z0-9_](?:(?=[^\x00-\x7f]|[.@][^\x00-\x7f])"
    r"|(?<=[^\x00-\x7f].)|(?<=[^\x00-\x7f][.@].))"
)
_SEPARATORS = "\\s\"'`()<>\\[\\]{},;:!?"
_TOKEN_REACH = 256  # values are shorter; bounds the work per look-alike
_TOKEN_REST = re.compile(f"[^{_SEPARATORS}]{{0,{_TOKEN_REACH}}}")
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM_OR_PERCENT = _ALNUM | {"%"}


def folded_lookalikes(text: str, present: frozenset[str], non_ascii: int) -> str | None:
    """``text`` with look-alike letters folded in tokens that mix them with ASCII (see
    the module docstring); None when no token does. ``present`` holds the look-alikes
    the text has, ``non_ascii`` how many non-ASCII characters it has."""
    # Only the stretch from the first look-alike to the last is searched: in mostly
    # ASCII text holding a foreign name or two, a few dozen characters.
    first = min(text.find(char) for char in present)
    last = max(text.rfind(char) for char in present)
    mixed = _MIXED if 2 * non_ascii < len(text) else _MIXED_FROM_ASCII
    pieces: list[str] = []
    done = 0  # text[:done] is settled (in pieces, or to be copied as it is)
    copied = 0
    for match in mixed.finditer(text, max(0, first - 2), last + 3):
        if match.start() < done:
            continue  # in the token just looked at
        start, end = _token(text, match.start())
        done = end
        token = text[start:end]
        folded = token.translate(_FOLD)
        if _ALNUM.isdisjoint(token) or any(
            char.isalpha() and not char.isascii() for char in folded
        ):
            continue  # a word of another script, or a mix with one
        pieces += (text[copied:start], folded)
        copied = end
    if not pieces:
        return None
    pieces.append(text[copied:])
    return "".join(pieces)


def _token(text: str, at: int) -> tuple[int, int]:
    """The span of the token (a run of characters other than spaces, quotes, brackets
    and ``,;:!?``) around ``at``, each side bounded by ``_TOKEN_REACH``."""
    back = _TOKEN_REST.match(text[max(0, at - _TOKEN_REACH) : at][::-1])
    start = at - (back.end() if back else 0)
    forward = _TOKEN_REST.match(text, at)
    return start, forward.end() if forward else at + 1


# Escapes. Percent-encoding: letters, digits and "@._-" only ("+", "/" and "=" stay: a
# Twitter bearer token is percent-encoded base64), and only next to a letter, a digit
# or another escape ("%70" in "(%70 of it)" is seventy per cent).
_PERCENT = re.compile("%([0-9A-Fa-f]{2})")
_PERCENT_DECODED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@._-")
_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6}));?|&([A-Za-z]{3,7});")
_NAMED_ENTITIES = {
    "commat": "@",
    "period": ".",
    "lowbar": "_",
    "hyphen": "-",
    "dash": "-",
    "plus": "+",
    "nbsp": " ",
    "colon": ":",
    "sol": "/",
    "equals": "=",
}
_BACKSLASH = re.compile(
    r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|u\{([0-9A-Fa-f]{1,6})\}|U([0-9A-Fa-f]{8})"
    r"|(\r?\n[ \t]*))"
)
# Characters a split value may end or resume with around a line continuation.
_VALUE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.@")


def escape_edits(text: str) -> list[Edit]:
    """The escapes of ``text`` the view decodes, in order (see the module docstring)."""
    edits: list[Edit] = []
    if "%" in text:
        for match in _PERCENT.finditer(text):
            char = chr(int(match.group(1), 16))
            start, end = match.span()
            if char in _PERCENT_DECODED and (
                text[start - 1 : start] in _ALNUM_OR_PERCENT
                or text[end : end + 1] in _ALNUM_OR_PERCENT
            ):
                edits.append((start, end, char))
    if "&" in text:
        for match in _ENTITY.finditer(text):
            number, hexadecimal, name = match.groups()
            if name is not None:
                char = _NAMED_ENTITIES.get(name.lower(), "")
            else:
                code = int(number, 10) if number is not None else int(hexadecimal, 16)
                char = chr(code) if 0x20 <= code < 0x7F else ""
            if char:
                edits.append((match.start(), match.end(), char))
    if "\\" in text:
        edits += _backslash_edits(text)
    if len(edits) > 1:
        edits.sort()
    return _without_second_ats(text, edits) if edits else edits


def _backslash_edits(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for match in _BACKSLASH.finditer(text):
        start, end = match.span()
        if match.group(5) is not None:  # a line continuation: inside a value only
            before, after = text[start - 1 : start], text[end : end + 1]
            if before and after and before in _VALUE_CHARS and after in _VALUE_CHARS:
                edits.append((start, end, ""))
            continue
        digits = next(group for group in match.groups()[:4] if group is not None)
        code = int(digits, 16)
        if 0x20 <= code < 0x7F:
            edits.append((start, end, chr(code)))
    return edits


def _without_second_ats(text: str, edits: list[Edit]) -> list[Edit]:
    """``edits`` less the encoded "@" of tokens that hold a literal one (a URL's
    ``user:p%40ss@host`` keeps its password whole). A token is looked at once,
    however many escapes it holds."""
    kept: list[Edit] = []
    token_end, literal_at = -1, False
    for edit in edits:
        if edit[2] == "@":
            if edit[0] >= token_end:
                token_start, token_end = _spaceless(text, edit[0])
                literal_at = "@" in text[token_start:token_end]
            if literal_at:
                continue
        kept.append(edit)
    return kept


_NON_SPACE = re.compile(rf"\S{{0,{_TOKEN_REACH}}}")


def _spaceless(text: str, at: int) -> tuple[int, int]:
    back = _NON_SPACE.match(text[max(0, at - _TOKEN_REACH) : at][::-1])
    forward = _NON_SPACE.match(text, at)
    return at - (back.end() if back else 0), forward.end() if forward else at


def applied(text: str, edits: list[Edit]) -> tuple[str, tuple[int, ...], dict[int, int]]:
    """``text`` with ``edits`` (sorted, not overlapping) made: the new text, the view
    offset following each removed character, and for each character standing for
    several, how many more it stands for (see ``DetectionView``)."""
    pieces: list[str] = []
    dropped: list[int] = []
    wide: dict[int, int] = {}
    copied = removed = 0
    for start, end, replacement in edits:
        pieces += (text[copied:start], replacement)
        at = start - removed  # the view offset of the replacement, or of what follows
        if replacement:
            extra = end - start - 1
            if extra:
                wide[at] = extra
                dropped += [at + 1] * extra
        else:
            extra = end - start
            dropped += [at] * extra
        removed += extra
        copied = end
    pieces.append(text[copied:])
    return "".join(pieces), tuple(dropped), wide
