"""`memos bench consolidate`: the parametric tier measured end to end on fresh stores.

For each fact style (the model's `random` and `realistic`): one user with `facts` facts
(cubes with subject / attribute / value metadata) and another user with 32 facts of their
own. The bench records the other user's answer logits (base model, their pre-encoded slots),
consolidates the first user's facts (`MemOS.consolidate`), serves 20 of them through
`MemOS.answer` (which tier answered, exact match of the generated text), and records the
other user's logits again: they must be bit-identical.

Then, on the `random` store: closed-book exact match at each `scaling` fact count for the
same step budget; forgetting `forget` facts (the adapter leaves service in the forget's
transaction; `answer` falls back), a scheduler pass that re-consolidates the rest, and the
closed-book exact match on the forgotten and on the kept facts after it; and a deliberately
under-trained adapter (`reject_steps` steps) that the gate must reject while the previous
adapter stays active.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from typing import Any

from memos.errors import InvalidInputError

SERVED = 20  # facts served through MemOS.answer per style (generation is the slow part)
OTHER_FACTS = 32


def _add_facts(mem: Any, user: str, facts: list[Any]) -> list[str]:
    """Add the facts as cubes; every one must be stored as its own cube (a near-duplicate
    merge would leave a fact without a cube and skew every number)."""
    items = [{"content": f.text, "metadata": {"subject": f.subject, "attribute": f.attribute,
                                              "value": f.value}} for f in facts]
    results = mem.add_many(items, user)
    merged = [r.id for r in results if r.action != "added"]
    if merged:
        raise InvalidInputError(f"{len(merged)} bench facts were merged by dedup; use another "
                                f"seed")
    return [r.id for r in results]


def _other_logits(mem: Any, facts: list[Any]) -> Any:
    """Logits of the other user's first question, read with their pre-encoded slots."""
    import torch

    from memos.model import tokenizer as tok

    got = mem.recall(facts[0].question, "bob", k=8)
    model = mem._activation().model(None)
    ids = torch.tensor([tok.encode(facts[0].question, bos=True)])
    with mem._activation().model_lock, torch.no_grad():
        return model(ids, memory=got.slots).clone()


def _closed_book(mem: Any, user: str, facts: list[Any]) -> float:
    """Closed-book exact match of the user's active adapter (base model when none)."""
    from memos.cube import Scope
    from memos.parametric import lora

    qa = [lora.QA(f.question, f.value) for f in facts]
    tier = mem._parametric()
    with tier.activation.model_lock:  # the twin is shared: hold the lock while using it
        got = tier.model_for(Scope(user_id=user))
        model = got[0] if got is not None else tier.activation.model(None)
        return lora.accuracy(lora.exact_match(model, qa))


def _served(mem: Any, user: str, facts: list[Any]) -> tuple[float, dict[str, int]]:
    ok = 0
    tiers: dict[str, int] = {}
    for f in facts:
        a = mem.answer(f.question, user, max_new_tokens=80)
        ok += a.text == f.value
        tiers[a.tier] = tiers.get(a.tier, 0) + 1
    return ok / max(1, len(facts)), tiers


