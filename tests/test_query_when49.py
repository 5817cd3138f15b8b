"""A query that asks when lifts memories that say when (memos.query.asks_when, says_when,
RetrievalConfig.when_weight); spans, seasons and digit dates name periods
(memos.query.query_periods)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memos.config import RetrievalConfig
from memos.query import _SAYS_WHEN, analyze, asks_when, query_months, query_periods, says_when
from memos.retrieval import query_prior


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


@pytest.mark.parametrize(("query", "when"), [
    ("When did Ana move to Oslo?", True),
    ("when is the dentist", True),
    ("  ...and when did we last talk?", True),
    ("Hey, when is Ana's birthday?", True),
    ("How long has Ana had her dog?", True),
    ("How many weeks passed between the two trips?", True),
    ("After how many weeks did Tim call back?", True),
    ("In which month did John go to Italy?", True),
    ("What year did John start surfing?", True),
    ("Which week did Tim visit the UK?", True),
    ("At what age did Ana learn to swim?", True),
    ("Since when does Ana run?", True),
    ("What did Ana say when she moved?", False),  # "when" inside: asks what
    ("Which city was John in?", False),
    ("What does Ana do for a living?", False),
    ("How many dogs does Ana have?", False),
    ("Whenever I ask, what does Ana say?", False),
    ("For how long has Ana run?", True),
    ("How recently did Ana move?", True),
    ("How many hours did the drive take?", True),
    ("What time of day does Ana run?", True),
    ("What date idea did Ana like?", False),  # the noun is not the thing asked
    ("What day trip did we take?", False),
    ("What age group is the class for?", False),
    ("Which season of the show did we watch?", False),
    ("Do you remember when Ana moved?", True),
    ("Can you tell me when the party is?", True),
    ("Ana, when did you move?", True),
    ("How many more weeks until the wedding?", True),
    ("How many nights did Ana stay in Paris?", True),
    ("What exact date was the party?", True),
    ("Do you remember what Ana said when she moved?", False),
    ("What free time does Ana have?", False),
    ("What holiday season does Ana love?", False),
    ("How many times has Ana been to Rome?", False),  # a count: asks_many
    ("", False),
])
def test_asks_when(query: str, when: bool) -> None:
    assert asks_when(query) is when
    assert analyze(query).when is when


@pytest.mark.parametrize(("text", "says"), [
    ("Ana: We moved here two years ago.", True),
    ("I went hiking last weekend", True),
    ("I've had them for 3 years now and they bring me joy", True),
    ("See you on Friday!", True),
    ("In June we went camping", True),
    ("It was June 5th, I think", True),
    ("on the 15th after my trip", True),
    ("back in 2019", True),
    ("when I was ten we lived by the sea", True),
    ("I started at age fifteen", True),
    ("I recently took a class", True),
    ("I watched it a while back", True),
    ("I love Oslo and its fjords.", False),
    ("I may go, we will march on", False),  # words, not months
    ("Ana: This may sound silly, but I love painting.", False),
    ("These 2 may be related.", False),
    ("I paid 2000 dollars for it, and scored 1999 points.", False),  # amounts, not years
    ("It cost $2000", False),
    ("I drove 2000 kilometres and own 2000 books", False),
    ("call 555-2019 now", False),
    ("That was 2019.", True),  # a year ending a clause
    ("June 2019", True),
    ("I'm 30 years old", True),
    ("It's been 5 years", True),
    ("See you tonıght.", True),  # dotless i, as the pattern's ignore-case reads it
    ("In APRİL", True),
    ("I was born in 1990.", True),
    ("this May we went", True),
    ("when we were kids", True),
    ("at age 15", True),
    ("My number is 12345.", False),
    ("", False),
    (None, False),
    (42, False),
])
def test_says_when(text: Any, says: bool) -> None:
    assert says_when(text) is says


def test_says_when_reads_the_first_4kb_only() -> None:
    assert says_when("yesterday " + "word " * 2000)
    assert not says_when("word " * 2000 + "yesterday")


@pytest.mark.parametrize(("text", "periods"), [
    ("Where was John between August 11 and August 15 2023?",
     [(day(2023, 8, 11), day(2023, 8, 16))]),
    ("from 3 to 9 June, 2023", [(day(2023, 6, 3), day(2023, 6, 10))]),
    ("June 3-9, 2023", [(day(2023, 6, 3), day(2023, 6, 10))]),
    ("from 10 June to 2 July 2023", [(day(2023, 6, 10), day(2023, 7, 3))]),
    ("December 28 to January 3, 2024", [(day(2023, 12, 28), day(2024, 1, 4))]),
    ("between June and August 2023", [(day(2023, 6, 1), day(2023, 9, 1))]),
    ("What state did Joanna visit in summer 2021?", [(day(2021, 6, 1), day(2021, 9, 1))]),
    ("in the fall of 2020", [(day(2020, 9, 1), day(2020, 12, 1))]),
    ("the winter of 2022",
     [(day(2022, 1, 1), day(2022, 3, 1)), (day(2022, 12, 1), day(2023, 3, 1))]),
    ("in early 2023", [(day(2023, 1, 1), day(2023, 5, 1))]),
    ("mid-2021", [(day(2021, 5, 1), day(2021, 9, 1))]),
    ("by the end of 2022", [(day(2022, 8, 18), day(2023, 1, 1))]),  # 14 days before
    ("on 2023-06-09", [(day(2023, 6, 9), day(2023, 6, 10))]),
    ("2023/06/09", [(day(2023, 6, 9), day(2023, 6, 10))]),
    # A year and a month alone are not read as such: "2011-12" is as often a school year.
    ("in 2011-12", [(day(2011, 1, 1), day(2012, 1, 1))]),
    ("between 2020 and 2022", [(day(2020, 1, 1), day(2023, 1, 1))]),
    ("from 2019 to 2021", [(day(2019, 1, 1), day(2022, 1, 1))]),
    ("winter 2022-23", [(day(2022, 12, 1), day(2023, 3, 1))]),
    ("the winter of 2022/2023", [(day(2022, 12, 1), day(2023, 3, 1))]),
    ("before the summer of 2021", [(day(2021, 5, 18), day(2021, 9, 1))]),  # 14 days before
    # "and" joins a span only after "between": elsewhere it joins two dates.
    ("What did Ana do on 4 and 25 June 2023?",
     [(day(2023, 6, 4), day(2023, 6, 5)), (day(2023, 6, 25), day(2023, 6, 26))]),
    ("between 4 and 25 June 2023", [(day(2023, 6, 4), day(2023, 6, 26))]),
    ("What did Ana do in March and August 2023?",
     [(day(2023, 3, 1), day(2023, 4, 1)), (day(2023, 8, 1), day(2023, 9, 1))]),
    # Impossible dates: a shorter form reads what it can, or nothing is read.
    ("31 February, 2023", [(day(2023, 2, 1), day(2023, 3, 1))]),
    ("June 9 - June 3, 2023", [(day(2023, 6, 3), day(2023, 6, 4))]),
    ("the 2023-13 report", []),
    ("on 2023-02-30", [(day(2023, 2, 1), day(2023, 3, 1))]),
    ("February 29, 2023", [(day(2023, 2, 1), day(2023, 3, 1))]),
    ("February 28 - 30, 2023", [(day(2023, 2, 1), day(2023, 3, 1))]),
    ("2021 - 2019", []),
    ("2023-13-01", []),
    ("winter 2022-2023", [(day(2022, 12, 1), day(2023, 3, 1))]),  # a season, not two years
    ("between the 4th and 25th of June 2023", [(day(2023, 6, 4), day(2023, 6, 26))]),
    ("from the 3rd to the 9th of June 2023", [(day(2023, 6, 3), day(2023, 6, 10))]),
    ("June 3rd till the 9th, 2023", [(day(2023, 6, 3), day(2023, 6, 10))]),
    ("by 2022", [(day(2021, 12, 18), day(2023, 1, 1))]),  # reaches 14 days back
    ("until 2023", [(day(2022, 12, 18), day(2024, 1, 1))]),
    ("the 2023 season", []),
])
def test_query_periods_spans_seasons_and_digits(text: str,
                                                periods: list[tuple[datetime, datetime]]) -> None:
    assert query_periods(text) == periods


def test_analyze_reads_the_dates_in_the_first_4kb_only() -> None:
    padding = "word " * 1000
    assert analyze("What did Ana do in July 2022? " + padding).periods
    assert analyze(padding + "What did Ana do in July 2022?").periods == ()
    assert analyze(padding + "in June").months == frozenset()


def test_a_month_inside_a_span_is_not_read_again_without_its_year() -> None:
    assert query_months("between June and August 2023") == frozenset()
    assert query_months("from 10 June to 2 July 2023, and in March") == {3}


def test_query_prior_adds_the_when_weight_to_memories_that_say_when() -> None:
    cfg = RetrievalConfig(speaker_weight=0.03, date_weight=0.04, when_weight=0.03)
    when = analyze("When did Ana move to Oslo?")
    where = analyze("Where did Ana move?")
    moved = "Ana: we moved to Oslo two years ago"
    assert query_prior(when, "Ana", None, cfg, moved) == pytest.approx(0.06)
    assert query_prior(when, "Ana", None, cfg, "Ana: we love Oslo") == 0.03
    assert query_prior(where, "Ana", None, cfg, moved) == 0.03
    assert query_prior(when, None, None, cfg.model_copy(update={"when_weight": 0}), moved) == 0


def test_search_asked_when_prefers_the_memory_that_says_when(mem: Any) -> None:
    plain, dated = (r.id for r in mem.add_many([
        {"content": "Ana moved to Oslo with her cat.", "kind": "episode"},
        {"content": "Ana moved to Oslo with her cat, a few years ago now, after a long "
                    "search for a flat by the water.", "kind": "episode"},
    ], scope="u1"))
    mem.config.retrieval = RetrievalConfig(session_weight=0, when_weight=0)
    # Without the prior the shorter memory ranks first (its words are denser)...
    assert [h.id for h in mem.search("When did Ana move to Oslo with her cat?", scope="u1",
                                     k=2)] == [plain, dated]
    mem.config.retrieval = RetrievalConfig(session_weight=0)
    # ...asked when, the one that says when does; asked what, nothing changes.
    assert [h.id for h in mem.search("When did Ana move to Oslo with her cat?", scope="u1",
                                     k=2)] == [dated, plain]
    assert [h.id for h in mem.search("Where did Ana move with her cat?", scope="u1",
                                     k=2)][0] == plain


_VOCAB = ["last", "next", "this", "in", "on", "the", "a", "few", "two", "3", "15th", "2019",
          "week", "weeks", "weekend", "Friday", "June", "may", "march", "ago", "back", "when",
          "I", "was", "ten", "age", "at", "of", "while", "for", "years", "now", "daylight",
          "summer", "spring", "fall", "water", "Ana", "went", "home", ",", ".", "-",
          # one phrase of each form the pattern reads
          "yesterday", "recently", "a while back", "when I was ten", "at age fifteen", "last week",
          "two years ago", "for three months", "on Friday", "in June", "June 5", "5 June",
          "on the 15th", "in 2019", "nowadays", "tonight", "this evening", "next semester",
          # characters that ignore-case and casefold() read differently
          "tonıght", "APRİL", "agoͅ", "30 years old", "been 5 years", "2019."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=12))
def test_says_when_word_filter_never_changes_the_answer(words: list[str]) -> None:
    """The word filter only skips the pattern where the pattern would find nothing."""
    text = " ".join(words)
    assert says_when(text) is (_SAYS_WHEN.search(text) is not None)


@pytest.mark.parametrize(("query", "many"), [
    ("What books has Ana read?", True),
    ("Which cities has Jon visited?", True),
    ("What classes has Ana taken?", True),
    ("What kind of books does Nate enjoy?", True),
    ("What areas of the U.S. has John been to?", True),
    ("How many times did we meet?", True),
    ("How many dogs does Ana have?", True),
    ("Have we both been to Rome?", True),
    ("Does Ana like tea and/or coffee?", True),
    ("What book is Ana reading?", False),
    ("How many days did the trip take?", False),  # a length of time: asks how long
    ("What is Ana's address?", False),
    ("What bus does Ana take?", False),  # -us, -ss: not plurals
    ("What motivates Joanna to keep writing?", False),  # a verb: no auxiliary after it
    ("What series is Ana watching?", False),  # singular nouns ending in -s
    ("What species is Ana's dog?", False),
    ("What exciting news did Ana share?", False),
    ("How many hours did the drive take?", False),
    ("How many nights did Ana stay in Paris?", False),
    ("How many more weeks until the wedding?", False),
    ("What tennis racket does Ana use?", False),
    ("What Ana has is a bike", False),
    ("", False),
])
def test_asks_many(query: str, many: bool) -> None:
    assert analyze(query).many is many


def test_a_query_that_asks_for_several_things_gets_no_session_grouping() -> None:
    from types import SimpleNamespace

    from memos.retrieval import Fused, select_hits

    def row(pk: int, turn: int) -> SimpleNamespace:
        return SimpleNamespace(pk=pk, id=f"c{pk}", content=f"turn {pk}.",
                               meta={"session": 1 if pk < 3 else 2, "turn": turn},
                               valid_from=None, recorded_at=day(2024, 1, 1), importance=0.5,
                               derived_from=[])
    rows = {1: row(1, 0), 2: row(2, 1), 3: row(3, 0)}

    def fused() -> dict[int, Fused]:
        return {1: Fused(1, 0.10), 2: Fused(2, 0.04), 3: Fused(3, 0.05)}

    def load(pks: Any) -> dict[int, Any]:
        return {pk: rows[pk] for pk in pks}

    cfg = RetrievalConfig(session_weight=0.9, session_top=1, fold_derived=False)
    now = day(2024, 1, 1)
    # One thing asked: turn 2 sits beside the best hit and borrows its score.
    one, _ = select_hits(fused(), "What book did Ana read?", 3, cfg, now, load)
    assert [f.pk for f in one] == [1, 2, 3]
    # Several asked: no loans, fusion's order stands; session_lists brings them back.
    many, _ = select_hits(fused(), "What books has Ana read?", 3, cfg, now, load)
    assert [f.pk for f in many] == [1, 3, 2]
    lists, _ = select_hits(fused(), "What books has Ana read?", 3,
                           cfg.model_copy(update={"session_lists": True}), now, load)
    assert [f.pk for f in lists] == [1, 2, 3]
