"""Evaluation: exact match on memory QA (memory / stuffed / none), passkey and MQAR accuracy.

Exact match is computed by teacher forcing: greedy decoding reproduces the answer exactly iff
the argmax at every answer position (including the end token) is the answer token, so one
parallel pass per question gives the same number as `generate`, much faster.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

import torch

from memos.errors import InvalidInputError
from memos.model import families, tasks
from memos.model import tokenizer as tok
from memos.model.cross_attention import LayerMemory
from memos.model.memory_model import MemoryModel

log = logging.getLogger(__name__)
CONDITIONS = ("memory", "stuffed", "none")
EVAL_SEED_OFFSET = 1_000_003  # eval seeds never coincide with training seeds (0..few hundred)


def exact_match(model: MemoryModel, tokens: torch.Tensor, targets: torch.Tensor, memory=None) -> torch.Tensor:
    """(B,) bool: every answer position's argmax equals its target."""
    logits = model.forward_full(tokens.to(model.device), memory)[0]
    pred = logits.argmax(-1).cpu()
    care = targets != tasks.IGNORE
    return ((pred == targets) | ~care).all(dim=1) & care.any(dim=1)


def _shared_memory(model: MemoryModel, facts: list[tasks.Fact], full: bool = False) -> list[LayerMemory]:
    """Encode facts once (no fingerprint round trip: the model is the one in hand)."""
    per_layer, mask = model.encode_tokens([[tok.BOS, *tok.encode_raw(f.text)] for f in facts])
    return [LayerMemory(k[None], v[None], mask[None], p[None], full=full) for k, v, p in per_layer]


@torch.no_grad()
def memory_qa(
    model: MemoryModel,
    n_facts: int,
    seed: int = 0,
    questions: int = 64,
    sets: int = 1,
    conditions: tuple[str, ...] = CONDITIONS,
    batch_size: int = 16,
    full_attention: bool = False,
    style: str = "random",
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Exact-match accuracy per condition on `sets` fact sets of `n_facts` facts (unseen strings).

    The memory condition reads the top-k memories per token (as `generate` does), or with
    `full_attention` every memory (the training-time path). Questions are about distinct facts of the set when possible (several facts per subject,
    shared attributes), so answering needs the (subject, attribute) binding. `style` picks the
    fact generator: "random" (the training distribution's kind of strings, unseen seeds),
    "realistic" (names, attributes and values from word lists training never samples), "training"
    (the training mix: random strings plus values as people state them) or one of
    `families.FAMILIES` (strings of one particular kind). `progress(done, total)`: after each
    batch of questions in each condition (the CLI's progress bar)."""
    if n_facts < 1 or questions < 1 or sets < 1:
        raise InvalidInputError("facts, questions and sets must be >= 1")
    bad = set(conditions) - set(CONDITIONS)
    if bad:
        raise InvalidInputError(f"unknown conditions {sorted(bad)}; use {', '.join(CONDITIONS)}")
    if style not in families.STYLES:
        raise InvalidInputError(f"unknown fact style {style!r}; use one of {', '.join(families.STYLES)}")
    make_facts = families.STYLES[style]
    rng = random.Random(EVAL_SEED_OFFSET + seed)
    was_training = model.training
    model.eval()
    hits = {c: 0 for c in conditions}
    total = 0
    steps = sets * -(-questions // batch_size) * len(conditions)
    done = 0
    for _ in range(sets):
        facts = make_facts(rng, n_facts)
        asked = rng.sample(range(len(facts)), min(questions, len(facts)))
        asked += [rng.randrange(len(facts)) for _ in range(questions - len(asked))]
        memory = _shared_memory(model, facts, full_attention) if "memory" in conditions else None
        stuffed = tok.encode_raw(" ".join(f.text for f in facts) + " ")
        for start in range(0, len(asked), batch_size):
            chunk = [facts[j] for j in asked[start : start + batch_size]]
            qa = [tasks.question_tokens(f) for f in chunk]
            for cond in conditions:
                prompts = [[tok.BOS, *stuffed, *p[1:]] if cond == "stuffed" else p for p, _ in qa]
                tokens, targets = tasks._rows(prompts, [a for _, a in qa])
                ok = exact_match(model, tokens, targets, memory if cond == "memory" else None)
                hits[cond] += int(ok.sum())
                done += 1
                if progress is not None:
                    progress(done, steps)
        total += len(asked)
    model.train(was_training)
    return {c: hits[c] / total for c in conditions}


def robustness(
    model: MemoryModel, n_facts: int, seed: int = 0, questions: int = 64, styles: list[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Memory-condition exact match for each fact style (default: every style), one row each;
    `progress(done, total)` after each style."""
    rows = []
    every = styles or list(families.STYLES)
    for i, style in enumerate(every, start=1):
        acc = memory_qa(model, n_facts, seed=seed, questions=questions, conditions=("memory",), style=style)
        if progress is not None:
            progress(i, len(every))
        rows.append({"style": style, "memory": acc["memory"], "facts": n_facts, "seed": seed})
    return rows


@torch.no_grad()
def batch_accuracy(model: MemoryModel, batch: tasks.Batch) -> float:
    """Fraction of rows whose every target position is predicted exactly (passkey, MQAR rows)."""
    return float(exact_match(model, batch.tokens, batch.targets).float().mean())


@torch.no_grad()
def passkey(model: MemoryModel, length: int, seed: int = 0, n: int = 32, batch_size: int = 8) -> float:
    rng = random.Random(EVAL_SEED_OFFSET + seed)
    ok = 0
    for start in range(0, n, batch_size):
        b = tasks.passkey_batch(rng, min(batch_size, n - start), length)
        ok += int(exact_match(model, b.tokens, b.targets).sum())
    return ok / n


@torch.no_grad()
def mqar(model: MemoryModel, seq_len: int, n_pairs: int, seed: int = 0, n: int = 64) -> float:
    """Per-query accuracy (the Zoology metric)."""
    rng = random.Random(EVAL_SEED_OFFSET + seed)
    b = tasks.mqar_batch(rng, n, seq_len, n_pairs)
    pred = model.forward_full(b.tokens.to(model.device))[0].argmax(-1).cpu()
    care = b.targets != tasks.IGNORE
    return float((pred == b.targets)[care].float().mean())
