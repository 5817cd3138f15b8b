"""The in-memory copy of SQLite's full-text index (stores/bm25.py) answers what FTS5 answers:
the same rows with the same bm25() scores, under the same bound, after any mix of adds,
updates, supersedes, forgets and purges, and after another process wrote."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memos import MemOS
from memos.stores import bm25
from memos.stores.fulltext import clean_terms
from memos.stores.indexer import LOAD_AFTER, REFRESH_FRACTION, RELOAD_MIN

# Words that stem alike ("walking", "walked"), share prefixes, carry diacritics or case, and
# make several tokens in FTS5 ("x_y": a phrase), so the copy's tokens meet FTS5's own.
VOCAB = ["walk", "walking", "walked", "Zürich", "zurich", "café", "cafe", "garden", "gardens",
         "heron", "kite", "Kite", "sushi", "falafel", "allergic", "allergy", "the", "a",
         "running", "runs", "ran", "x_y", "naïve", "42", "1984", "über", "OVER"]


def _text(rng: random.Random, longest: int = 12) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(0, longest))) or "!!"


@contextmanager
def _store(path: Path, kites: int = 0, bound: int | None = None) -> Iterator[Any]:
    """A store at `path` (hashing embedder) with the full-text bound set to `bound` (a
    "large" store: the copy is used past it) and alice's `kites` memories "kite number i"."""
    mem = MemOS.open(str(path), embedder="hashing")
    try:
        if bound is not None:
            mem.config.retrieval.fulltext_max_postings = bound
        if kites:
            mem.add_many([f"kite number {i}" for i in range(kites)], "alice")
        yield mem
    finally:
        mem.close()


def _copy(mem: Any) -> bm25.MemoryFullText:
    """The store's copy, loaded now if it is not yet, and caught up."""
    store = mem._store
    store.catch_up()
    with store.sync.memory_lock:
        memory = store.sync.fulltext_memory() if store.sync.memory is not None else None
        if memory is None:  # none yet, or dropped just now (a purge, far behind)
            store.sync.load_memory()
            memory = store.sync.fulltext_memory()
    assert memory is not None
    return memory


def _compare(mem: Any, queries: list[list[str]]) -> int:
    """Check every query against FTS5 at several bounds; returns how many the copy took."""
    store = mem._store
    memory = _copy(mem)
    taken = 0
    with store.repo.read() as session:
        for terms in queries:
            words = clean_terms(terms)
            tokens = memory.tokens_of(words)
            if tokens is None:
                assert any("_" in w for w in words)  # only phrases are left to FTS5
                continue
            taken += 1
            assert memory.counts(tokens) == store.fulltext.row_counts(session, words)
            for max_rows in (None, 7, 1):
                ref = store.fulltext.top(session, words, 50, max_rows)
                got = memory.top(tokens, 50, max_rows)
                assert len(got) == len(ref)
                # Same scores in the same order (rows with equal scores may swap places).
                # (bit for bit: fts5_aux.c's order of operations, not only its formula)
                assert [g[1] for g in got] == [r[1] for r in ref]
                ref_scores = dict(ref)
                for pk, score in got:
                    if pk in ref_scores:
                        assert abs(ref_scores[pk] - score) < 1e-9
                    else:  # a row FTS5 left out can only be one tied with its last
                        assert abs(score - ref[-1][1]) < 1e-9
    return taken


def _db_bytes(tokenizer: bm25.Tokenizer) -> bytes:
    """The bytes of a tokenizer's private database (none yet: a new, empty one)."""
    try:
        return tokenizer._db.serialize()
    except sqlite3.OperationalError:  # nothing written to it since it was made
        return b""


def _queries(rng: random.Random, n: int) -> list[list[str]]:
    return [[rng.choice(VOCAB) for _ in range(rng.randint(1, 4))] for _ in range(n)]


