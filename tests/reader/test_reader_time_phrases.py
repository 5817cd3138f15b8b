"""Time phrases after a value: cut from the stored value ("I moved to New York City last
summer" stores "New York City"), the date kept where memos.reader.dates resolves it, and
the names that hold a date word left whole ("Summer Street", "USA Today", "my sister April")."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from memos.reader.dates import resolve_dates
from memos.reader.rules import extract

AT = datetime(2026, 6, 20, 9, 0)  # a Saturday in June


def facts(text: str) -> set[tuple[str, str, str]]:
    return {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice", AT)}


def dated(text: str) -> set[tuple[str, str, date | None]]:
    return {(e.attribute, e.value, e.when) for e in extract(text, "Alice", "user:alice", AT)}


@pytest.mark.parametrize(("text", "value"), [
    # the phrases dates.py does not resolve
    ("I moved to New York City last summer.", "New York City"),
    ("I moved to Rome back then.", "Rome"),
    ("I moved to Berlin a while back.", "Berlin"),  # "while" used to end it at "Berlin a"
    ("I moved to Leeds quite a while ago.", "Leeds"),
    ("I moved to Leeds a good while back.", "Leeds"),
    ("I moved to Leeds some time ago.", "Leeds"),
    ("I moved to Leeds a few years back.", "Leeds"),
    ("I moved to Leeds years ago.", "Leeds"),
    ("I moved to Leeds not long ago.", "Leeds"),
    ("I moved to Leeds recently.", "Leeds"),
    ("I moved to Leeds recently with my wife.", "Leeds"),
    ("I moved to Leeds this past spring.", "Leeds"),
    ("I moved to Leeds last fall.", "Leeds"),
    ("I moved to Leeds this winter.", "Leeds"),
    ("I moved to Leeds last Christmas.", "Leeds"),
    ("I moved to Leeds around Easter.", "Leeds"),
    ("I moved to Leeds over the summer.", "Leeds"),
    ("I moved to Leeds over the weekend.", "Leeds"),
    ("I moved to Leeds in the spring.", "Leeds"),
    ("I moved to Leeds the other day.", "Leeds"),
    ("I moved to Leeds the other week.", "Leeds"),
    ("I moved to Leeds the year before last.", "Leeds"),
    ("I moved to Leeds back in the day.", "Leeds"),
    ("I moved to Leeds back in college.", "Leeds"),
    ("I moved to Leeds way back when.", "Leeds"),
    ("I moved to Leeds in the nineties.", "Leeds"),
    ("I moved to Leeds in the early 2000s.", "Leeds"),
    ("I moved to Leeds on the 3rd.", "Leeds"),
    ("I moved to Leeds at the start of 2020.", "Leeds"),
    ("I live in Leeds at present.", "Leeds"),
    ("I've lived in Leeds for the past two years.", "Leeds"),
    ("i moved to leeds last summer", "Leeds"),
    ("i moved to leeds a while back", "Leeds"),
])
def test_a_residence_ends_before_its_time_phrase(text: str, value: str) -> None:
    assert facts(text) == {("Alice", "city", value)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I joined Google a few months back.", {("Alice", "employer", "Google")}),
    ("I joined Google this spring.", {("Alice", "employer", "Google")}),
    ("I started at Stripe last fall.", {("Alice", "employer", "Stripe")}),
    ("I joined Stripe over the summer.", {("Alice", "employer", "Stripe")}),
    ("I work as a lifeguard in the summer.", {("Alice", "job", "lifeguard")}),
    ("I grew up in Leeds back in the 90s.", {("Alice", "home town", "Leeds")}),
    ("im from leeds back in the day", {("Alice", "home town", "Leeds")}),
    ("My sister Ana moved to Porto last summer.",
     {("Alice", "sister's name", "Ana"), ("Ana", "city", "Porto")}),
    ("We moved to Columbus last summer.", {("Alice", "city", "Columbus")}),
    ("I love jazz lately.", {("Alice", "likes", "jazz")}),
    ("I like jazz and blues recently.", {("Alice", "likes", "jazz"), ("Alice", "likes", "blues")}),
    ("I moved to Lisbon last summer and joined Feedzai in the fall.",
     {("Alice", "city", "Lisbon"), ("Alice", "employer", "Feedzai")}),
])
def test_every_family_ends_a_value_before_a_time_phrase(
        text: str, expected: set[tuple[str, str, str]]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a resolved date inside the phrase still gives the fact its date
    ("I moved to Berlin back in 2019.", ("city", "Berlin", date(2019, 1, 1))),
    ("I joined Google back in 2019.", ("employer", "Google", date(2019, 1, 1))),
    ("I moved to Austin about a year ago.", ("city", "Austin", date(2025, 6, 20))),
    ("I moved to Leeds late last year.", ("city", "Leeds", date(2025, 1, 1))),
    ("I moved to Berlin in early March.", ("city", "Berlin", date(2026, 3, 1))),
    ("I moved to Leeds at the end of March.", ("city", "Leeds", date(2026, 3, 1))),
    # years after "since", "in late", "in the summer of" now resolve as "in 2019" did
    ("I moved to Leeds in late 2019.", ("city", "Leeds", date(2019, 1, 1))),
    ("I moved to Leeds in mid-2019.", ("city", "Leeds", date(2019, 1, 1))),
    ("I moved to Leeds in the fall of 2019.", ("city", "Leeds", date(2019, 1, 1))),
    ("I've lived in Lisbon since 2019.", ("city", "Lisbon", date(2019, 1, 1))),
    # as before
    ("I moved to Berlin last March.", ("city", "Berlin", date(2026, 3, 1))),
    ("I moved to Berlin two years ago.", ("city", "Berlin", date(2024, 6, 20))),
    ("I moved to Berlin on March 3rd.", ("city", "Berlin", date(2026, 3, 3))),
    # an unresolved phrase gives no date: the turn's time stands
    ("I moved to New York City last summer.", ("city", "New York City", None)),
])
def test_a_resolved_date_still_dates_the_fact(
        text: str, expected: tuple[str, str, date | None]) -> None:
    assert dated(text) == {expected}


@pytest.mark.parametrize(("text", "expected"), [
    # places and organisations named with a season, a month, a weekday or a date word
    ("I live on Summer Street.", ("address", "Summer Street")),
    ("I live in Spring Valley.", ("city", "Spring Valley")),
    ("I live in Winter Park, Florida.", ("city", "Winter Park")),
    ("I moved to Winter Park last winter.", ("city", "Winter Park")),
    ("I live at 12 May Road.", ("address", "12 May Road")),
    ("I live at 14 Elm Road on the 3rd floor.", ("address", "14 Elm Road on the 3rd floor")),
    ("I'm from Spring Hill.", ("home town", "Spring Hill")),
    ("I work at Summer Labs.", ("employer", "Summer Labs")),
    ("I work at Today FM.", ("employer", "Today FM")),
    ("I work at The Week.", ("employer", "The Week")),
    ("I work at Eleven Years Ago Ltd.", ("employer", "Eleven Years Ago Ltd")),
    # titles
    ("My favorite newspaper is USA Today.", ("favorite newspaper", "USA Today")),
    ("My favourite show is The Day Today.", ("favorite show", "The Day Today")),
    ("My favourite song is Last Christmas.", ("favorite song", "Last Christmas")),
    ("My favorite song is Yesterday.", ("favorite song", "Yesterday")),
    ("my favorite movie is 500 days of summer", ("favorite movie", "500 days of summer")),
    ("I love The Last of Us.", ("likes", "The Last of Us")),
    ("I love Friday Night Lights.", ("likes", "Friday Night Lights")),
    # values that are dates or seasons
    ("My favorite season is late autumn.", ("favorite season", "late autumn")),
    ("My birthday is on 3 May.", ("birthday", "3 May")),
    ("My anniversary is June 12th.", ("anniversary", "June 12th")),
    ("my anniversary is next week", ("anniversary", "next week")),
    # a time of year is part of a taste, not a date
    ("I love hiking in the spring.", ("likes", "hiking in the spring")),
    ("I love skiing in winter.", ("likes", "skiing in winter")),
    ("I love summer in Paris.", ("likes", "summer in Paris")),
    ("I love the summer of 69.", ("likes", "the summer of 69")),
    ("I love the week before Christmas.", ("likes", "the week before Christmas")),
    ("I enjoy swimming on weekends.", ("likes", "swimming on weekends")),
    ("I love eating turkey at Christmas.", ("likes", "eating turkey at Christmas")),
    ("I'm allergic to pollen in the summer.", ("allergy", "pollen in the summer")),
    ("I prefer cycling in the summer.", ("preference", "cycling in the summer")),
    ("My favorite drink is hot chocolate in the winter.",
     ("favorite drink", "hot chocolate in the winter")),
    ("I love the recently opened cafe.", ("likes", "the recently opened cafe")),
    ("My favorite position is full back.", ("favorite position", "full back")),
    # a value made only of time words keeps them all (it was cut to its first "tonight")
    ("My favorite song is tonight tonight.", ("favorite song", "tonight tonight")),
    ("My favorite song is last summer last summer.",
     ("favorite song", "last summer last summer")),
])
def test_values_with_date_words_are_left_whole(text: str, expected: tuple[str, str]) -> None:
    assert facts(text) == {("Alice", *expected)}


def test_a_date_word_of_a_name_dates_nothing() -> None:
    # "Today" in "USA Today" is no date; "April", "August" and "May" here are people and a
    # street, not months: the facts keep the turn's time.
    assert dated("My favorite newspaper is USA Today.") == {
        ("favorite newspaper", "USA Today", None)}
    assert dated("My sister April lives in Leeds.") == {("sister's name", "April", None),
                                                        ("city", "Leeds", None)}
    assert dated("My son August lives in Oslo.") == {("son's name", "August", None),
                                                     ("city", "Oslo", None)}
    assert dated("I live in May Street.") == {("city", "May Street", None)}
    assert dated("I moved to Leeds with May.") == {("city", "Leeds", None)}
    # the month said as a month still dates
    assert dated("I moved to Leeds in May.") == {("city", "Leeds", date(2026, 5, 1))}
    assert dated("my daughter May moved to Leeds last summer") == {
        ("daughter's name", "May", None), ("city", "Leeds", None)}


@pytest.mark.parametrize(("text", "found"), [
    ("hi, my name is Jan Kowalski", []),
    ("I live in May Street", []),
    ("My sister April lives in Leeds", []),
    ("a girl called June", []),
    ("I moved to Leeds with May", []),
    ("in May I moved", [("in May", date(2026, 5, 1))]),
    ("since March", [("March", date(2026, 3, 1))]),
    ("March was rainy", [("March", date(2026, 3, 1))]),
    ("from March to May", [("March", date(2026, 3, 1)), ("May", date(2026, 5, 1))]),
    ("in March 2019", [("in March 2019", date(2019, 3, 1))]),
    ("May 3rd", [("May 3rd", date(2026, 5, 3))]),
    ("since 2019", [("since 2019", date(2019, 1, 1))]),
    ("In 2019 I left", [("In 2019", date(2019, 1, 1))]),
    ("in late 2019", [("in late 2019", date(2019, 1, 1))]),
    ("in mid-2019", [("in mid-2019", date(2019, 1, 1))]),
    ("in the summer of 2019", [("in the summer of 2019", date(2019, 1, 1))]),
])
def test_month_names_of_people_and_places_and_years_after_since(
        text: str, found: list[tuple[str, date]]) -> None:
    assert [(d.text, d.date) for d in resolve_dates(text, AT)] == found


def test_a_second_predicate_after_a_long_time_phrase_is_read() -> None:
    assert facts("I moved to Lisbon at the start of the summer of 2019 and joined Feedzai") == {
        ("Alice", "city", "Lisbon"), ("Alice", "employer", "Feedzai")}


@pytest.mark.parametrize(("text", "employer", "job"), [
    # the job after the time phrase that ended the employer is still read (a scenario of
    # the assistant's blind suite lost "product manager" when the cut was first made)
    ("I joined Revolut two weeks ago as a product manager.", "Revolut", "product manager"),
    ("I joined Revolut as a product manager two weeks ago.", "Revolut", "product manager"),
    ("I started at Google last month as a data scientist.", "Google", "data scientist"),
    ("I got a job at Stripe a while back as a designer.", "Stripe", "designer"),
    ("I work at Acme since 2019 as an engineer.", "Acme", "engineer"),
])
def test_a_job_after_a_dated_employer_is_still_read(text: str, employer: str, job: str) -> None:
    got = {(a, v) for _s, a, v in facts(text)}
    assert ("employer", employer) in got and ("job", job) in got


@pytest.mark.parametrize(("text", "phrase"), [
    # a month after a time word is a date even before a capitalised word (a name's test
    # is for a bare month: "Jan Kowalski", "my sister April")
    ("Last May John and I moved to Rome.", "Last May"),
    ("In March Ana started at Google.", "In March"),
    ("Since April Google has been my employer.", "April"),
])
def test_a_month_after_a_time_word_is_a_date_before_a_name(text: str, phrase: str) -> None:
    assert [d.text for d in resolve_dates(text, AT)] == [phrase]


@pytest.mark.parametrize("text", ["I moved to Leeds in May Street.", "Jan Kowalski is my boss.",
                                  "My sister April lives in Leeds."])
def test_a_month_in_a_name_is_still_no_date(text: str) -> None:
    assert resolve_dates(text, AT) == []
