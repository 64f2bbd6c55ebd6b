"""Person names from gazetteers plus context, with no model download.

A run of capitalised words is scored by what its words are (census first
names, international first names, surnames, unknown capitalised words)
and by what comes before it (titles such as 'Dr.', cues such as 'my name is').
"""

from __future__ import annotations

import bisect
import re

from ramparts.detectors.base import (
    Detector,
    Finding,
    ScanContext,
    Sensitivity,
    lowered_text,
    new_finding,
)
from ramparts.detectors.options import NO_OPTIONS
from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._names_context import (
    PLACE,
    STRONG,
    TITLE,
    VERB_AFTER,
    WEAK,
    aligned_lower,
    layout_bonus,
)
from ramparts.detectors.pii._person_score import (
    LONE_BASE,
    LONE_GIVEN,
    NUMBER_AFTER,
    STREET_ENDINGS,
    STREET_TAILS,
    cue_window,
    final_score,
    lone_word_score,
    place_first,
)
from ramparts.detectors.pii._tokens import capitalized_runs

_STREET_ENDINGS = STREET_ENDINGS
_AMBIGUOUS_NAMES_TEXT = (
    "mark bill will grant rich joy hope grace faith art dawn summer june april may august chase"
    " guy page rose ray bell major sunny young king white black green brown long hall price"
    " love early day church west north south east lane wood house moon star rain storm"
)
_AMBIGUOUS_NAMES = frozenset(_AMBIGUOUS_NAMES_TEXT.split())
_LOWER_CUED = re.compile(
    r"(?:my name is|call me|calls me|said|told|named|dear|hello|hi|mr\.?|mrs\.?|ms\.?|dr\.?"
    r"|with|to|and) (?P<name>[a-z][a-z'\-]{1,20}(?: [a-z][a-z'\-]{1,20})?)\b"
)
# Two lower-case words side by side (overlapping matches: "add wendy olsen").
_LOWER_PAIR = re.compile(r"\b(?=([a-z][a-z'\-]{2,20}) ([a-z][a-z'\-]{1,20})\b)")
_LOWER_PAIR_SCORE = 0.6
_MIN_SCORE = 0.3
_LONE_GIVEN = LONE_GIVEN
_PAIR_GIVEN = 0.8
# A full name found with this confidence makes its words names wherever they recur.
_REPEAT_SCORE = 0.7
_LISTED_SCORE = 0.6
_ANCHOR_SCORE = 0.5  # the least confident name that makes its neighbours in a list names


def base_score(classes: list[str]) -> float:
    """The score of a run of word classes before any context (0 for an acronym)."""
    if "caps" in classes:
        return 0.0
    firsts = "first" in classes
    givens = "given" in classes
    if len(classes) >= 2:
        return 0.85 if firsts else _PAIR_GIVEN if givens else 0.55 if "last" in classes else 0.35
    return 0.6 if firsts else _LONE_GIVEN if givens else 0.35 if "last" in classes else 0.15


def _cued_score(
    score: float, *, titled: bool, cued: bool, strongly_cued: bool, place_cued: bool
) -> float:
    if titled:
        score = max(score, 0.9)
    elif strongly_cued:
        score = max(score + 0.15, 0.7)
    elif cued:
        score = min(score + 0.15, 0.9)
    if place_cued:
        score -= 0.25
    return score


# The cues' last two characters, tested before calling them: most windows end otherwise.
# (A slice reaching before the window only lets more through to the exact test.)
_STRONG_TAILS, _TITLE_TAILS = STRONG.tails, TITLE.tails
_WEAK_TAILS, _PLACE_TAILS = WEAK.tails, PLACE.tails


def _layout_possible(text: str, start: int, end: int) -> bool:
    """Layout counts only at a line start or before "'s" (``layout_bonus`` is 0 else)."""
    return (
        start == 0
        or text[start - 1] == "\n"
        or text.endswith(("\\n", "\\t"), 0, start)  # at_line_start, inlined
        or text.startswith(("'s", "\u2019s"), end)
    )


_LONE_BASE = LONE_BASE


