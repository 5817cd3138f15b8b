"""What parametric-tier tests share: a consolidation that trains one step with its gate
opened (a few seconds on CPU: for the tier's bookkeeping, not what an adapter learns), and
realistic facts added with their subject, attribute and value."""

from __future__ import annotations

import random
from typing import Any

import torch

from memos import MemOS
from memos.model import families
from memos.parametric import lora
from memos.parametric.tier import ConsolidationConfig

CHEAP = ConsolidationConfig(min_closed_book=0.0, max_memory_drop=1.0, gate_sets=1,
                            gate_facts=4, gate_styles=("random",),
                            train=lora.TrainConfig(steps=1, batch=4, rehearsal_every=0))


def one_thread() -> None:
    """Train on one thread: two threads on a shared 2-core machine spin in OpenMP."""
    torch.set_num_threads(1)


def add_facts(mem: MemOS, user: str, seed: int, n: int) -> tuple[list[str], list[Any]]:
    """`n` realistic facts of `user` (seeded), added: their cube ids and the facts."""
    facts = families.STYLES["realistic"](random.Random(seed), n)
    out = mem.add_many([{"content": f.text, "metadata": {
        "subject": f.subject, "attribute": f.attribute, "value": f.value}} for f in facts], user)
    assert all(r.action == "added" for r in out)
    return [r.id for r in out], facts
