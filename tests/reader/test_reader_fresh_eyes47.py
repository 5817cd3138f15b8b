"""What a fresh-eyes user found in the reader (session 47):

- A question typed without its "?" was read as a statement: "who do i work for atm" stored
  the employer "atm", "what city do i live in now" the city "now", "do i work at acme" the
  employer "acme", "am i still living in berlin" the city "berlin".
- "i work for Acme until march 31 2026" dated Acme's start 31 March 2026; an end said of a
  fact that holds now is its end (`Extraction.until`).
- Dates of plans read as past: "planning a trip to lisbon in april" said in February was
  last April; "acme extended my contract to june 30" last June; "I work for Acme until
  March 31" said in June, last March."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from memos.reader.dates import resolve_dates
from memos.reader.rules import extract

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(text: str) -> set[tuple[str, str]]:
    return {(e.attribute, e.value) for e in extract(text, "Alice", "user:alice", AT)
            if not e.negated}


@pytest.mark.parametrize("text", [
    "who do i work for atm", "what city do i live in now", "who do i work for now",
    "do i work at acme", "am i still living in berlin", "which city did i live in before",
    "ok so where do i work", "how old is my son Leo now",
    "have i got news for you, i'm pregnant",
])
def test_questions_without_a_question_mark_state_nothing(text: str) -> None:
    assert read(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    # tellings that open like a question
    ("did i tell you i moved to Oslo", {("city", "Oslo")}),
    ("have i told you my sister is Ana", {("sister's name", "Ana")}),
    ("Have I got news: I moved to Oslo", {("city", "Oslo")}),
    ("When I was a kid I lived in Rome.", {("city", "Rome")}),
])
def test_statements_that_open_like_a_question(text: str, expected: set[tuple[str, str]]
                                              ) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "until", "until_latest"), [
    ("i work for Acme until march 31 2027", date(2027, 3, 31), None),
    ("I work for Acme until March 31", date(2027, 3, 31), None),  # said in June
    ("i work for Acme as a contract dev, contract runs until march 31 2027",
     date(2027, 3, 31), None),
    ("I live in Leeds until June", date(2026, 6, 1), date(2026, 6, 30)),
])
def test_an_end_said_of_what_holds_now(text: str, until: date, until_latest: date | None
                                       ) -> None:
    (fact,) = extract(text, "Alice", "user:alice", AT)
    assert (fact.when, fact.past, fact.until, fact.until_latest) == (
        None, False, until, until_latest)


@pytest.mark.parametrize(("text", "said", "expected"), [
    ("planning a trip to lisbon with lena in april", date(2026, 2, 10), date(2026, 4, 1)),
    ("acme extended my contract to june 30", date(2026, 2, 10), date(2026, 6, 30)),
    ("I work for Acme until March 31", date(2026, 6, 10), date(2027, 3, 31)),
    ("the wedding got moved to May", date(2026, 6, 10), date(2027, 5, 1)),
    # what was done stays where it was
    ("I lived in Leeds until March", date(2026, 6, 10), date(2026, 3, 1)),
    ("I moved to Oslo in May", date(2026, 6, 10), date(2026, 5, 1)),
    ("I was planning a trip in April", date(2026, 6, 10), date(2026, 4, 1)),
    # (the reviews) an end or a deadline ahead
    ("I work at Acme until Friday", date(2026, 1, 20), date(2026, 1, 23)),
    ("my appointment got moved to Friday", date(2026, 1, 20), date(2026, 1, 23)),
    ("Fiona wants a full draft by March", date(2026, 1, 20), date(2026, 3, 1)),
    # what was done stays where it was
    ("I lived there until Friday", date(2026, 1, 20), date(2026, 1, 16)),
    ("by March I had finished", date(2026, 1, 20), date(2025, 3, 1)),
])
def test_dates_of_what_is_to_come(text: str, said: date, expected: date) -> None:
    (mention,) = resolve_dates(text, said)
    assert mention.date == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a correction said with an opener, or "not" after the age
    ("oops Leo is actually 5", {("age", "5")}),
    ("sorry, Leo is 5 not 4", {("age", "5")}),
    ("sorry i made a mistake, Leo is 5 not 4", {("age", "5")}),
    ("My bad, Tom lives in Leeds", {("city", "Leeds")}),
    # a relative with their household: where the relative lives
    ("my son and his wife moved to Vancouver last month", {("son's city", "Vancouver")}),
    ("My sister and her husband live in Leeds", {("sister's city", "Leeds")}),
    ("my son and his wife are lovely", set()),
    # a home said with a comparative
    ("I moved into a smaller flat in Alicante", {("city", "Alicante")}),
    # an age after the name, past a full stop
    ("hey, im Theo. 29, freelance dev, mostly react and node stuff",
     {("name", "Theo"), ("age", "29")}),
    ("I'm Dana. 12 people came.", {("name", "Dana")}),
    ("I'm Sam. 45 minutes late", {("name", "Sam")}),
])
def test_more_shapes(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize("text", [
    "i sing in the church choir every thursday", "we rehearse tuesdays",
    "choir practice moved from thursdays to wednesdays now", "I go swimming on Mondays",
    "every other Monday we have book club",
])
def test_a_weekday_of_a_habit_is_no_date(text: str) -> None:
    assert resolve_dates(text, date(2026, 1, 1)) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("I proposed to Lena last weekend and she said yes", {("fiancé's name", "Lena")}),
    ("I proposed to Lena but she said no", set()),
    ("lena is my fiancée now", {("fiancé's name", "Lena")}),
    # a word shouted in capitals leaves a turn typed in lower case
    ("OMG my sister jess is a dentist now", {("sister's name", "Jess"), ("job", "dentist")}),
])
def test_engagements_and_shouting(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a name that is also an app's, after the relation, followed by no statement of them
    ("i owe my brother Max 300 euros", {("brother's name", "Max")}),
    ("Met my brother Max for lunch", {("brother's name", "Max")}),
    ("I watch Max with my brother", set()),
])
def test_max_is_a_name_after_the_relation(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


def test_a_tie_does_not_begin_after_it_is_told() -> None:
    said = datetime(2026, 1, 5, 12, tzinfo=UTC)
    (name,) = [e for e in extract("my daughter Elena's birthday is 14 february", "Alice",
                                  "user:alice", said) if e.attribute == "daughter's name"]
    assert name.when is None  # (was 14 February 2026: the daughter from next month)


@pytest.mark.parametrize(("text", "expected"), [
    ("Ella has a nut allergy", {("Ella", "allergy", "nut")}),
    ("My daughter Ella has a peanut allergy",
     {("Alice", "daughter's name", "Ella"), ("Ella", "allergy", "peanut")}),
    ("Mum has a nut allergy", {("Alice", "mother's allergy", "nut")}),
    ("So has a nut allergy", set()),
    ("She has a nut allergy", set()),
])
def test_allergies_of_people_named(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert {(e.subject, e.attribute, e.value)
            for e in extract(text, "Alice", "user:alice", AT)} == expected


@pytest.mark.parametrize(("text", "expected"), [
    # (a review of the change)
    ("Google has a peanut allergy policy", set()),
    ("Apparently has a nut allergy", set()),
    ("Am I glad I moved to Oslo", {("city", "Oslo")}),
    ("Was I surprised when I moved to Oslo", {("city", "Oslo")}),
    ("I'm \u017feventy", set()),  # (a long s: no crash)
])
def test_review_mends(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # (a second fresh-eyes user) the value ends with the name of what it is called
    ("i work part time at a café called Brew Lab on weekends to pay rent",
     {("employer", "a café called Brew Lab")}),
    ("I work at a pub called The Red Lion and I love it",
     {("employer", "a pub called The Red Lion")}),
    # typed in lower case, where the name ends is not told
    ("i work at a cafe called brew lab on weekends",
     {("employer", "a cafe called brew lab on weekends")}),
])
def test_a_place_called_by_name(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I work at Acme through June", {("employer", "Acme")}),
    ("I live in Austin till the end of the year", {("city", "Austin")}),
    ("i work at acme till june", {("employer", "acme")}),
])
def test_through_ends_a_value(text: str, expected: set[tuple[str, str]]) -> None:
    assert read(text) == expected