def _lone_word_hopeless(
    text: str, lowered: str | None, start: int, end: int, base: float, floor: float
) -> bool:
    """Whether a one-word run scored ``base`` cannot reach ``floor`` whatever its context.

    It bounds the full scoring from above: a title or strong cue (tested as bare
    suffixes, a superset of whole words) could lift any word, so it gives up
    only when neither is there. (``lone_word_score`` has the same bound inline,
    for one-word runs; this one serves one-word segments of longer runs.)
    """
    window, low, _, title_end, cue_end = cue_window(text, lowered, start)
    if window[cue_end - 2 : cue_end] in _STRONG_TAILS and STRONG.suffix(window, low, cue_end):
        return False  # a strong cue (as a bare suffix: a superset) can lift any word
    if window[title_end - 2 : title_end] in _TITLE_TAILS and TITLE.suffix(window, low, title_end):
        return False  # and so can a title
    layout_possible = _layout_possible(text, start, end)
    if not layout_possible and base + 0.3 < floor - 0.02:
        return True  # even a weak cue and a verb after it leave it short
    weak = window[cue_end - 2 : cue_end] in _WEAK_TAILS and WEAK.suffix(window, low, cue_end)
    best = min(base + 0.15, 0.9) if weak else base
    verb_after = VERB_AFTER.match(text, end) is not None
    layout = layout_bonus(text, start, end, 1) if layout_possible else 0.0
    if best + (0.15 if verb_after else 0.0) + layout < floor - 0.02:
        return True  # clear of any rounding in the full scoring
    return final_score(best, layout, verb_after, False) < floor


def _lone_segment_hopeless(
    text: str,
    lowered: str | None,
    run: tuple[tuple[int, int], ...],
    words: list[str],
    word_class: str,
    index: int,
    floor: float,
) -> bool:
    """``_lone_word_hopeless`` for a one-word segment of a longer run ("The Linux"),
    which it bounds too unless a title word precedes it in the run ("Dr. de Souza")."""
    if word_class == "caps":
        return True  # scored 0
    if index > 0 and _is_title(words[index - 1]):
        return False
    start, end = run[index]
    return _lone_word_hopeless(text, lowered, start, end, _LONE_BASE.get(word_class, 0.15), floor)


_LIST_JOINER = re.compile(r"[ \t]*(?:,[ \t]*(?:and[ \t]+|or[ \t]+)?|and[ \t]+|or[ \t]+|&[ \t]*)\Z")
_LIST_JOINER_AFTER = re.compile(
    r"[ \t]*(?:,[ \t]*(?:and[ \t]+|or[ \t]+)?|[ \t]and[ \t]+|[ \t]or[ \t]+|&[ \t]*)"
)


def _listed_next_to(
    text: str,
    names: list[tuple[int, int]],
    candidates: list[tuple[int, int]],
    starts: list[int],
) -> set[tuple[int, int]]:
    """The name-like candidates (sorted, with their ``starts``) joined to one of
    ``names`` by a comma, "and", "or" or "&" within eight characters."""
    listed: set[tuple[int, int]] = set()
    classify = gazetteer.word_classes().classify
    for name_start, name_end in names:
        index = bisect.bisect_left(starts, name_end)
        while index < len(starts) and starts[index] <= name_end + 8:
            start, end = candidates[index]
            if _LIST_JOINER.match(text[name_end:start]) and classify(text[start:end]) != "common":
                listed.add((start, end))
            index += 1
        index = bisect.bisect_left(starts, name_start - 40)  # a candidate word is short
        while index < len(starts) and starts[index] < name_start:
            start, end = candidates[index]
            if name_start - 8 <= end <= name_start:
                joiner = _LIST_JOINER_AFTER.match(text, end, name_start)
                if joiner and joiner.end() == name_start and classify(text[start:end]) != "common":
                    listed.add((start, end))
            index += 1
    return listed


def _is_title(word: str) -> bool:
    return word.lower().rstrip(".") in gazetteer.TITLES


def _not_a_person(text: str, words: list[str], end: int) -> bool:
    """Organisations, streets and known places are not people."""
    if _names_a_non_person(words):
        return True
    after = text[end : end + 3]
    if "&" in after and after.strip().startswith("&"):
        return True  # "H. J. Wilson & Company"
    return NUMBER_AFTER.match(text, end) is not None  # "Celso Emilio Ferreiro 23": a street


