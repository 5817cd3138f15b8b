"""Search's cheaper paths give the same answers as the plain one: the FAISS lookup on a worker
thread (for a large index), remembered query vectors, and a search that finds its indexes
behind another process's writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from memos import MemOS
from memos.embedders import HashingEmbedder
from memos.errors import InvalidInputError


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting query calls and the threads that make them."""

    def __init__(self) -> None:
        super().__init__()
        self.identity = "hashing-v1:384"  # same vectors as the plain one
        self.threads: list[str] = []

    def embed(self, texts: Any) -> np.ndarray:
        if len(texts) == 1:
            self.threads.append(threading.current_thread().name)
        return super().embed(texts)


@contextmanager
def lookups_seen(monkeypatch: Any) -> Iterator[list[str]]:
    """The names of the threads that run the store's FAISS lookups."""
    from memos.stores.vector_index import VectorIndex

    seen: list[str] = []
    real = VectorIndex.search

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(VectorIndex, "search", spy)
    yield seen


def on_worker(name: str) -> bool:
    return name.startswith("memos-search-dense")


@pytest.fixture(autouse=True)
def _cores_to_spare(monkeypatch: Any) -> None:
    """The worker thread is used only while searches leave a core free: on any machine
    these tests run as on one with cores to spare."""
    import memos.parts

    monkeypatch.setattr(memos.parts, "CORES", 8)


FACTS = [f"{name} keeps {pet} called {label}" for name, pet, label in
         [("ana", "a parrot", "kiwi"), ("ben", "a dog", "rex"), ("cy", "two cats", "tom"),
          ("dee", "a tortoise", "shelly"), ("eve", "bees", "buzz")]]


@pytest.mark.parametrize("handed_off", [False, True])
def test_worker_thread_and_cache_give_the_plain_answers(tmp_path: Any, monkeypatch: Any,
                                                        handed_off: bool) -> None:
    import memos.parts

    with MemOS.open(tmp_path / "plain", embedder="hashing") as plain:
        plain.config.retrieval.query_cache = 0
        plain.add_many(FACTS, scope="u")
        expected = {q: [(h.cube.content, h.retrievers) for h in plain.search(q, scope="u")]
                    for q in ("who keeps a parrot", "cats", "buzz bees")}
    if handed_off:
        monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 0)
    emb = CountingEmbedder()
    with MemOS.open(tmp_path / "fast", embedder=emb) as mem:
        mem.add_many(FACTS, scope="u")
        with lookups_seen(monkeypatch) as lookups:
            for _ in range(2):  # the second round answers from remembered vectors
                for q, want in expected.items():
                    assert [(h.cube.content, h.retrievers)
                            for h in mem.search(q, scope="u")] == want
        assert len(emb.threads) == 3  # each query embedded once
        # the query is always embedded on the calling thread; the lookup moves
        assert emb.threads == [threading.current_thread().name] * 3
        assert len(lookups) == 6
        assert all(map(on_worker, lookups)) if handed_off else not any(map(on_worker, lookups))
        mem.purge(None, "u", all_of_user=True)
        mem.add_many(FACTS[:2], scope="u")  # (a batch: not counted as a query)
        mem.search("cats", scope="u")
        assert len(emb.threads) == 4  # purge forgot the remembered queries


