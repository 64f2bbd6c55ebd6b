"""Street addresses: a street core plus the unit, city, region and postcode after it.

The core is either number-first ("221B Baker Street", "50 Point Walter Rd") or
name-first European style ("Loorenstrasse 149", "Via Roma 12", "ul. Długa 5").
The tail is consumed one bounded segment at a time, so matching stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ramparts.detectors.base import Detector, Finding, ScanContext, Sensitivity, lowered_text
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._address_cues import (
    CLAUSE_CHARS,
    CLAUSE_WORDS,
    cued_number_led_end,
    cued_street_start,
)
from ramparts.detectors.pii._address_words import (
    COMPOUNDS,
    KEYWORDS,
    PARTICLES,
    PLAIN_SUFFIXES,
    PROPER_SUFFIXES,
    SPACED_LOWER,
    UNIT_WORDS,
)
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


_SUFFIX = _trie(PLAIN_SUFFIXES)
# Capitalised only ("7 Gallo Creek", not "5 miles on a run"): see _address_words.
_PROPER_SUFFIX = "(?-i:" + _trie(PROPER_SUFFIXES) + ")"
_WORD = r"[^\W\d_][\w'\u2019.\-]*+"
_ORDINAL = r"\d{1,4}(?:st|nd|rd|th)\b"  # "2914 184th Street"
_NUMBER_FIRST = (
    rf"\d{{1,6}}[A-Za-z]?(?:[ \-]\d{{1,5}})?\s++(?:(?:{_WORD}|{_ORDINAL})[ \t]+){{0,4}}"
    rf"{_SUFFIX}\b\.?(?:[ \t]+\d{{1,5}}[A-Za-z]?\b)?"
)
# Street words that end a street name glued or spaced ("Loorenstrasse", "Linges veg"),
# without their final dot: the word before a house number is read up to its dot.
_COMPOUNDS = tuple(sorted({word.rstrip(".") for word in COMPOUNDS}))
_COMPOUND_SET = frozenset(_COMPOUNDS)
# Spaced-only street words ("Vidkuns gate 71"), written in lower case after a space.
_SPACED = frozenset(word.rstrip(".") for word in SPACED_LOWER)
_SPACED_ENDINGS = tuple(sorted(gap + word for word in _SPACED for gap in " \t"))
# Words that start a street name in Romance, Slavic and other languages ("Via Roma 12").
_KEYWORDS = KEYWORDS
_CAPITAL = r"(?-i:[^\W\d_a-z])[^\W\d_]*+"
# A capitalised word, hyphenated or with an apostrophe ("Vana-Viru", "O'Connell").
_CAPITAL_WORD = _CAPITAL + r"(?:[\-'\u2019][^\W\d_]++)*+"
_PARTICLE = _trie(" ".join(sorted(PARTICLES - {"l'", "d'"})))
# The rarer street types need a capitalised name and a number that is not a year
# ("7 Svenningsen Coves", not "8 Key" or "2011 Arab Spring").
_NUMBER_PROPER = (
    rf"(?P<proper>(?!(?:19|20)\d\d\b)\d{{1,6}}[A-Za-z]?(?:[ \-]\d{{1,5}})?[ \t]++"
    rf"(?:(?:{_CAPITAL_WORD}|{_ORDINAL})[ \t]+){{1,4}}{_PROPER_SUFFIX}\b)"
    r"(?:[ \t]+\d{1,5}[A-Za-z]?\b)?"
)
_UNIT_WORD = _trie(UNIT_WORDS)
# "77780 Luite tee 87", "24407 Aeropuerto 4037": building number, street name, number.
_NUMBER_NAME_NUMBER = (
    rf"(?P<nnn>\d{{1,6}}[ \t]+{_CAPITAL_WORD}(?:[ \t]+[^\W\d_][\w'\u2019\-]*+){{0,3}}?"
    r"[ \t]+\d{1,5}[A-Za-z]?\b)"
)
_BOUNDARY = rf"(?:{ESCAPED_BREAK}|(?<![\w\-]))"
# Every digit-led core in one pattern that fails at the first character elsewhere.
# "31 rue Marguerite", "180 C/ Eras": a number, a street keyword, then the name, whose
# later words are capitalised or particles ("45 Place du Jeu de Paume", not prose).
_NAME_WORD = rf"(?:{_PARTICLE}\b|(?:[dl]['\u2019])?{_CAPITAL}[\w'\u2019\-]*+)"
_NUMBER_KEYWORD = (
    r"\d{1,6}(?:[ \-]\d{1,5})?[ \t]+"
    + _trie(
        "rue avenue av. boulevard bd allée place chemin impasse quai route via viale calle c/"
        " rua r. avenida ul. piazza plaza carrer"
    )
    + rf"[ \t]+(?!{_UNIT_WORD}\b)[^\W\d_][\w'\u2019.\-]*+"
    rf"(?:[ \t]+(?!{_UNIT_WORD}\b)[^\W\d_][\w'\u2019\-]*+)?"
    rf"(?:[ \t]+(?!{_UNIT_WORD}\b){_NAME_WORD}){{0,3}}"
)
# "94941 2505 Heatherleigh Suite 620": capitalised words that a unit follows.
_NUMBER_UNIT = (
    rf"\d{{1,6}}(?:[ \-]\d{{1,5}})?[ \t]+(?!{_UNIT_WORD}\b){_CAPITAL_WORD}"
    rf"(?:[ \t]+(?!{_UNIT_WORD}\b){_CAPITAL_WORD}){{0,3}}"
    r"(?=[ \t]*,?[ \t]*(?:\n|\\n)?[ \t]*(?:suite|apt|apartment)\b)"
)
# The keyword form first: "45 Place du Jeu de Paume" is longer than "45 Place".
# The lookahead is what every alternative needs after the number (a space, then a
# letter or digit): most numbers in prose fail it at once.
_CORE_GATE = rf"{_BOUNDARY}(?=\d{{1,6}}[A-Za-z]?(?:[ \-]\d{{1,5}})?\s++\w)"
_CORE_FORMS = rf"{_NUMBER_KEYWORD}|{_NUMBER_FIRST}|{_NUMBER_PROPER}|{_NUMBER_NAME_NUMBER}"
_DIGIT_CORE = re.compile(rf"{_CORE_GATE}(?:{_CORE_FORMS})", re.IGNORECASE)
# With the unit form, for texts that name a suite or apartment at all.
_DIGIT_CORE_UNIT = re.compile(rf"{_CORE_GATE}(?:{_CORE_FORMS}|{_NUMBER_UNIT})", re.IGNORECASE)
# Military addresses ("PSC 7423, Box 3629 APO AE 40229", "USNS Šimić FPO AA 13523"),
# in their usual capitals or wholly lower-case; and post-office boxes.
_MILITARY = (
    r"(?:(?:PSC|Unit) \d{1,5},? Box \d{1,5}|(?:USNS|USS|USNV|USCGC) [^\W\d_][\w'\-]+)"
    r"\s{0,3}(?:APO|FPO|DPO) (?:AA|AE|AP) \d{5}"
)
_MILITARY_LOWER = (
    r"(?:(?:psc|unit) \d{1,5},? box \d{1,5}|(?:usns|uss|usnv|uscgc) [^\W\d_][\w'\-]+)"
    r"\s{0,3}(?:apo|fpo|dpo) (?:aa|ae|ap) \d{5}"
)
_OTHER_CORE = re.compile(
    rf"{_BOUNDARY}(?:(?-i:{_MILITARY}|{_MILITARY_LOWER})"
    rf"|(?:\d{{1,6}}[ \t]+)?(?:p\.?\s?o\.?\s?box|post office box)[ \t]+\d{{1,6}}\b)",
    re.IGNORECASE,
)
_HOUSE_NUMBER = re.compile(r"\d{1,5}[A-Za-z]?\b")  # what _house_number_end computes
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_LOOKBACK_WORD = re.compile(r"[^\W\d_][\w'\u2019.\-]*")
_LEADING_NUMBER = re.compile(r"(\d{1,6})[ \t]+\Z")
_LOOKBACK_CHARS = 80
_NAME_RUN = re.compile(r"[^\W\d_][\w'\u2019.\-]*+(?:[ \t]+[^\W\d_][\w'\u2019.\-]*+)*+")
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
# A postcode line is not followed by more digits: "0494 41 18 24" starts a phone number.
_POSTCODE = re.compile(
    r"(?:\d{4,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]\d[A-Z] ?\d[A-Z]\d)\b"
    r"(?![ \t]*\d|[\-./]\d)"
)
_PLACE_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019\-/](?=[^\W\d_]))*+(?!\d)")
_MAX_PLACE_WORDS = 5
_ASIDE = re.compile(r"[ \t]+\([^\W\d_]+(?:[ \t][^\W\d_]+)?\)")
_TRAILING_POSTCODE = re.compile(
    r"[ \t]+(?:\d{4,6}(?:-\d{4})?|nan|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|[A-Z]{2}[ \t]+\d{5})\b"
)
_STATE = re.compile(r"[A-Z]{2}\b")
_SPACES = re.compile(r"[ \t]{1,8}")
_MAX_SEGMENTS = 5
# "... and Gallo Creek": a second, capitalised street with a street type.
_CROSSING = re.compile(
    rf"(?:[ \t]+(?:st|rd|ave)\.?)?[ \t]+(?:and|&)[ \t]+(?:\d{{1,6}}[ \t]+)?{_CAPITAL_WORD}"
    rf"[ \t]+(?:(?:{_CAPITAL_WORD}|{_PARTICLE})[ \t]+){{0,2}}(?:{_SUFFIX}|{_PROPER_SUFFIX})\b",
    re.IGNORECASE,
)


# Any street keyword as a bare substring: a superset of the whole words that
# ``_name_first_start`` looks for.
_KEYWORD_SUBSTRING = re.compile(_trie(" ".join(sorted(_KEYWORDS))))


def _may_be_name_first(text: str, lowered: str, base: int, number_start: int) -> bool:
    """Cheap necessary condition for ``_name_first_start``: the word before the number
    ends with a street word, or a keyword occurs in the window before it.

    ``lowered`` is the lower-cased text, the same length as the text.
    """
    if lowered.endswith(_COMPOUNDS, 0, number_start) or text.endswith(
        _SPACED_ENDINGS, 0, number_start
    ):
        return True
    # Only words and spaces lie between the keyword and the number (``_NAME_RUN``):
    # the search starts after the last comma or colon, which records often hold.
    base = max(base, text.rfind(",", base, number_start) + 1)
    base = max(base, text.rfind(":", base, number_start) + 1)
    return _KEYWORD_SUBSTRING.search(lowered, base, number_start) is not None


def _name_first_start(text: str, number_start: int, lowered: str | None = None) -> int | None:
    """Start of a name-first street ending just before a house number, if there is one.

    ``lowered`` is ``lowered_text(text)``, passed by a caller that holds it already.
    """
    if lowered is None:
        lowered = lowered_text(text)
    # Bounded search: on a long text without newlines an unbounded rfind is quadratic.
    base = max(0, number_start - _LOOKBACK_CHARS)
    base = text.rfind("\n", base, number_start) + 1 or base
    # A literal "\n" (text exported from JSON) breaks the line too.
    escaped = text.rfind("\\n", base, number_start)
    if escaped >= 0:
        base = escaped + 2
    # Only the words of this line count, so the pre-check reads only the line; it
    # reads offsets into the lower-cased text, so only when they line up.
    if len(lowered) == len(text) and not _may_be_name_first(text, lowered, base, number_start):
        return None
    window = text[base:number_start]
    # Most numbers follow ordinary words: decide on the words alone (one C-level
    # findall) and find their offsets only for a street-shaped candidate.
    found = _LOOKBACK_WORD.findall(window)[-6:]
    if not found:
        return None
    last_lowered = found[-1].lower()
    compound = (
        last_lowered.endswith(_COMPOUNDS) and last_lowered not in gazetteer.COMMON_WORDS
    ) or found[-1] in _SPACED
    if not compound and _KEYWORDS.isdisjoint([word.lower() for word in found]):
        return None
    matches = list(_LOOKBACK_WORD.finditer(window))[-6:]
    words = [(match.start() + base, match.group()) for match in matches]
    last_start, last = words[-1]
    lowered = last.lower()
    start: int | None = None
    spaced = last in _SPACED and last_start > 0 and text[last_start - 1] in " \t"
    if spaced or (lowered.endswith(_COMPOUNDS) and lowered not in gazetteer.COMMON_WORDS):
        start = last_start
        if spaced or lowered in _COMPOUND_SET:
            # spaced form: "Martin Linges veg" needs a capitalised name
            capitals = [pos for pos, word in words[-3:-1] if word[0].isupper()]
            if not capitals:
                return None
            start = capitals[0]
    else:
        keyword = next((pos for pos, word in words if word.lower() in _KEYWORDS), None)
        # Only words lie between the keyword and the number ("Estrada | 24" is a table).
        if keyword is None or not _NAME_RUN.fullmatch(text, keyword, number_start):
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
_MILITARY_STARTS_LOWER = tuple(keyword.lower() for keyword in _MILITARY_STARTS)


def _other_core_starts(text: str, lowered: str) -> list[int]:
    """Where a military or PO-box address can start: a unit keyword, or just before "box"."""
    starts: set[int] = set()
    # Military addresses end "APO AE 09012" (or FPO, DPO), in capitals or lower case.
    # One scan of the lower-cased text rules out both (most texts have neither).
    if "po " in lowered:
        for marker, keywords in (("PO ", _MILITARY_STARTS), ("po ", _MILITARY_STARTS_LOWER)):
            if marker not in text:
                continue
            for keyword in keywords:
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


def _house_number_end(text: str, start: int, end: int) -> int | None:
    """``_HOUSE_NUMBER.match(text, start).end()`` for the digit run ``start:end``, or None.

    Plain string tests: this runs for most numbers in a text. The run is maximal, so
    the pattern's digits are all of it (at most five), then an optional ASCII letter,
    then a word boundary.
    """
    if end - start > 5:
        return None  # no boundary between two digits
    if end == len(text):
        return end
    after = text[end]
    if after in _ASCII_LETTERS:
        end += 1  # without the letter no boundary follows the digits
        return end if end == len(text) or not _is_word_char(text[end]) else None
    return None if _is_word_char(after) else end


def _is_word_char(char: str) -> bool:
    """Whether ``char`` is a regex ``\\w`` character (Unicode, ``str`` patterns)."""
    return char.isalnum() or char == "_"


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
    lowered = lowered_text(text)
    units = "suite" in lowered or "apt" in lowered or "apartment" in lowered
    digit_core = _DIGIT_CORE_UNIT if units else _DIGIT_CORE
    # The phrase-cued forms are slow and only add streets not already found, so
    # they are skipped for a number inside the last core found.
    for number_start, number_end in digit_runs(text):
        covered = spans[-1][1] if spans else -1  # by the core of an earlier number
        # _may_open_core, inlined: it runs for every number.
        if number_end - number_start <= 6 and number_end < size:
            after = text[number_end]
            may_open = after.isspace() or after.isalpha() or after == "-"
        else:
            may_open = False
        if may_open:
            match = digit_core.match(text, number_start)
            # The forms with a capitalised name must not be prose ("3 Key Facts").
            if match and (match.lastgroup is None or not _has_common_word(match[match.lastgroup])):
                spans.append(match.span())
            elif (
                match is None and after in " \t" and number_end + 1 < size and covered < number_end
            ):
                following = text[number_end + 1]
                if following.isupper() or following.isdigit():
                    end = cued_number_led_end(text, number_start)
                    if end is not None:
                        spans.append((number_start, end))
        # Most numbers follow no space ("$5", "(2023"): no word ends just before them.
        if number_start == 0 or text[number_start - 1] not in " \t":
            continue
        word_end = _word_end_before(text, number_start)
        if word_end is not None:
            end = _house_number_end(text, number_start, number_end)
            if end is None:
                continue
            start = _name_first_start(text, word_end, lowered)
            if (
                start is None
                and covered < end
                and (end == size or text[end] in CLAUSE_CHARS or text.startswith(CLAUSE_WORDS, end))
                and text[word_end - 1].isalpha()
            ):
                start = cued_street_start(text, number_start, end)
            if start is not None:
                spans.append((start, end))
    spans.extend(match.span() for match in _other_cores(text))
    spans.sort(key=lambda span: (span[0], -span[1]))
    return spans


def _place_like(value: str) -> bool:
    """Whether ``value``, not a known place, is shaped like one (capitalised, no common word)."""
    words = value.split()
    # Particles may join the words of a place ("Ostrov nad Ohrí", "Mora de Rubielos").
    inner = {index for index in range(1, len(words) - 1) if words[index] in PARTICLES}
    return (
        value.isupper()
        or all(word[0].isupper() or index in inner for index, word in enumerate(words))
    ) and not any(
        word.lower() in gazetteer.COMMON_WORDS
        for index, word in enumerate(words)
        if index not in inner
    )


def _place_end(text: str, at: int, spaced: bool) -> int | None:
    """End of the longest run of up to four words at ``at`` that reads as a place."""
    word = _PLACE_WORD.match(text, at)
    if word is None:
        return None
    ends = [word.end()]
    # A known place of n words starts with a word that starts places of n words or
    # more: one lookup rules out most spans before each is case-folded and looked up.
    longest = gazetteer.place_lengths().get(text[at : ends[0]].casefold(), 0)
    # After bare spaces only a known place counts, so no longer run need be read.
    limit = min(longest, _MAX_PLACE_WORDS) if spaced else _MAX_PLACE_WORDS
    if limit == 0:
        return None
    while len(ends) < limit:
        gap = _SPACES.match(text, ends[-1])
        if gap is None:
            break
        word = _PLACE_WORD.match(text, gap.end())
        if word is None:
            break
        ends.append(word.end())
    places = gazetteer.places()
    for index in range(len(ends) - 1, -1, -1):
        value = text[at : ends[index]]
        if (index < longest and value.casefold() in places) or (not spaced and _place_like(value)):
            return ends[index]
    return None


def _segment_start(text: str, pos: int) -> tuple[int, bool]:
    """Where the next tail segment starts, and whether only spaces separate it."""
    separator = _NEW_SEGMENT.match(text, pos)
    if separator:
        return separator.end(), False
    spaces = _SPACES.match(text, pos)
    return (spaces.end(), True) if spaces else (pos, True)


# What every ``_UNIT_BEFORE`` match holds, lower-cased: "#" or part of a unit word.
_UNIT_BEFORE_PARTS = ("#", "apt", "apartment", "suite", "ste", "unit", "fl", "room")


def _unit_before(text: str, pos: int) -> bool:
    """``_UNIT_BEFORE.search(text, pos - 24, pos)``, skipped when no unit word can be there."""
    start = max(0, pos - 24)
    window = text[start:pos]
    # In ASCII text case folding pairs only ASCII letters (long s, dotless i and the
    # Kelvin sign fold onto them too), so the lower-cased window must hold the unit word.
    if window.isascii():
        lowered = window.lower()
        if not any(part in lowered for part in _UNIT_BEFORE_PARTS):
            return False
    return _UNIT_BEFORE.search(text, start, pos) is not None


def _tail_end(text: str, pos: int) -> tuple[int, int]:
    """Extend an address over unit, city, region, country and postcode segments.

    Returns the new end and how many segments it took in.
    """
    if text.startswith(".", pos) and text[pos - 1].isdigit():
        # "Király u. 23.\n Apt. 5": the dot after a house number belongs to it when
        # the address goes on; otherwise it ends the sentence.
        end, segments = _tail_end(text, pos + 1)
        return (end, segments) if segments else (pos, 0)
    after_unit = _unit_before(text, pos)
    segments = 0
    for _ in range(_MAX_SEGMENTS):
        unit = _UNIT.match(text, pos)
        if unit:
            pos, after_unit, segments = unit.end(), True, segments + 1
            continue
        at, spaced = _segment_start(text, pos)
        if at == pos:
            return pos, segments
        unit = _UNIT.match(text, at)
        if unit:
            pos, after_unit, segments = unit.end(), True, segments + 1
            continue
        postcode = _POSTCODE.match(text, at)
        if postcode:
            pos, after_unit, segments = postcode.end(), False, segments + 1
            continue
        state = _STATE.match(text, at)
        if state and not spaced:
            pos, after_unit, segments = state.end(), False, segments + 1
            continue
        # After "Apt. 886" capitalised words are the town even without a comma
        # ("Apt. 886 Grand-Leez Belgium").
        place_end = _place_end(text, at, spaced and not after_unit)
        if place_end is None:
            return pos, segments
        pos, after_unit, segments = place_end, False, segments + 1
        aside = _ASIDE.match(text, pos)  # "Cyprus (Greek)"
        if aside:
            pos = aside.end()
        trailing = _TRAILING_POSTCODE.match(text, pos)
        if trailing:
            pos = trailing.end()
    return pos, segments


def _address_end(text: str, core_end: int) -> tuple[int, int]:
    """End of the address whose core ends at ``core_end``, and its tail segments.

    A street crossing another counts whole ("Vidkuns gate 71 and Gallo Creek").
    """
    end, segments = _tail_end(text, core_end)
    crossing = _CROSSING.match(text, end)
    if crossing:
        end, segments = crossing.end(), segments + 1
    return end, segments


class StreetAddressDetector(Detector):
    name = "street_address"
    option_specs = NO_OPTIONS
    kinds = ("street_address",)
    description = "Street addresses (number + street + suffix, European street forms)."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        if not digit_starts(text):
            return []  # every street core has a house number
        findings: list[Finding] = []
        addresses: list[tuple[int, int, int, int]] = []  # start, core end, end, segments
        for start, core_end in _cores(text):
            if addresses and start < addresses[-1][2]:
                # Inside the previous address: it grows only if this core reaches
                # past it ("Jaanioja 7" then "7 Svenningsen Coves\n Suite 583").
                first, _, end, _ = addresses[-1]
                if core_end > end:
                    addresses[-1] = (first, core_end, *_address_end(text, core_end))
                continue
            addresses.append((start, core_end, *_address_end(text, core_end)))
        for start, core_end, end, segments in addresses:
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="street_address",
                    # A street with its unit and town (two segments or more) is
                    # surer than a person or place name overlapping it.
                    score=0.9 if segments > 1 else 0.8 if end > core_end else 0.7,
                    explanation="street number and street name"
                    + (" with city, region or postcode" if end > core_end else ""),
                    sensitivity=Sensitivity.CONFIDENTIAL,
                )
            )
        return findings