def _names_a_non_person(words: list[str]) -> bool:
    """Whether the words alone say organisation, street or place."""
    not_person = gazetteer.NOT_PERSON_WORDS
    for word in words:
        lowered = word.lower()  # run words hold no dot (see _tokens): nothing to strip
        if lowered in not_person or (
            lowered[-2:] in STREET_TAILS and lowered.endswith(STREET_ENDINGS)
        ):
            return True  # non_person_word, inlined
    longest = gazetteer.place_lengths().get(words[0].casefold(), 0)
    if longest < 2 or len(words) < 2:
        return False  # the usual case: no place of two words or more starts with it
    places = gazetteer.places()
    # "San Giovanni Di Casarsa", "Saint Kitts": the run starts with a known place.
    for size in range(min(longest, len(words)), 1, -1):
        if " ".join(words[:size]).casefold() in places:
            return True
    return False


def _resolve_ambiguous(words: list[str], classes: list[str]) -> list[str]:
    """'Mark', 'Grace', 'Brown' are names next to other name-like words, else common words."""
    for index, word in enumerate(words):
        if classes[index] != "common" or word.lower() not in _AMBIGUOUS_NAMES:
            continue
        after = classes[index + 1] if index + 1 < len(words) else "common"
        before = classes[index - 1] if index > 0 else "common"
        titled = index > 0 and words[index - 1].lower().rstrip(".") in gazetteer.TITLES
        if (
            after in ("first", "given", "last", "unknown")
            and word in gazetteer.common_word_first_names()
        ):
            classes[index] = "first"  # "Mark Wilson", "Grace Boyle"
        elif (
            before in ("first", "given") or titled
        ) and word in gazetteer.common_word_last_names():
            classes[index] = "last"  # "Chris Brown", "Anna Long", "Ms. Brown"
    return classes


# Capitalised inside a run, these mark Title Case: a song or book title, an
# organisation or a subject line ("Carry Me Back To Spain", "Department Of Better
# Technology", "Meeting With Sarah Connor On Friday"). The run is split at them.
_TITLE_CASE_WORDS = frozenset(("Of", "The", "And", "For", "To", "In", "On", "At", "With", "Me"))


def _title_case_phrase(words: list[str]) -> bool:
    return not _TITLE_CASE_WORDS.isdisjoint(words[1:])


def _title_case_classes(words: list[str], classes: list[str]) -> list[str]:
    """``classes`` with the Title Case joining words made common, so segments split there."""
    return [
        "common" if word in _TITLE_CASE_WORDS else cls
        for word, cls in zip(words, classes, strict=True)
    ]


def _name_in_title_case(words: list[str], classes: list[str], first: int, last: int) -> bool:
    """Whether words ``first:last`` of a Title Case run are a name on their own.

    Every word of a title is capitalised, so one name-like word ("Carry",
    "Spain") says little; a first name with another name word ("Sarah Connor")
    or a word after a title ("Dr. Smith") still does.
    """
    if first > 0 and _is_title(words[first - 1]):
        return True
    piece = classes[first:last]
    return len(piece) >= 2 and ("first" in piece or "given" in piece)


def _segments(classes: list[str]) -> list[tuple[int, int]]:
    """Stretches of a run between common words ("Carry Me Back To Spain" -> Carry, Spain)."""
    segments: list[tuple[int, int]] = []
    start = 0
    for index, word_class in enumerate([*classes, "common"]):
        if word_class == "common":
            if index > start:
                segments.append((start, index))
            start = index + 1
    return segments


def _cued_lowercase_names(text: str) -> list[tuple[int, int, float]]:
    """Names in lower-case text: a first name right after a strong cue ("said
    petra", "call me owen"), or a census first name and surname side by side
    ("says sarah lewis") when neither is also an English word."""
    lowered = lowered_text(text)
    if lowered != text and _has_capital(text[:200]):
        return []
    found = []
    for match in _LOWER_CUED.finditer(lowered):
        words = match.group("name").split()
        names = [w for w in words if w.capitalize() in gazetteer.first_names()]
        if not names or words[0].capitalize() not in gazetteer.first_names():
            continue
        end = match.start("name") + len(words[0])
        if len(words) > 1 and words[1] not in gazetteer.COMMON_WORDS:
            end = match.end("name")
        found.append((match.start("name"), end, 0.7))
    taken = [(start, end) for start, end, _ in found]
    for match in _LOWER_PAIR.finditer(lowered):
        start, end = match.start(1), match.end(2)
        if _lower_full_name(match.group(1), match.group(2)) and not any(
            low < end and start < high for low, high in taken
        ):
            found.append((start, end, _LOWER_PAIR_SCORE))
            taken.append((start, end))
    return found


