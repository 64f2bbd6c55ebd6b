"""Tables and context tests of the place detector (``location.py``).

The tables are built once from the gazetteers and the lists in
``_location_words``: they hold no prompt word.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from ramparts.detectors.pii import gazetteer
from ramparts.detectors.pii._location_words import (
    EXTRA_REGIONS,
    ORDINARY_WORD_PLACES,
    WELL_KNOWN_CITIES,
)

# A short cue right before a place ("in", "from"...).
_WEAK_CUES_TEXT = """
    in at from to near of visit visited visiting moved live lives
"""
_WEAK_CUES = frozenset(_WEAK_CUES_TEXT.split())
# Phrases that point at a place whatever follows ("grew up in", "based in",
# "flew to", "Where:"): enough for a name the gazetteer does not know. Matched on
# the last words before the name, so the phrases are sets of words, not a regex.
_STRONG_TEXT = """
    grew|up|in born|in raised|in based|in located|in headquartered|in situated|in live|in
    lives|in lived|in living|in reside|in resides|in resided|in residing|in settled|in
    stationed|in staying|in stayed|in vacationing|in arrived|in landed|in i'm|in i|am|in
    im|in we're|in we|are|in office|in offices|in originally|from moved|here|from
    moved|from relocated|from hail|from hails|from hailed|from emigrated|from
    immigrated|from i'm|from i|am|from im|from flew|to fly|to flying|to flight|to
    flights|to travel|to traveled|to travelled|to traveling|to travelling|to trip|to
    trips|to journey|to moved|to moving|to relocated|to relocating|to returned|to
    drove|to headed|to emigrated|to immigrated|to arrived|at city|of town|of village|of
    capital|of suburb|of suburbs|of county|of province|of outskirts|of university|of
    mayor|of citizens|of home|city home|town home|country home|village
"""
_STRONG_PHRASES = frozenset(phrase.replace("|", " ") for phrase in _STRONG_TEXT.split())
_STRONG_WORDS_TEXT = """
    visit visited visiting toured touring hometown hometown:
"""
_STRONG_WORDS = frozenset(_STRONG_WORDS_TEXT.split())
_LABELS_TEXT = """
    where location city town country birthplace hometown destination birth
"""
_LABELS = frozenset(_LABELS_TEXT.split())
_CUE_REACH = 40
_STRIP = "\"'([{<>*_"

# Words that may open a run before a place ("Visit Paris", "Downtown Chicago");
# any other capitalised word there makes the place part of a longer name
# ("European Union", "Emma Terrace", "Erzebet Budai").
_BEFORE_OK_TEXT = """
    the in at from to of and or near via into visit visiting visited welcome hello hi
    hey dear downtown greater central inner outer upper lower north south east west
    northern southern eastern western old new historic beautiful rural urban metro
    metropolitan where location city town country
"""
BEFORE_OK = frozenset(_BEFORE_OK_TEXT.split())
# Words that may follow a place in its run ("Berlin City", "Munich Airport").
_AFTER_OK_TEXT = """
    city county area region province district metro airport station harbour harbor bay
    coast region
"""
_AFTER_OK = frozenset(_AFTER_OK_TEXT.split())
_TITLE_CASE_LINKS_TEXT = """
    and or the of in at to for on is was with from by
"""
_TITLE_CASE_LINKS = frozenset(_TITLE_CASE_LINKS_TEXT.split())
# "in", "near"...: the cues that say place for a word that is also something else
# ("in Reading"; not "of Liberty", "use of DAX").
_PLACE_PREPOSITIONS_TEXT = """
    in at from to near
"""
PLACE_PREPOSITIONS = frozenset(_PLACE_PREPOSITIONS_TEXT.split())
_STREET_WORDS_TEXT = """
    street st road rd avenue ave lane ln drive dr boulevard blvd way court ct place pl
    square sq terrace highway hwy parkway mall
"""
_STREET_WORDS = frozenset(_STREET_WORDS_TEXT.split())
# Words that end a name after a strong cue: ordinary words, titles, organisation and
# venue words ("based in Anchor Bancorp", "Where: Beerze Country Club").
_GEOGRAPHIC_TEXT = """
    north south east west old new little big great park hill city town village county
    state lake bay beach falls springs island islands port mount valley heights
