"""Seeded, unlimited task generators: memory QA, MQAR (Zoology), passkey retrieval.

Every generator takes a `random.Random`, so a seed fixes the data and distinct seeds give
disjoint-in-practice random strings (training and evaluation use different seeds).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import torch

from memos.errors import InvalidInputError
from memos.model import tokenizer as tok

IGNORE = -100
T = TypeVar("T")

# ---- random made-up strings -----------------------------------------------------------------
# Facts are built from random strings of many shapes (made-up words and names in any case and
# many scripts, numbers, codes, dates, prices, phone numbers, e-mail addresses, emoji, 1 to 64
# bytes), so that what the model learns is to find and copy bytes, not a string style. Every
# byte value occurs in training: a byte the model never saw cannot be read from memory or written.
_CONS = "bcdfghjklmnprstvwxz"
_VOW = "aeiouy"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ACCENTED = "\u00e1\u00e9\u00ed\u00f3\u00fa\u00e0\u00e8\u00f1\u00f6\u00fc\u00e7\u00f8\u00e5\u00df"
_PUNCT = "-_/+#&@:"
_ALL_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_CURRENCY = "$\u20ac\u00a3"
# Code-point ranges of scripts and symbols: Latin-1, Latin Extended, IPA and combining marks,
# Greek, Cyrillic, Armenian, Hebrew, Arabic, Syriac to N'Ko, Devanagari, Thai, Georgian, Greek
# Extended, arrows and maths, kana, CJK, Hangul, full-width forms, emoji. Together they put every
# UTF-8 lead byte of assigned printable text (0xC3-0xDF, 0xE0-0xED, 0xEF, 0xF0) and every
# continuation byte into the training strings.
_SCRIPTS = (
    (0xC0, 0x36F), (0x370, 0x3FF), (0x400, 0x52F), (0x531, 0x58A), (0x5D0, 0x5EA), (0x620, 0x6FF),
    (0x710, 0x7FA), (0x905, 0x939), (0xE01, 0xE2E), (0x10D0, 0x10FA), (0x1F00, 0x1FFE),
    (0x2190, 0x22FF), (0x3041, 0x30FA), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFF01, 0xFF5E),
    (0x1F300, 0x1F64F),
)
# Rarer: any printable code point of the BMP (without surrogates) or the supplementary planes.
_ANY_CODEPOINTS = ((0xA0, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFD))


def _script_word(rng: random.Random, lo: int, hi: int) -> str:
    """1..hi characters of one script (2-4 UTF-8 bytes each), or of any code point; no spaces.

    The length is a stopping rule, not one draw: before each character a bound in lo..hi is
    drawn and the word ends once it is that long, so short words are the more common (the
    shipped checkpoint was trained on this distribution)."""
    first, last = rng.choice(_SCRIPTS if rng.random() < 0.85 else _ANY_CODEPOINTS)
    out: list[str] = []
    while True:
        bound = rng.randint(lo, hi)
        if out and len(out) >= bound:
            return "".join(out)
        c = chr(rng.randint(first, last))
        if c.isprintable() and not c.isspace():
            out.append(c)


def _word(rng: random.Random, lo: int = 2, hi: int = 9) -> str:
    """A made-up word: pronounceable (syllables), plain random letters, with accents, or (rarely)
    in another script."""
    n = rng.randint(lo, hi)
    r = rng.random()
    if r < 0.55:
        s = "".join(rng.choice(_CONS) + rng.choice(_VOW) for _ in range((n + 1) // 2))
        return s[:n]
    if r < 0.87:
        return "".join(rng.choice(_LETTERS) for _ in range(n))
    if r < 0.92:
        return "".join(rng.choice(_LETTERS + _ACCENTED) for _ in range(n))
    return _script_word(rng, max(1, n // 3), max(1, n // 2))


def _cased(rng: random.Random, word: str) -> str:
    r = rng.random()
    if r < 0.7:
        return word.capitalize()
    if r < 0.85:
        return word
    if r < 0.95:
        return word.upper()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in word)


def _code(rng: random.Random, lo: int, hi: int, punct: str = _PUNCT + ".") -> str:
    """Letters of both cases, digits and a little punctuation, never at the ends."""
    n = rng.randint(lo, hi)
    chars = _LETTERS + _LETTERS.upper() + "0123456789"
    s = [rng.choice(chars) for _ in range(n)]
    for i in range(1, n - 1):
        if rng.random() < 0.12:
            s[i] = rng.choice(punct)
    return "".join(s)


def make_subject(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.4:
        return _cased(rng, _word(rng, 3, 10))
    if r < 0.67:
        return " ".join(_cased(rng, _word(rng, 2, 8)) for _ in range(rng.randint(2, 4)))
    if r < 0.8:
        return _cased(rng, _word(rng, 2, 6)) + rng.choice(["", " ", "-", "_"]) + str(rng.randint(0, 10 ** rng.randint(1, 5)))
    if r < 0.88:
        return f"{_cased(rng, _word(rng, 2, 6))}{rng.choice(['-', chr(39), '.'])}{_cased(rng, _word(rng, 2, 7))}"
    if r < 0.94:
        return _code(rng, 3, 12)
    return _script_word(rng, 1, 5)


def make_attribute(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        word = _word(rng, 3, 12)
    elif r < 0.8:
        word = " ".join(_word(rng, 2, 8) for _ in range(rng.randint(2, 3)))
    elif r < 0.88:
        word = f"{_word(rng, 2, 7)}'s {_word(rng, 2, 7)}"
    else:
        word = f"{_word(rng, 2, 8)} {rng.randint(1, 10 ** rng.randint(1, 3))}"
    return word if rng.random() < 0.8 else _cased(rng, word)


def _phrase(rng: random.Random, lo: int, hi: int) -> str:
    """Words (some capitalised, some joined by 'of', 'and', 'the') until lo..hi bytes."""
    limit = rng.randint(lo, hi)
    words: list[str] = []
    while len(" ".join(words).encode()) < limit:
        r = rng.random()
        words.append(rng.choice(["of", "and", "the", "a", "in", "&"]) if r < 0.2 else
                     _cased(rng, _word(rng, 1, 9)) if r < 0.45 else _word(rng, 1, 9))
    text = " ".join(words)
    while len(text.encode()) > hi and " " in text:
        text = text.rsplit(" ", 1)[0]
    return text


def make_value(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.2:
        return _cased(rng, _word(rng, 1, 12)) if rng.random() < 0.5 else _word(rng, 1, 12)
    if r < 0.3:
        return str(rng.randint(0, 10 ** rng.randint(1, 16)))
    if r < 0.38:
        return _code(rng, 2, 24)
    if r < 0.42:
        return _code(rng, 3, 24, _ALL_PUNCT)
    if r < 0.5:
        return _phrase(rng, 4, 24)
    if r < 0.56:
        if rng.random() < 0.5:
            return f"{rng.randint(0, 9999)}.{rng.randint(0, 999)}"
        cents = f".{rng.randint(10, 99)}" if rng.random() < 0.5 else ""
        return f"{rng.choice(_CURRENCY)}{rng.randint(1, 99999)}{cents}"
    if r < 0.62:
        y, m, d = rng.randint(1900, 2099), rng.randint(1, 12), rng.randint(1, 28)
        return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d}/{m}/{y}", f"{m:02d}:{d * 2:02d}", f"{d} {_word(rng, 3, 8)} {y}"])
    if r < 0.67:
        if rng.random() < 0.5:
            return f"+{rng.randint(1, 99)} {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        return f"{_word(rng, 2, 8)}.{_word(rng, 2, 8)}@{_word(rng, 2, 8)}.{rng.choice(['com', 'org', 'net', 'io'])}"
    if r < 0.73:
        return _code(rng, 10, 40)
    if r < 0.8:
        return _phrase(rng, 25, 64)
    if r < 0.9:
        parts = [_script_word(rng, 1, 6) if rng.random() < 0.6 else _word(rng, 1, 8) for _ in range(rng.randint(1, 3))]
        return " ".join(parts)
    return " ".join(_cased(rng, _word(rng, 2, 9)) for _ in range(rng.randint(1, 3)))


# ---- memory QA ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fact:
    subject: str
    attribute: str
    value: str

    @property
    def text(self) -> str:
        return f"{self.subject}'s {self.attribute} is {self.value}."

    @property
    def question(self) -> str:
        return f"What is {self.subject}'s {self.attribute}?"

    @property
    def answer(self) -> str:
        return self.value


def distinct(count: int, draw: Callable[[], T]) -> list[T]:
    """`count` distinct values from `draw` (in draw order)."""
    out: list[T] = []
    while len(out) < count:
        item = draw()
        if item not in out:
            out.append(item)
    return out


def bind_facts(
    rng: random.Random, n: int, subjects: list[str], attributes: Sequence[str], per_subject: int,
    value: Callable[[str, str], str],
) -> list[Fact]:
    """`per_subject` attributes for each subject (attributes recur across subjects), shuffled, first n."""
    facts = [Fact(s, a, value(s, a)) for s in subjects for a in rng.sample(attributes, per_subject)]
    rng.shuffle(facts)
    return facts[:n]


def _near(rng: random.Random, make: Callable[[random.Random], str]) -> Callable[[], str]:
    """Draws that share a stem and differ only in a short suffix ("Ann", "Annabel", "Ann 12"),
    so that telling facts apart takes every byte of a name, not its first letters."""
    stem = make(rng)

    def draw() -> str:
        r = rng.random()
        if r < 0.4:
            return f"{stem}{rng.choice(['', ' ', '-', '_'])}{rng.randint(0, 10 ** rng.randint(1, 4))}"
        return stem + (" " if r < 0.6 else "") + _word(rng, 1, 4)
    return draw


def make_facts(rng: random.Random, n: int) -> list[Fact]:
    """n facts; subjects have several attributes and attributes recur across subjects, so the
    answer depends on the (subject, attribute) pair, not on either alone. In some sets the
    subjects (or the attributes) share a stem and differ only at the end."""
    per_subject = rng.randint(2, 4)
    attr_draw = _near(rng, make_attribute) if rng.random() < 0.2 else lambda: make_attribute(rng)
    attr_pool = distinct(per_subject + 2, attr_draw)
    subj_draw = _near(rng, make_subject) if rng.random() < 0.2 else lambda: make_subject(rng)
    subjects = distinct(max(1, math.ceil(n / per_subject)), subj_draw)
    return bind_facts(rng, n, subjects, attr_pool, per_subject, lambda s, a: make_value(rng))


# ---- values as people state them --------------------------------------------------------------
# What people actually say about themselves: names with titles and initials ("Dr. A. Okonkwo"),
# street addresses ("221B Baker St., London"), dates in many spellings, phone numbers with
# brackets and dots, e-mail addresses, and long values (33-64 bytes) mixing all of these. A
# period inside a value ("Dr. A. Okonkwo", "St., London") reads, one byte at a time, exactly like
# the period that ends a fact ("... is Paris."), so the model must learn to look past it; the
# random strings above almost never put ". " inside a value. Names and places are made-up words
# (the robustness families use real-looking word lists that training never samples); month
# names, titles and street kinds are closed sets and are sampled as they are written.
_MONTHS = ("January February March April May June July August September October November "
           "December").split()
_TITLES = ("Dr. Mr. Mrs. Ms. Mx. Prof. Rev. Fr. Sr. Sra. Capt. Col. Gen. Lt. Sgt. Hon. Sir Dame "
           "Lady Lord Dr Mr Mrs Ms Prof Herr Frau Mme. Mlle. M.").split()
_SUFFIXES = ("Jr. Sr. II III PhD Ph.D. MD M.D. Esq. MBA B.Sc. QC").split()
_STREETS = ("St. Street Rd. Road Ave. Avenue Ln. Lane Blvd. Dr. Drive Ct. Pl. Sq. Way Cres. "
            "Terr. Hwy. Pkwy. Close Row Gardens Str. Stra\u00dfe").split()
_ORDINAL = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd", 31: "st"}


def _name_word(rng: random.Random, lo: int = 2, hi: int = 10) -> str:
    """A capitalised made-up name; sometimes with an apostrophe or hyphen (O'Brien, Smith-Jones)."""
    name = _word(rng, lo, hi).capitalize()
    r = rng.random()
    if r < 0.06:
        return f"{rng.choice(['O', 'D', 'L'])}'{name}"
    if r < 0.14:
        return f"{name}-{_word(rng, 2, 8).capitalize()}"
    if r < 0.18:
        return f"{rng.choice(['Mc', 'Mac', 'van ', 'de ', 'von ', 'al-'])}{name}"
    return name


def _initials(rng: random.Random) -> str:
    letters = [rng.choice(_LETTERS.upper()) for _ in range(rng.randint(1, 3))]
    return rng.choice([" ".join(c + "." for c in letters), "".join(c + "." for c in letters),
                       " ".join(letters)])


def _titled_name(rng: random.Random) -> str:
    """"Dr. A. Okonkwo", "Mrs. J. R. Smith", "Prof. Ada Lin-Moe PhD", "A. B. Zuri", "Mr. Ng"."""
    parts = [rng.choice(_TITLES)] if rng.random() < 0.8 else []
    r = rng.random()
    if r < 0.45:
        parts.append(_initials(rng))
    elif r < 0.7:
        parts.append(_name_word(rng, 2, 8))
        if rng.random() < 0.4:
            parts.append(_initials(rng))
    if not parts or rng.random() < 0.9:
        parts.append(_name_word(rng))
    if rng.random() < 0.12:
        parts.append(("," if rng.random() < 0.3 else "") + rng.choice(_SUFFIXES))
    return " ".join(parts).replace(" ,", ",")


def _address(rng: random.Random) -> str:
    """"221B Baker St., London", "Flat 3, 14 Kelo Rd., Lumbridge LS6 2AB", "Rua Vena 12, Pirto"."""
    number = str(rng.randint(1, 9999)) + (rng.choice(_LETTERS.upper()) if rng.random() < 0.15 else "")
    street = " ".join(_name_word(rng, 3, 9) for _ in range(rng.randint(1, 2)))
    kind = rng.choice(_STREETS)
    line = f"{number} {street} {kind}" if rng.random() < 0.75 else f"{street} {kind} {number}"
    if rng.random() < 0.2:
        line = f"{rng.choice(['Flat', 'Apt.', 'Unit', 'Suite', '#'])} {rng.randint(1, 99)}, {line}"
    extras = []
    if rng.random() < 0.75:
        extras.append(_name_word(rng, 3, 10))
    if rng.random() < 0.35:
        extras.append(rng.choice([
            str(rng.randint(10000, 99999)),
            f"{rng.choice(_LETTERS.upper())}{rng.choice(_LETTERS.upper())}{rng.randint(1, 20)} "
            f"{rng.randint(1, 9)}{rng.choice(_LETTERS.upper())}{rng.choice(_LETTERS.upper())}",
            rng.choice(_LETTERS.upper()) + rng.choice(_LETTERS.upper()),
        ]))
    if extras and rng.random() < 0.2:
        extras.append(_name_word(rng, 3, 9))
    return ", ".join([line, *extras]) if rng.random() < 0.85 else " ".join([line, *extras])


def _date(rng: random.Random) -> str:
    """"3 March 2024", "2024-03-03", "March 3rd", "Mar. 3, 2024", "03/03/2024", "3.3.2024"."""
    y, m, d = rng.randint(1900, 2099), rng.randint(1, 12), rng.randint(1, 31)
    month = _MONTHS[m - 1]
    short = month[:3] + ("." if rng.random() < 0.5 else "")
    name = rng.choice([month, month, short, month.lower()])
    nth = f"{d}{_ORDINAL.get(d, 'th')}"
    return rng.choice([
        f"{d} {name} {y}", f"{name} {d}, {y}", f"{name} {nth}", f"{nth} {name}", f"{nth} of {name}",
        f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{m}/{d}/{y}", f"{d}.{m}.{y}",
        f"{d}. {name} {y}", f"{name} {y}", f"{name} {nth}, {y}", f"{d} {name}",
        f"{rng.choice(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])}, {d} {short} {y}",
    ])


def _phone(rng: random.Random) -> str:
    """"+44 20 7946 0958", "(555) 012-3456", "555.012.3456", "+1-555-012-3456 ext. 12"."""
    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    r = rng.random()
    if r < 0.3:
        groups = [digits(rng.randint(1, 4)) for _ in range(rng.randint(2, 4))]
        text = f"+{rng.randint(1, 999)} " + rng.choice([" ", "-", "."]).join(groups)
    elif r < 0.55:
        text = f"({digits(3)}) {digits(3)}-{digits(4)}"
        if rng.random() < 0.3:
            text = f"+1 {text}"
    elif r < 0.8:
        sep = rng.choice(["-", ".", " "])
        text = sep.join([digits(3), digits(3), digits(4)])
    else:
        text = f"0{digits(rng.randint(2, 4))} {digits(rng.randint(3, 4))} {digits(rng.randint(3, 4))}"
    if rng.random() < 0.1:
        text += rng.choice([" ext. ", " x", " ext "]) + digits(rng.randint(1, 4))
    return text


def _email(rng: random.Random) -> str:
    local = rng.choice([".", "_", "-", ""]).join(_word(rng, 1, 8) for _ in range(rng.randint(1, 3)))
    if rng.random() < 0.3:
        local += str(rng.randint(1, 999))
    domain = ".".join(_word(rng, 2, 8) for _ in range(rng.randint(1, 2)))
    return f"{local}@{domain}.{rng.choice(['com', 'org', 'net', 'io', 'co.uk', 'de', 'edu', 'fr'])}"


def _sentence(rng: random.Random, lo: int, hi: int) -> str:
    """A phrase with commas, periods inside ("St. Ives, nr. Penzance") and digits, lo..hi bytes."""
    limit = rng.randint(lo, hi)
    words: list[str] = []
    while len(" ".join(words).encode()) < limit:
        r = rng.random()
        if r < 0.12:
            words.append(_cased(rng, _word(rng, 1, 4)) + ".")
        elif r < 0.22 and words:
            words[-1] += rng.choice([",", ";", ":", " -", " &"])
        elif r < 0.3:
            words.append(str(rng.randint(0, 10 ** rng.randint(1, 4))))
        elif r < 0.38:
            words.append(rng.choice([_titled_name, _date, _phone])(rng))
        else:
            words.append(_cased(rng, _word(rng, 1, 9)) if rng.random() < 0.4 else _word(rng, 1, 9))
    text = " ".join(words)
    while len(text.encode()) > hi and " " in text:
        text = text.rsplit(" ", 1)[0]
    return text.rstrip(",;:-& ")


def _long(rng: random.Random) -> str:
    """33-64 bytes: several stated values joined ("Dr. A. Lin, 12 Kelo Rd., Pirto, 3 May 2021")."""
    hi = rng.randint(33, 64)
    parts = [rng.choice(_STATED_KINDS[:5])(rng)]
    while len(", ".join(parts).encode()) < 33:
        parts.append(rng.choice((_titled_name, _address, _date, _phone, _email, _name_word))(rng))
    text = ", ".join(parts) if rng.random() < 0.7 else " ".join(parts)
    if len(text.encode()) > hi:
        cut = text.encode()[:hi].decode(errors="ignore").rstrip(".")
        text = cut.rsplit(" ", 1)[0] if " " in cut and len(cut.rsplit(" ", 1)[0].encode()) >= 33 else cut
    return text.rstrip(",;:-& ") if len(text.rstrip(",;:-& ").encode()) >= 33 else _sentence(rng, 33, 64)


_STATED_KINDS: tuple[Callable[[random.Random], str], ...] = (
    _titled_name, _address, _date, _phone, _email, lambda r: _sentence(r, 4, 32), _long, _long,
)


def _fit(value: str, limit: int = 64) -> str:
    """`value` cut to `limit` bytes at a character boundary, without loose ends."""
    if len(value.encode()) > limit:
        value = value.encode()[:limit].decode(errors="ignore").rstrip(",;:-&. ")
    return value.strip() or "x"


def make_stated_value(rng: random.Random) -> str:
    """A value as people state it: a titled name, an address, a date, a phone number, an e-mail
    address, a phrase with periods and commas, or a long (33-64 bytes) mixture; 1-64 bytes. A few
    end with a period of their own ("Jr.", "etc.")."""
    value = _fit(rng.choice(_STATED_KINDS)(rng))
    if rng.random() < 0.03 and len(value.encode()) < 61:
        value += rng.choice([" Jr.", " etc.", " Ltd.", "."])
    return value


def make_stated_subject(rng: random.Random) -> str:
    """A subject as people name one: a titled name ("Dr. A. Okonkwo") or first and last name."""
    if rng.random() < 0.6:
        return _titled_name(rng)
    return f"{_name_word(rng, 2, 8)} {_name_word(rng)}"


STATED_SHARE = 0.35  # share of training values (and a fifth of that for subjects) drawn as stated


def _long_words(rng: random.Random) -> str:
    """About 33-64 bytes of made-up words, mostly lower case ("vemo tarsik ul pendra kosimaret");
    cut at a word, so now and then a little shorter."""
    return _phrase(rng, 33, 64) if rng.random() < 0.5 else " ".join(
        _word(rng, 1, 9) for _ in range(12)).encode()[:rng.randint(33, 64)].decode(
        errors="ignore").rsplit(" ", 1)[0]


# One kind of value for a whole set (`uniform_share`): values of one kind share their shape
# and often their words, so telling 64 of them apart takes every byte — the sets where the
# model's copying slips. (The robustness families are such sets, built from other generators.)
_UNIFORM_KINDS: tuple[Callable[[random.Random], str], ...] = (
    _long_words, _long, _email, _address, _phone, _date, _titled_name,
    lambda r: str(r.randint(10 ** 7, 10 ** 14)), lambda r: _sentence(r, 12, 32),
)


# Long values for a whole set (`long_share`): 33-64 bytes each, one kind per set. Copying
# slips late in a long value (a byte at position 40-60), so these sets train the end of it.
_LONG_KINDS: tuple[Callable[[random.Random], str], ...] = (_long_words, _long)


def make_training_facts(rng: random.Random, n: int, stated_share: float = STATED_SHARE,
                        uniform_share: float = 0.0, long_share: float = 0.0) -> list[Fact]:
    """The training mix: `make_facts` (random strings of many shapes) with `stated_share` of the
    values replaced by values as people state them, and in some sets titled people as subjects.

    With `uniform_share`, that share of the sets draws every value from one kind (long
    phrases, e-mail addresses, addresses, phone numbers, dates, titled names, long numbers,
    ...) and a fifth of those sets is written in capitals throughout. With `long_share`, that
    share of the sets (drawn before the uniform ones) has every value 33-64 bytes long (made-up
    words or a mixture of stated values). At 0 (the defaults) the draws are exactly those of
    the earlier mix, so earlier training commands reproduce. With all three shares at 0 the
    facts are `make_facts`'s, draw for draw: the mix the session-3 base model was trained on
    (the first stage of model/checkpoints/memqa-small/recipe.json)."""
    if not (stated_share or uniform_share or long_share):
        return make_facts(rng, n)
    facts = make_facts(rng, n)
    if rng.random() < 0.15:
        names = distinct(len({f.subject for f in facts}), lambda: make_stated_subject(rng))
        rename = dict(zip(dict.fromkeys(f.subject for f in facts), names, strict=True))
        facts = [Fact(rename[f.subject], f.attribute, f.value) for f in facts]
    if long_share and rng.random() < long_share:
        kind = rng.choice(_LONG_KINDS)
        return [Fact(f.subject, f.attribute, _fit(kind(rng))) for f in facts]
    if uniform_share and rng.random() < uniform_share:
        kind = rng.choice(_UNIFORM_KINDS)
        facts = [Fact(f.subject, f.attribute, _fit(kind(rng))) for f in facts]
        if rng.random() < 0.2:  # a set in capitals throughout; pairs stay distinct
            shouted = [Fact(f.subject.upper(), f.attribute.upper(), _fit(f.value.upper()))
                       for f in facts]
            if len({(f.subject, f.attribute) for f in shouted}) == len(shouted):
                facts = shouted
        return facts
    return [Fact(f.subject, f.attribute, make_stated_value(rng)) if rng.random() < stated_share else f
            for f in facts]


# Held-out style: facts about people with realistic names, attributes and values, built from
# word lists that training never samples. Evaluation only (`--style realistic`), to check that
# what the model learned carries over to strings unlike its training strings.
_FIRST = (
    "Alice Bob Carmen Dmitri Eleanor Farid Greta Hiroshi Ingrid Jamal Kofi Lucia Mateo Nadia Oscar "
    "Priya Quentin Rosa Sven Tamar Umar Vera Wen Ximena Yusuf Zoe Amara Bruno Chloe Darius Esther "
    "Felix Gianna Hassan Irene Jonas Keiko Liam Maya Nikolai Olga Pablo Rania Stefan Thandi Victor "
    "Wanjiru Yara Zeynep Jos\u00e9 Bj\u00f6rn Ren\u00e9e Zo\u00eb Fran\u00e7ois In\u00eas"
).split()
_LAST = (
    "Anders Baker Chen Diaz Evans Fischer Garcia Haddad Ito Jensen Kowalski Lopez Moreau Nakamura "
    "Okafor Petrov Quinn Rossi Singh Tanaka Ueda Vargas Weber Xu Yilmaz Zhang Abara Brennan Castillo "
    "Dubois Eriksen Fontaine Gupta Horvat Ivanova Johansson Kim Lindqvist Mbeki Novak O'Brien "
    "Papadopoulos Russo Schmidt Takahashi Van-Dyke Wagner M\u00fcller Nu\u00f1ez Sj\u00f6berg"
).split()
_REAL_ATTRS = (
    "favorite color", "home town", "pet's name", "job", "favorite food", "car", "birthday",
    "phone number", "best friend", "favorite band", "shoe size", "blood type", "middle name",
    "employer", "hobby", "favorite book", "email address", "locker code", "street address",
    "favorite movie", "allergy", "account number", "dentist", "gym", "favorite drink", "nickname",
)
_REAL_WORDS = (
    "teal Lisbon dentist sushi Volvo Rex jazz gardening Dune Acme pilot Nairobi violet ramen Tesla "
    "Biscuit salsa chess Beloved Globex nurse Osaka amber pho Subaru Luna techno pottery Emma Initech "
    "architect Lima crimson tacos Fiat Mochi reggae kayaking Ulysses Hooli welder Oslo navy curry Kia"
).split()


def _realistic_value(rng: random.Random, person: str, attribute: str) -> str:
    first, last = person.split(" ", 1)
    if attribute == "birthday":
        return f"{rng.choice(['March', 'July', 'October', 'January'])} {rng.randint(1, 28)}, {rng.randint(1950, 2010)}"
    if attribute == "phone number":
        return f"+{rng.randint(1, 49)} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if attribute == "email address":
        return f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(_REAL_WORDS).lower()}.com"
    if attribute in ("locker code", "account number"):
        return "".join(rng.choice("0123456789ABCDEF") for _ in range(rng.randint(4, 16)))
    if attribute == "street address":
        return f"{rng.randint(1, 999)} {rng.choice(_REAL_WORDS)} {rng.choice(['Street', 'Road', 'Avenue', 'Lane'])}"
    if attribute == "shoe size":
        return str(rng.choice([38, 39.5, 40, 41, 42.5, 44, 46]))
    if attribute == "blood type":
        return rng.choice(["O negative", "A positive", "AB negative", "B positive"])
    return " ".join(rng.sample(_REAL_WORDS, rng.randint(1, 2)))