_ASCII_CAPITAL = re.compile("[A-Z]")


def _has_capital(head: str) -> bool:
    # An ASCII capital is found in C; only text without one is walked character by character.
    return _ASCII_CAPITAL.search(head) is not None or any(ch.isupper() for ch in head)


def _lower_full_name(given: str, family: str) -> bool:
    english = gazetteer.name_words()
    return (
        given.capitalize() in gazetteer.first_names()
        and family.capitalize() in gazetteer.last_names()
        and given not in english
        and family not in english
    )


class PersonNameDetector(Detector):
    name = "person_name"
    option_specs = NO_OPTIONS
    kinds = ("person",)
    description = "Person names (census name gazetteers, titles and context cues)."

    def scan(self, text: str, context: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        # WordClasses.classify, inlined: it runs for every capitalised word.
        word_classes = gazetteer.word_classes()
        table, surnames, given = word_classes.table, word_classes.last, word_classes.given
        unlisted = word_classes.unlisted
        # Names from 0.5 up anchor the association pass below, so they are always built;
        # anything under min_score is dropped at the end.
        floor = max(_MIN_SCORE, min(context.min_score, _ANCHOR_SCORE))
        lone_misses: list[tuple[int, int]] = []
        lowered = aligned_lower(text)
        for run in capitalized_runs(text):
            if len(run) == 1:
                # Most runs are one word ("The", "Linux"): no ambiguity or segments to resolve.
                start, end = run[0]
                word = text[start:end]
                single = table.get(word) or (
                    "last" if word in surnames else "given" if word in given else unlisted(word)
                )
                if single == "common":
                    lone_misses.append(run[0])  # association may still lift it
                    continue
                if single == "caps" or single == "suffix":
                    continue
                score = lone_word_score(text, lowered, start, end, single, floor)
                if score is not None:
                    findings.append(self._found(context, start, end, score, word))
                if score is None or score < _LISTED_SCORE:
                    lone_misses.append(run[0])  # association may still lift it
                continue
            words = [text[start:end] for start, end in run]
            classes = [
                table.get(word)
                or ("last" if word in surnames else "given" if word in given else unlisted(word))
                for word in words
            ]
            title_case = _title_case_phrase(words)
            if title_case:
                if _names_a_non_person(words):
                    continue  # "Department Of Better Technology": an organisation
                classes = _title_case_classes(words, classes)
            if "common" in classes:
                segments = _segments(_resolve_ambiguous(words, classes))
            else:
                segments = [(0, len(classes))]  # no common word: nothing to resolve or split
            if title_case:
                segments = [s for s in segments if _name_in_title_case(words, classes, *s)]
            for first, last in segments:
                if last - first == 1 and _lone_segment_hopeless(
                    text, lowered, run, words, classes[first], first, floor
                ):
                    continue
                finding = self._name(
                    context, text, lowered, run, words, classes, first, last, floor
                )
                if finding is not None:
                    findings.append(finding)
        if lone_misses and findings:
            associated = self._repeats(context, text, findings, lone_misses)
            if associated:
                lifted = {(finding.start, finding.end) for finding in associated}
                findings = [f for f in findings if (f.start, f.end) not in lifted]
                findings.extend(associated)
        for start, end, score in _cued_lowercase_names(text):
            findings.append(
                self.finding(
                    context,
                    text,
                    start,
                    end,
                    kind="person",
                    score=score,
                    explanation="lower-case census first name after a naming cue",
                    sensitivity=Sensitivity.CONFIDENTIAL,
                )
            )
        if context.min_score > floor:
            return [finding for finding in findings if finding.score >= context.min_score]
        return findings

    def _repeats(
        self,
        context: ScanContext,
        text: str,
        found: list[Finding],
        candidates: list[tuple[int, int]],
    ) -> list[Finding]:
        """Lone words that are names by association: a word of a confident full name
        seen again ("Azarías Segovia ... starring Segovia"), or a name-like word listed
        next to a found name ("founders: Torvik, Mendez and Crawford")."""
        names: set[str] = set()
        for finding in found:
            if finding.score >= _REPEAT_SCORE:
                words = text[finding.start : finding.end].split()
                if len(words) >= 2:
                    names.update(words)
        added: list[tuple[int, int, float, str]] = []
        left: list[tuple[int, int]] = []
        if not names:
            left = candidates  # the usual case: no confident full name to repeat
        else:
            for start, end in candidates:
                if text[start:end] in names and not _is_title(text[start:end]):
                    added.append((start, end, _REPEAT_SCORE, "repeats a word of a full name"))
                else:
                    left.append((start, end))
        # A list is resolved from its found names outwards, a few steps at most.
        frontier = [(f.start, f.end) for f in found if f.score >= _ANCHOR_SCORE]
        frontier += [(start, end) for start, end, _, _ in added]
        starts = [start for start, _ in left]  # candidates do not overlap: one order
        for _ in range(3):
            listed = _listed_next_to(text, frontier, left, starts)
            if not listed:
                break
            added += [
                (start, end, _LISTED_SCORE, "listed with a found name") for start, end in listed
            ]
            left = [span for span in left if span not in listed]
            starts = [start for start, _ in left]
            frontier = sorted(listed)
        return [
            self.finding(
                context,
                text,
                start,
                end,
                kind="person",
                score=score,
                explanation=why,
                sensitivity=Sensitivity.CONFIDENTIAL,
            )
            for start, end, score, why in added
        ]

    def _found(
        self, context: ScanContext, start: int, end: int, score: float, value: str
    ) -> Finding:
        return new_finding(  # self.finding, without its keyword-argument layer
            self.name,
            "person",
            start,
            end,
            score,
            "capitalised words matching name gazetteers and context",
            Sensitivity.CONFIDENTIAL,
            context.fingerprint(value),
        )

    def _name(
        self,
        context: ScanContext,
        text: str,
        lowered: str | None,
        run: tuple[tuple[int, int], ...],
        words: list[str],
        classes: list[str],
        first: int,
        last: int,
        floor: float,
    ) -> Finding | None:
        """Score words ``first:last`` of a run as a name; None under ``floor``."""
        segment = classes[first:last]
        if "caps" in segment:
            return None
        start, end = run[first][0], run[last - 1][1]
        if last - first == 1:
            base = _LONE_BASE.get(segment[0], 0.15)
        else:  # base_score, inlined (no "caps" here)
            base = (
                0.85
                if "first" in segment
                else _PAIR_GIVEN
                if "given" in segment
                else 0.55
                if "last" in segment
                else 0.35
            )
        window, low, place_end, title_end, cue_end = cue_window(text, lowered, start)
        titled = first > 0 and _is_title(words[first - 1])
        if not titled:
            titled = window[title_end - 2 : title_end] in _TITLE_TAILS and TITLE.ends(
                window, low, title_end
            )
        # A title overrides the cues and a strong cue a weak one: test only what can count.
        strongly_cued = (
            not titled
            and window[cue_end - 2 : cue_end] in _STRONG_TAILS
            and STRONG.ends(window, low, cue_end)
        )
        layout = (
            layout_bonus(text, start, end, last - first)
            if _layout_possible(text, start, end)
            else 0.0
        )
        verb_after = VERB_AFTER.match(text, end) is not None
        if titled or strongly_cued:
            score = _cued_score(
                base, titled=titled, cued=False, strongly_cued=strongly_cued, place_cued=False
            )
        else:
            weak = window[cue_end - 2 : cue_end] in _WEAK_TAILS and WEAK.ends(window, low, cue_end)
            score = min(base + 0.15, 0.9) if weak else base
            # Scores only grow with their inputs (and only fall from here); a lone word
            # was bounded in scan.
            if len(run) > 1 and final_score(score, layout, verb_after, False) < floor:
                return None
        if window[place_end - 2 : place_end] in _PLACE_TAILS and PLACE.ends(window, low, place_end):
            score -= 0.25  # "in", "at", "near": a place more likely
        place_word = last - first == 1 and place_first(
            text[start:end].casefold(), segment[0], bool(verb_after or layout or strongly_cued)
        )
        score = final_score(score, layout, verb_after, place_word)
        if score < floor or _not_a_person(text, words[first : last + 1], end):
            return None
        return self._found(context, start, end, score, text[start:end])
