"""Name and place lists shipped in ``ramparts/detectors/data`` (see its README).

Loaded once, lazily, into frozensets: lookups are O(1) and the lists cost a
few MB of memory.
"""

from __future__ import annotations

import functools
import string
from importlib import resources

# Capitalised words that are also first names, surnames or places but are far
# more often ordinary words at the start of a sentence, a label or a title.
_COMMON_WORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been
    before being below best between both but by can could day did do does doing down
    during each few for from further had has have having he her here hers him his how i
    if in into is it its just last let many may me might more most must my new next no
    nor not now of off on once one only or other our out over own please same see she
    should so some such than thank thanks that the their them then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would yes yet you your hello hi hey dear regards cheers monday
    tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december today tomorrow yesterday street road
    avenue lane drive court place square way park hill north south east west old great
    little big long young white black green brown gray grey red blue gold king queen
    prince princess lord lady sir madam mister miss doctor president company bank church
    house hall school college university city town village county state world love hope
    joy faith grace art bill mark rich sunny summer winter spring autumn fall dawn page
    case guy chance chase major royal son sun star moon sky rain storm early night
    christmas easter god jesus english french german spanish american british european
    asian african dutch italian chinese japanese indian mr mrs ms dr prof ok okay sure
    well still even ever never always every account card phone email address number name
    call send help need want get make ave av st rd blvd ln ct pl sq hwy suite apt
    apartment unit flat floor room order payment credit service customer support team
    office manager director website web desk fax mobile tel e-mail mail bot user info
    personal note subject date title url assistant agent client system message reply re
    fwd attachment i'm i'll i've i'd you're you'll you've we're we'll they're it's that's
    there's let's don't can't won't isn't southern northern eastern western central
    ask tell meet contact invite remind ping text forward introduce greet notify inform
    schedule remember
"""
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())

# Words that make a capitalised run an organisation, a street or a title, not a person.
_NOT_PERSON_TEXT = """
    alley annex arcade bayou beach bend bluff bluffs bottom branch brook burgs bypass
    camp canyon cape causeway centers circle circles cliff cliffs common commons corner
    corners course courts cove coves creek crossroad curve dam divide drives estate
    expressway extension falls ferry flat flats forge forges fork forks freeway garden
    gardens gateway greens grove groves harbor harbors haven heights highway hollow
    inlet islands isle junction junctions knoll knolls lakes landing light lights loaf
    lock locks loop mall manor manors meadow mews mill mission motorway mount mountains
    neck orchard oval overpass parks parkway parkways pass passage path pike pine plain
    plains port ports prairie radial ramp rapid rapids rest ridge ridges route row run
    shoal shore shores skyway springs spur spurs squares station stravenue stream
    streets summit terrace throughway track trafficway trail trailer tunnel turnpike
    underpass unions valley valleys viaduct view views village villages ville vista
    walks wall ways company bancorp enterprise transit corp co.ltd groupinc inc ltd llc
    plc corporation co group holdings limited sa ag gmbh bv nv partners associates bank
    trust foundation institute university college school agency authority department
    ministry council committee force forces army navy act law bill court street st road
    rd avenue ave lane drive boulevard blvd way walk point points square park crossing
    bridge river mountain island republic kingdom states united federation weekly daily
    times news magazine journal records music studios media airlines airport hotel
    hospital clinic center centre club laboratories labs systems technologies solutions
    services international global industries enterprises incorporated societe société
    ranch land shoals cite ctra casa orchestra band choir ensemble quartet consulting
    research insights analytics ventures software digital productions pictures films
    publishing motors energy pharmaceuticals therapeutics networks communications
    resources investments investors fund properties realty logistics consultants
    stadium arena award awards cup league championship museum theatre theater gallery
    library empire
