"""Fact families for the robustness evaluation: memory QA on strings of one particular kind.

Each family is a generator `(rng, n) -> list[Fact]` written independently of the training
generator (`tasks.make_facts`), to find the kinds of strings the model cannot yet read from
memory: other scripts, emoji, values longer than training's (up to 64 bytes), names that
differ only in their last characters or digits, all capitals, and so on. Some families overlap
the training mix (it contains other scripts and long values); `very-long-values` does not
(65-120 bytes), and shows where copying stops. The families after those are values as people
state them (issue 13): titled names with initials, titled subjects, street addresses, dates,
phone numbers, e-mail addresses and long (33-64 byte) mixtures of these.
`memos model eval --task robustness` reports exact match per family; `--style FAMILY`
evaluates one.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from memos.model import tasks
from memos.model.tasks import Fact

_CJK = (0x4E00, 0x9FFF)
_EMOJI = "\U0001F600\U0001F389\U0001F680\U0001F31F\U0001F355\U0001F40D\U0001F525\U0001F4A1\U0001F3B5\U0001F308"
_LOWER = "abcdefghijklmnopqrstuvwxyz"


def _letters(rng: random.Random, lo: int = 3, hi: int = 8) -> str:
    return "".join(rng.choice(_LOWER) for _ in range(rng.randint(lo, hi)))


def _cjk(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(chr(rng.randint(*_CJK)) for _ in range(rng.randint(lo, hi)))


def _words_to(rng: random.Random, lo: int, hi: int) -> str:
    """Lower-case words joined by spaces, cut to lo..hi bytes at a word boundary."""
    limit = rng.randint(lo, hi)
    text = _letters(rng)
    while len(text) < limit:
        text += " " + _letters(rng)
    return text[:limit].rstrip()


def _family(
    subject: Callable[[random.Random], str],
    attribute: Callable[[random.Random], str],
    value: Callable[[random.Random], str],
    per_subject: int = 3,
    n_attributes: int | None = None,
) -> Callable[[random.Random, int], list[Fact]]:
    def make(rng: random.Random, n: int) -> list[Fact]:
        subjects = tasks.distinct(-(-n // per_subject), lambda: subject(rng))
        attributes = tasks.distinct(n_attributes or per_subject + 2, lambda: attribute(rng))
        return tasks.bind_facts(rng, n, subjects, attributes, per_subject, lambda s, a: value(rng))

    return make


def _cap(rng: random.Random) -> str:
    return _letters(rng).capitalize()


FAMILIES: dict[str, Callable[[random.Random, int], list[Fact]]] = {
    "cjk-values": _family(_cap, _letters, lambda r: _cjk(r, 1, 6)),
    "emoji-values": _family(_cap, _letters, lambda r: _letters(r, 2, 5) + r.choice(_EMOJI)),
    "cjk-subjects": _family(lambda r: _cjk(r, 2, 4), _letters, _letters),
    "long-values": _family(_cap, _letters, lambda r: _words_to(r, 33, 64)),
    "very-long-values": _family(_cap, _letters, lambda r: _words_to(r, 65, 120)),
    "long-subjects": _family(lambda r: " ".join(_cap(r) for _ in range(4)), _letters, _letters),
    "digits": _family(lambda r: f"User{r.randint(0, 99999)}", lambda r: f"code {r.randint(0, 99)}",
                      lambda r: str(r.randint(0, 10**12))),
    "prefix-subjects": _family(lambda r: "Ann" + _letters(r, 1, 3), _letters, _letters),
    "shared-values": _family(_cap, _letters, lambda r: r.choice(["red", "blue", "green", "7", "Paris"])),
    "many-attributes": _family(_cap, _letters, _letters, per_subject=8, n_attributes=10),
    "phrase-values": _family(_cap, _letters, lambda r: f"the {_letters(r)} of {_cap(r)} and {_letters(r)}"),
    "all-caps": _family(lambda r: _letters(r).upper(), lambda r: _letters(r).upper(), lambda r: _letters(r).upper()),
}


# ---- values as people state them (issue 13) -----------------------------------------------------
# Real-looking names, streets and towns from lists that the training generator never samples
# (it writes made-up words into the same shapes), so these families test reading the shapes.
_SURNAMES = ("Okonkwo Smith Nakamura Fern\u00e1ndez Kowalczyk O'Neill Haddad Lindgren Abiodun Petrova "
             "MacLeod Van-der-Berg Chaudhry Rossi Dubois Mwangi Ishikawa Gonz\u00e1lez Novak Brennan").split()
_GIVEN = "Ada Bea Chinua Dev Elif Femi Greta Hamid Iris Jonah Kamala Lars Mei Nils Oona Pedro Rui Sade".split()
_FAM_TITLES = "Dr. Mrs. Mr. Ms. Prof. Rev. Capt. Sr.".split()
_STREET_NAMES = "Baker Abbey Elm Harbour Kings Mill Orchard Station Victoria Willow Church Market".split()
_STREET_KINDS = "St. Rd. Ave. Lane Street Road Blvd. Close".split()
_TOWNS = "London Leeds Lagos Dublin Porto Kyoto Austin Ghent Cork Bergen Perth Quito".split()
_MONTH_NAMES = ("January February March April May June July August September October November "
                "December").split()
_PERSON_ATTRS = ("doctor", "landlord", "manager", "dentist", "lawyer", "tutor", "vet", "boss")
_PLACE_ATTRS = ("address", "home address", "work address", "old address", "office", "billing address")
_DATE_ATTRS = ("birthday", "anniversary", "start date", "wedding date", "due date", "move date")
_PHONE_ATTRS = ("phone number", "mobile", "work phone", "home phone", "fax number", "office line")
_MAIL_ATTRS = ("email", "work email", "email address", "old email", "school email", "backup email")


def _initials_of(rng: random.Random) -> str:
    return " ".join(rng.choice(_LOWER.upper()) + "." for _ in range(rng.randint(1, 2)))


def _titled(rng: random.Random) -> str:
    """"Dr. A. Okonkwo", "Mrs. J. R. Smith", "Prof. Okonkwo", "Dr. Ada Okonkwo"."""
    middle = rng.choice([_initials_of(rng), _initials_of(rng), rng.choice(_GIVEN), ""])
    return " ".join(p for p in (rng.choice(_FAM_TITLES), middle, rng.choice(_SURNAMES)) if p)


def _street_address(rng: random.Random) -> str:
    """"221B Baker St., London", "14 Elm Road, Leeds LS6 2AB", "Flat 3, 9 Mill Lane, Cork"."""
    number = f"{rng.randint(1, 400)}{rng.choice(['', '', '', 'A', 'B'])}"
    line = f"{number} {rng.choice(_STREET_NAMES)} {rng.choice(_STREET_KINDS)}, {rng.choice(_TOWNS)}"
    r = rng.random()
    if r < 0.25:
        line = f"Flat {rng.randint(1, 30)}, {line}"
    elif r < 0.5:
        line += f" {rng.choice(_LOWER.upper())}{rng.choice(_LOWER.upper())}{rng.randint(1, 19)} " \
                f"{rng.randint(1, 9)}{rng.choice(_LOWER.upper())}{rng.choice(_LOWER.upper())}"
    return line


def _stated_date(rng: random.Random) -> str:
    """"3 March 2024", "2024-03-03", "March 3rd", "March 3, 2024", "03/03/2024"."""
    y, m, d = rng.randint(1940, 2035), rng.randint(1, 12), rng.randint(1, 28)
    month = _MONTH_NAMES[m - 1]
    nth = f"{d}{({1: 'st', 2: 'nd', 3: 'rd', 21: 'st', 22: 'nd', 23: 'rd'}).get(d, 'th')}"
    return rng.choice([f"{d} {month} {y}", f"{y}-{m:02d}-{d:02d}", f"{month} {nth}", f"{month} {d}, {y}",
                       f"{d:02d}/{m:02d}/{y}"])


def _stated_phone(rng: random.Random) -> str:
    """"+44 20 7946 0958", "(555) 012-3456", "+1 555-012-3456", "020 7946 0958"."""
    def num(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    return rng.choice([f"+44 20 {num(4)} {num(4)}", f"({num(3)}) {num(3)}-{num(4)}", f"+1 {num(3)}-{num(3)}-{num(4)}",
                       f"0{num(2)} {num(4)} {num(4)}", f"+{rng.randint(30, 99)} {num(3)} {num(3)} {num(3)}"])


def _stated_email(rng: random.Random) -> str:
    """"a.okonkwo@example.co.uk", "jr.smith42@mail.com"."""
    local = rng.choice([f"{rng.choice(_GIVEN).lower()}.{rng.choice(_SURNAMES).lower()}",
                        f"{rng.choice(_LOWER)}.{rng.choice(_SURNAMES).lower()}{rng.randint(1, 99)}"])
    local = local.replace("'", "").replace("\u00e1", "a")
    return f"{local}@{rng.choice(['example', 'mail', 'post', 'uni-leeds'])}.{rng.choice(['com', 'co.uk', 'org', 'ac.uk'])}"


def _stated_long(rng: random.Random) -> str:
    """33-64 bytes as people write them: "Dr. A. Okonkwo, 221B Baker St., London" and the like."""
    while True:
        parts = [rng.choice((_titled, _street_address, _stated_date, _stated_phone))(rng)]
        while len(", ".join(parts).encode()) < 33:
            parts.append(rng.choice((_titled, _street_address, _stated_date, _stated_phone, _stated_email))(rng))
        text = ", ".join(parts)
        if len(text.encode()) <= 64:
            return text


def _pick(options: tuple[str, ...]) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(options)


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_GIVEN)} {rng.choice(_SURNAMES)}"


FAMILIES.update({
    "titled-names": _family(_person, _pick(_PERSON_ATTRS), _titled),
    "titled-subjects": _family(_titled, _pick(_PHONE_ATTRS + _PLACE_ATTRS), lambda r: r.choice(_TOWNS)),
    "addresses": _family(_person, _pick(_PLACE_ATTRS), _street_address),
    "dates": _family(_person, _pick(_DATE_ATTRS), _stated_date),
    "phone-numbers": _family(_person, _pick(_PHONE_ATTRS), _stated_phone),
    "emails": _family(_person, _pick(_MAIL_ATTRS), _stated_email),
    "stated-long-values": _family(_person, _pick(_PLACE_ATTRS + _PERSON_ATTRS), _stated_long),
})

# Every style `memos model eval --style` accepts: the training kind of strings, the held-out
# realistic people, and the families above.
STYLES: dict[str, Callable[[random.Random, int], list[Fact]]] = {**tasks.FACT_STYLES, **FAMILIES}
