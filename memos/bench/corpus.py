"""A seeded generator of memory-like sentences for speed benchmarks.

The sentences look like what an assistant stores about people (preferences, events, plans,
facts) so that the full-text index sees a realistic vocabulary and term distribution: a few
hundred common words and a long tail of names and places (Zipf-like: 2,000+ people and
600+ places, a few of them frequent). Nothing comes from a
licensed data set; the same seed always gives the same corpus.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

_NAMES = (
    "Alice Bob Carol Dave Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert "
    "Sybil Trent Victor Walter Yusuf Zara Amara Bruno Chen Dmitri Elena Farid Greta Hiro Ines "
    "Jonas Kavya Liam Mei Nora Omar Priya Quinn Rosa Sven Tomas Uma Vera Wen Ximena Yara Zeno"
).split()
_PLACES = (
    "Lisbon, Kyoto, Nairobi, Oslo, Denver, Lima, Porto, Austin, Hanoi, Dublin, Quito, Seville, "
    "Tallinn, Osaka, Krakow, Boston, Cairo, Perth, Bergen, Tucson, Zagreb, Halifax, Valencia, "
    "Marseille, Bilbao, the lake house, the office, the gym, the library, the farmers market, "
    "the beach, the cabin"
).split(", ")
_FOODS = (
    "green tea, black coffee, oat milk, sourdough bread, ramen, tacos, dark chocolate, "
    "mango smoothies, lentil soup, sushi, pad thai, espresso, blueberry pancakes, kimchi, "
    "falafel, paella, pho, croissants, goat cheese, spicy curry, apple pie, matcha"
).split(", ")
_HOBBIES = (
    "rock climbing, watercolor painting, trail running, chess, pottery, birdwatching, "
    "sailing, baking, salsa dancing, woodworking, photography, gardening, knitting, "
    "playing the cello, cycling, yoga, surfing, calligraphy, board games, astronomy"
).split(", ")
_THINGS = (
    "a used bicycle, a new laptop, concert tickets, a vintage camera, a puppy, a telescope, "
    "hiking boots, a sewing machine, a kayak, a standing desk, an electric guitar, a tent, "
    "noise-cancelling headphones, a road atlas, a coffee grinder, a drone, a sketchbook"
).split(", ")
_JOBS = (
    "nurse, data analyst, teacher, architect, chef, lawyer, pharmacist, carpenter, "
    "journalist, software engineer, veterinarian, librarian, pilot, electrician, designer"
).split(", ")
_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_PEOPLE = "sister brother mother father cousin neighbor manager roommate grandmother friend".split()

_TEMPLATES = (
    "{n} prefers {f} in the morning and avoids {f2} after lunch.",
    "{n} started {h} in {m} and now practices every {d}.",
    "{n} moved to {p} for a job as a {j} last {m}.",
    "{n} bought {t} on {d} because the old one broke.",
    "{n}'s {r} is visiting {p} in {m} for two weeks.",
    "On {d} {n} met {n2} at {p} to talk about {h}.",
    "{n} is allergic to {f} and asked the team to remember it.",
    "{n} wants to learn {h} before the trip to {p} in {m}.",
    "{n} works as a {j} and usually finishes late on {d}.",
    "{n} said the best {f} they ever had was in {p}.",
    "{n} lent {t} to {n2} and expects it back by {m}.",
    "{n} and {n2} are planning a weekend of {h} near {p}.",
    "{n} gave up {f} in {m} after a doctor's advice.",
    "{n}'s favourite way to relax on {d} evenings is {h}.",
    "{n} is saving money for {t} and a holiday in {p}.",
    "{n} reminded everyone that the meeting moved to {d} at {hr} o'clock.",
    "{n} adopted a cat named {n2} in {m} and posts photos of it every {d}.",
    "{n} finished a course on {h} and got a certificate in {m}.",
)


_SYLLABLES = (
    "ka lo mi ra ten vo sa li na dor el an is bel ro mar ti qu en fa zu ha ri ya ne "
    "lu ga be ton vi ser al mo ce da"
).split()


def _long_tail(common: tuple[str, ...] | list[str], extra: int, seed: int) -> list[str]:
    """`common` followed by `extra` made-up proper names (2-3 syllables), all distinct."""
    rng = random.Random(seed)
    out = list(common)
    seen = {w.lower() for w in out}
    while len(out) < len(common) + extra:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3)))).capitalize()
        if word.lower() not in seen:
            seen.add(word.lower())
            out.append(word)
    return out


def _zipf_weights(n: int, offset: float = 10.0) -> list[float]:
    """Cumulative weights 1/(rank + offset): a few names are everywhere, most are rare."""
    total, out = 0.0, []
    for i in range(n):
        total += 1.0 / (i + offset)
        out.append(total)
    return out


# People and places follow a long tail, as in a real person's memory: family and home town
# are mentioned constantly, most acquaintances and places a handful of times. Without the
# tail every name would sit in a few percent of all cubes, which no real store looks like.
_ALL_NAMES = _long_tail(_NAMES, 2_000, seed=11)
_NAME_CUM = _zipf_weights(len(_ALL_NAMES))
_ALL_PLACES = _long_tail(_PLACES, 600, seed=12)
_PLACE_CUM = _zipf_weights(len(_ALL_PLACES))


def _fill(rng: random.Random, template: str) -> str:
    n, n2 = rng.choices(_ALL_NAMES, cum_weights=_NAME_CUM, k=2)
    f, f2 = rng.sample(_FOODS, 2)
    return template.format(
        n=n,
        n2=n2,
        f=f,
        f2=f2,
        h=rng.choice(_HOBBIES),
        p=rng.choices(_ALL_PLACES, cum_weights=_PLACE_CUM)[0],
        m=rng.choice(_MONTHS),
        d=rng.choice(_DAYS),
        t=rng.choice(_THINGS),
        j=rng.choice(_JOBS),
        r=rng.choice(_PEOPLE),
        hr=rng.randint(1, 12),
    )


def synthetic_sentences(n: int, seed: int = 0) -> Iterator[str]:
    """n memory-like sentences; a number suffix on some keeps them distinct for de-duplication."""
    rng = random.Random(seed)
    for i in range(n):
        text = _fill(rng, rng.choice(_TEMPLATES))
        # Templates x slots give ~10^9 combinations, but a numbered note makes every cube
        # unique so that ingest's exact-duplicate check never merges two of them.
        yield f"{text} (note {i})"


def synthetic_queries(n: int, seed: int = 1) -> list[str]:
    """n short questions in the same vocabulary as the corpus."""
    rng = random.Random(seed)
    forms = (
        "what does {n} like to drink",
        "where did {n} move for work",
        "when is {n} going to {p}",
        "who practices {h}",
        "what did {n} buy on {d}",
        "is {n} allergic to {f}",
        "who works as a {j}",
        "plans with {n2} in {m}",
    )
    return [_fill(rng, rng.choice(forms)) for _ in range(n)]


# -- a corpus built to be hard for an approximate vector index ------------------------------
#
# "<Name> <Surname>'s <attribute> is <value>." Every fact shares its frame with every other
# one and most share their attribute words with thousands, so the vectors crowd together in
# a few narrow cones; what tells them apart is one rare name and one rare value. A query
# names a person and an attribute ("what is Kalomi Tenvo's locker code"): its exact nearest
# neighbours differ from hundreds of near-twins by a word or two, which is where clustering
# (IVF lists) and greedy graph walks (HNSW) both lose neighbours.

_ATTRIBUTES = (
    "favourite colour, locker code, middle name, dentist, car, home town, blood type, "
    "shoe size, pet's name, wifi password, bank, gym, pharmacy, favourite band, phone model, "
    "landlord, piano teacher, book club, first school, lucky number, allergy, star sign, "
    "favourite film, bike lock code, mechanic, coffee order, hair stylist, favourite author, "
    "nickname, travel buddy, team, tailor, babysitter, accountant, vet, best friend, "
    "favourite dish, plant, guitar, username"
).split(", ")


def _made_up(count: int, seed: int, avoid: set[str]) -> list[str]:
    """`count` distinct made-up words of 2-4 syllables (none in `avoid`, which grows)."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4))))
        if word not in avoid:
            avoid.add(word)
            out.append(word.capitalize())
    return out


