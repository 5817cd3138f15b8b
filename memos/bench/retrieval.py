"""`memos bench retrieval`: ingest throughput and search latency of the plaintext tier.

One fresh store is filled with synthetic memory sentences (memos.bench.corpus) through
`MemOS.add_many` in batches, up to each size checkpoint (10k, 100k, ... up to n). At each
checkpoint the same seeded queries are timed three ways:

- `search`: the SDK's full `MemOS.search` (embed, FAISS, full text, scope and liveness
  filters in SQL, fusion, loading the hits);
- `faiss`: only the vector index lookup for the already-embedded query, as search issues it;
- `embed`: only embedding the query.

`search - faiss - embed` is what SQL, full text, filters and fusion cost. Throughput is
cubes per second of wall time for the add_many calls between two checkpoints.

Search is timed twice over: wall-clock time (what a caller waits) and the CPU time of the
searching thread. On a machine shared with other jobs the wall-clock tail mostly measures the
scheduler; CPU time is the part memos itself is responsible for.
"""

from __future__ import annotations

import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from memos.bench.corpus import synthetic_queries, synthetic_sentences
from memos.errors import InvalidInputError
from memos.eval.locomo_data import percentile

log = logging.getLogger(__name__)

# (stage, done, total): stage is "add" or "search@<size>".
StageProgress = Callable[[str, int, int], None]

DEFAULT_CHECKPOINTS: tuple[int, ...] = (10_000, 100_000)
BENCH_USER = "bench"


@dataclass
class SizePoint:
    """Measurements with `cubes` cubes in the store."""

    cubes: int
    added: int  # cubes added since the previous checkpoint
    add_seconds: float
    cubes_per_s: float
    search_p50_ms: float
    search_p95_ms: float
    search_cpu_p50_ms: float
    search_cpu_p95_ms: float
    faiss_p50_ms: float
    faiss_p95_ms: float
    embed_p50_ms: float
    overhead_p50_ms: float  # search - faiss - embed, at the median
    vector_index: str


@dataclass
class RetrievalBenchReport:
    n: int
    k: int
    queries: int
    batch_size: int
    embedder: str
    machine: str
    points: list[SizePoint] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def checkpoints_for(n: int) -> list[int]:
    """The sizes to measure at: the default checkpoints below n, and n itself."""
    if n < 1:
        raise InvalidInputError(f"--n must be at least 1, got {n}")
    return sorted({c for c in DEFAULT_CHECKPOINTS if c < n} | {n})


def machine_description() -> str:
    """A short description of where the numbers were taken."""
    return f"{platform.machine()} {os.cpu_count()} CPU, {platform.system()}, Python {platform.python_version()}"


def _timed_queries(fn: Callable[[str], Any], queries: list[str], on_step: Callable[[int], None],
                   cpu: list[float] | None = None) -> list[float]:
    """Wall-clock ms of fn(q) per query; with `cpu`, also this thread's CPU ms into it."""
    out: list[float] = []
    for i, q in enumerate(queries):
        start, start_cpu = time.perf_counter(), time.thread_time()
        fn(q)
        out.append((time.perf_counter() - start) * 1000.0)
        if cpu is not None:
            cpu.append((time.thread_time() - start_cpu) * 1000.0)
        on_step(i + 1)
    return out


def run_retrieval_bench(
    n: int = 100_000,
    *,
    k: int = 10,
    queries: int = 200,
    batch_size: int = 1_000,
    seed: int = 0,
    store_dir: str | Path | None = None,
    progress: StageProgress | None = None,
) -> RetrievalBenchReport:
    """Fill a fresh store with n synthetic cubes (hashing embedder) and time it at checkpoints."""
    if k < 1 or queries < 1 or batch_size < 1:
        raise InvalidInputError("--k, --queries and --batch-size must be at least 1")
    if store_dir is None:
        with tempfile.TemporaryDirectory(prefix="memos-bench-") as tmp:
            return _run(n, k, queries, batch_size, seed, Path(tmp), progress)
    folder = Path(store_dir)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInputError(f"{folder} is not empty; give an empty or new folder for the bench store")
    return _run(n, k, queries, batch_size, seed, folder, progress)


