"""A month named without a year ("in June") lifts the memories of that month in any year,
as a dated period does for its own days (memos.query.query_months, retrieval.in_months)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from memos.config import RetrievalConfig
from memos.query import analyze, query_months
from memos.retrieval import in_months, names_time, query_prior


@pytest.mark.parametrize(("text", "months"), [
    ("When did Melanie go camping in June?", {6}),
    ("Which country was Tim visiting in the second week of November?", {11}),
    ("what did i do in july and september", {7, 9}),
    ("What did Ana do in June and early march?", {3, 6}),
    ("what did we plan for may", set()),  # "may" the word, no time word before it
    ("What happened in may?", {5}),
    ("Anything planned for late-august?", {8}),
    ("What did Ana do in March?", {3}),
    ("May I ask where Ana lives?", set()),  # the verb, first in the question
    ("Will we march in the parade?", set()),
    ("What did Nate cook on 9 November, 2022?", set()),  # a dated day: a period instead
    ("What did Joanna write in July 2022 and in June?", {6}),
    ("What is Jan's favourite food?", set()),  # abbreviations are not read
    ("this may be wrong: where does Ana live?", set()),
    ("Hi! May I ask where Ana lives?", set()),
    ('"May I ask?"', set()),
    ("Ana, May I ask you something?", set()),
    ("We met in early May.", {5}),
    ("", set()),
])
def test_query_months(text: str, months: set[int]) -> None:
    assert query_months(text) == months
    assert analyze(text).months == months


def test_in_months_counts_any_year_and_the_days_after() -> None:
    assert in_months(datetime(2019, 6, 30, tzinfo=UTC), {6}, 7)
    assert in_months(datetime(2024, 7, 5, tzinfo=UTC), {6}, 7)  # told early July
    assert not in_months(datetime(2024, 7, 9, tzinfo=UTC), {6}, 7)
    assert not in_months(datetime(2024, 5, 31, tzinfo=UTC), {6}, 7)
    assert in_months(datetime(2024, 9, 20), {6}, 100)  # a grace longer than a month
    assert not in_months(None, {6}, 7)
    assert not in_months(datetime(2024, 6, 1, tzinfo=UTC), set(), 7)
    # The ends of the calendar do not overflow; a grace of a year or more covers any month.
    assert not in_months(datetime(9999, 12, 31, tzinfo=UTC), {6}, 7)
    assert not in_months(datetime(1, 1, 2), {6}, 7)
    assert in_months(datetime(1, 1, 2), {12}, 400)
    assert in_months(datetime(9999, 12, 31, tzinfo=UTC), {3}, float("inf"))
    # A moment in another zone is read in UTC: 1 July 01:00 at +02:00 is still 30 June.
    plus_two = timezone(timedelta(hours=2))
    assert in_months(datetime(2024, 7, 1, 1, tzinfo=plus_two), {6}, 0)


def test_a_month_without_a_year_adds_the_date_weight() -> None:
    cfg = RetrievalConfig(speaker_weight=0.03, date_weight=0.04)
    hints = analyze("What did Ana paint in June?")
    assert names_time(hints, datetime(2021, 6, 3, tzinfo=UTC), 7)
    assert query_prior(hints, "Ana", datetime(2021, 6, 3, tzinfo=UTC), cfg) == 0.03 + 0.04
    assert query_prior(hints, "Ana", datetime(2021, 8, 3, tzinfo=UTC), cfg) == 0.03


def test_search_prefers_the_month_named(mem: Any) -> None:
    june, august = (r.id for r in mem.add_many([
        {"content": "Went camping by the lake with the kids.", "kind": "episode",
         "valid_from": datetime(2023, 6, 12, tzinfo=UTC)},
        {"content": "Went camping by the lake with the kids again.", "kind": "episode",
         "valid_from": datetime(2023, 8, 20, tzinfo=UTC)},
    ], scope="u1"))
    mem.config.retrieval = RetrievalConfig(session_weight=0)
    assert [h.id for h in mem.search("camping by the lake in June", scope="u1", k=2)][0] == june
    assert [h.id for h in mem.search("camping by the lake in August", scope="u1", k=2)][0] == august
