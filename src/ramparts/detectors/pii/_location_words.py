"""Word lists of the place detector (``location.py``): which gazetteer entries are
also ordinary words, which well-known cities are also people's names, and the
regions and alternative names the GeoNames city list leaves out.

No list here is derived from the evaluation sets in ``shared/data``.
"""

from __future__ import annotations

# One-word places (GeoNames cities of 15,000+, see data/README.md) that are also
# lower-case English words ("Reading", "Nice", "Split", "Mission"): the gazetteer
# entries, case-folded, found in the SCOWL list of Debian's ``wamerican``
# 2020.12.07-2 (/usr/share/dict/american-english; licence in
# data/SCOWL-COPYRIGHT.txt), minus country and US state names and a few cities far
# better known than the word (shanghai, bologna, oxford, wellington, anchorage,
# tangier, surrey, flagstaff). Rebuild:
#   words = {w.strip() for w in open("/usr/share/dict/american-english")
#             if w[:1].islower() and "'" not in w}
#   sorted(p for p in location._one_word_places() if p in words and p not in regions())
# A capitalised one of these is a place only after a place cue ("in Reading").
_ORDINARY_TEXT = """
    acacias acre agar airport alabaster alliance aloha along altos angers annex antelope
    anthem apex arbutus archway ascot astrakhan auburn bade badger bake balsas banes banning
    bar barking bath baud bay bear bell bend bender billings bimbo bole bonito bonny boo
    boom borne boulder bountiful bow bra brad bray brick brusque buckeye buffalo bury butte
    butterfly buy cairns canning canton carpi cassino cayenne centennial centurion chandler
    chaparral chino clay cloverleaf cocoa cognac columbine commonwealth concord
    confederation converse cork corona crystal cypress davenport deal debar defiance delta
    derby dole dome dour dyer eagle emporia enterprise erode eureka evergreen fate federal
    felling fiddlesticks fishers fleet flint flora florin fords forest fountain gap garland
    garner gay gent goes golden gondola grapevine grays griffin groves hale harrow hawthorn
    hays hem hermitage hexing hickory highland hillside holiday homburg homestead hook horn
    hove hub hull humble hurricane imperial independence jam jasper jingling keystone
    lancing lander largo lattes laurel leek leer lend lens liberal liberty lice limerick
    linden lira lisle lop luau magenta maidenhead male man manage manga mango manly mantilla
    marina marks martin mascara mascot mason mentor meridian mesa mesquite metro midland
    midstream midway mine mission mocha moss much muscat mustang natal neath newton nice
    normal ode officer ogre opportunity oral orange orchards overland pace paisley papaya
    paradise paramount pare parole pearl peer pen perm pest phoenix pinto piranhas pita
    plantation plaque plum plunge police pop portage posse pout prosper providence pueblo
    puma quarto queens reading republic reservoir retreat revere rho riverside rogers roman
    roses rouge rugby ruse rye saga sake saki sale salt samba sandy sari savage savannah say
    seaside sedan semi shaping shoreline silvan sim simmering slough sparks split springs
    stains sterling stoke stow sue sulphur summit sunrise sunset superior surprise swords
    sycamore tamale tame tank tartar temple tequila terrace time tire tome tooting torrent
    tours troy tucker tulle union upland uptown valence van vicuña vineyard vista walker
    walnut warder ware warren wedding weir welling westerly wetter wheeling woodland
    woodlands worms wright
"""
ORDINARY_WORD_PLACES = frozenset(_ORDINARY_TEXT.split())

# Well-known cities that are also census first names or surnames ("Paris",
# "London", "Houston"): places without a cue, unlike other name-like cities
# ("Holloway", "Dixon", "Linda"), which need one. (Cities that are also ordinary words,
# like "Phoenix", need a cue all the same.)
_WELL_KNOWN_TEXT = """
    london paris berlin sydney houston dallas boston denver austin orlando jackson
    madrid charlotte florence victoria adelaide lincoln portland naples athens dublin
    brisbane perth hamilton cleveland columbus lagos cairo vienna memphis chicago seattle
    atlanta miami detroit nashville moscow venice turin genoa milan rome lisbon prague warsaw
    budapest bucharest belgrade sofia zagreb oslo stockholm helsinki copenhagen amsterdam
    brussels geneva hamburg munich cologne stuttgart dresden leipzig barcelona valencia
    seville bilbao marseille lyon toulouse bordeaux manchester liverpool birmingham leeds
    glasgow edinburgh bristol cardiff belfast toronto montreal vancouver calgary ottawa
    winnipeg melbourne auckland canberra tokyo osaka kyoto seoul beijing delhi mumbai chennai
    kolkata karachi lahore dhaka bangkok jakarta manila dubai doha riyadh tehran baghdad
    istanbul ankara jerusalem nairobi johannesburg lima bogota santiago caracas havana quito
    montevideo salvador monterrey guadalajara philadelphia baltimore pittsburgh cincinnati
    milwaukee minneapolis richmond raleigh tampa jacksonville sacramento oakland tucson
    albuquerque omaha tulsa wichita louisville indianapolis reno spokane honolulu arlington
    madison augusta regina hartford springfield salem dayton akron toledo lansing durham
    charleston lexington orleans bangalore hyderabad pune ahmedabad frankfurt nuremberg
"""
WELL_KNOWN_CITIES = frozenset(_WELL_KNOWN_TEXT.split())

# Places the GeoNames city, country and US state lists leave out: continents and
# world regions, provinces and states outside the US, the UK's nations, common
# short and former names. Like countries they are places whatever the context.
# (Regions that are more often another word, like "Java" or "Burgundy", are not here.)
EXTRA_REGIONS = (
    "Europe", "Africa", "North America", "South America", "Latin America", "Central America",
    "Oceania", "Middle East", "Near East", "Far East", "Scandinavia", "Caribbean", "Balkans",
    "Siberia", "Eastern Europe", "Western Europe", "Central Europe", "Northern Europe",
    "Southern Europe", "Southeast Asia", "South Asia", "East Asia", "Central Asia",
    "Sub-Saharan Africa", "North Africa", "West Africa", "East Africa", "Southern Africa",
    "Czech Republic", "United States of America", "USA", "UK", "Great Britain", "Britain",
    "England", "Scotland", "Wales", "Northern Ireland", "Burma", "Macedonia", "Swaziland",
    "East Timor", "Korea", "Cape Verde", "Congo", "The Gambia", "Vatican City",
    "Quebec", "Ontario", "British Columbia", "Alberta", "Manitoba", "Saskatchewan",
    "Nova Scotia", "New Brunswick", "Newfoundland", "Newfoundland and Labrador",
    "Prince Edward Island", "Yukon", "Nunavut", "Northwest Territories", "Queensland",
    "New South Wales", "Tasmania", "Western Australia", "South Australia",
    "Northern Territory", "Bavaria", "Catalonia", "Tuscany", "Provence", "Andalusia",
    "Sicily", "Sardinia", "Corsica", "Crete", "Sumatra", "Borneo", "Kashmir", "Tibet",
    "Patagonia", "Lapland", "Normandy", "Alsace", "Flanders", "Wallonia", "Yorkshire",
    "Lombardy", "Bosnia", "Herzegovina", "Crimea", "Silicon Valley", "New England",
    "Midwest", "West Bank", "Kiev", "Bombay", "Peking", "Saigon", "Madras", "Rangoon",
    "Frankfurt", "Cologne", "Nuremberg", "Bangalore", "Seville", "Saint Petersburg",
)  # fmt: skip