def _run(n: int, k: int, n_queries: int, batch_size: int, seed: int, folder: Path,
         progress: StageProgress | None) -> RetrievalBenchReport:
    from memos.facade import MemOS

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    sizes = checkpoints_for(n)
    qs = synthetic_queries(n_queries, seed=seed + 1)
    corpus: Iterator[str] = synthetic_sentences(n, seed=seed)
    with MemOS.open(folder, embedder="hashing") as mem:
        result = RetrievalBenchReport(
            n=n, k=k, queries=n_queries, batch_size=batch_size,
            embedder=mem.embedder.identity, machine=machine_description(),
        )
        have = 0
        for size in sizes:
            todo = size - have
            start = time.perf_counter()
            while have < size:
                step = min(batch_size, size - have)
                batch = [next(corpus) for _ in range(step)]
                mem.add_many(batch, scope=BENCH_USER, batch_size=batch_size)
                have += step
                report("add", have, n)
            add_seconds = time.perf_counter() - start
            # One untimed query warms caches (FAISS training data, SQLite pages) the way a
            # long-running process has them warm.
            mem.search(qs[0], scope=BENCH_USER, k=k, record_access=False)
            stage = f"search@{size}"
            search_cpu: list[float] = []
            search_ms = _timed_queries(
                lambda q: mem.search(q, scope=BENCH_USER, k=k, record_access=False),
                qs, lambda i, s=stage: report(s, i, 3 * n_queries), cpu=search_cpu,
            )
            embed_ms = _timed_queries(
                lambda q: mem.embedder.embed([q]), qs,
                lambda i, s=stage: report(s, n_queries + i, 3 * n_queries),
            )
            vectors = mem.embedder.embed(qs)
            faiss_ms = _faiss_only(mem, vectors, k, lambda i, s=stage: report(s, 2 * n_queries + i, 3 * n_queries))
            s50, f50, e50 = (percentile(x, 50) for x in (search_ms, faiss_ms, embed_ms))
            result.points.append(
                SizePoint(
                    cubes=size,
                    added=todo,
                    add_seconds=round(add_seconds, 3),
                    cubes_per_s=round(todo / add_seconds, 1) if add_seconds > 0 else 0.0,
                    search_p50_ms=round(s50, 3),
                    search_p95_ms=round(percentile(search_ms, 95), 3),
                    search_cpu_p50_ms=round(percentile(search_cpu, 50), 3),
                    search_cpu_p95_ms=round(percentile(search_cpu, 95), 3),
                    faiss_p50_ms=round(f50, 3),
                    faiss_p95_ms=round(percentile(faiss_ms, 95), 3),
                    embed_p50_ms=round(e50, 3),
                    overhead_p50_ms=round(s50 - f50 - e50, 3),
                    vector_index=_vector_index_kind(mem),
                )
            )
            log.info("bench at %d cubes: %s", size, result.points[-1])
    return result


def _faiss_only(mem: Any, vectors: np.ndarray, k: int, on_step: Callable[[int], None]) -> list[float]:
    """Time the store's own vector index for each query vector, with search's candidate count."""
    index = mem._store.vectors  # the FAISS wrapper search uses (internal: measured, not changed)
    candidates = max(k, mem.config.retrieval.candidates)
    out: list[float] = []
    for i in range(len(vectors)):
        q = vectors[i : i + 1]
        start = time.perf_counter()
        index.search(q, candidates)
        out.append((time.perf_counter() - start) * 1000.0)
        on_step(i + 1)
    return out


def _vector_index_kind(mem: Any) -> str:
    return str(mem.stats().vector_index)