def test_the_copy_scores_as_fts5_through_every_kind_of_change(tmp_path: Path) -> None:
    rng = random.Random(7)
    with _store(tmp_path / "s") as mem:
        ids = [r.id for r in mem.add_many(
            [{"content": _text(rng), "metadata": {"context": _text(rng)} if i % 3 else {}}
             for i in range(60)], "alice")]
        assert _compare(mem, _queries(rng, 40)) > 20  # loaded from the store's index
        for i, cube_id in enumerate(list(ids)):
            step = i % 6
            if ids.index(cube_id) != i:  # the same words twice: stored once
                continue
            if step == 0:
                mem.update(cube_id, "alice", content=_text(rng))
            elif step == 1:
                mem.update(cube_id, "alice", metadata={"context": _text(rng)})
            elif step == 2:
                ids[i] = mem.supersede(cube_id, "alice", content=_text(rng)).id
            elif step == 3:
                mem.forget(cube_id, "alice")
            elif step == 4 and i % 4 == 0:
                mem.purge(cube_id, "alice")
            if i % 10 == 9:
                _compare(mem, _queries(rng, 10))
        mem.add_many([_text(rng) for _ in range(40)], "bob")
        assert _compare(mem, _queries(rng, 40)) > 20


def test_rows_written_since_the_load_change_again_in_the_copy(tmp_path: Path) -> None:
    """Rows written after the copy loaded (its delta), queried, then changed again (new
    words, words dropped, forgotten, purged, written again): each query after each change
    scores as FTS5, so nothing the copy prepared for an earlier query outlives a change."""
    rng = random.Random(11)
    with _store(tmp_path / "s") as mem:
        mem.add_many([_text(rng) for _ in range(30)], "alice")
        _copy(mem)  # loaded: what follows goes to its delta
        queries = [["heron"], ["kite"], ["garden", "heron"], ["sushi"], ["walk", "kite"],
                   ["falafel"]]
        new = [mem.add(t, "alice").id for t in (
            "heron by the kite garden", "kite over the heron", "sushi and falafel",
            "walk to the garden with a kite")]
        assert _compare(mem, queries) == len(queries)
        mem.update(new[0], "alice", content="sushi on the walk")  # heron, kite dropped
        _compare(mem, queries)
        mem.forget(new[1], "alice")
        _compare(mem, queries)
        mem.update(new[0], "alice", content="heron heron kite")  # words back, new counts
        mem.update(new[3], "alice", metadata={"context": "falafel garden"})
        _compare(mem, queries)
        mem.purge(new[2], "alice")  # (a purge drops the copy: last)
        _compare(mem, queries)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40))
def test_any_store_and_query_score_alike(tmp_path_factory: pytest.TempPathFactory, seed: int,
                                         n: int) -> None:
    rng = random.Random(seed)
    mem = MemOS.open(str(tmp_path_factory.mktemp("s")), embedder="hashing")
    try:
        first = mem.add_many([_text(rng) for _ in range(n)], "alice")
        _compare(mem, _queries(rng, 5))
        mem.add_many([{"content": _text(rng), "metadata": {"context": _text(rng, 4)}}
                      for _ in range(rng.randint(0, 30))], "alice")
        for r in first[: rng.randint(0, n)]:
            mem.forget(r.id, "alice")
        _compare(mem, _queries(rng, 10))
    finally:
        mem.close()


def _search(mem: Any, query: str) -> list[tuple[str, float]]:
    return [(h.cube.id, h.score) for h in mem.search(query, scope="alice", k=10,
                                                      record_access=False)]


def test_search_gives_the_same_hits_with_and_without_the_copy(tmp_path: Path) -> None:
    rng = random.Random(3)
    with _store(tmp_path / "s") as mem:
        mem.config.retrieval.fulltext_max_postings = 8  # a "large" store: the copy is used
        mem.add_many([_text(rng) for _ in range(80)], "alice")
        _copy(mem)
        queries = [" ".join(q) for q in _queries(rng, 30)] + ["x_y garden", "walking gardens"]
        with_copy = [_search(mem, q) for q in queries]
        assert mem._store.sync.memory is not None
        mem.config.retrieval.fulltext_in_memory = False
        without = [_search(mem, q) for q in queries]
        # (scores to 1e-6: the recency prior moves with the clock between two searches, so
        # two hits whose scores tie to that may swap places: the order is compared between
        # ties. CI of 313da3d saw such a swap.)
        assert [_tied(hits) for hits in without] == [_tied(hits) for hits in with_copy]
        assert all(abs(a[1] - b[1]) < 1e-6 for x, y in zip(without, with_copy, strict=True)
                   for a, b in zip(x, y, strict=True))


def _tied(hits: list[tuple[str, float]]) -> list[frozenset[str]]:
    """The hits' ids in order, those whose scores tie (to 1e-6) as one group."""
    groups: list[list[tuple[str, float]]] = []
    for cube_id, score in hits:
        if groups and abs(groups[-1][-1][1] - score) < 1e-6:
            groups[-1].append((cube_id, score))
        else:
            groups.append([(cube_id, score)])
    return [frozenset(i for i, _ in group) for group in groups]


