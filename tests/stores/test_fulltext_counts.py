"""Search bounds full-text work by dropping a query's most frequent words; the word counts
that decide it are reused between searches while the store has changed little."""

from __future__ import annotations

from typing import Any

from memos.stores.fulltext import COUNT_SLACK


def _counting(mem: Any) -> list[list[str]]:
    fts = mem._store.fulltext
    calls: list[list[str]] = []
    inner = fts.row_counts

    def row_counts(session: Any, words: Any, cap: Any = None, reader: Any = None
                   ) -> list[int]:
        calls.append(list(words))
        return inner(session, words, cap, reader)

    fts.row_counts = row_counts
    return calls


def test_counts_are_reused_then_refreshed_after_enough_changes(mem: Any) -> None:
    mem.add_many([f"kite {i} over the hill" for i in range(40)], scope="alice")
    mem.add("a rare osprey over the hill", scope="alice")
    fts = mem._store.fulltext
    calls = _counting(mem)
    seq = mem._store.vectors.seq
    with mem._store.repo.read() as session:
        # bound 10: "hill" (41 rows) is dropped, the rare word is kept
        assert fts.select_terms(session, ["osprey", "hill"], 10, seq=seq) == ["osprey"]
        assert fts.select_terms(session, ["hill", "osprey"], 10, seq=seq) == ["osprey"]
        assert calls == [["osprey", "hill"]]  # the second search counted nothing
        # a count older than COUNT_SLACK changes is counted again
        assert fts.select_terms(session, ["osprey", "hill"], 10,
                                seq=seq + COUNT_SLACK + 1) == ["osprey"]
        assert len(calls) == 2
        # without a seq, every call counts (the exact path)
        fts.select_terms(session, ["osprey", "hill"], 10)
        assert len(calls) == 3


def test_search_results_do_not_depend_on_the_cache(mem: Any) -> None:
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