def test_a_large_index_is_searched_on_the_worker_thread(tmp_path: Any,
                                                        monkeypatch: Any) -> None:
    """From OVERLAP_VECTORS vectors the FAISS search is the slow part of the dense half: it
    runs on a worker thread, also for a remembered query vector, and gives the answers the
    calling thread gives."""
    import memos.parts
    from memos.config import MemosConfig

    facts = [f"{FACTS[i % 5]} number {i}" for i in range(60)]
    cfg = MemosConfig(flat_max=20, dedup_threshold=None)
    with MemOS.open(tmp_path / "s", embedder=CountingEmbedder(), config=cfg) as mem:
        mem.add_many(facts, scope="u")
        assert mem.stats().vector_index == "ivf"
        inline = [h.id for h in mem.search("who keeps a parrot", scope="u",
                                           retrievers=["dense"])]
        with lookups_seen(monkeypatch) as searched_on:
            mem.search("who keeps a parrot", scope="u")  # 60 vectors: on the calling thread
            assert searched_on == [threading.current_thread().name]
            searched_on.clear()
            monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 50)
            for _ in range(2):  # the second time from the remembered vector
                hits = mem.search("who keeps a parrot", scope="u", retrievers=["dense", "fulltext"])
                assert set(inline[:3]) <= {h.id for h in hits}
            assert len(searched_on) == 2 and all(t.startswith("memos-search-dense")
                                                 for t in searched_on)
            mem.search("who keeps a parrot", scope="u", retrievers=["dense"])  # nothing to overlap
            assert not searched_on[-1].startswith("memos-search-dense")


@contextmanager
def _two_core_store(tmp_path: Any, monkeypatch: Any) -> Iterator[tuple[MemOS, list[str]]]:
    """A store of FACTS on a machine of two cores whose every FAISS lookup is worth a
    hand-off, and the threads its lookups run on."""
    import memos.parts

    monkeypatch.setattr(memos.parts, "CORES", 2)
    monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 0)
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many(FACTS, scope="u")
        with lookups_seen(monkeypatch) as lookups:
            yield mem, lookups


def test_the_dense_half_stays_on_the_caller_while_searches_fill_the_cores(
        tmp_path: Any, monkeypatch: Any) -> None:
    """With as many searches under way as the machine has cores, a hand-off to a worker
    thread could not overlap anything: the lookup runs on the calling thread, with the
    same answers."""
    with _two_core_store(tmp_path, monkeypatch) as (mem, lookups):
        alone = [h.id for h in mem.search("who keeps a parrot", scope="u")]
        assert on_worker(lookups[-1])
        with mem._store.searching():  # another search under way: both cores taken
            busy = [h.id for h in mem.search("who keeps a parrot", scope="u")]
        assert lookups[-1] == threading.current_thread().name
        assert busy == alone
        mem.search("who keeps a parrot", scope="u")  # the other search is done
        assert on_worker(lookups[-1])
        assert mem._store._searches == 0


def test_the_dense_half_stays_on_the_caller_without_a_spare_core_of_its_own(
        tmp_path: Any, monkeypatch: Any) -> None:
    """A process allowed fewer searching cores than the machine has (search_concurrency,
    as `memos serve --workers N` sets it to each worker's share) keeps the lookup on the
    caller once its searches fill that share: the other cores belong to the other workers,
    so a hand-off would only cost CPU. Without a limit (PostgreSQL's default) the machine's
    cores count, as before."""
    with _two_core_store(tmp_path, monkeypatch) as (mem, lookups):
        alone = [h.id for h in mem.search("who keeps a parrot", scope="u")]
        assert on_worker(lookups[-1])  # auto: both cores
        mem.config.retrieval.search_concurrency = 1  # one core for this process's searches
        one = [h.id for h in mem.search("who keeps a parrot", scope="u")]
        assert lookups[-1] == threading.current_thread().name
        assert one == alone
        mem.config.retrieval.search_concurrency = None  # no limit: the machine's cores
        mem.search("who keeps a parrot", scope="u")
        assert on_worker(lookups[-1])
        mem.config.retrieval.search_concurrency = 3  # more than the cores: the cores bound it
        with mem._store.searching(), mem._store.searching():  # two under way: both taken
            mem.search("who keeps a parrot", scope="u")
        assert lookups[-1] == threading.current_thread().name