def make_facts_realistic(rng: random.Random, n: int) -> list[Fact]:
    """n facts about people with realistic names (held-out style; never used in training)."""
    per_person = rng.randint(2, 4)
    people = distinct(max(1, math.ceil(n / per_person)), lambda: f"{rng.choice(_FIRST)} {rng.choice(_LAST)}")
    return bind_facts(rng, n, people, _REAL_ATTRS, per_person, lambda p, a: _realistic_value(rng, p, a))


FACT_STYLES = {"random": make_facts, "realistic": make_facts_realistic, "training": make_training_facts}


def question_tokens(fact: Fact) -> tuple[list[int], list[int]]:
    """Prompt ids (BOS + question) and answer ids (space + value + EOS)."""
    return [tok.BOS, *tok.encode_raw(fact.question)], [*tok.encode_raw(" " + fact.answer), tok.EOS]


@dataclass
class Batch:
    tokens: torch.Tensor  # (B, L)
    targets: torch.Tensor  # (B, L): next-token targets, IGNORE where no loss
    memory_seqs: list[list[int]] | None = None  # token ids of every memory text in the batch
    allowed: torch.Tensor | None = None  # (B, M) bool: memories each row may read
    sel_target: torch.Tensor | None = None  # (B,) index of the memory each question is about
    facts: list[list[Fact]] = field(default_factory=list)
    # (B, L) next-token targets over the prompt itself (stuffed facts and question), for an
    # optional language-model loss that teaches in-context copying; IGNORE elsewhere.
    prompt_targets: torch.Tensor | None = None

    @property
    def n_tokens(self) -> int:
        return int(self.tokens.numel()) + sum(len(s) for s in self.memory_seqs or [])


