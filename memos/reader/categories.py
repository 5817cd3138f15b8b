"""What kind of thing a like is: music, food, drinks, sports, films, shows, books or games.

The reader writes a like as the fact "Alice likes jazz." with metadata `{"attribute":
"likes=jazz", "value": "jazz"}` (memos.reader.rules), and a favourite as "Alice's favorite
band is Radiohead." (`attribute` "favorite band"). A question about one kind of like ("What
music do I like?", "what cuisine am I a fan of?", "what do I like to read?") names a category
(`question_categories`); a like is of the category by its own words (`value_categories`: a
thing of the kind, "jazz", "sushi", "tennis", or a word that says the kind, "the movie
Inception", "listening to Taylor Swift"), else by the words of the clause the user said it in
("I love Coltrane and his music" -> music: `context_categories`); a favourite by its
attribute's noun ("favorite band" -> music: `favorite_category`). A band's or an author's
name alone says nothing of its kind: such a like is of no category.
"""

from __future__ import annotations

import re

# The categories, each with: the nouns a question names it by, the words that say the kind
# in a like's value or its clause ("music", "song", "band"), the verbs a like is said with
# ("listening to ...": weaker than a noun), the things of the kind, and the nouns of the
# favourite facts of the kind ("favorite band").
_MUSIC_THINGS = """
jazz blues rock pop hip-hop hip_hop rap techno house_music trance dubstep edm drum_and_bass
classical classical_music opera metal heavy_metal punk indie indie_rock folk folk_music
country_music reggae reggaeton salsa soul soul_music funk disco r&b rnb k-pop kpop j-pop grunge
ska bluegrass gospel motown synthwave synth-pop lo-fi lofi ambient afrobeats samba bossa_nova
flamenco tango choral baroque symphonies orchestras orchestral musicals piano guitar violin
cello drums bass_guitar saxophone sax trumpet flute ukulele harp clarinet banjo accordion
electronic_music dance_music grime shoegaze emo britpop new_wave post-punk
""".split()
_FOOD_THINGS = """
pizza pasta sushi sashimi ramen noodles tacos taco burritos burrito curry curries burgers burger
chocolate cheese ice_cream cake cakes cookies biscuits bread sourdough steak salad salads
dumplings dim_sum pho laksa bibimbap kimchi tapas paella risotto lasagne lasagna spaghetti
croissants pastries pastry doughnuts donuts pancakes waffles fries chips crisps nachos
hummus falafel kebab kebabs shawarma gyros souvlaki pad_thai tofu tempura udon gyoza
barbecue bbq seafood fish oysters lobster prawns shrimp mussels chicken fried_chicken wings
bacon sausages eggs avocado avocados fruit strawberries mangoes mango olives mushrooms
spicy_food street_food soul_food comfort_food desserts dessert sweets candy popcorn
cheesecake brownies tiramisu gelato macarons porridge granola soup soups stew stews
dal biryani samosas naan paneer tikka_masala jollof injera ceviche empanadas arepas
""".split()
_DRINK_THINGS = """
coffee espresso latte lattes cappuccino tea green_tea matcha chai wine red_wine white_wine
beer beers ale ales craft_beer cider whisky whiskey bourbon gin rum vodka tequila mezcal
cocktails cocktail margaritas mojitos sake champagne prosecco kombucha lemonade smoothies
milkshakes juice hot_chocolate
""".split()
_SPORT_THINGS = """
football soccer basketball baseball cricket rugby golf tennis table_tennis ping_pong hockey
ice_hockey volleyball badminton squash netball handball lacrosse softball swimming running
jogging cycling biking mountain_biking climbing rock_climbing bouldering skiing snowboarding
surfing kitesurfing windsurfing sailing rowing kayaking canoeing boxing kickboxing wrestling
martial_arts karate judo taekwondo jiu-jitsu jiu_jitsu bjj mma fencing archery skating
ice_skating skateboarding gymnastics athletics triathlons triathlon marathons marathon
crossfit weightlifting powerlifting yoga pilates hiking trail_running horse_riding
equestrian formula_1 f1 motorsport darts snooker bowling curling diving
""".split()
_FILM_THINGS = """
film films movie movies cinema documentaries documentary rom-coms romcoms
""".split()
_SHOW_THINGS = """
tv tv_shows sitcoms sitcom anime reality_tv soaps soap_operas k-dramas kdramas
""".split()
_BOOK_THINGS = """
books novels novel poetry poems fiction non-fiction nonfiction sci-fi_novels comics manga
graphic_novels audiobooks literature memoirs biographies short_stories
""".split()
_GAME_THINGS = """
video_games videogames gaming board_games boardgames chess poker crosswords sudoku puzzles
jigsaws dungeons_and_dragons d&d minecraft fortnite zelda pokemon mario tetris
""".split()

