"""Parts of a month and lists of dates name their days (memos.query.query_periods): "the
second week of November 2022", "mid-June 2023", "on 4 and 25 June 2023", "in March and
August 2023"."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memos.config import RetrievalConfig
from memos.query import analyze, query_months, query_periods
from memos.retrieval import query_prior


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


def days(y: int, m: int, *ds: int) -> list[tuple[datetime, datetime]]:
    return [(day(y, m, d), day(y, m, d) + timedelta(days=1)) for d in ds]


@pytest.mark.parametrize(("text", "periods"), [
    ("Where was Tim in the second week of November 2022?", [(day(2022, 11, 8), day(2022, 11, 15))]),
    ("the first week of June 2023", [(day(2023, 6, 1), day(2023, 6, 8))]),
    ("the fourth week of June 2023", [(day(2023, 6, 22), day(2023, 6, 29))]),
    ("the last week of May 2023", [(day(2023, 5, 25), day(2023, 6, 1))]),
    ("in the final week of February 2024", [(day(2024, 2, 23), day(2024, 3, 1))]),
    # Weekends are Saturday and Sunday: 3 June 2023 was the first Saturday of June.
    ("the first weekend of June 2023", [(day(2023, 6, 3), day(2023, 6, 5))]),
    ("the last weekend of May 2023", [(day(2023, 5, 27), day(2023, 5, 29))]),
    ("the last weekend of September 2023", [(day(2023, 9, 30), day(2023, 10, 2))]),
    ("Was the first half of September 2022 a good month for Nate?",
     [(day(2022, 9, 1), day(2022, 9, 16))]),
    ("the second half of February 2023", [(day(2023, 2, 15), day(2023, 3, 1))]),
    ("the second half of July 2023", [(day(2023, 7, 17), day(2023, 8, 1))]),
    # fortnights: days 1-14, then 15 to the month's end
    ("the last fortnight of June 2023", [(day(2023, 6, 15), day(2023, 7, 1))]),
    ("the second fortnight of July 2023", [(day(2023, 7, 15), day(2023, 8, 1))]),
    ("the first fortnight of February 2024", [(day(2024, 2, 1), day(2024, 2, 15))]),
    ("the third fortnight of June 2023", [(day(2023, 6, 1), day(2023, 7, 1))]),
    ("early June 2023", [(day(2023, 6, 1), day(2023, 6, 11))]),
    ("mid-June 2023", [(day(2023, 6, 11), day(2023, 6, 21))]),
    ("in the middle of June, 2023", [(day(2023, 6, 11), day(2023, 6, 21))]),
    ("late February 2024", [(day(2024, 2, 21), day(2024, 3, 1))]),
    ("by the end of June 2023", [(day(2023, 6, 7), day(2023, 7, 1))]),  # 14 days before
    ("before the first week of June 2023", [(day(2023, 5, 18), day(2023, 6, 8))]),
    # No such part: the month.
    ("the fifth week of June 2023", [(day(2023, 6, 1), day(2023, 7, 1))]),
    ("the fourth weekend of February 2026", [(day(2026, 2, 28), day(2026, 3, 2))]),
    ("the third half of June 2023", [(day(2023, 6, 1), day(2023, 7, 1))]),
    # Lists of days: each day.
    ("What did Ana do on 4 and 25 June 2023?", days(2023, 6, 4, 25)),
    ("on the 4th, 11th and 25th of June 2023", days(2023, 6, 4, 11, 25)),
    ("on 4, 11, or 25 June 2023", days(2023, 6, 4, 11, 25)),
    ("30 May and 4 June 2023", days(2023, 5, 30) + days(2023, 6, 4)),
    ("4 June and 25 June 2023", days(2023, 6, 4, 25)),
    ("June 4 and 25, 2023", days(2023, 6, 4, 25)),
    ("on June 4th, 11th & 25th, 2023", days(2023, 6, 4, 11, 25)),
    ("May 30 and June 4, 2023", days(2023, 5, 30) + days(2023, 6, 4)),
    ("December 30 and January 2, 2024", days(2023, 12, 30) + days(2024, 1, 2)),
    ("on 4 and 4 June 2023", days(2023, 6, 4)),
    ("on 31 and 30 February 2023", [(day(2023, 2, 1), day(2023, 3, 1))]),
    ("on 2 and 31 April 2023", days(2023, 4, 2) + [(day(2023, 4, 1), day(2023, 5, 1))]),
    # a comma before the year, an Oxford comma, "or"
    ("on 4 and 25 June, 2023", days(2023, 6, 4, 25)),
    ("on 4, 11 and 25 June, 2023", days(2023, 6, 4, 11, 25)),
    ("30 May and 4 June, 2023", days(2023, 5, 30) + days(2023, 6, 4)),
    ("the 4th, the 11th, and the 25th of June, 2023", days(2023, 6, 4, 11, 25)),
    ("June 4, 11, and 25, 2023", days(2023, 6, 4, 11, 25)),
    # out of calendar order: one year, unless the list wraps past a year's end
    ("on 4 June and 25 May 2023", days(2023, 6, 4) + days(2023, 5, 25)),
    ("June 4 and May 25, 2023", days(2023, 6, 4) + days(2023, 5, 25)),
    # no "and": not a list ("I was 30, 4 June 2023" names the 4th only), when day first
    ("I was 30, 4 June 2023", days(2023, 6, 4)),
    ("on 4, 11, 25 June 2023", days(2023, 6, 25)),
    ("June 4, 11, 25, 2023", days(2023, 6, 4, 11, 25)),  # month first: a list
    # "and ... and", "and/or", spans inside a list
    ("June 4 and 25 and July 3, 2023", days(2023, 6, 4, 25) + days(2023, 7, 3)),
    ("on 4 and 25 June and 3 July 2023", days(2023, 6, 4, 25) + days(2023, 7, 3)),
    ("the 4th and 11th and 25th of June 2023", days(2023, 6, 4, 11, 25)),
    ("on 4 and/or 25 June 2023", days(2023, 6, 4, 25)),
    ("from 4 to 6 and 8 June 2023", [(day(2023, 6, 4), day(2023, 6, 7))] + days(2023, 6, 8)),
    ("between 4 and 6 June and 8 July 2023",
     [(day(2023, 6, 4), day(2023, 6, 7))] + days(2023, 7, 8)),
    ("June 4 to 6 and 9, 2023", [(day(2023, 6, 4), day(2023, 6, 7))] + days(2023, 6, 9)),
    # a span across a year's end, in a list: the start takes the end's year (or the one
    # before), the other items wrap as a list does
    ("August 30 to September 2 and February 3, 2024",
     [(day(2023, 8, 30), day(2023, 9, 3))] + days(2024, 2, 3)),
    ("30 August to 2 September and 3 February 2024",
     [(day(2023, 8, 30), day(2023, 9, 3))] + days(2024, 2, 3)),
    ("December 30 to January 2 and June 5, 2024",
     [(day(2023, 12, 30), day(2024, 1, 3))] + days(2024, 6, 5)),
    # a reversed "span" is no date, and hides none of the list after it
    ("the score was 3-1, 4 and 5 June 2023", days(2023, 6, 4, 5)),
    ("June 9 - June 3 and 5, 2023", days(2023, 6, 5)),
    # a clock time is no day
    ("at 10:30 and 4 June 2023", days(2023, 6, 4)),
    ("10:00-12:00, 4 and 5 June 2023", days(2023, 6, 4, 5)),
    ("9:00 - 4 June 2023", days(2023, 6, 4)),
    ("from 9:00 to 4 June 2023", days(2023, 6, 4)),
    ("Dates:4 and 5 June 2023", days(2023, 6, 4, 5)),
    # a day named twice, once in a span
    ("June 4, 9 and 4-6, 2023",
     days(2023, 6, 4, 9) + [(day(2023, 6, 4), day(2023, 6, 7))]),
    # A span stays a span.
    ("between 4 and 25 June 2023", [(day(2023, 6, 4), day(2023, 6, 26))]),
    ("June 3-9, 2023", [(day(2023, 6, 3), day(2023, 6, 10))]),
    # Lists of months.
    ("What did Ana do in March and August 2023?",
     [(day(2023, 3, 1), day(2023, 4, 1)), (day(2023, 8, 1), day(2023, 9, 1))]),
    ("May, June and July 2023", [(day(2023, 5, 1), day(2023, 6, 1)),
                                 (day(2023, 6, 1), day(2023, 7, 1)),
                                 (day(2023, 7, 1), day(2023, 8, 1))]),
    ("November, December and January 2024", [(day(2023, 11, 1), day(2023, 12, 1)),
                                             (day(2023, 12, 1), day(2024, 1, 1)),
                                             (day(2024, 1, 1), day(2024, 2, 1))]),
    ("Ana may and June 2023", [(day(2023, 6, 1), day(2023, 7, 1))]),  # "may", a word
    ("in March and August, 2023",
     [(day(2023, 3, 1), day(2023, 4, 1)), (day(2023, 8, 1), day(2023, 9, 1))]),
    ("May, June, and July, 2023", [(day(2023, 5, 1), day(2023, 6, 1)),
                                   (day(2023, 6, 1), day(2023, 7, 1)),
                                   (day(2023, 7, 1), day(2023, 8, 1))]),
    ("in July and March 2023",
     [(day(2023, 7, 1), day(2023, 8, 1)), (day(2023, 3, 1), day(2023, 4, 1))]),
    ("in March and August and October 2023", [(day(2023, 3, 1), day(2023, 4, 1)),
                                              (day(2023, 8, 1), day(2023, 9, 1)),
                                              (day(2023, 10, 1), day(2023, 11, 1))]),
    ("May, June, July 2023", [(day(2023, 5, 1), day(2023, 6, 1)),
                              (day(2023, 6, 1), day(2023, 7, 1)),
                              (day(2023, 7, 1), day(2023, 8, 1))]),
    ("in May and/or June 2023",
     [(day(2023, 5, 1), day(2023, 6, 1)), (day(2023, 6, 1), day(2023, 7, 1))]),
    ("May to July and October 2023",
     [(day(2023, 5, 1), day(2023, 8, 1)), (day(2023, 10, 1), day(2023, 11, 1))]),
    # Single dates read as before.
    ("June 4, 2023", days(2023, 6, 4)),
    ("on 9 November, 2022", days(2022, 11, 9)),
    ("in March, 2023", [(day(2023, 3, 1), day(2023, 4, 1))]),
])
def test_parts_of_months_and_lists(text: str, periods: list[tuple[datetime, datetime]]) -> None:
    assert query_periods(text) == periods


def test_a_long_list_reads_its_last_seven_days() -> None:
    """A list is read up to seven days (the search for one stays linear in the query)."""
    assert query_periods("on 1, 2, 3, 4, 5, 6, 7 and 8 June 2023") == days(
        2023, 6, 2, 3, 4, 5, 6, 7, 8)


@given(month=st.integers(1, 12), year=st.integers(1990, 2030),
       picked=st.lists(st.integers(1, 28), min_size=1, max_size=7),
       month_first=st.booleans(), ordinals=st.booleans(), oxford=st.booleans(),
       comma_year=st.booleans(), last=st.sampled_from(["and", "or", "&"]))
def test_any_list_of_days_names_each_day(month: int, year: int, picked: list[int],
                                         month_first: bool, ordinals: bool, oxford: bool,
                                         comma_year: bool, last: str) -> None:
    name = calendar.month_name[month]

    def word(d: int) -> str:
        return f"{d}{'th' if 4 <= d <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}" \
            if ordinals else str(d)

    words = [word(d) for d in picked]
    joined = words[0] if len(words) == 1 else (
        ", ".join(words[:-1]) + ("," if oxford and len(words) > 2 else "") + f" {last} "
        + words[-1])
    text = (f"on {name} {joined}, {year}" if month_first else
            f"on {joined} {name}{',' if comma_year else ''} {year}")
    expected: list[tuple[datetime, datetime]] = []
    for d in picked:
        if days(year, month, d)[0] not in expected:
            expected += days(year, month, d)
    assert query_periods(text) == expected


def test_a_month_in_a_list_is_not_read_again_without_its_year() -> None:
    assert query_months("in March and August 2023") == frozenset()
    assert query_months("the second week of November") == {11}  # no year: the month


def test_every_day_of_a_list_is_lifted_by_the_date_prior() -> None:
    config = RetrievalConfig()
    hints = analyze("What did Ana do on 4 and 25 June 2023?")
    for when in (day(2023, 6, 4), day(2023, 6, 25)):
        assert query_prior(hints, None, when, config) == pytest.approx(config.date_weight)
    assert query_prior(hints, None, day(2023, 6, 15), config) == 0.0
