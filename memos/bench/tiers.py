"""`memos bench tiers`: what the activation tier buys, measured through the OS.

Four measurements, each a table in docs/BENCHMARKS.md:

1. **answer time per stage** with N facts stored for one user (k memories retrieved):
   - ``warm``: slots from the RAM cache (a second `MemOS.answer` of the same question);
   - ``encode``: the same retrieved memories encoded by the model on the fly;
   - ``stuffed-k``: the same retrieved memories pasted into the prompt, no memory slots;
   - ``stuffed-all``: every fact of the user pasted into the prompt (only up to
     `STUFF_ALL_MAX` facts: beyond that a prompt is megabytes long).
2. **accuracy through the OS**: facts in the model's evaluation styles stored as cubes and
   asked through `MemOS.answer`; exact match of the answer text. Beside them, as many
   questions no stored fact answers (`absent_questions`: a stored subject with an attribute
   the store states only for other subjects) and the share of each that `answer` abstained
   on (text "").
3. **session resume**: a saved session state of `session_bytes` bytes resumed vs the text
   read again, and whether both continue with the same tokens.
4. **eviction policies**: hit rate and resident bytes of the RAM slot cache for each policy
   on a Zipf(1.1) trace of recalls, under three byte budgets (a simulation driving the real
   `SlotCache` with sizes and encode costs measured from the model).

Medians of `repeats` runs; every time is wall clock on this machine, one thread.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memos.errors import InvalidInputError

BENCH_USER = "bench"
STUFF_ALL_MAX = 1000
MAX_NEW = 80  # every condition may write answers this long (values are up to 64 bytes)
POLICIES = ("lru", "lfu", "cost")


@dataclass
class AnswerPoint:
    facts: int
    condition: str  # warm | encode | stuffed-k | stuffed-all
    retrieve_ms: float
    recall_ms: float  # slots from cache (warm) or encoding (encode); 0 for stuffed
    generate_ms: float
    total_ms: float
    prompt_bytes: int
    exact_match: float  # share of answers equal to the fact's value
    answers: int


@dataclass
class PolicyPoint:
    policy: str
    budget_bytes: int
    hit_rate: float
    resident_bytes: int
    evictions: int


@dataclass
class TiersReport:
    machine: str
    date: str
    k: int
    answer: list[AnswerPoint] = field(default_factory=list)
    warm_vs_encode: float = 0.0  # encode recall time / warm recall time at the largest size
    answer_growth: float = 0.0  # warm answer time at the largest size / at the smallest
    accuracy: dict[str, Any] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)
    policies: list[PolicyPoint] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else 0.0


def _fill(mem: Any, facts: list[Any], done: int, progress: Callable[[str, int, int], None]
          ) -> None:
    items = [{"content": f.text, "kind": "fact"} for f in facts[done:]]
    if items:
        mem.add_many(items, BENCH_USER, progress=lambda n, t: progress("add", done + n,
                                                                       len(facts)))


def answer_times(sizes: tuple[int, ...], k: int, questions: int, repeats: int, seed: int,
                 model: Any, folder: Path, progress: Callable[[str, int, int], None]
                 ) -> list[AnswerPoint]:
    from memos.facade import MemOS
    from memos.model import tasks

    rng = random.Random(seed)
    facts = tasks.make_facts(rng, max(sizes))
    out: list[AnswerPoint] = []
    with MemOS.open(folder / "answer") as mem:
        done = 0
        for size in sorted(sizes):
            _fill(mem, facts[:size], done, progress)
            done = size
            asked = random.Random(seed + size).sample(facts[:size], min(questions, size))
            rows: dict[str, list[tuple[float, float, float, int, bool]]] = {
                c: [] for c in ("warm", "encode", "stuffed-k", "stuffed-all")}
            for i, fact in enumerate(asked):
                progress(f"answer@{size}", i + 1, len(asked))
                mem.answer(fact.question, BENCH_USER, k=k, model=model,
                           max_new_tokens=MAX_NEW)  # warm the cache
                for _ in range(repeats):
                    a = mem.answer(fact.question, BENCH_USER, k=k, model=model,
                                   max_new_tokens=MAX_NEW)
                    rows["warm"].append((a.seconds["retrieve"], a.seconds["recall"],
                                         a.seconds["generate"], len(fact.question.encode()),
                                         a.text == fact.answer))
                    texts = [mem.get(cid, BENCH_USER).content for cid, _ in a.cubes]
                    t0 = time.perf_counter()
                    slots = model.encode_memory(texts)
                    t1 = time.perf_counter()
                    said = model.generate(fact.question, memory=slots, max_new_tokens=MAX_NEW)
                    t2 = time.perf_counter()
                    rows["encode"].append((a.seconds["retrieve"], t1 - t0, t2 - t1,
                                           len(fact.question.encode()),
                                           said.strip() == fact.answer))
                    stuffed = " ".join(texts) + " " + fact.question
                    t0 = time.perf_counter()
                    said = model.generate(stuffed, max_new_tokens=MAX_NEW)
                    rows["stuffed-k"].append((a.seconds["retrieve"], 0.0,
                                              time.perf_counter() - t0, len(stuffed.encode()),
                                              said.strip() == fact.answer))
                    if size <= STUFF_ALL_MAX and i < 2:  # a megabyte prompt per question
                        everything = " ".join(f.text for f in facts[:size]) + " " + fact.question
                        t0 = time.perf_counter()
                        said = model.generate(everything, max_new_tokens=MAX_NEW)
                        rows["stuffed-all"].append((0.0, 0.0, time.perf_counter() - t0,
                                                    len(everything.encode()),
                                                    said.strip() == fact.answer))
            for cond, vals in rows.items():
                if not vals:
                    continue
                r, c, g = ([v[j] * 1000 for v in vals] for j in range(3))
                tot = [a + b + d for a, b, d in zip(r, c, g, strict=True)]
                out.append(AnswerPoint(size, cond, _median(r), _median(c), _median(g),
                                       _median(tot), int(_median([v[3] for v in vals])),
                                       sum(v[4] for v in vals) / len(vals), len(vals)))
    return out


def accuracy(n: int, styles: tuple[str, ...], questions: int, k: int, seed: int, model: Any,
             folder: Path, progress: Callable[[str, int, int], None]) -> dict[str, Any]:
    from memos.facade import MemOS
    from memos.model import tasks

    out: dict[str, Any] = {"facts": n, "k": k}
    for style in styles:
        rng = random.Random(seed)
        facts = tasks.FACT_STYLES[style](rng, n)
        with MemOS.open(folder / f"acc-{style}") as mem:
            _fill(mem, facts, 0, progress)
            asked = random.Random(seed + 1).sample(facts, min(questions, n))
            right = 0
            retrieved = 0
            silent = 0
            for i, fact in enumerate(asked):
                progress(f"accuracy {style}", i + 1, len(asked))
                ans = mem.answer(fact.question, BENCH_USER, k=k, model=model,
                                 max_new_tokens=MAX_NEW)
                right += ans.text == fact.answer
                silent += ans.text == ""
                texts = {mem.get(cid, BENCH_USER).content for cid, _ in ans.cubes}
                retrieved += fact.text in texts
            absent = absent_questions(facts, len(asked), random.Random(seed + 2))
            abstained = 0
            for i, fact in enumerate(absent):
                progress(f"abstention {style}", i + 1, len(absent))
                abstained += mem.answer(fact.question, BENCH_USER, k=k, model=model,
                                        max_new_tokens=MAX_NEW).text == ""
            out[style] = {"questions": len(asked), "exact_match": right / len(asked),
                          "retrieved": retrieved / len(asked),
                          "abstained": silent / len(asked),
                          "absent_questions": len(absent),
                          "absent_abstained": abstained / max(len(absent), 1)}
    return out


def absent_questions(facts: list[Any], count: int, rng: random.Random) -> list[Any]:
    """Up to `count` questions no fact of `facts` answers, each about a stored subject and an
    attribute the facts state for other subjects only (both names are in the store, the pair
    is not; compared without case, as `MemOS.answer` compares them)."""
    from memos.model.tasks import Fact

    stated = {(f.subject.casefold(), f.attribute.casefold()) for f in facts}
    attributes = sorted({f.attribute for f in facts})
    out: list[Any] = []
    for fact in rng.sample(facts, len(facts)):
        missing = [a for a in attributes if (fact.subject.casefold(), a.casefold()) not in stated]
        if not missing:
            continue
        attribute = rng.choice(missing)
        stated.add((fact.subject.casefold(), attribute.casefold()))  # each pair asked once
        out.append(Fact(fact.subject, attribute, ""))
        if len(out) == count:
            break
    return out


def session_resume(nbytes: int, repeats: int, model: Any, folder: Path) -> dict[str, Any]:
    from memos.facade import MemOS

    rng = random.Random(7)
    words = ["the", "pass", "key", "is", "river", "stone", "blue", "north", "seven", "Zorb"]
    text = ""
    while len(text) < nbytes:
        text += " ".join(rng.choice(words) for _ in range(12)) + ". "
    text = text[:nbytes]
    question = " What is the pass key?"
    with MemOS.open(folder / "session") as mem:
        t0 = time.perf_counter()
        mem.save_session(BENCH_USER, "bench-session", text, model=model)
        save_s = time.perf_counter() - t0
        resume, reread = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            state = mem.resume_session(BENCH_USER, "bench-session", model=model)
            resume.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fresh = model.read_session(text)
            reread.append(time.perf_counter() - t0)
        same = (model.generate(question, state=state, max_new_tokens=16)
                == model.generate(question, state=fresh, max_new_tokens=16))
    return {"bytes": len(text.encode()), "save_s": save_s, "resume_ms": _median(resume) * 1000,
            "reread_ms": _median(reread) * 1000,
            "speedup": _median(reread) / max(_median(resume), 1e-9), "same_output": same}


class _Ticks:
    """A clock that advances one unit per reading: the trace's time is its access count."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        self.t += 1.0
        return self.t