CATEGORIES: dict[str, dict[str, frozenset[str]]] = {
    "music": {
        "asked": frozenset("music musics band bands song songs singer singers musician musicians "
                           "artist artists album albums genre genres tunes rapper rappers "
                           "composer composers".split()),
        "says": frozenset("music musical band bands song songs singer singers musician "
                          "musicians album albums concert concerts gig gigs playlist playlists "
                          "tunes rapper rappers composer composers orchestra "
                          "genre".split()),
        "verbs": frozenset("listening listen listens".split()),
        "things": frozenset(_MUSIC_THINGS),
        "favorites": frozenset("band song singer musician artist album genre tune rapper "
                               "composer music".split()),
    },
    "food": {
        "asked": frozenset("food foods cuisine cuisines dish dishes meal meals snack snacks "
                           "dessert desserts".split()),
        "says": frozenset("food foods cuisine dish dishes meal meals snack snacks dessert "
                          "desserts restaurant restaurants".split()),
        "verbs": frozenset("eating eat eats cooking baking".split()),
        "things": frozenset(_FOOD_THINGS),
        "favorites": frozenset("food dish cuisine meal snack dessert restaurant fruit "
                               "vegetable cake".split()),
    },
    "drinks": {
        "asked": frozenset("drink drinks beverage beverages".split()),
        "says": frozenset("drink drinks beverage beverages".split()),
        "verbs": frozenset("drinking".split()),
        "things": frozenset(_DRINK_THINGS),
        "favorites": frozenset("drink beverage coffee tea wine beer cocktail".split()),
    },
    "sports": {
        "asked": frozenset("sport sports".split()),
        "says": frozenset("sport sports".split()),
        "verbs": frozenset(),
        "things": frozenset(_SPORT_THINGS),
        "favorites": frozenset("sport team club".split()),
    },
    "films": {
        "asked": frozenset("film films movie movies cinema".split()),
        "says": frozenset("film films movie movies cinema director directors "
                          "documentary documentaries".split()),
        "verbs": frozenset("watching watch watches".split()),
        "things": frozenset(_FILM_THINGS),
        "favorites": frozenset("film movie director actor actress".split()),
    },
    "shows": {
        "asked": frozenset("show shows series tv tv_shows tv_series programmes programs "
                           "television".split()),
        "says": frozenset("show shows series tv television sitcom sitcoms episodes".split()),
        "verbs": frozenset("watching watch watches binge-watching bingeing".split()),
        "things": frozenset(_SHOW_THINGS),
        "favorites": frozenset("show series programme program sitcom".split()),
    },
    "books": {
        "asked": frozenset("book books novel novels author authors writer writers literature "
                           "poetry".split()),
        "says": frozenset("book books novel novels author authors writer writers poet poets "
                          "poetry".split()),
        "verbs": frozenset("reading read reads".split()),
        "things": frozenset(_BOOK_THINGS),
        "favorites": frozenset("book novel author writer poet poem".split()),
    },
    "games": {
        "asked": frozenset("game games video_games board_games".split()),
        "says": frozenset("game games gaming".split()),
        "verbs": frozenset(),
        "things": frozenset(_GAME_THINGS),
        "favorites": frozenset("game video_game board_game".split()),
    },
}

# What "what do I like to <verb>?" asks for.
VERB_CATEGORIES: dict[str, frozenset[str]] = {
    "listen to": frozenset({"music"}), "eat": frozenset({"food"}),
    "cook": frozenset({"food"}), "drink": frozenset({"drinks"}),
    "read": frozenset({"books"}), "watch": frozenset({"films", "shows"}),
    "play": frozenset({"sports", "games"}),
}

