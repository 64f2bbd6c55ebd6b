"""Street addresses: a street core plus the unit, city, region and postcode after it.

The core is either number-first ("221B Baker Street", "50 Point Walter Rd") or
name-first European style ("Loorenstrasse 149", "Via Roma 12", "ul. Długa 5").
The tail is consumed one bounded segment at a time, so matching stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity, lowered_text
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._anchors import digit_runs, digit_starts
from ramparts.detectors.pii._context import ESCAPED_BREAK

_Node = dict[str, "_Node"]


def _trie(words: str) -> str:
    """One alternation of ``words`` (space-separated) as a prefix tree: ``(?:a(?:ve|v)|...)``.

    The regex engine then tests each character once instead of each alternative in
    turn. Equivalent to a plain alternation here because every use is followed by a
    word boundary or a space, so at most one alternative can match at a place.
    """
    tree: _Node = {}
    for word in words.split():
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return "(?:" + _branches(tree) + ")"


def _branches(node: _Node) -> str:
    branches = [re.escape(char) + _branches(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


_SUFFIX = _trie(
    "street st avenue ave av road rd lane ln drive dr boulevard blvd court ct way place pl"
    " square squares sq terrace ter crescent cres highway hwy parkway pkwy circle cir trail"
    " trl alley row close grove gardens walk mews hill park view ridge point plaza path loop"
    " crossing heights estates junction falls route rte pike expressway freeway motorway"
    " wharf quay esplanade promenade green vale rise gate mall ranch club center centre str"
)
_WORD = r"[^\W\d_][\w'\u2019.\-]*+"
_NUMBER_FIRST = (
    rf"\d{{1,6}}[A-Za-z]?(?:[ \-]\d{{1,5}})?\s++(?:{_WORD}[ \t]+){{0,4}}{_SUFFIX}\b\.?"
    r"(?:[ \t]+\d{1,5}[A-Za-z]?\b)?"
)
# Street words that end a street name glued or spaced ("Loorenstrasse", "Linges veg").
_COMPOUNDS = (
    "strasse", "straße", "str.", "straat", "laan", "gasse", "weg", "veg", "vej", "vei",
    "gatan", "gata", "gade", "katu", "tie", "kuja", "väg", "vägen", "plein", "dreef",
    "gracht", "allee", "ring", "platz", "steig", "ufer", "damm", "kade", "singel", "polku",
    "vegen", "veien", "plaats", "utca", "út", "körút",
)  # fmt: skip
# Words that start a street name in Romance, Slavic and other languages ("Via Roma 12").
_KEYWORDS = frozenset(
    (
        "via", "viale", "piazza", "corso", "rue", "avenida", "calle", "rua", "carrer", "plaza",
        "paseo", "camino", "ul.", "ulica", "strada", "travessa", "largo", "chaussée", "allée",
        "boulevard", "avenue", "platz", "plac", "aleja", "al.", "rúa",
    )
)  # fmt: skip
_CAPITAL = r"(?-i:[^\W\d_a-z])[^\W\d_]*+"
# "77780 Luite tee 87", "24407 Aeropuerto 4037": building number, street name, number.
_NUMBER_NAME_NUMBER = (
    rf"(?P<nnn>\d{{1,6}}[ \t]+{_CAPITAL}(?:[ \t]+[^\W\d_][\w'\u2019\-]*+){{0,3}}?"
    r"[ \t]+\d{1,5}[A-Za-z]?\b)"
)
_BOUNDARY = rf"(?:{ESCAPED_BREAK}|(?<![\w\-]))"
# Every digit-led core in one pattern that fails at the first character elsewhere.
# "31 rue Marguerite", "180 C/ Eras": a number, a street keyword, then the name.
_NUMBER_KEYWORD = (
    r"\d{1,6}(?:[ \-]\d{1,5})?[ \t]+"
    + _trie(
        "rue avenue av. boulevard bd allée place chemin impasse quai route via viale calle c/"
        " rua r. avenida ul. piazza plaza carrer"
    )
    + r"[ \t]+"
    r"[^\W\d_][\w'\u2019.\-]*+(?:[ \t]+[^\W\d_][\w'\u2019\-]*+){0,4}"
)
_DIGIT_CORE = re.compile(
    rf"{_BOUNDARY}(?=\d)(?:{_NUMBER_FIRST}|{_NUMBER_NAME_NUMBER}|{_NUMBER_KEYWORD})",
    re.IGNORECASE,
)
_OTHER_CORE = re.compile(
    rf"{_BOUNDARY}(?:(?-i:(?:(?:PSC|Unit) \d{{1,5}},? Box \d{{1,5}}|(?:USNS|USS|USNV|USCGC)"
    rf" [A-Z][\w'\-]+)\s{{0,3}}(?:APO|FPO|DPO) (?:AA|AE|AP) \d{{5}})"
    rf"|(?:\d{{1,6}}[ \t]+)?(?:p\.?\s?o\.?\s?box|post office box)[ \t]+\d{{1,6}}\b)",
    re.IGNORECASE,
)
_HOUSE_NUMBER = re.compile(r"\d{1,5}[A-Za-z]?\b")
_LOOKBACK_WORD = re.compile(r"[^\W\d_][\w'\u2019.\-]*")
_LEADING_NUMBER = re.compile(r"(\d{1,6})[ \t]+\Z")
_LOOKBACK_CHARS = 80
_UNIT = re.compile(
    r"(?:[ \t]*,)?[ \t]*(?:(?:apt|apartment|suite|ste|unit|flat|floor|fl|room)\b\.?|#)[ \t]*"
    r"[\w\-]{1,6}+\b",
    re.IGNORECASE,
)
# A core that already ends with its unit ("... 178 Apt. 886").
_UNIT_BEFORE = re.compile(
    r"(?:\b(?:apt|apartment|suite|ste|unit|flat|floor|fl|room)\b\.?|#)[ \t]*[\w\-]{1,6}\Z",
    re.IGNORECASE,
)
# A new line (optionally quoted with ">" or garbled "???") or a comma starts a segment.
# Literal "\n" sequences (text exported from JSON) separate lines too.
_NEW_SEGMENT = re.compile(r"[ \t]*(?:(?:\n|\\n){1,3}(?:[ \t]*(?:>|\?\?\?))?|,)[ \t]*(?:,[ \t]*)?")
_POSTCODE = re.compile(
    r"(?:\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d)\b"
)
_PLACE_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019\-](?=[^\W\d_]))*+(?!\d)")
_TRAILING_POSTCODE = re.compile(
    r"[ \t]+(?:\d{4,6}(?:-\d{4})?|nan|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]{2}[ \t]+\d{5})\b"
)
_STATE = re.compile(r"[A-Z]{2}\b")
_SPACES = re.compile(r"[ \t]{1,8}")
_MAX_SEGMENTS = 5


# Any street keyword as a bare substring: a superset of the whole words that
# ``_name_first_start`` looks for.
_KEYWORD_SUBSTRING = re.compile(_trie(" ".join(sorted(_KEYWORDS))))


def _may_be_name_first(text: str, base: int, number_start: int) -> bool:
    """Cheap necessary condition for ``_name_first_start``: the word before the number
    ends with a street word, or a keyword occurs in the window before it."""
    lowered = lowered_text(text)
    if len(lowered) != len(text):
        return True  # offsets would not line up: no shortcut
    return (
        lowered.endswith(_COMPOUNDS, 0, number_start)
        or _KEYWORD_SUBSTRING.search(lowered, base, number_start) is not None
    )


def _name_first_start(text: str, number_start: int) -> int | None:
    """Start of a name-first street ending just before a house number, if there is one."""
    # Bounded search: on a long text without newlines an unbounded rfind is quadratic.
    base = max(0, number_start - _LOOKBACK_CHARS)
    if not _may_be_name_first(text, base, number_start):
        return None
    base = text.rfind("\n", base, number_start) + 1 or base
    window = text[base:number_start]
    # Most numbers follow ordinary words: decide on the words alone (one C-level
    # findall) and find their offsets only for a street-shaped candidate.
    found = _LOOKBACK_WORD.findall(window)[-6:]
    if not found:
        return None
    last_lowered = found[-1].lower()
    compound = last_lowered.endswith(_COMPOUNDS) and last_lowered not in gazetteer.COMMON_WORDS
    if not compound and _KEYWORDS.isdisjoint([word.lower() for word in found]):
        return None
    matches = list(_LOOKBACK_WORD.finditer(window))[-6:]
    words = [(match.start() + base, match.group()) for match in matches]
    last_start, last = words[-1]
    lowered = last.lower()
    start: int | None = None
    if lowered.endswith(_COMPOUNDS) and lowered not in gazetteer.COMMON_WORDS:
        start = last_start
        if lowered in _COMPOUNDS:  # spaced form: "Martin Linges veg" needs a capitalised name
            capitals = [pos for pos, word in words[-3:-1] if word[0].isupper()]
            if not capitals:
                return None
            start = capitals[0]
    else:
        keyword = next((pos for pos, word in words if word.lower() in _KEYWORDS), None)
        if keyword is None:
            return None
        start = keyword
    number = _LEADING_NUMBER.search(text, max(0, start - 8), start)
    return number.start(1) if number else start


# "01 Feb 2022" is a date, not building, street and number.
_MONTH_ABBREVIATIONS = frozenset(
    ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
)


def _has_common_word(value: str) -> bool:
    for word in _LOOKBACK_WORD.findall(value):
        lowered = word.lower()
        if lowered in gazetteer.COMMON_WORDS or lowered.rstrip(".") in _MONTH_ABBREVIATIONS:
            return True
    return False


def _word_end_before(text: str, number_start: int) -> int | None:
    """End of the word that a house number follows ("Scura 127", "str. 5"), if any."""
    index = number_start
    while index > 0 and text[index - 1] in " \t" and number_start - index < 8:
        index -= 1
    if index == number_start or index == 0:
        return None
    if text[index - 1] == "." and index > 1:
        index -= 1
    return index if text[index - 1].isalpha() else None


_MILITARY_STARTS = ("PSC ", "Unit ", "USNS ", "USS ", "USNV ", "USCGC ")


def _other_core_starts(text: str, lowered: str) -> list[int]:
    """Where a military or PO-box address can start: a unit keyword, or just before "box"."""
    starts: set[int] = set()
    if "PO " in text:  # military addresses end "APO AE 09012" (or FPO, DPO)
        for keyword in _MILITARY_STARTS:
            index = text.find(keyword)
            while index >= 0:
                starts.add(index)
                index = text.find(keyword, index + 1)
    box = lowered.find("box")
    while box >= 0:
        # "p.o. box", "po box", "post office box": the "p" is at most 12 characters back.
        for index in range(max(0, box - 12), box):
            if lowered[index] != "p":
                continue
            starts.add(index)
            spaces = index
            while spaces > 0 and text[spaces - 1] in " \t":
                spaces -= 1
            digits = spaces
            while spaces < index and digits > 0 and text[digits - 1].isdecimal():
                digits -= 1
                if spaces - digits > 6:
                    break  # more than six digits cannot open the address
            if digits < spaces and spaces - digits <= 6:
                starts.add(digits)  # "12 PO Box 7"
        box = lowered.find("box", box + 1)
    return sorted(starts)


def _other_cores(text: str) -> Iterator[re.Match[str]]:
    """``_OTHER_CORE.finditer(text)``, tried only where such an address can start."""
    lowered = lowered_text(text)
    if len(lowered) != len(text):
        yield from _OTHER_CORE.finditer(text)
        return
    pos = 0
    for start in _other_core_starts(text, lowered):
        if start >= pos:
            match = _OTHER_CORE.match(text, start)
            if match:
                pos = match.end()
                yield match


def _may_open_core(text: str, number_start: int, number_end: int) -> bool:
    """A digit-led core has at most six digits, then a space, a letter or a dash."""
    if number_end - number_start > 6 or number_end >= len(text):
        return False
    after = text[number_end]
    return after.isspace() or after.isalpha() or after == "-"


def _cores(text: str) -> list[tuple[int, int]]:
    """Street cores (possibly overlapping), leftmost and then longest first."""
    spans: list[tuple[int, int]] = []
    size = len(text)
    for number_start, number_end in digit_runs(text):
        # _may_open_core, inlined: it runs for every number.
        if number_end - number_start <= 6 and number_end < size:
            after = text[number_end]
            may_open = after.isspace() or after.isalpha() or after == "-"
        else:
            may_open = False
        if may_open:
            match = _DIGIT_CORE.match(text, number_start)
            if match and (match.group("nnn") is None or not _has_common_word(match.group("nnn"))):
                spans.append(match.span())
        # Most numbers follow no space ("$5", "(2023"): no word ends just before them.
        if number_start == 0 or text[number_start - 1] not in " \t":
            continue
        word_end = _word_end_before(text, number_start)
        if word_end is not None:
            number = _HOUSE_NUMBER.match(text, number_start)
            start = _name_first_start(text, word_end) if number else None
            if number and start is not None:
                spans.append((start, number.end()))
    spans.extend(match.span() for match in _other_cores(text))
    spans.sort(key=lambda span: (span[0], -span[1]))
    return spans


def _place_like(value: str) -> bool:
    words = value.split()
    return (
        value.casefold() in gazetteer.places()
        or value.isupper()
        or all(word[0].isupper() for word in words)
    ) and not any(word.lower() in gazetteer.COMMON_WORDS for word in words)


def _place_end(text: str, at: int, spaced: bool) -> int | None:
    """End of the longest run of up to four words at ``at`` that reads as a place."""
    ends: list[int] = []
    pos = at
    for _ in range(4):
        word = _PLACE_WORD.match(text, pos)
        if word is None:
            break
        ends.append(word.end())
        gap = _SPACES.match(text, word.end())
        if gap is None:
            break
        pos = gap.end()
    for end in reversed(ends):
        value = text[at:end]
        known = value.casefold() in gazetteer.places()
        if known or (not spaced and _place_like(value)):
            return end
    return None


def _segment_start(text: str, pos: int) -> tuple[int, bool]:
    """Where the next tail segment starts, and whether only spaces separate it."""
    separator = _NEW_SEGMENT.match(text, pos)
    if separator:
        return separator.end(), False
    spaces = _SPACES.match(text, pos)
    return (spaces.end(), True) if spaces else (pos, True)


def _tail_end(text: str, pos: int) -> int:
    """Extend an address over unit, city, region, country and postcode segments."""
    after_unit = _UNIT_BEFORE.search(text, max(0, pos - 24), pos) is not None
    for _ in range(_MAX_SEGMENTS):
        unit = _UNIT.match(text, pos)
        if unit:
            pos, after_unit = unit.end(), True
            continue
        at, spaced = _segment_start(text, pos)
        if at == pos:
            return pos
        unit = _UNIT.match(text, at)
        if unit:
            pos, after_unit = unit.end(), True
            continue
        postcode = _POSTCODE.match(text, at)
        if postcode:
            pos, after_unit = postcode.end(), False
            continue
        state = _STATE.match(text, at)
        if state and not spaced:
            pos, after_unit = state.end(), False
            continue
        # After "Apt. 886" capitalised words are the town even without a comma
        # ("Apt. 886 Grand-Leez Belgium").
        place_end = _place_end(text, at, spaced and not after_unit)
        if place_end is None:
            return pos
        pos, after_unit = place_end, False
        trailing = _TRAILING_POSTCODE.match(text, pos)
        if trailing:
            pos = trailing.end()
    return pos


class StreetAddressDetector(Detector):
    name = "street_address"
    kinds = ("street_address",)
    description = "Street addresses (number + street + suffix, European street forms)."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if not digit_starts(text):
            return []  # every street core has a house number
        findings: list[Finding] = []
        covered = 0
        for start, core_end in _cores(text):
            if start < covered:
                continue  # inside the previous address (or its tail)
            end = _tail_end(text, core_end)
            covered = end
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="street_address",
                    score=0.8 if end > core_end else 0.7,
                    explanation="street number and street name"
                    + (" with city, region or postcode" if end > core_end else ""),
                    sensitivity=Sensitivity.CONFIDENTIAL,
                )
            )
        return findings