def policy_trace(cubes: int, recalls: int, budgets: tuple[float, ...], seed: int,
                 model: Any) -> list[PolicyPoint]:
    """Drive the real SlotCache with a Zipf(1.1) trace; sizes and encode costs come from the
    model (bytes per slot and seconds per encoded memory, measured on sample texts)."""
    from memos.model import tasks
    from memos.slot_cache import SlotCache

    rng = random.Random(seed)
    sample = [f.text for f in tasks.make_facts(rng, 64)]
    t0 = time.perf_counter()
    slots = model.encode_memory(sample)
    per_memory_s = (time.perf_counter() - t0) / len(sample)
    per_byte = slots.select([0]).trimmed().nbytes() / max(1, len(sample[0].encode()) + 1)
    lengths = np.random.default_rng(seed).integers(16, 160, size=cubes)
    sizes = (lengths * per_byte).astype(int)
    costs = per_memory_s * lengths / lengths.mean()
    ranks = np.arange(1, cubes + 1, dtype=float)
    p = ranks ** -1.1
    p /= p.sum()
    order = np.random.default_rng(seed + 1).permutation(cubes)  # popularity not tied to size
    trace = order[np.random.default_rng(seed + 2).choice(cubes, size=recalls, p=p)]
    total = int(sizes.sum())
    out: list[PolicyPoint] = []
    for share in budgets:
        budget = int(total * share)
        for policy in POLICIES:
            cache = SlotCache(budget, policy, clock=_Ticks())
            for key in trace.tolist():
                if cache.get(key) is None:
                    cache.put(key, key, int(sizes[key]), float(costs[key]))
            s = cache.stats()
            out.append(PolicyPoint(policy, budget, s.hit_rate, s.resident_bytes, s.evictions))
    return out


