"""Cost per question: pre-encoded memory vs facts stuffed into the prompt, as facts grow.

Both conditions go through the public API a user would call: `encode_memory` once, then
`generate(question, memory=slots)`; versus `generate(facts + question)`. Time per question
includes prefill and greedy decoding of the answer. Encoding time is reported separately
(it is paid once per memory and cached in the activation tier). A model without
cross-attention (the Transformer baseline) is measured on the stuffed condition only, with its
key/value-cached `generate`.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import asdict, dataclass

import torch

from memos.model import tasks
from memos.model.baselines import Transformer
from memos.model.evaluate import EVAL_SEED_OFFSET
from memos.model.memory_model import MemoryModel

log = logging.getLogger(__name__)


@dataclass
class CostRow:
    facts: int
    memory_s: float | None  # seconds per question with pre-encoded memory (None: the model reads none)
    memory_acc: float | None
    encode_s: float | None  # seconds to encode all facts once
    stuffed_s: float | None  # seconds per question with the facts in the prompt (None: not run)
    stuffed_acc: float | None
    prompt_tokens: int  # length of the stuffed prompt

    def to_dict(self) -> dict:
        return asdict(self)


@torch.no_grad()
def cost_per_question(
    model: MemoryModel | Transformer,
    fact_counts: list[int],
    questions: int = 4,
    max_stuffed: int = 1024,
    seed: int = 0,
) -> list[CostRow]:
    """Measure both conditions for each fact count; stuffing only up to `max_stuffed` facts."""
    rows = []
    model.eval()
    for n in fact_counts:
        rng = random.Random(EVAL_SEED_OFFSET + seed + n)
        facts = tasks.make_facts(rng, n)
        asked = [facts[i] for i in rng.sample(range(n), min(questions, n))]
        max_answer = max(len(f.value.encode()) for f in asked) + 2
        memory_s = mem_acc = encode_s = None
        if model.cfg.cross_attention:
            t = time.perf_counter()
            slots = model.encode_memory([f.text for f in facts])
            encode_s = time.perf_counter() - t
            model.generate(asked[0].question, slots, max_new_tokens=2)  # warm-up
            t = time.perf_counter()
            mem_ok = sum(model.generate(f.question, slots, max_new_tokens=max_answer).strip() == f.value for f in asked)
            memory_s, mem_acc = (time.perf_counter() - t) / len(asked), mem_ok / len(asked)
        else:
            model.generate(asked[0].question, max_new_tokens=2)  # warm-up
        context = " ".join(f.text for f in facts) + " "
        stuffed_s = stuffed_acc = None
        if n <= max_stuffed:
            t = time.perf_counter()
            ok = 0
            for f in asked:
                ok += model.generate(context + f.question, None, max_new_tokens=max_answer).strip() == f.value
            stuffed_s, stuffed_acc = (time.perf_counter() - t) / len(asked), ok / len(asked)
        row = CostRow(n, memory_s, mem_acc, encode_s, stuffed_s, stuffed_acc, len(context.encode()) + 1)
        log.info("cost %s", row)
        rows.append(row)
    return rows


def _sync(t: torch.Tensor) -> None:
    """Wait for the GPU's queued work (timings on a GPU measure it, not its launch)."""
    if t.is_cuda:
        torch.cuda.synchronize(t.device)


@dataclass
class GenerationRow:
    context: int  # tokens read before generating
    tokens_per_s: float  # greedy generation speed after that context
    state_bytes: int  # size of the recurrent state carried between tokens
    read_s: float  # time to read the context (parallel prefill)


@torch.no_grad()
def generation_speed(model: MemoryModel, contexts: list[int], new_tokens: int = 64) -> list[GenerationRow]:
    """Tokens/s of step-by-step generation after contexts of growing length: the state is
    O(1) in context length (SSM state, conv window, bounded internal pool), so speed is flat."""
    model.eval()
    rows = []
    for n in contexts:
        text = (tasks.FILLER * (n // len(tasks.FILLER) + 1))[: max(1, n - 1)]
        t = time.perf_counter()
        state = model.read_session(text)
        _sync(state.last_logits)
        read_s = time.perf_counter() - t
        token = state.last_logits[:1].argmax(-1)  # on the model's device
        t = time.perf_counter()
        for _ in range(new_tokens):
            state = model.step(token, state)
            token = state.last_logits.argmax(-1)
        _sync(token)
        tps = new_tokens / (time.perf_counter() - t)
        size = sum(m.ssm.numel() * 4 + m.conv.numel() * 4 for m in state.mixers)
        size += sum(p.k.numel() * 8 + p.buffer.numel() * 4 for p in state.pools if p is not None)
        rows.append(GenerationRow(n, tps, size, read_s))
        log.info("generation %s", rows[-1])
    return rows