"""
NOT_PERSON_WORDS = frozenset(_NOT_PERSON_TEXT.split())

_TITLES_TEXT = "mr mrs ms miss mx dr prof sir madam dame lord lady rev father sister captain"
TITLES = frozenset(_TITLES_TEXT.split())


def _read(name: str) -> list[str]:
    data = resources.files("ramparts.detectors").joinpath("data", name)
    return [line.strip() for line in data.read_text("utf-8").splitlines() if line.strip()]


def _common_word_names(name: str) -> frozenset[str]:
    return frozenset(entry for entry in _read(name) if entry.lower() in COMMON_WORDS)


@functools.cache
def common_word_first_names() -> frozenset[str]:
    """Census first names that are also common words ("Mark", "Grace"), which
    :func:`first_names` leaves out."""
    return _common_word_names("first_names.txt")


@functools.cache
def common_word_last_names() -> frozenset[str]:
    """Census surnames that are also common words ("Brown", "Long")."""
    return _common_word_names("last_names.txt")


@functools.cache
def first_names() -> frozenset[str]:
    return frozenset(name for name in _read("first_names.txt") if name.lower() not in COMMON_WORDS)


@functools.cache
def given_names() -> frozenset[str]:
    """First names that are not census first names ("Sven", "Jakob"), from US
    Social Security baby-name records (see data/README.md)."""
    return frozenset(name for name in _read("given_names.txt") if name.lower() not in COMMON_WORDS)


@functools.cache
def last_names() -> frozenset[str]:
    return frozenset(name for name in _read("last_names.txt") if name.lower() not in COMMON_WORDS)


@functools.cache
def place_lengths() -> dict[str, int]:
    """First word of each place (case-folded) -> the most words a place starting with it has."""
    lengths: dict[str, int] = {}
    for place in places():
        words = place.split()
        lengths[words[0]] = max(lengths.get(words[0], 0), len(words))
    return lengths


@functools.cache
def name_words() -> frozenset[str]:
    """Census names that are also English words ("carry", "brain", "portal"), lower-case."""
    return frozenset(_read("name_words.txt"))


@functools.cache
def regions() -> frozenset[str]:
    """Country and US state names, case-folded: places first, whatever the context."""
    return frozenset(region.casefold() for region in _read("regions.txt"))


@functools.cache
def places() -> frozenset[str]:
    """Place names, case-folded."""
    return frozenset(
        place.casefold()
        for place in _read("places.txt")
        if len(place) > 2 and place.lower() not in COMMON_WORDS
    )


# Word classes: what a capitalised word is to the person-name scoring.

# Post-nominal letters and generation suffixes belong to the name before them.
NAME_SUFFIXES = frozenset(
    ("jr", "sr", "ii", "iii", "iv", "phd", "md", "dds", "dvm", "esq", "cpa", "rn")
)
# Surname endings across European languages; a capitalised unknown word with one
# (or with non-ASCII letters) counts as a surname.
SURNAME_ENDINGS = (
    "sson", "dóttir", "dottir", "sen", "ová", "ski", "ska", "sky", "cki", "cka", "ović", "ovic",
    "vić", "enko", "escu", "opoulos", "akis", "idis", "stein", "berg", "mann", "ström", "qvist",
    "shvili", "adze", "yan", "ian", "ova", "eva", "ov", "ev", "ez", "elli", "etti",
)  # fmt: skip
# The last two letters of every ending: most words fail this one set lookup.
_SURNAME_TAILS = frozenset(ending[-2:] for ending in SURNAME_ENDINGS)


def classify_word(word: str) -> str:
    """The class of one capitalised word by the rules: "common", "suffix", "caps",
    "first", "last", "given" or "unknown" (:class:`WordClasses` answers the same, faster)."""
    if word.lower() in COMMON_WORDS:
        return "common"
    if word.lower() in NAME_SUFFIXES:
        return "suffix"  # "Aimee McGregor DVM", "Felix Biermann III"
    if word.isupper() and len(word) > 1:
        return "caps"  # an all-caps word is an acronym or a heading more often than a name
    if word in first_names() or word.capitalize() in first_names():
        return "first"
    if word in last_names() or word.capitalize() in last_names():
        return "last"
    if word in given_names():
        return "given"  # exact case only: "IDs" is not "Ids"
    if len(word) > 3 and (word.lower().endswith(SURNAME_ENDINGS) or not word.isascii()):
        return "last"  # "Szöllösy", "Kowalska", "Sigurmundsson": shaped like a surname
    return "unknown"


class WordClasses:
    """:func:`classify_word` from tables built once over the lists, holding no prompt word.

    ``table`` has the class of every first name and capitalised list word ("The",
    "Inc"), and is kept small so that its lookups stay in the CPU caches. A word
    not in it is a surname if in ``last``, else a given name if in ``given``
    (the few listed names with another class are in ``table``), else it is left
    to :meth:`unlisted`. Nothing is remembered per word: a per-scan memo costs
    more than these few lookups.
    """

    __slots__ = ("given", "last", "table")

    def __init__(self) -> None:
        lists = (COMMON_WORDS, NAME_SUFFIXES, NOT_PERSON_WORDS, TITLES, string.ascii_lowercase)
        forms = (
            form for words in lists for word in words for form in (word.capitalize(), word.upper())
        )
        self.table = {word: classify_word(word) for word in (*forms, *first_names())}
        self.last, self.given = last_names(), given_names()
        for names, usual in ((self.last, "last"), (self.given - self.last, "given")):
            for name in names:
                if name not in self.table and classify_word(name) != usual:
                    self.table[name] = classify_word(name)  # an all-caps entry, say

    def classify(self, word: str) -> str:
        """:func:`classify_word` (the scan loops inline this)."""
        return self.table.get(word) or (
            "last" if word in self.last else "given" if word in self.given else self.unlisted(word)
        )

    @staticmethod
    def unlisted(word: str) -> str:
        """:func:`classify_word` for a word in no list as it is (first names included):
        only its lower-case and capitalised forms are left to look up."""
        lowered = word.lower()
        if lowered in COMMON_WORDS:
            return "common"
        if lowered in NAME_SUFFIXES:
            return "suffix"
        if word.isupper() and len(word) > 1:
            return "caps"
        capitalized = word.capitalize()
        if capitalized != word:  # "McDONALD": its capitalised form may be listed
            if capitalized in first_names():
                return "first"
            if capitalized in last_names():
                return "last"
        if len(word) > 3 and (
            not word.isascii()
            or (lowered[-2:] in _SURNAME_TAILS and lowered.endswith(SURNAME_ENDINGS))
        ):
            return "last"
        return "unknown"


@functools.cache
def word_classes() -> WordClasses:
    # The lists the name scoring reads lazily are loaded here too, so no scan pays for them.
    common_word_first_names()
    common_word_last_names()
    name_words()
    return WordClasses()
