"""Seeded, unlimited task generators: memory QA, MQAR (Zoology), passkey retrieval.

Every generator takes a `random.Random`, so a seed fixes the data and distinct seeds give
disjoint-in-practice random strings (training and evaluation use different seeds).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import torch

from memos.model import tokenizer as tok

IGNORE = -100

# ---- random made-up strings -----------------------------------------------------------------
_CONS = "bcdfghjklmnprstvwxz"
_VOW = "aeiouy"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _word(rng: random.Random, lo: int = 2, hi: int = 9) -> str:
    """A made-up word: pronounceable (syllables) or plain random letters."""
    n = rng.randint(lo, hi)
    if rng.random() < 0.6:
        s = "".join(rng.choice(_CONS) + rng.choice(_VOW) for _ in range((n + 1) // 2))
        return s[:n]
    return "".join(rng.choice(_LETTERS) for _ in range(n))


def make_subject(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.7:
        return _word(rng, 3, 9).capitalize()
    if r < 0.85:
        return f"{_word(rng, 2, 6).capitalize()} {_word(rng, 2, 7).capitalize()}"
    return _word(rng, 2, 6).capitalize() + str(rng.randint(1, 99))


def make_attribute(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return _word(rng, 3, 10)
    return f"{_word(rng, 2, 6)} {_word(rng, 2, 7)}"


def make_value(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.45:
        return _word(rng, 2, 10)
    if r < 0.6:
        return str(rng.randint(0, 10 ** rng.randint(1, 6)))
    if r < 0.75:
        return "".join(rng.choice(_LETTERS + "0123456789") for _ in range(rng.randint(2, 8)))
    if r < 0.88:
        return _word(rng, 2, 9).capitalize()
    return f"{_word(rng, 2, 6)} {_word(rng, 2, 6)}"


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


def make_facts(rng: random.Random, n: int) -> list[Fact]:
    """n facts; subjects have several attributes and attributes recur across subjects, so the
    answer depends on the (subject, attribute) pair, not on either alone."""
    per_subject = rng.randint(2, 4)
    n_subjects = max(1, math.ceil(n / per_subject))
    attr_pool: list[str] = []
    while len(attr_pool) < per_subject + 2:
        a = make_attribute(rng)
        if a not in attr_pool:
            attr_pool.append(a)
    subjects: list[str] = []
    while len(subjects) < n_subjects:
        s = make_subject(rng)
        if s not in subjects:
            subjects.append(s)
    facts: list[Fact] = []
    for s in subjects:
        for a in rng.sample(attr_pool, per_subject):
            facts.append(Fact(s, a, make_value(rng)))
    rng.shuffle(facts)
    return facts[:n]


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
        return Batch(tokens, targets, facts=fact_sets)
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