def test_errors_of_the_embedding_and_of_the_worker_reach_the_caller(
        tmp_path: Any, monkeypatch: Any) -> None:
    import memos.parts
    from memos.stores.vector_index import VectorIndex

    class Wrong(CountingEmbedder):
        def embed(self, texts: Any) -> np.ndarray:
            out = super().embed(texts)
            return out[:, :10] if len(texts) == 1 else out

    with MemOS.open(tmp_path / "s", embedder=Wrong()) as mem:
        mem.add_many(FACTS, scope="u")
        with pytest.raises(InvalidInputError, match="reindex"):
            mem.search("parrot", scope="u")

    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        assert on_worker(threading.current_thread().name)
        raise InvalidInputError("the lookup failed")

    monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 0)
    monkeypatch.setattr(memos.parts, "CORES", 8)
    with MemOS.open(tmp_path / "t", embedder="hashing") as mem:
        mem.add_many(FACTS, scope="u")
        monkeypatch.setattr(VectorIndex, "search", broken)
        with pytest.raises(InvalidInputError, match="the lookup failed"):
            mem.search("parrot", scope="u")


def test_search_sees_another_process_writes(tmp_path: Any) -> None:
    """A second handle writes; the first one's next search catches its indexes up first."""
    path = tmp_path / "shared"
    with MemOS.open(path, embedder="hashing") as first, MemOS.open(path, embedder="hashing") as second:
        first.add("ana keeps a parrot called kiwi", scope="u")
        assert first.search("osprey", scope="u") == []
        second.add("ben watched an osprey dive", scope="u")
        hits = first.search("osprey", scope="u")
        assert [h.cube.content for h in hits] == ["ben watched an osprey dive"]
        assert set(hits[0].retrievers) == {"dense", "fulltext"}


def test_open_rebuilds_a_missing_vector_index_with_progress(tmp_path: Any) -> None:
    path = tmp_path / "s"
    with MemOS.open(path, embedder="hashing") as mem:
        mem.add_many([f"fact number {i}" for i in range(30)], scope="u")
    for f in path.glob("vectors.*"):
        f.unlink()
    seen: list[tuple[int, int | None]] = []
    with MemOS.open(path, embedder="hashing", progress=lambda d, t: seen.append((d, t))) as mem:
        assert seen and seen[-1] == (30, 30)
        assert mem.search("fact number 7", scope="u")[0].cube.content == "fact number 7"
    assert (path / "vectors.faiss").exists()  # saved at once: the next open loads it
    seen.clear()
    with MemOS.open(path, embedder="hashing", progress=lambda d, t: seen.append((d, t))):
        assert seen == []
    with pytest.raises(InvalidInputError):
        MemOS.open(path, progress=5)  # type: ignore[arg-type]



def test_faiss_thread_setting_holds_on_every_searching_thread(tmp_path: Any,
                                                              monkeypatch: Any) -> None:
    """OpenMP's thread count is per thread: a server's request threads must get memos's
    setting too, or idle OpenMP workers spin between queries (4x the CPU of a search)."""
    import faiss

    monkeypatch.setenv("MEMOS_FAISS_THREADS", "5")  # no machine's default: it shows it is ours
    seen: list[int] = []
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many(FACTS, scope="u")

        def search() -> None:
            mem.search("parrot", scope="u")
            seen.append(faiss.omp_get_max_threads())

        workers = [threading.Thread(target=search) for _ in range(2)]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    monkeypatch.delenv("MEMOS_FAISS_THREADS")
    from memos.stores.vector_index import configure_threads

    configure_threads()  # this thread too was set to 5 (by the open): back to the default
    assert seen == [5, 5]


