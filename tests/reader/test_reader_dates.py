"""Relative dates resolved against the turn's time (memos.reader.dates)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from memos.reader.dates import resolve_dates

MONDAY = datetime(2026, 11, 30, 10, 0)  # a Monday


@pytest.mark.parametrize(("text", "expected", "precision"), [
    ("I went there yesterday", date(2026, 11, 29), "day"),
    ("we met the day before yesterday", date(2026, 11, 28), "day"),
    ("today was long", date(2026, 11, 30), "day"),
    ("last Friday we had dinner", date(2026, 11, 27), "day"),
    ("on Monday I rested", date(2026, 11, 23), "day"),  # the turn's own weekday: a week back
    ("this Friday", date(2026, 12, 4), "day"),
    ("two weeks ago", date(2026, 11, 16), "week"),
    ("3 days ago", date(2026, 11, 27), "day"),
    ("a couple of months ago", date(2026, 9, 30), "month"),
    ("in March I moved", date(2026, 3, 1), "month"),
    ("last March", date(2026, 3, 1), "month"),
    ("on 3 May it rained", date(2026, 5, 3), "day"),
    ("the 14th of February", date(2026, 2, 14), "day"),
    ("May 3rd, 2023", date(2023, 5, 3), "day"),
    ("on 2024-02-29", date(2024, 2, 29), "day"),
    ("in 2019", date(2019, 1, 1), "year"),
    ("last year", date(2025, 1, 1), "year"),
    ("last month", date(2026, 10, 1), "month"),
    ("last weekend", date(2026, 11, 28), "weekend"),
    # "this week / month / year": the current one (from the blind-d corpus: "I joined Wise
    # this week" wrote the employer "Wise this week").
    ("I joined this week", date(2026, 11, 30), "week"),
    ("earlier this month", date(2026, 11, 1), "month"),
    ("we moved this year", date(2026, 1, 1), "year"),
])
def test_resolves_against_the_turn_time(text: str, expected: date, precision: str) -> None:
    found = resolve_dates(text, MONDAY)
    assert [(d.date, d.precision) for d in found] == [(expected, precision)]


def test_month_in_the_future_of_the_turn_is_last_year() -> None:
    # "in December" said in March is last December; "on 3 May" said in January too.
    assert resolve_dates("in December", datetime(2026, 3, 1))[0].date == date(2025, 12, 1)
    assert resolve_dates("on 3 May", datetime(2026, 1, 10))[0].date == date(2025, 5, 3)


def test_words_that_are_not_dates() -> None:
    assert resolve_dates("I may go, and the march was loud", MONDAY) == []
    assert resolve_dates("nothing here", MONDAY) == []
    assert resolve_dates("on 31 February", MONDAY) == []  # no such day


def test_positions_and_order() -> None:
    text = "Yesterday I called, and last Friday I wrote"
    found = resolve_dates(text, MONDAY)
    assert [text[d.start:d.end] for d in found] == ["Yesterday", "last Friday"]


JUNE = datetime(2026, 6, 20, 9, 0)


@pytest.mark.parametrize(("text", "expected"), [
    ("I booked the flat for August", date(2026, 8, 1)),
    ("we will move in August", date(2026, 8, 1)),
    ("In August I'll start the new job", date(2026, 8, 1)),
    ("I'm flying to Lisbon in August", date(2026, 8, 1)),
    ("next August", date(2026, 8, 1)),
    ("I'm going to see her in March", date(2027, 3, 1)),  # March is behind: next year's
    ("we will marry in June", date(2026, 6, 1)),  # the turn's own month
    ("we'll fly on 3 October", date(2026, 10, 3)),
])
def test_future_looking_month_resolves_forward(text: str, expected: date) -> None:
    # Said on 20 June 2026: a month ahead in a future-looking sentence is this year's.
    assert [d.date for d in resolve_dates(text, JUNE)] == [expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("in August I moved to Porto", date(2025, 8, 1)),  # no future marker: backward
    ("I was there for August", date(2025, 8, 1)),  # past tense wins over "for"
    ("I went to Rome in August, and I will go again", date(2025, 8, 1)),
    ("on 3 October it rained", date(2025, 10, 3)),  # over 60 days ahead: last year
])
def test_past_tense_month_still_resolves_backward(text: str, expected: date) -> None:
    assert [d.date for d in resolve_dates(text, JUNE)] == [expected]


def test_future_marker_in_another_sentence_does_not_count() -> None:
    found = resolve_dates("In August I moved. I will call you", JUNE)
    assert [d.date for d in found] == [date(2025, 8, 1)]


@pytest.mark.parametrize(("text", "at", "expected"), [
    # said on a Monday in the past tense: the weekend just past
    ("This weekend I painted the kitchen.", datetime(2026, 1, 19, 9), date(2026, 1, 17)),
    ("I painted the kitchen over the weekend.", datetime(2026, 1, 19, 9), date(2026, 1, 17)),
    # looking forward: the one to come
    ("this weekend I'm going hiking", datetime(2026, 1, 19, 9), date(2026, 1, 24)),
    ("What are you doing this weekend?", datetime(2026, 1, 22, 9), date(2026, 1, 24)),
    # said on the weekend: that one
    ("This weekend has been lovely", datetime(2026, 1, 18, 9), date(2026, 1, 17)),
    ("next weekend we fly", datetime(2026, 1, 19, 9), date(2026, 1, 24)),
    ("the past weekend was busy", datetime(2026, 1, 21, 9), date(2026, 1, 17)),
])
def test_weekends(text: str, at: datetime, expected: date) -> None:
    [found] = resolve_dates(text, at)
    assert (found.date, found.precision) == (expected, "weekend")


def test_weekends_said_as_a_habit_are_no_date() -> None:
    assert resolve_dates("I go hiking on weekends", MONDAY) == []