def _rows(prompts: list[list[int]], answers: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences prompt+answer with loss on the answer (predicted from the previous position)."""
    seqs = [p + a for p, a in zip(prompts, answers, strict=True)]
    tokens = tok.pad_batch(seqs)
    targets = torch.full_like(tokens, IGNORE)
    for i, (p, a) in enumerate(zip(prompts, answers, strict=True)):
        targets[i, len(p) - 1 : len(p) - 1 + len(a)] = torch.tensor(a)
    return tokens, targets


def memory_qa_batch(
    rng: random.Random, n_facts: int, groups: int, questions: int, stuffed: bool = False,
    stated_share: float = STATED_SHARE, uniform_share: float = 0.0, long_share: float = 0.0,
) -> Batch:
    """`groups` fact sets of `n_facts`, `questions` questions about each.

    Memory condition: the facts are memories (row r may read only its group's facts).
    Stuffed condition: the facts are written before the question in the prompt.
    """
    prompts, answers, sel, fact_sets, mem_seqs = [], [], [], [], []
    allowed = torch.zeros(groups * questions, groups * n_facts, dtype=torch.bool)
    for g in range(groups):
        facts = make_training_facts(rng, n_facts, stated_share, uniform_share, long_share)
        fact_sets.append(facts)
        mem_seqs += [[tok.BOS, *tok.encode_raw(f.text)] for f in facts]
        for q in range(questions):
            j = rng.randrange(len(facts))
            p, a = question_tokens(facts[j])
            if stuffed:
                p = [tok.BOS, *tok.encode_raw(" ".join(f.text for f in facts) + " "), *p[1:]]
            prompts.append(p)
            answers.append(a)
            sel.append(g * n_facts + j)
            allowed[g * questions + q, g * n_facts : g * n_facts + len(facts)] = True
    tokens, targets = _rows(prompts, answers)
    if stuffed:
        prompt_targets = torch.full_like(tokens, IGNORE)
        for i, p in enumerate(prompts):
            prompt_targets[i, : len(p) - 1] = tokens[i, 1 : len(p)]
        return Batch(tokens, targets, facts=fact_sets, prompt_targets=prompt_targets)
    return Batch(tokens, targets, mem_seqs, allowed, torch.tensor(sel), fact_sets)


# ---- passkey retrieval ----------------------------------------------------------------------
FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. "
PASSKEY_QUESTION = "What is the pass key? The pass key is"


def passkey_example(rng: random.Random, length: int) -> tuple[list[int], list[int]]:
    """Filler of about `length` bytes with "The pass key is N. Remember it." at a random depth."""
    key = str(rng.randint(10000, 99999))
    needle = f"The pass key is {key}. Remember it. {key} is the pass key. "
    n_fill = max(0, length - len(needle) - len(PASSKEY_QUESTION))
    filler = (FILLER * (n_fill // len(FILLER) + 1))[:n_fill]
    cut = filler.rfind(". ", 0, rng.randint(0, max(0, n_fill))) + 2 if n_fill else 0
    text = filler[:cut] + needle + filler[cut:] + PASSKEY_QUESTION
    return [tok.BOS, *tok.encode_raw(text)], [*tok.encode_raw(" " + key), tok.EOS]


def passkey_batch(rng: random.Random, batch: int, length: int) -> Batch:
    prompts, answers = zip(*(passkey_example(rng, length) for _ in range(batch)), strict=True)
    tokens, targets = _rows(list(prompts), list(answers))
    return Batch(tokens, targets)


# ---- MQAR (Zoology) -------------------------------------------------------------------------
def mqar_batch(rng: random.Random, batch: int, seq_len: int = 256, n_pairs: int = 16, power_a: float = 0.01) -> Batch:
    """Multi-query associative recall on raw token ids: keys from the lower half of the byte
    vocabulary, values from the upper half; each key is queried once later, at a gap drawn
    from the power law p(g) ~ g^(a-1) (Zoology). Loss only where a queried key's value is due."""
    tokens = torch.zeros(batch, seq_len, dtype=torch.long)
    targets = torch.full((batch, seq_len), IGNORE, dtype=torch.long)
    if not 1 <= n_pairs <= 127:  # keys are distinct bytes of the lower half
        raise InvalidInputError(f"n_pairs must be from 1 to 127, got {n_pairs}")
    context = 1 + 2 * n_pairs
    space = seq_len - context
    if space < n_pairs:
        raise InvalidInputError(f"seq_len {seq_len} too short for {n_pairs} pairs; use a length "
                                f"of at least {1 + 3 * n_pairs} (--seq-len, --lengths) or fewer "
                                "--n-pairs")
    gaps = torch.arange(1, space + 1, dtype=torch.float)
    probs = (power_a * gaps ** (power_a - 1)).tolist()
    for b in range(batch):
        keys = rng.sample(range(1, 128), n_pairs)
        values = [rng.randrange(128, 256) for _ in range(n_pairs)]
        row = [tok.BOS] + [t for kv in zip(keys, values, strict=True) for t in kv]
        rest = [rng.randrange(0, 256) for _ in range(space)]
        slots = set()
        for i, k in enumerate(keys):
            while True:
                g = rng.choices(range(space), weights=probs)[0]
                if g not in slots and g + 1 < space:
                    break
                g = rng.randrange(space - 1)
                if g not in slots:
                    break
            slots.add(g)
            rest[g] = k
            targets[b, context + g] = values[i]
        tokens[b] = torch.tensor(row + rest)
    return Batch(tokens, targets)