def test_another_process_writes_reach_the_copy(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    mem = MemOS.open(path, embedder="hashing")
    other = MemOS.open(path, embedder="hashing")
    try:
        mem.config.retrieval.fulltext_max_postings = 5
        mem.add_many([f"kite number {i} over the hill" for i in range(30)], "alice")
        _copy(mem)
        osprey = other.add("an osprey over the hill", "alice").id
        assert mem.search("osprey", scope="alice", k=1)[0].cube.id == osprey
        other.forget(osprey, "alice")
        assert all(h.cube.id != osprey for h in mem.search("osprey hill", scope="alice", k=40))
    finally:
        other.close()
        mem.close()


def test_purged_rows_leave_the_copy(tmp_path: Path) -> None:
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        memory = _copy(mem)
        # written after the load: the copy tokenizes it through its private FTS5 table
        secret = mem.add("the vault code is quokka", "alice").id
        assert _copy(mem) is memory and memory.counts(memory.tokens_of(["quokka"]) or []) == [1]
        assert mem.search("quokka", scope="alice", k=1, retrievers=["fulltext"])
        mem.purge(secret, "alice")
        # k = 50 asks past the bound of 5 scored rows: the caller's own matches are then
        # searched in scope (all 20 kites), as for a small k whose global list was cut
        assert len(mem.search("kite", scope="alice", k=50, retrievers=["fulltext"])) == 20
        assert not mem.search("quokka", scope="alice", k=5, retrievers=["fulltext"])
        # The search after the purge dropped the copy (FTS5 answered it) and started loading
        # a new one from the purged index, so no token of the erased text stays in RAM, nor
        # in the private table that tokenized it (queries for "quokka" since then put that
        # word there, not the text).
        sync = mem._store.sync
        assert sync.memory is not memory
        assert sync._loader is not None
        sync._loader.join()
        assert b"vault" not in _db_bytes(memory.tokenizer)
        fresh = _copy(mem)
        assert fresh is not memory and "quokka" not in fresh._ids and fresh.rows == 20


def test_a_copy_that_cannot_load_leaves_search_to_fts5(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(bm25.MemoryFullText, "load", broken)
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        heron = mem.add("a heron by the kite", "alice").id
        for _ in range(LOAD_AFTER + 2):
            assert mem.search("heron kite", scope="alice", k=1)[0].cube.id == heron
        sync = mem._store.sync
        assert sync._loader is not None
        sync._loader.join()
        assert calls == [1] and sync.memory_failed and sync.memory is None
        for _ in range(LOAD_AFTER + 2):
            assert mem.search("heron", scope="alice", k=1)[0].cube.id == heron
        assert calls == [1]  # not tried again in this process


def test_the_copy_is_loaded_in_the_background_only_for_a_process_that_searches_often(
        tmp_path: Path) -> None:
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        sync = mem._store.sync
        mem.search("kite", scope="alice")  # a one-off search (a CLI command) loads nothing
        assert sync._loader is None and sync.memory is None
        for _ in range(LOAD_AFTER):
            mem.search("kite", scope="alice")
        assert sync._loader is not None
        sync._loader.join()
        assert sync.memory is not None and sync.memory.rows == 20
        # A bulk write leaves it far behind: dropped, and loaded again in the background.
        mem.add_many([f"heron number {i}" for i in range(RELOAD_MIN + 10)], "alice")
        for _ in range(LOAD_AFTER):
            mem.search("heron", scope="alice")
        sync._loader.join()
        assert sync.memory is not None and sync.memory.rows == RELOAD_MIN + 30


def test_closing_stops_a_load_without_calling_it_a_failure(tmp_path: Path) -> None:
    with _store(tmp_path / "s", kites=20) as mem:
        sync = mem._store.sync
        sync.stop_memory()
        assert sync.load_memory() is None
        assert sync.memory is None and not sync.memory_failed


def test_warm_loads_the_copy_of_any_sqlite_store_unless_turned_off(tmp_path: Path) -> None:
    # (small stores too: a reader's scores from the index's tables cost more than the copy)
    with _store(tmp_path / "s", kites=20) as mem:
        mem.config.retrieval.fulltext_in_memory = False
        mem.warm()
        assert mem._store.sync.memory is None
        mem.config.retrieval.fulltext_in_memory = True
        mem.warm()  # 20 memories, under the bound of 3,000
        assert mem._store.sync.memory is not None and mem._store.sync.memory.rows == 20


def test_a_copy_dropped_or_replaced_during_a_search_is_not_caught_up_in_its_place(
        tmp_path: Path) -> None:
    # A rebuild (`memos reindex`, `check --repair`) drops the copy without the search's
    # memory_lock, and a load puts one in place likewise: a search between reading
    # `sync.memory` and catching it up must catch up the copy it holds (it failed an assert
    # on None, or returned a copy that was never caught up).
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        sync = mem._store.sync
        memory = _copy(mem)
        osprey = mem.add("an osprey over the hill", "alice").id
        mem._store.catch_up()

        class Dropped(bm25.MemoryFullText):
            @property
            def seq(self) -> int:
                sync.memory = None  # what another thread's rebuild_fulltext does meanwhile
                return self.__dict__["seq"]

            @seq.setter
            def seq(self, value: int) -> None:
                self.__dict__["seq"] = value

        memory.__dict__["seq"] = memory.seq
        memory.__class__ = Dropped
        with sync.memory_lock:
            got = sync.fulltext_memory()
        assert got is memory and memory.seq >= sync.vectors.seq
        assert memory.counts(memory.tokens_of(["osprey"]) or []) == [1]
        assert mem.search("osprey", scope="alice", k=1)[0].cube.id == osprey


def test_a_load_that_read_the_index_before_a_rebuild_is_not_put_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _store(tmp_path / "s", kites=20) as mem:
        sync = mem._store.sync
        real = bm25.MemoryFullText.load

        def load_then_rebuild(*args: Any, **kwargs: Any) -> Any:
            copy = real(*args, **kwargs)
            sync.rebuild_fulltext()  # another thread rebuilt while this load was reading
            return copy

        monkeypatch.setattr(bm25.MemoryFullText, "load", load_then_rebuild)
        assert sync.load_memory() is None and sync.memory is None
        monkeypatch.setattr(bm25.MemoryFullText, "load", real)
        assert sync.load_memory() is sync.memory is not None


def test_a_merge_that_brings_a_context_reaches_both_indexes(tmp_path: Path) -> None:
    # An ingest merge keeps metadata keys the kept cube lacked, "context" among them: FTS5
    # ignored the "merge" change, while a copy that caught the add and the merge up together
    # indexed the new context (FTS5 and the copy then disagreed; a reindex sided with the copy).
    with _store(tmp_path / "s") as mem:
        mem.add_many([f"filler number {i}" for i in range(10)], "alice")
        _copy(mem)
        kept = mem.add("the kite flew over the hill today", "alice").id
        again = mem.add("The kite flew over the hill today.", "alice",
                        metadata={"context": "zebra quagga"})
        assert again.id == kept and mem.get(kept, "alice").metadata["context"] == "zebra quagga"
        memory = _copy(mem)
        store = mem._store
        with store.repo.read() as session:
            ref = store.fulltext.top(session, ["zebra"], 10)
        assert [pk for pk, _ in ref] == [pk for pk, _ in memory.top(["zebra"], 10)] != []


@pytest.mark.parametrize("fetch", [1, 2, 3, 5])
def test_loading_in_any_chunk_size_reads_the_same_postings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fetch: int) -> None:
    # The load folds the index's token instances into (token, row) runs as they stream in,
    # with no GROUP BY (whose sort spilled the whole index to a temporary file); a run may
    # be split between two chunks.
    rng = random.Random(fetch)
    with _store(tmp_path / "s") as mem:
        mem.add_many([{"content": _text(rng), "metadata": {"context": _text(rng, 4)}}
                      for _ in range(25)], "alice")
        monkeypatch.setattr(bm25, "_FETCH", fetch)
        assert _compare(mem, _queries(rng, 15)) > 5


def test_a_large_delta_is_replaced_by_a_fresh_copy_loaded_in_the_background(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("memos.stores.indexer.RELOAD_MIN", 5)
    with _store(tmp_path / "s", kites=40, bound=5) as mem:
        memory = _copy(mem)
        for i in range(3):  # small writes: caught up into the delta, served meanwhile
            mem.add(f"heron number {i}", "alice")
            mem.search("heron", scope="alice")
        sync = mem._store.sync
        assert sync.memory is memory and memory.changed_rows() == 3
        for i in range(4):  # past RELOAD_MIN changed rows: a fresh copy is loaded
            mem.add(f"osprey number {i}", "alice")
            mem.search("osprey", scope="alice")
        assert sync._loader is not None
        sync._loader.join()
        fresh = _copy(mem)
        assert fresh is not memory and fresh.rows == 47 and fresh.changed_rows() <= 1
        assert REFRESH_FRACTION * 47 < 5  # (the share did not decide here; RELOAD_MIN did)
        assert _compare(mem, [["osprey"], ["heron", "kite"]]) == 2


def test_no_load_runs_while_a_purge_does(tmp_path: Path) -> None:
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        secret = mem.add("the vault code is quokka", "alice").id
        sync = mem._store.sync
        with sync.loading_held():
            assert sync.load_memory() is None and not sync.memory_failed
            for _ in range(LOAD_AFTER + 1):
                mem.search("kite", scope="alice")
            assert sync._loader is None  # none started while held
        report = mem.purge(secret, "alice")
        assert report.erased_from_files
        for _ in range(LOAD_AFTER):
            mem.search("kite", scope="alice")
        assert sync._loader is not None
        sync._loader.join()
        assert sync.memory is not None and "quokka" not in sync.memory._ids


def test_a_purge_among_many_changes_leaves_no_word_in_the_tokenizer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy far behind at the next search (a purge of many cubes, or a purge after a bulk
    # write) is dropped before its catch-up could see the purge: its tokenizer, which
    # tokenized the purged text and remembers the query words, was kept for the next copy.
    monkeypatch.setattr("memos.stores.indexer.RELOAD_MIN", 5)
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        memory = _copy(mem)
        secret = mem.add("the vault code is quokka", "alice").id
        assert mem.search("quokka", scope="alice", k=1, retrievers=["fulltext"])
        tokenizer = memory.tokenizer
        assert "quokka" in tokenizer._words and b"vault" in _db_bytes(tokenizer)
        mem.add_many([f"heron number {i}" for i in range(10)], "alice")
        mem.purge(secret, "alice")
        mem.search("kite", scope="alice", retrievers=["fulltext"])
        sync = mem._store.sync
        if sync._loader is not None:
            sync._loader.join()
        assert sync.memory is not memory
        for tok in {id(t): t for t in (tokenizer, _copy(mem).tokenizer)}.values():
            assert "quokka" not in tok._words and b"vault" not in _db_bytes(tok)


def test_loads_stay_held_until_the_last_of_overlapping_purges_ends(tmp_path: Path) -> None:
    # Two purges on two threads overlap: the first to end must not let a load start while
    # the other still runs (an Event cleared by the first did).
    with _store(tmp_path / "s", kites=20, bound=5) as mem:
        sync = mem._store.sync
        with sync.loading_held():
            with sync.loading_held():
                pass
            for _ in range(LOAD_AFTER + 1):
                mem.search("kite", scope="alice")
            assert sync._loader is None
            assert sync.load_memory() is None and not sync.memory_failed
        mem.search("kite", scope="alice")
        assert sync._loader is not None
        sync._loader.join()
        assert sync.memory is not None


def test_warm_catches_up_what_was_written_while_its_load_ran(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """warm() waits for the load, then catches the copy up with the writes made meanwhile:
    it returns with the copy current, not a load's worth behind."""
    with _store(tmp_path / "s", kites=30, bound=5) as mem:
        load = bm25.MemoryFullText.load

        def load_then_write(*args: Any, **kwargs: Any) -> bm25.MemoryFullText:
            memory = load(*args, **kwargs)  # read at the old head
            mem.add_many([f"kite written during the load {i}" for i in range(20)], "alice")
            return memory

        monkeypatch.setattr(bm25.MemoryFullText, "load", load_then_write)
        mem.warm()
        sync = mem._store.sync
        with mem._store.repo.read() as session:
            head = mem._store.repo.max_seq(session)
        assert sync.memory is not None and sync.memory.seq == head
        assert sync.memory.changed_rows() == 20  # caught up into its delta, not reloaded


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 300), max_size=60), min_size=1, max_size=5))
def test_sorted_union_is_numpys_unique_of_the_lists(lists: list[list[int]]) -> None:
    """Postings lists (sorted, no repeats) joined as `np.unique` of their concatenation
    joins them: the same values, ascending, once each."""
    arrays = [np.array(sorted(set(values)), dtype=np.int64) for values in lists]
    got = bm25.sorted_union(arrays)
    want = np.unique(np.concatenate(arrays))
    assert got.dtype == np.int64
    assert got.tolist() == want.tolist()