def run_tiers_bench(*, sizes: tuple[int, ...] = (100, 1000, 10_000), k: int = 8,
                    questions: int = 20, repeats: int = 3, accuracy_facts: int = 1000,
                    accuracy_questions: int = 200, styles: tuple[str, ...] = ("random", "realistic"),
                    session_bytes: int = 65_536, trace_cubes: int = 10_000,
                    trace_recalls: int = 10_000, budgets: tuple[float, ...] = (0.01, 0.05, 0.2),
                    seed: int = 0, model_path: str | None = None,
                    progress: Callable[[str, int, int], None] | None = None) -> TiersReport:
    """Every measurement of the module docstring, in a temporary folder."""
    import torch

    from memos.bench.retrieval import machine_description
    from memos.model.checkpoint import load_checkpoint

    if not sizes or min(sizes) < 1 or k < 1 or questions < 1 or repeats < 1:
        raise InvalidInputError("sizes, k, questions and repeats must be positive")
    torch.set_num_threads(1)
    model = load_checkpoint(model_path)
    step = progress or (lambda stage, done, total: None)
    report = TiersReport(machine=machine_description(), date=time.strftime("%Y-%m-%d"), k=k)
    with tempfile.TemporaryDirectory(prefix="memos-bench-tiers-") as tmp:
        folder = Path(tmp)
        report.answer = answer_times(tuple(sizes), k, questions, repeats, seed, model, folder,
                                     step)
        big, small = max(sizes), min(sizes)
        warm = {p.facts: p for p in report.answer if p.condition == "warm"}
        enc = {p.facts: p for p in report.answer if p.condition == "encode"}
        report.warm_vs_encode = enc[big].recall_ms / max(warm[big].recall_ms, 1e-6)
        report.answer_growth = warm[big].total_ms / max(warm[small].total_ms, 1e-6)
        if accuracy_facts:
            report.accuracy = accuracy(accuracy_facts, styles, accuracy_questions, k, seed,
                                       model, folder, step)
        if session_bytes:
            report.session = session_resume(session_bytes, repeats, model, folder)
        if trace_recalls:
            report.policies = policy_trace(trace_cubes, trace_recalls, budgets, seed, model)
    return report


__all__ = ["AnswerPoint", "PolicyPoint", "TiersReport", "run_tiers_bench"]