# How a category is named in an answer ("I don't know what music you like yet").
_LONGEST = 4  # words in the longest thing of a category ("drum and bass" is 3)


def _words(text: str) -> list[str]:
    """`text`'s words, lowercased; an apostrophe's "s" dropped ("Radiohead's")."""
    text = text.lower().replace("’", "'")
    return [w for w in re.findall(r"[a-z0-9&]+(?:[-'][a-z0-9&]+)*", text)
            if w not in ("s", "'s")]


def _singulars(word: str) -> tuple[str, ...]:
    """`word` and what it may be the plural of ("tacos" -> "taco", "dishes" -> "dish")."""
    out = [word]
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        out.append(word[:-2])
    if word.endswith("s") and len(word) > 2:
        out.append(word[:-1])
    return tuple(out)


def _spans(words: list[str]) -> list[str]:
    """The things `words` names, longest first and each word once ("rock climbing" is one
    thing, not "rock" and "climbing"): the keys the tables are written with, words joined
    by "_"."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST, len(words) - i), 0, -1):
            key = "_".join(words[i:i + size])
            if size == 1 or any(key in c["things"] or key in c["says"] or key in c["asked"]
                                for c in CATEGORIES.values()):
                out.append(key)
                i += size
                break
    return out


def _match(keys: list[str], tables: tuple[str, ...]) -> frozenset[str]:
    """The categories one of `keys` is in, by the given tables."""
    found = set()
    for key in keys:
        for name, table in CATEGORIES.items():
            if any(form in table[t] for t in tables for form in _singulars(key) + (key,)):
                found.add(name)
    return frozenset(found)


def value_categories(value: str) -> frozenset[str]:
    """The categories of a like by its own words: the things and kind words it holds
    ("jazz", "Italian food", "the movie Inception", "playing tennis"), else the verb it is
    said with ("listening to Taylor Swift" -> music, "reading Dune" -> books); empty when it
    says nothing of its kind ("Radiohead")."""
    keys = _spans(_words(value))
    return _match(keys, ("things", "says")) or _match(keys, ("verbs",))


def context_categories(clause: str) -> frozenset[str]:
    """The categories the clause a like was said in names by a word that says the kind ("I
    love Coltrane and his music" -> music); the things it names are left out, as they may be
    other likes of the clause ("I love jazz and Coltrane")."""
    return _match(_spans(_words(clause)), ("says",))


def favorite_category(attribute: str) -> str | None:
    """The category of a favourite fact by its attribute ("favorite band" -> "music"), or
    None (a favourite of no category: "favorite color")."""
    words = attribute.lower().split()
    if len(words) < 2 or words[0] != "favorite":
        return None
    noun = "_".join(words[1:])
    for name, table in CATEGORIES.items():  # "favorite band", "favorite football team"
        if any(form in table["favorites"] for key in (noun, words[-1])
               for form in _singulars(key)):
            return name
    return None


def question_categories(noun: str) -> frozenset[str]:
    """The categories a question names ("music", "kind of music", "TV shows", "movies" ->
    films), empty for a noun of no category ("outdoor stuff")."""
    words = _words(noun)
    while words and words[0] in ("kind", "kinds", "sort", "sorts", "type", "types", "of",
                                 "genre", "genres", "style", "styles") and len(words) > 1:
        words = words[1:]
    key = "_".join(words)
    for name, table in CATEGORIES.items():
        if key in table["asked"]:
            return frozenset({name})
    return frozenset()


def verb_categories(verb: str) -> frozenset[str]:
    """The categories "what do I like to <verb>?" asks for ("read" -> books), or empty."""
    return VERB_CATEGORIES.get(" ".join(verb.lower().split()), frozenset())


def label(categories: frozenset[str] | set[str]) -> str:
    """The categories as an answer names them ("music", "films or shows")."""
    return " or ".join(sorted(categories))


__all__ = ["CATEGORIES", "VERB_CATEGORIES", "context_categories",
           "favorite_category", "label", "question_categories", "value_categories",
           "verb_categories"]