def test_close_while_a_worker_searches_does_not_deadlock(tmp_path: Any,
                                                         monkeypatch: Any) -> None:
    """close() waits for the dense-half workers; a search whose lookup is still under way on
    a worker when close starts finishes, with its hits."""
    import memos.parts
    from memos.stores.vector_index import VectorIndex

    monkeypatch.setattr(memos.parts, "OVERLAP_VECTORS", 0)
    monkeypatch.setattr(memos.parts, "CORES", 8)
    started, go = threading.Event(), threading.Event()
    real = VectorIndex.search

    def slow(self: Any, *args: Any, **kwargs: Any) -> Any:
        if on_worker(threading.current_thread().name):
            started.set()
            go.wait(10)
        return real(self, *args, **kwargs)

    mem = MemOS.open(tmp_path / "s", embedder="hashing")
    mem.add_many(FACTS, scope="u")
    monkeypatch.setattr(VectorIndex, "search", slow)
    searched: list[Any] = []
    searcher = threading.Thread(target=lambda: searched.append(
        [h.id for h in mem.search("who keeps a parrot", scope="u")]), daemon=True)
    searcher.start()
    assert started.wait(10)
    closer = threading.Thread(target=mem._store.close_workers, daemon=True)
    closer.start()
    closer.join(0.2)  # close is now waiting for the worker
    go.set()
    closer.join(10)
    searcher.join(10)
    assert not closer.is_alive() and not searcher.is_alive()
    assert searched and searched[0]
    mem.close()


def test_can_search_at_once_says_when_a_search_would_wait(tmp_path: Any) -> None:
    """The hint a server uses to run a search on its event loop: no while another search
    holds the place, while upkeep holds the indexes, or after the database changed until a
    search has found the indexes current again (it may have writes of another handle to
    catch up); yes otherwise."""
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        mem.add_many(FACTS, scope="u")
        assert not mem.can_search_at_once()  # written since any search found it current
        assert not mem.can_search_at_once()  # (a look changes nothing)
        mem.search("parrot", scope="u")
        assert mem.can_search_at_once()
        with mem._store.searching():
            assert not mem.can_search_at_once()
        held = threading.Event()
        done = threading.Event()

        def upkeep() -> None:
            with mem._store.index_lock:
                held.set()
                done.wait(30)

        worker = threading.Thread(target=upkeep)
        worker.start()
        try:
            assert held.wait(30)
            assert not mem.can_search_at_once()
        finally:
            done.set()
            worker.join()
        assert mem.can_search_at_once()
        with MemOS.open(tmp_path / "s", embedder="hashing") as other:  # another handle
            other.add("the heron nests by the lake", scope="u")
        assert not mem.can_search_at_once()  # changed: may need a catch-up
        assert not mem.can_search_at_once()  # still, until a search has caught up
        assert mem.search("heron", scope="u")[0].cube.content.startswith("the heron")
        assert mem.can_search_at_once()
        assert mem.may_search_at_once


def test_an_in_memory_store_never_searches_at_once(tmp_path: Path) -> None:
    """No file to watch for other handles' writes: the hint is always no, and says so
    (a server then leaves its searches to the search gate on threads)."""
    with MemOS.open("sqlite://", embedder="hashing", index_dir=tmp_path) as mem:
        mem.add_many(FACTS, scope="u")
        mem.search("parrot", scope="u")
        assert not mem.may_search_at_once
        assert not mem.can_search_at_once()


def _tuned(path: Any, fast: bool, **retrieval: Any) -> MemOS:
    from memos.config import MemosConfig, RetrievalConfig

    return MemOS.open(str(path), embedder="hashing", config=MemosConfig(
        dedup_threshold=None, retrieval=RetrievalConfig(
            fulltext_in_memory=fast, admission_in_memory=fast, **retrieval)))


@pytest.mark.parametrize("fast", [True, False])
def test_a_large_k_keeps_the_callers_full_text_hits(tmp_path: Any, fast: bool) -> None:
    """Before: once 2*max(candidates, k) passed the bound on scored rows, the global
    full-text list could never fill, so the scoped full-text search never ran: a caller
    whose matches were older than other users' newer ones lost them for k > bound / 2
    (with the defaults, every k over 1,500 on a store of more than 3,000 cubes)."""
    mem = _tuned(tmp_path / "s", fast, fulltext_max_postings=20, candidates=5)
    try:
        mine = mem.add("zebra crossing near the office", "alice").id
        for i in range(25):
            mem.add(f"zebra stripes note {i}", "bob")  # newer matches, another user's
        mem.warm()
        for k in (10, 11, 50):
            hits = mem.search("zebra", "alice", k, record_access=False,
                              retrievers=["fulltext"])
            assert [h.id for h in hits] == [mine], k
    finally:
        mem.close()