def run(facts: int = 100, styles: list[str] | None = None, steps: int | None = None,
        scaling: list[int] | None = None, forget: int = 10, reject_steps: int = 5,
        threads: int = 1, progress: Callable[[int, int | None], None] | None = None,
        seed: int = 2026, out: str | None = None) -> dict[str, Any]:
    import torch

    from memos import MemOS
    from memos.model import families
    from memos.parametric.lora import TrainConfig
    from memos.parametric.tier import ConsolidationConfig
    from memos.scheduler import SchedulerConfig

    styles = styles or ["random", "realistic"]
    bad = [s for s in styles if s not in families.STYLES]
    if bad:
        raise InvalidInputError(f"unknown style(s) {bad}; use random or realistic")
    if forget >= facts:
        raise InvalidInputError("--forget must be smaller than --facts")
    torch.set_num_threads(threads)
    start = time.perf_counter()
    tcfg = TrainConfig() if steps is None else TrainConfig(steps=steps)
    cfg = ConsolidationConfig(train=tcfg)
    tables: dict[str, list[dict[str, Any]]] = {"consolidate 100 facts": [], "scaling": [],
                                               "forgetting": [], "gate rejects": []}
    total = len(styles) + len(scaling or []) + (2 if forget else 0) + (1 if reject_steps else 0)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)
        if out is not None:  # the tables so far, rewritten after each stage
            import json
            from pathlib import Path

            Path(out).write_text(json.dumps(
                {"tables": tables, "checkpoint_fingerprint": fingerprint, "threads": threads,
                 "train_config": tcfg.to_json(), "seconds": time.perf_counter() - start,
                 "partial": done < total}, indent=2))

    fingerprint = ""
    keep: dict[str, Any] = {}
    for si, style in enumerate(styles):
        folder = tempfile.mkdtemp(prefix=f"memos-bench-consolidate-{style}-")
        mem = MemOS.open(folder)
        rng = random.Random(seed + si)
        user_facts = families.STYLES[style](rng, facts)
        other = families.STYLES["random"](random.Random(seed + 100 + si), OTHER_FACTS)
        ids = _add_facts(mem, "alice", user_facts)
        _add_facts(mem, "bob", other)
        before_logits = _other_logits(mem, other)
        rep = mem.consolidate("alice", facts=ids, config=cfg)
        fingerprint = rep.base_fingerprint
        served, tiers = _served(mem, "alice", user_facts[:SERVED])
        after_logits = _other_logits(mem, other)
        tables["consolidate 100 facts"].append({
            "style": style, "facts": facts, "status": rep.status,
            "closed-book before": round(rep.closed_book_before or 0, 3),
            "closed-book after": round(rep.closed_book_after or 0, 3),
            f"answer() EM, first {SERVED}": round(served, 3),
            "tiers": ",".join(f"{k}:{v}" for k, v in sorted(tiers.items())),
            "memory-QA base": round(rep.memory_qa_base or 0, 3),
            "memory-QA adapter": round(rep.memory_qa_adapter or 0, 3),
            "other user bit-identical": bool(torch.equal(before_logits, after_logits)),
            "steps": rep.steps, "train s": round(rep.train_seconds, 1),
            "consolidate s": round(rep.seconds, 1), "adapter bytes": rep.adapter_bytes})
        tick()
        if style == "random":
            keep = {"mem": mem, "facts": user_facts, "ids": ids, "report": rep}
        else:
            mem.close()

    if keep and scaling:
        mem = keep["mem"]
        for n in scaling:
            if n == facts:
                rep = keep["report"]
            else:
                user = f"scale{n}"
                more = families.STYLES["random"](random.Random(seed + 1000 + n), n)
                rep = mem.consolidate(user, facts=_add_facts(mem, user, more), config=cfg)
            tables["scaling"].append({
                "facts": n, "steps": rep.steps, "closed-book after": round(
                    rep.closed_book_after or 0, 3),
                "memory-QA drop": round((rep.memory_qa_base or 0)
                                        - (rep.memory_qa_adapter or 0), 3),
                "status": rep.status, "train s": round(rep.train_seconds, 1)})
            tick()

    if keep and forget:
        mem, user_facts, ids = keep["mem"], keep["facts"], keep["ids"]
        gone, kept = user_facts[:forget], user_facts[forget:]
        base_level = _closed_book_base(mem, gone)
        t0 = time.perf_counter()
        for cid in ids[:forget]:
            mem.forget(cid, "alice", reason="bench: forget")
        forget_s = time.perf_counter() - t0
        active = [a for a in mem.adapters("alice") if a.status == "active"]
        served, tiers = _served(mem, "alice", gone)
        tables["forgetting"].append({
            "stage": f"after forgetting {forget}", "active adapter": bool(active),
            "closed-book EM forgotten": round(_closed_book(mem, "alice", gone), 3),
            "closed-book EM kept": round(_closed_book(mem, "alice", kept), 3),
            "answer() EM forgotten": round(served, 3),
            "tiers": ",".join(f"{k}:{v}" for k, v in sorted(tiers.items())),
            "no-memory level": round(base_level, 3), "seconds": round(forget_s, 2)})
        tick()
        t0 = time.perf_counter()
        sched = mem.run_scheduler(config=SchedulerConfig(consolidation=cfg,
                                                         promote_max_per_run=0))
        results = [d.reason for d in sched.decisions if d.job == "consolidate-result"]
        active = [a for a in mem.adapters("alice") if a.status == "active"]
        tables["forgetting"].append({
            "stage": "after the scheduler re-consolidated", "active adapter": bool(active),
            "closed-book EM forgotten": round(_closed_book(mem, "alice", gone), 3),
            "closed-book EM kept": round(_closed_book(mem, "alice", kept), 3),
            "answer() EM forgotten": round(_served(mem, "alice", gone)[0], 3),
            "tiers": "; ".join(results)[:120],
            "no-memory level": round(base_level, 3),
            "seconds": round(time.perf_counter() - t0, 1)})
        tick()

    if keep and reject_steps:
        mem = keep["mem"]
        before = [a.id for a in mem.adapters("alice") if a.status == "active"]
        live = keep["ids"][forget:]
        rep = mem.consolidate("alice", facts=live, steps=reject_steps, config=cfg)
        after = [a.id for a in mem.adapters("alice") if a.status == "active"]
        tables["gate rejects"].append({
            "steps": reject_steps, "status": rep.status,
            "closed-book after": round(rep.closed_book_after or 0, 3),
            "memory-QA base": round(rep.memory_qa_base or 0, 3),
            "memory-QA adapter": round(rep.memory_qa_adapter or 0, 3),
            "why": "; ".join(rep.reasons),
            "previous still active": bool(before) and before == after})
        tick()
    if keep:
        keep["mem"].close()
    return {"tables": tables, "checkpoint_fingerprint": fingerprint, "threads": threads,
            "train_config": tcfg.to_json(), "seconds": time.perf_counter() - start}


def _closed_book_base(mem: Any, facts: list[Any]) -> float:
    from memos.parametric import lora

    tier = mem._activation()
    with tier.model_lock:
        return lora.accuracy(lora.exact_match(tier.model(None),
                                              [lora.QA(f.question, f.value) for f in facts]))


__all__ = ["run"]
