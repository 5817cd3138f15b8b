"""Query priors (speaker, dates), session grouping and folding of derived cubes: the pure
functions of memos.query / memos.retrieval, then once through MemOS.search."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from memos.config import RetrievalConfig
from memos.query import analyze, query_periods
from memos.retrieval import (
    Fused,
    contenders,
    fold_derived,
    fold_hosts,
    in_periods,
    name_words,
    names_speaker,
    query_prior,
    select_hits,
    session_bonus,
)


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def test_query_periods_days_months_years_and_before() -> None:
    assert query_periods("What did Nate cook on 9 November, 2022?") == [
        (day(2022, 11, 9), day(2022, 11, 10))]
    assert query_periods("Where was the photo shared on December 1,2023 taken?") == [
        (day(2023, 12, 1), day(2023, 12, 2))]
    assert query_periods("the book he read on 8th December, 2023") == [
        (day(2023, 12, 8), day(2023, 12, 9))]
    assert query_periods("What did Joanna write in July 2022?") == [
        (day(2022, 7, 1), day(2022, 8, 1))]
    assert query_periods("a charity event in 2024") == [(day(2024, 1, 1), day(2025, 1, 1))]
    # "before" reaches two weeks further back; the end stays.
    assert query_periods("the week before August 3, 2023") == [
        (day(2023, 7, 20), day(2023, 8, 4))]
    # No year, a bare number, "May" the verb: no period.
    assert query_periods("What did Ana do in March?") == []
    assert query_periods("May I have 2022 tickets?") == []
    # An impossible day is read as its month; two dates give two periods, in order.
    assert query_periods("on 31 February, 2023") == [(day(2023, 2, 1), day(2023, 3, 1))]
    assert len(query_periods("between 1 May, 2023 and June 2024")) == 2


def test_speaker_names_match_any_identifying_word_in_any_case() -> None:
    assert name_words("Dr. Ana M. Lopez") == {"ana", "lopez"}
    hints = analyze("what does ana like to cook?")
    assert names_speaker(hints, "Ana")
    assert names_speaker(hints, "Dr. Ana Lopez")
    assert not names_speaker(hints, "Ben")
    assert not names_speaker(hints, None)
    # A title or a stopword in the query names nobody.
    assert not names_speaker(analyze("what did the dr say?"), "Dr. Who")


def test_in_periods_counts_the_days_after_a_period() -> None:
    july = [(day(2022, 7, 1), day(2022, 8, 1))]
    assert in_periods(day(2022, 7, 15), july, 7)
    assert in_periods(day(2022, 8, 5), july, 7)  # told in early August: "last week"
    assert not in_periods(day(2022, 8, 9), july, 7)
    assert not in_periods(day(2022, 6, 30), july, 7)
    assert in_periods(datetime(2022, 7, 2), july, 0)  # naive moments are read as UTC
    assert not in_periods(None, july, 7)


def test_query_prior_adds_speaker_and_date_weights() -> None:
    cfg = RetrievalConfig(speaker_weight=0.03, date_weight=0.04)
    hints = analyze("What did Ana paint in July 2022?")
    assert query_prior(hints, "Ana", day(2022, 7, 3), cfg) == 0.03 + 0.04
    assert query_prior(hints, "Ben", day(2022, 7, 3), cfg) == 0.04
    assert query_prior(hints, "Ana", day(2023, 7, 3), cfg) == 0.03
    off = RetrievalConfig(speaker_weight=0, date_weight=0)
    assert query_prior(hints, "Ana", day(2022, 7, 3), off) == 0.0


def test_session_bonus_lends_the_best_nearby_score_of_a_session() -> None:
    cfg = RetrievalConfig(session_weight=0.5, session_top=2, session_window=3)
    final = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.1, 7: 0.05}
    places = {1: ("s1", 10), 2: ("s2", 0), 3: ("s1", 12), 4: ("s3", 1), 5: (None, None),
              6: ("s1", 30), 7: ("s2", None)}
    bonus = session_bonus(list(final), final, places, cfg)
    # s1 holds hit 1 and s2 hit 2 (the first two). 3 is 2 turns from hit 1; 6 is 20 turns
    # away; 7 has no turn, so its whole session counts; s3 holds no lender; 5 no session.
    assert bonus == {1: 0.5, 2: 0.4, 3: 0.5, 7: 0.4}
    whole = session_bonus(list(final), final, places, cfg.model_copy(update={"session_window": 0}))
    assert whole[6] == 0.5
    assert session_bonus([1, 2], final, places, RetrievalConfig(session_weight=0)) == {}


def test_fold_derived_keeps_one_place_for_a_fact_and_its_turn() -> None:
    ids = {1: "turn-a", 2: "fact-a", 3: "turn-b", 4: "summary", 5: "fact-x", 6: "fact-a2"}
    sources = {2: ["turn-a"], 4: [], 5: ["gone"], 6: ["turn-a"]}  # 4: no host (`fold_hosts`)
    # The fact ranks first: its turn takes the fact's place, both its facts fold into it.
    kept, folded = fold_derived([2, 3, 1, 4, 5, 6], ids, sources)
    assert kept == [1, 3, 4, 5]
    assert folded == {1: [2, 6]}
    # The turn ranks first: the fact folds into it where the turn already is.
    kept, folded = fold_derived([1, 3, 2], ids, sources)
    assert kept == [1, 3] and folded == {1: [2]}
    # A summary of several turns and a fact whose turn is not ranked stand on their own.
    assert fold_derived([4, 5], ids, sources) == ([4, 5], {})
    # A fact stated in two turns folds into the better ranked of them that is ranked.
    ids[7], sources[7] = "fact-ab", ["turn-a", "turn-b"]
    assert fold_derived([7, 3, 1], ids, sources) == ([3, 1], {3: [7]})
    assert fold_derived([7, 1], ids, sources) == ([1], {1: [7]})


def _episode(turn: str) -> dict[str, str]:
    return {"kind": "cube", "ref": f"{turn}@1", "role": "episode"}


def test_fold_hosts() -> None:
    one, two = {"cube_id": "turn-a", "version": 1}, {"cube_id": "turn-b", "version": 1}
    assert fold_hosts([one], []) == ["turn-a"]
    # a fact stated by both turns (each is an episode source of it)
    assert fold_hosts([one, two], [_episode("turn-a"), _episode("turn-b")]) == [
        "turn-a", "turn-b"]
    # a summary of two turns, a fact that took a name from another turn: neither
    assert fold_hosts([one, two], []) == []
    assert fold_hosts([one, two], [_episode("turn-a")]) == []
    assert fold_hosts(None, None) == [] and fold_hosts([], []) == []


def test_contenders_widen_by_the_margin() -> None:
    fused = {pk: Fused(pk, score) for pk, score in enumerate([0.10, 0.09, 0.05, 0.04, 0.01])}
    cfg = RetrievalConfig(recency_weight=0, importance_weight=0)
    assert contenders(fused, 2, cfg) == [0, 1]
    assert contenders(fused, 2, cfg, margin=0.05) == [0, 1, 2, 3]


def _row(pk: int, speaker: str | None = None, session: Any = None, at: datetime | None = None,
         derived: list[str] | None = None) -> SimpleNamespace:
    meta = {k: v for k, v in (("speaker", speaker), ("session", session)) if v is not None}
    return SimpleNamespace(pk=pk, id=f"c{pk}", content=f"turn {pk}.", meta=meta, valid_from=at,
                           recorded_at=day(2024, 1, 1), importance=0.5,
                           derived_from=[{"cube_id": d, "version": 1} for d in derived or []],
                           sources=[])


def test_select_hits_applies_priors_and_folds_with_few_loads() -> None:
    rows = {1: _row(1, "Ben", 1, day(2022, 1, 5)), 2: _row(2, "Ana", 2, day(2022, 7, 9)),
            3: _row(3, "Ben", 1, day(2022, 1, 5)), 4: _row(4, derived=["c1"])}
    def fused() -> dict[int, Fused]:  # select_hits leaves each Fused with its final score
        return {1: Fused(1, 0.10, {"dense": 3}), 2: Fused(2, 0.085, {"dense": 4}),
                3: Fused(3, 0.02, {"dense": 5}),
                4: Fused(4, 0.11, {"dense": 1, "fulltext": 2})}

    loads: list[list[int]] = []

    def load(pks: Any) -> dict[int, Any]:
        loads.append(list(pks))
        return {pk: rows[pk] for pk in pks}

    now = day(2024, 1, 1)
    cfg = RetrievalConfig(session_weight=0, fold_derived=False)
    plain, _ = select_hits(fused(), "what did they do", 2, cfg, now, load)
    assert [f.pk for f in plain] == [4, 1]
    # Naming Ana and the month lifts her July turn over the better text match.
    loads.clear()
    named, _ = select_hits(fused(), "what did Ana do in July 2022?", 2, cfg, now, load)
    assert [f.pk for f in named] == [2, 4]
    assert len(loads) <= 2  # the contenders, then those the priors can lift
    # Folding: the fact (4) ranks first; its turn (1) takes that place with the fact folded
    # into it, which makes room for turn 2.
    folded, _ = select_hits(fused(), "what did they do", 2, cfg.model_copy(
        update={"fold_derived": True}), now, load)
    assert [f.pk for f in folded] == [1, 2]
    assert folded[0].folded == [4]
    assert folded[0].score > folded[1].score
    # the hit stands for both: each retriever's better rank (once the turn's own, dense#3,
    # shown for a hit first thanks to the fact)
    assert folded[0].ranks == {"dense": 1, "fulltext": 2}
    assert folded[1].ranks == {"dense": 4}
    unfolded, _ = select_hits(fused(), "what did they do", 2, cfg.model_copy(
        update={"fold_derived": True}), now, load, fold=False)
    assert [f.pk for f in unfolded] == [4, 1]
    # Session grouping: of the first two hits only turn 1 has a session; it lends to
    # itself and to turn 3 of the same session, which climb over the fact (no session).
    grouped, _ = select_hits(fused(), "what did they do", 3, RetrievalConfig(
        session_weight=0.9, session_top=2, fold_derived=False), now, load)
    assert [f.pk for f in grouped] == [1, 3, 4]


def test_search_folds_a_fact_and_its_turn_and_prefers_the_named_speaker(mem: Any) -> None:
    turns = mem.add_many([
        {"content": "Ana: I love my kayak, we paddle every weekend.", "kind": "episode",
         "metadata": {"speaker": "Ana", "session": 1}},
        {"content": "Ben: I love my kayak, we paddle every weekend too.", "kind": "episode",
         "metadata": {"speaker": "Ben", "session": 2}},
    ], scope="u1")
    ana, ben = (r.id for r in turns)
    fact = mem.add("Ana likes kayak paddling.", scope="u1", kind="fact",
                   derived_from=[{"cube_id": ana, "version": 1}]).id
    hits = mem.search("What does Ben love to paddle in?", scope="u1", k=3)
    assert hits[0].id == ben  # Ben is named: his turn first
    by_id = {h.id: h for h in hits}
    assert set(by_id) == {ben, ana}  # Ana's turn and its fact share one place: the turn's
    assert by_id[ana].folded == [fact]
    # Asked for facts only, the fact is a hit of its own (its turn is filtered out); a
    # search of history (include_superseded) lists every cube on its own.
    facts = mem.search("kayak", scope="u1", kind="fact")
    assert [h.id for h in facts] == [fact] and facts[0].folded == []
    history = mem.search("kayak paddle", scope="u1", k=5, include_superseded=True)
    assert {h.id for h in history} == {ana, ben, fact}


def test_priors_read_a_bounded_pool_of_rows() -> None:
    rows = {pk: _row(pk, "Ana" if pk % 2 else "Ben", pk % 3, day(2022, 7, 9))
            for pk in range(100)}
    read: list[int] = []

    def load(pks: Any) -> dict[int, Any]:
        read.extend(pks)
        return {pk: rows[pk] for pk in pks}

    fused = {pk: Fused(pk, 0.1 - pk / 2000) for pk in rows}
    top, _ = select_hits(fused, "What did Ana do in July 2022?", 2,
                         RetrievalConfig(prior_pool=10), day(2024, 1, 1), load)
    assert len(top) == 2 and top[0].pk == 1  # Ana's best turn
    assert set(read) <= set(range(10))  # max(3k, prior_pool) = 10 candidates at most