def _hard_vocab() -> tuple[list[str], list[float], list[str], list[float], list[str], list[float]]:
    seen = {w.lower() for w in _NAMES}
    names = list(_NAMES) + _made_up(30_000, 21, seen)
    surnames = _made_up(20_000, 22, seen)
    values = _made_up(60_000, 23, seen)
    return (names, _zipf_weights(len(names), 50.0), surnames, _zipf_weights(len(surnames), 50.0),
            values, _zipf_weights(len(values), 50.0))


_HARD: tuple[list[str], list[float], list[str], list[float], list[str], list[float]] | None = None
# Attributes are long-tailed too: a few (colour, car, home town) are in most facts.
_ATTR_CUM = _zipf_weights(len(_ATTRIBUTES), 2.0)


def _hard_parts(rng: random.Random) -> tuple[str, str, str, str]:
    global _HARD
    if _HARD is None:
        _HARD = _hard_vocab()
    names, name_cum, surnames, surname_cum, values, value_cum = _HARD
    return (rng.choices(names, cum_weights=name_cum)[0],
            rng.choices(surnames, cum_weights=surname_cum)[0],
            rng.choices(_ATTRIBUTES, cum_weights=_ATTR_CUM)[0],
            rng.choices(values, cum_weights=value_cum)[0])


def hard_facts(n: int, seed: int = 0) -> Iterator[str]:
    """n templated personal facts that embed close together (see above); all distinct."""
    rng = random.Random(seed)
    for i in range(n):
        name, surname, attribute, value = _hard_parts(rng)
        # The number keeps every fact unique (ingest merges exact duplicates); it is one
        # more shared-shape token, which makes the facts closer, not easier.
        yield f"{name} {surname}'s {attribute} is {value} (fact {i})."


def hard_queries(n: int, seed: int = 1, within: int = 10_000, corpus_seed: int = 0) -> list[str]:
    """n rare-word questions, each about a fact among the first `within` of hard_facts(seed=
    corpus_seed): it names the person and the attribute, not the value."""
    rng = random.Random(seed)
    wanted = sorted(rng.sample(range(within), min(n, within)))
    facts = hard_facts(within, seed=corpus_seed)
    picked: dict[int, str] = {}
    at = 0
    for i in wanted:
        while at <= i:
            fact = next(facts)
            at += 1
        name_part, rest = fact.split("'s ", 1)
        attribute = rest.split(" is ", 1)[0]
        picked[i] = f"what is {name_part}'s {attribute}"
    order = list(picked.values())
    rng.shuffle(order)
    return [order[i % len(order)] for i in range(n)]
