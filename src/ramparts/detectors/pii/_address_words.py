"""Word lists for the street-address detector: street types, unit words, particles.

Kept apart from the matching code in ``address`` so the grammar stays readable.
"""

from __future__ import annotations

# Street types matched in any case after a house number ("12 main st").
PLAIN_SUFFIXES = (
    "street st avenue ave av road rd lane ln drive dr boulevard blvd court ct way place pl"
    " square squares sq terrace ter crescent cres highway hwy parkway pkwy circle cir trail"
    " trl alley row close grove gardens walk mews hill park view ridge point plaza path loop"
    " crossing heights estates junction falls route rte pike expressway freeway motorway"
    " wharf quay esplanade promenade green vale rise gate mall ranch club center centre str"
)
# The rest of the USPS street-suffix list (Publication 28, appendix C1), plurals
# included. Many are ordinary words ("run", "pass", "well"), so they count as a
# street type only when capitalised, as in a written address ("7 Gallo Creek").
PROPER_SUFFIXES = (
    "Alleys Anex Annex Arcade Bayou Bayous Beach Bend Bends Bluff Bluffs Bottom Boulevards"
    " Branch Bridge Bridges Brook Brooks Burg Burgs Bypass Camp Canyon Cape Causeway Centers"
    " Circles Cliff Cliffs Common Commons Corner Corners Course Courts Cove Coves Creek"
    " Crest Crossroad Crossroads Curve Dale Dam Divide Drives Estate Expressways Extension"
    " Extensions Fall Ferry Field Fields Flat Flats Ford Fords Forest Forge Forges Fork"
    " Forks Fort Freeways Garden Gateway Glen Glens Greens Groves Harbor Harbors Harbour"
    " Harbours Haven Highways Hills Hollow Inlet Island Islands Isle Junctions Key Keys"
    " Knoll Knolls Lake Lakes Land Landing Lanes Light Lights Loaf Lock Locks Lodge Loops"
    " Manor Manors Meadow Meadows Mill Mills Mission Mount Mountain Mountains Neck Orchard"
    " Oval Overpass Parks Parkways Pass Passage Paths Pikes Pine Pines Places Plain Plains"
    " Plazas Points Port Ports Prairie Radial Ramp Rapid Rapids Rest Ridges River Roads"
    " Routes Rows Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs Station"
    " Stravenue Stream Streets Summit Terraces Throughway Trace Track Trafficway Trails"
    " Tunnel Turnpike Underpass Union Unions Valley Valleys Viaduct Views Village"
    " Villages Ville Vista Walks Wall Ways Well Wells"
)
# Street words glued to the end of a name ("Loorenstrasse", "Dalbraut") or written
# after it ("Linges veg"), before the house number.
COMPOUNDS = (
    "strasse", "straße", "str.", "straat", "laan", "gasse", "weg", "veg", "vej", "vei",
    "gatan", "gata", "gade", "katu", "tie", "kuja", "väg", "vägen", "plein", "dreef",
    "gracht", "allee", "ring", "platz", "steig", "ufer", "damm", "kade", "singel", "polku",
    "vegen", "veien", "plaats", "utca", "út", "körút", "braut", "brücke", "stræde",
    "torv", "vegur", "stígur", "gränd", "tori", "plads", "rkp.", "rakpart", "krt.",
    "útja", "põik", "aqq.", "fasor", "sétány",
)  # fmt: skip
# Street words that stand alone after the name and are ordinary words elsewhere
# (English "gate", Hungarian "u." for utca, Estonian "tee"): a street only when
# written in lower case after a capitalised name ("Vidkuns gate 71", "Király u. 23.").
SPACED_LOWER = frozenset(
    (
        "gate", "tee", "u.", "tér", "köz", "sor", "kapu", "trg", "allé",
    )
)  # fmt: skip
# Words that start a street name in Romance, Slavic, Greek and other languages.
KEYWORDS = frozenset(
    (
        "via", "viale", "piazza", "corso", "rue", "avenida", "calle", "rua", "carrer", "plaza",
        "paseo", "camino", "ul.", "ulica", "strada", "travessa", "largo", "chaussée", "allée",
        "boulevard", "avenue", "platz", "plac", "aleja", "al.", "rúa", "avda.", "avda",
        "ctra.", "carretera", "plazuela", "travesía", "glorieta", "pasaje",
        "callejón", "praça", "rodovia", "λεωφόρος", "λ.", "οδός",
        "οδ.", "πλατεία", "náměstí", "nám.", "třída", "trg", "bulevar", "улица", "ул.",
        "проспект",
    )
)  # fmt: skip
# Short lower-case words inside a place or street name ("Ostrov nad Ohrí",
# "Mora de Rubielos", "Place du Jeu de Paume").
PARTICLES = frozenset(
    (
        "de", "du", "des", "del", "della", "di", "da", "do", "dos", "das", "la", "le",
        "les", "l'", "d'", "von", "van", "der", "den", "y", "e", "i", "nad", "pod", "na",
        "u", "v", "z", "am", "an", "im", "bei", "sur", "sous", "en", "of", "upon",
    )
)  # fmt: skip
# Words that follow a house number in prose, never a street ("3 Bedrooms Flat").
UNIT_WORDS = "apt apartment suite ste unit flat floor fl room"
