"""Search bounds full-text work by dropping a query's most frequent words, counted over
the rows the searching user may read, at each search (a count remembered while the store
changed little was fresh or not by how many changes every user made since)."""

from __future__ import annotations

from typing import Any

from memos.stores.fulltext import Reader


def test_frequent_words_are_dropped_by_the_readers_counts(mem: Any) -> None:
    mem.add_many([f"kite {i} over the hill" for i in range(40)], scope="alice")
    mem.add("a rare osprey over the hill", scope="alice")
    mem.add_many([f"osprey {i}" for i in range(60)], scope="carol")  # carol's, private
    fts = mem._store.fulltext
    with mem._store.repo.read() as session:
        # bound 10: for alice "hill" (41 rows) is dropped and the rare word kept, whatever
        # carol holds; over the whole index "osprey" (61 rows) is the frequent one
        assert fts.select_terms(session, ["osprey", "hill"], 10, Reader("alice")) == ["osprey"]
        assert fts.select_terms(session, ["hill", "osprey"], 10, Reader("alice")) == ["osprey"]
        assert fts.select_terms(session, ["osprey", "hill"], 10) == ["hill"]
        assert fts.select_terms(session, ["osprey", "hill"], 10, Reader("carol")) == ["hill"]


def test_search_results_are_the_same_searched_again(mem: Any) -> None:
    mem.config.retrieval.fulltext_max_postings = 5
    mem.add_many([f"note {i} about the garden" for i in range(30)], scope="alice")
    mem.add("the heron stood in the garden", scope="alice")
    first = [h.cube.id for h in mem.search("heron garden", scope="alice", k=5)]
    again = [h.cube.id for h in mem.search("heron garden", scope="alice", k=5)]
    assert first == again
    assert mem.search("heron garden", scope="alice", k=1)[0].cube.content.startswith("the heron")


def test_scoring_is_bounded_to_the_newest_matches(mem: Any) -> None:
    mem.add_many([f"kite number {i}" for i in range(30)], scope="alice")
    fts = mem._store.fulltext
    with mem._store.repo.read() as session:
        every = fts.top(session, ["kite"], 100)
        bounded = fts.top(session, ["kite"], 100, max_rows=8)
        counts = fts.row_counts(session, ["kite", "number", "absent"], cap=12)
    assert len(every) == 30
    newest = sorted(pk for pk, _ in every)[-8:]
    assert sorted(pk for pk, _ in bounded) == newest
    assert counts == [12, 12, 0]
