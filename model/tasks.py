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


FACT_STYLES = {"random": make_facts, "realistic": make_facts_realistic}


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
    rng: random.Random, n_facts: int, groups: int, questions: int, stuffed: bool = False
) -> Batch:
    """`groups` fact sets of `n_facts`, `questions` questions about each.

    Memory condition: the facts are memories (row r may read only its group's facts).
    Stuffed condition: the facts are written before the question in the prompt.
    """
    prompts, answers, sel, fact_sets, mem_seqs = [], [], [], [], []
    allowed = torch.zeros(groups * questions, groups * n_facts, dtype=torch.bool)
    for g in range(groups):
        facts = make_facts(rng, n_facts)
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
    context = 1 + 2 * n_pairs
    space = seq_len - context
    if space < n_pairs:
        raise ValueError(f"seq_len {seq_len} too short for {n_pairs} pairs")
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
