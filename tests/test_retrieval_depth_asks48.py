"""Two ranking rules of 2026-12-05: each retriever's list is at least `candidates_per_hit`
times as deep as the hits asked for, and a memory that asks (its text ends with "?") loses
`question_penalty`. The pure functions first, then through MemOS.search."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from memos.config import RetrievalConfig
from memos.errors import InvalidInputError
from memos.retrieval import Fused, asks, select_hits

NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("Maria: Looks fun! What other classes have you done?", True),
    ("Which one did you pick? [shares a photo: a red kayak on a beach]", True),
    ("Did you go?  [shares a photo: a lake] [shares a photo: a tent]  ", True),
    ("I did yoga and kickboxing.", False),
    ("What a day! We won the final.", False),
    ("Is this the one? Yes, I bought it.", False),  # it ends by telling
    ("Look at this! [shares a photo: what is this?]", False),  # the aside asks, not the text
    ("What? [a [nested] aside]", False),  # not an aside it can tell apart: read as text
    ("notes " + "[kayak] " * 20_000 + "end]", False),
    ("notes " + "x" * 100_000 + " is that so?", True),
    ("", False),
    (None, False),
])
def test_asks_reads_the_end_of_the_text_past_a_bracketed_aside(text: Any, expected: bool) -> None:
    assert asks(text) is expected


def test_depth_is_the_floor_or_a_multiple_of_the_hits_asked() -> None:
    cfg = RetrievalConfig(candidates=50, candidates_per_hit=3)
    assert cfg.depth(10) == 50
    assert cfg.depth(63) == 189
    assert RetrievalConfig(candidates=50, candidates_per_hit=1).depth(63) == 63
    # Three per hit up to DEPTH_MAX; past it a search fuses lists as long as the hits.
    assert cfg.depth(500) == 1_000 and cfg.depth(5_000) == 5_000
    # The widest search that fuses lists as deep as a search for k hits does.
    assert [cfg.widest_at_depth(k) for k in (1, 16, 17, 63, 400, 5_000)] == [
        16, 16, 17, 63, 1_000, 5_000]
    assert all(cfg.depth(cfg.widest_at_depth(k)) == cfg.depth(k) for k in range(1, 1_200, 7))
    with pytest.raises(InvalidInputError):
        RetrievalConfig(candidates_per_hit=0)
    with pytest.raises(InvalidInputError):
        RetrievalConfig(question_penalty=-0.1)


def _row(pk: int, content: str) -> SimpleNamespace:
    return SimpleNamespace(pk=pk, id=f"c{pk}", content=content, meta={}, valid_from=None,
                           recorded_at=NOW, importance=0.5, derived_from=[])


def test_a_memory_that_asks_falls_behind_one_that_tells() -> None:
    rows = {1: _row(1, "What yoga classes have you done?"),
            2: _row(2, "I did yoga classes twice a week."),
            3: _row(3, "We went to the lake.")}
    loads: list[list[int]] = []

    def load(pks: Any) -> dict[int, Any]:
        loads.append(list(pks))
        return {pk: rows[pk] for pk in pks}

    def fused() -> dict[int, Fused]:
        return {1: Fused(1, 0.100), 2: Fused(2, 0.095), 3: Fused(3, 0.02)}

    cfg = RetrievalConfig(question_penalty=0.015, recency_weight=0, importance_weight=0,
                          session_weight=0)
    top, _ = select_hits(fused(), "yoga classes", 1, cfg, NOW, load)
    # Only the question was a contender for one hit; its possible drop makes the reply one
    # too, and the reply wins.
    assert [f.pk for f in top] == [2]
    assert loads == [[1], [2]]
    assert top[0].score == pytest.approx(0.095)
    both, _ = select_hits(fused(), "yoga classes", 3, cfg, NOW, load)
    assert [f.pk for f in both] == [2, 1, 3]
    assert both[1].score == pytest.approx(0.100 - 0.015)
    off, _ = select_hits(fused(), "yoga classes", 1, cfg.model_copy(
        update={"question_penalty": 0.0}), NOW, load)
    assert [f.pk for f in off] == [1]


def test_search_ranks_the_reply_over_the_question_that_echoes_the_query(mem: Any) -> None:
    asked, told = (r.id for r in mem.add_many([
        {"content": "What yoga classes have you done?", "kind": "episode"},
        {"content": "I did yoga classes.", "kind": "episode"},
    ], scope="u1"))
    mem.config.retrieval = RetrievalConfig(question_penalty=0.0)
    # Without the rule the question matches more of the query's words and ranks first.
    assert [h.id for h in mem.search("yoga classes done", scope="u1", k=2)] == [asked, told]
    mem.config.retrieval = RetrievalConfig()
    assert [h.id for h in mem.search("yoga classes done", scope="u1", k=2)] == [told, asked]


def test_each_retriever_lists_more_candidates_than_hits_asked(
        mem: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import memos.retrieval as retrieval

    mem.add_many([{"content": f"note {i}: the garden needs water and {i} new plants",
                   "kind": "episode"} for i in range(30)], scope="u1")
    fuse = retrieval.reciprocal_rank_fusion
    depths: list[dict[str, int]] = []

    def spy(ranked: Any, weights: Any, rrf_k: float) -> Any:
        depths.append({name: len(pks) for name, pks in ranked.items()})
        return fuse(ranked, weights, rrf_k)

    monkeypatch.setattr(retrieval, "reciprocal_rank_fusion", spy)

    def lists(per_hit: int) -> dict[str, int]:
        mem.config.retrieval = RetrievalConfig(candidates=4, candidates_per_hit=per_hit)
        depths.clear()
        assert len(mem.search("garden water plants", scope="u1", k=4)) == 4
        return depths[-1]

    assert lists(1) == {"dense": 4, "fulltext": 4}
    assert lists(3) == {"dense": 12, "fulltext": 12}
    assert lists(10) == {"dense": 30, "fulltext": 30}  # all 30 memories match