def test_a_long_running_handle_keeps_the_words_a_fresh_one_keeps(tmp_path: Any) -> None:
    """Before: word counts were reused for up to 200 changes, so a handle that had run a
    while dropped other query words than a fresh handle (or the in-memory copy) did, and
    returned other hits."""
    path = tmp_path / "s"
    fast, plain = _tuned(path, True, fulltext_max_postings=5), \
        _tuned(path, False, fulltext_max_postings=5)
    try:
        for i in range(3):
            fast.add(f"alpha item {i}", "alice")
        betas = [fast.add(f"beta item {i}", "alice").id for i in range(6)]
        fast.warm()

        def ask(mem: MemOS) -> list[str]:
            return [h.content for h in mem.search("alpha beta", "alice", 3, record_access=False,
                                                  retrievers=["fulltext"])]
        assert ask(fast) == ask(plain)
        for i in range(10):
            fast.add(f"alpha more {i}", "alice")  # alpha: 13 rows
        for cube_id in betas[:4]:
            fast.forget(cube_id, "alice")  # beta: 2 rows
        fresh = _tuned(path, False, fulltext_max_postings=5)
        try:
            assert ask(plain) == ask(fresh) == ask(fast)
        finally:
            fresh.close()
    finally:
        fast.close()
        plain.close()


def test_purge_leaves_no_searched_words_in_memory(tmp_path: Any) -> None:
    mem = _tuned(tmp_path / "s", False, fulltext_max_postings=5)
    try:
        for i in range(8):
            mem.add(f"zurich clinic visit {i}", "alice")
        mem.add("oncology appointment", "alice")
        mem.search("oncology zurich", "alice", record_access=False)
        tokenizer = mem._store.fulltext._tokenizer  # its query words, tokenized
        assert tokenizer is not None and "oncology" in tokenizer._words
        mem.purge(None, "alice", all_of_user=True)
        assert not tokenizer._words
    finally:
        mem.close()


def test_another_handles_purge_reaches_the_searched_words_at_the_next_search(
        tmp_path: Any) -> None:
    searcher = _tuned(tmp_path / "s", False)
    purger = MemOS.open(str(tmp_path / "s"), embedder="hashing")
    try:
        searcher.add("oncology appointment in zurich", "alice")
        searcher.search("oncology zurich", "alice", record_access=False)
        tokenizer = searcher._store.fulltext._tokenizer
        assert tokenizer is not None and "oncology" in tokenizer._words
        purger.purge(None, "alice", all_of_user=True)
        searcher.search("garden", "bob", record_access=False)
        assert "oncology" not in tokenizer._words and "garden" in tokenizer._words
    finally:
        purger.close()
        searcher.close()


def test_empty_kind_or_tag_lists_are_no_filter_and_graph_alone_is_refused(tmp_path: Any
                                                                          ) -> None:
    """Before: tags=[] was no filter but tags=() an error (kind=[] too), and
    retrievers=["graph"] always returned nothing (the graph expands from the other two)."""
    with MemOS.open(str(tmp_path / "s"), embedder="hashing") as mem:
        mem.add("a note about tea", "alice", tags=["drinks"])
        plain = [h.id for h in mem.search("tea", "alice")]
        for empty in ([], (), set()):
            assert [h.id for h in mem.search("tea", "alice", tags=empty)] == plain
            assert [h.id for h in mem.search("tea", "alice", kind=empty)] == plain
        for retrievers in (["graph"], []):
            with pytest.raises(InvalidInputError, match="retriever"):
                mem.search("tea", "alice", retrievers=retrievers)