"""
_GEOGRAPHIC = frozenset(_GEOGRAPHIC_TEXT.split())
_VENUE_WORDS = frozenset(("club", "country", "hotel", "centre", "center", "stadium", "arena"))
NAME_STOP_WORDS = (
    (gazetteer.COMMON_WORDS - _GEOGRAPHIC)
    | (gazetteer.NOT_PERSON_WORDS - _GEOGRAPHIC)
    | gazetteer.TITLES
    | _VENUE_WORDS
)
# An organisation's suffix right after a run: "Tokyo Cosmos Electric Co.Ltd.".
_ORG_AFTER = re.compile(
    r"[ \t]*,?[ \t]*(?:&[ \t]*)?(?:co|corp|corporation|inc|incorporated|ltd|llc|plc|gmbh"
    r"|company|group|holdings)(?![\w\-])",
    re.IGNORECASE,
)


_ORG_INITIALS = frozenset(",&cCiIlLpPgG")


def fold_accents(value: str) -> str:
    """``value`` without accents ("zürich" -> "zurich")."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _last_words(text: str, start: int) -> list[str]:
    """The last (up to three) words before ``start``, lower-cased, bare."""
    words = text[max(0, start - _CUE_REACH) : start].lower().split()[-3:]
    # A curly apostrophe ("I\u2019m in") reads as a straight one.
    return [word.strip(_STRIP).replace("\u2019", "'") for word in words]


def weak_cue(text: str, start: int) -> str:
    """The cue word right before ``start`` ("in", "to"...), else ""."""
    before = text[max(0, start - 12) : start].split()
    if not before:
        return ""
    word = before[-1].lower().lstrip(_STRIP)
    return word if word in _WEAK_CUES else ""


def strong_cue(text: str, start: int) -> bool:
    words = _last_words(text, start)
    if not words:
        return False
    last = words[-1]
    if last in _STRONG_WORDS:
        return True
    if last.endswith(":"):  # "Where:", "Place of birth:"
        return last[:-1] in _LABELS
    if len(words) > 1 and f"{words[-2]} {last}" in _STRONG_PHRASES:
        return True
    return len(words) > 2 and " ".join(words) in _STRONG_PHRASES


def org_follows(text: str, end: int) -> bool:
    # Most places are followed by a space and a word of another initial: no regex then.
    if text[end + 1 : end + 2] not in _ORG_INITIALS and text[end : end + 1] not in _ORG_INITIALS:
        return False
    return _ORG_AFTER.match(text, end) is not None


def next_word_ok(word: str) -> bool:
    """Whether ``word``, after a place in the same run, leaves it a place."""
    lowered = word.lower().rstrip(".")
    if lowered in _STREET_WORDS:
        return False  # "Alameda Street"
    return (
        lowered in _AFTER_OK
        or lowered in _TITLE_CASE_LINKS  # "Paris And Rome" in a title
        or (word.isupper() and len(word) <= 3)  # "Springfield IL", "Perth WA"
    )


@dataclass(frozen=True)
class Tables:
    """Case-folded place tables (with accent-free spellings) and the word lists."""

    places: frozenset[str]
    lengths: dict[str, int]
    one_word: frozenset[str]
    regions: frozenset[str]
    ordinary: frozenset[str]
    well_known: frozenset[str]
    first_names: frozenset[str]
    last_names: frozenset[str]


@functools.cache
def tables() -> Tables:
    extra = frozenset(region.casefold() for region in EXTRA_REGIONS)
    base = gazetteer.places() | extra
    folded = {fold_accents(place) for place in base if not place.isascii()}
    places = base | frozenset(
        place for place in folded if len(place) > 2 and place not in gazetteer.COMMON_WORDS
    )
    lengths: dict[str, int] = {}
    for place in places:
        words = place.split()
        lengths[words[0]] = max(lengths.get(words[0], 0), len(words))
    return Tables(
        places=places,
        lengths=lengths,
        one_word=frozenset(place for place in places if " " not in place),
        regions=gazetteer.regions() | extra,
        ordinary=ORDINARY_WORD_PLACES,
        well_known=WELL_KNOWN_CITIES,
        first_names=gazetteer.first_names(),
        last_names=gazetteer.last_names(),
    )
