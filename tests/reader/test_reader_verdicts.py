"""Turns that look like facts but judge, joke or quote: "my job is hell" names no job, "I work
for peanuts" no employer, "allergic to Mondays" no allergy, "I'm from Mars" no home town, "I'm
Hungry" no name. And quoted titles, read whole: 'My favorite song is "Hey Jude"' (the quote
mark ended the value before it began), '"Pride and Prejudice"' (split at its "and")."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize("text", [
    "My job is hell.", "My job is hell on earth.", "My city is beautiful in spring.",
    "My car is broken again.", "My salary is a joke.", "my salary is crap tbh",
    "My sister's job is a nightmare right now.", "My brother's car is a wreck.",
    "Mum's car is a wreck.", "My hometown is small.", "My diet is a mess.",
    "My job is a total disaster.",
])
def test_a_verdict_is_no_value(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("My favorite color is blue.", ("Alice", "favorite color", "blue", False)),
    ("My job is nursing.", ("Alice", "job", "nursing", False)),
    ("My favorite season is late autumn.", ("Alice", "favorite season", "late autumn", False)),
    ("My favorite season is early spring.", ("Alice", "favorite season", "early spring", False)),
    ("My favorite band is new order", ("Alice", "favorite band", "new order", False)),
    ("My size is small.", ("Alice", "size", "small", False)),
    ("My diet is vegan.", ("Alice", "diet", "vegan", False)),
    ("My car is a Tesla.", ("Alice", "car", "a Tesla", False)),
])
def test_a_value_that_only_looks_like_one_is_kept(text: str, expected: Fact) -> None:
    assert expected in facts(text)


@pytest.mark.parametrize("text", [
    "I work for peanuts.", "I work for the weekend.", "I work for free these days.",
    "I work for myself.",
])
def test_working_for_no_employer(text: str) -> None:
    assert not any(f[1] == "employer" for f in facts(text))


@pytest.mark.parametrize(("text", "employer"), [
    ("I work for Google.", "Google"), ("I work for a startup.", "a startup"),
    ("I work for the government.", "the government"),
])
def test_working_for_an_employer(text: str, employer: str) -> None:
    assert ("Alice", "employer", employer, False) in facts(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm allergic to Mondays.", set()),
    ("I'm allergic to exercise lol.", set()),
    ("I'm allergic to hard work.", set()),
    ("I'm allergic to Mondays and peanuts.", {("Alice", "allergy", "peanuts", False)}),
    ("I'm allergic to peanuts.", {("Alice", "allergy", "peanuts", False)}),
])
def test_allergies_in_jest(text: str, expected: set[Fact]) -> None:
    assert {f for f in facts(text) if f[1] == "allergy"} == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm from Mars, apparently.", set()),
    ("I'm from outer space lol", set()),
    ("I'm from Lisbon.", {("Alice", "home town", "Lisbon", False)}),
])
def test_no_home_town_off_the_map(text: str, expected: set[Fact]) -> None:
    assert {f for f in facts(text) if f[1] == "home town"} == expected


@pytest.mark.parametrize("text", ["I'm Hungry.", "I'm Bored.", "I'm Exhausted.",
                                  "I'm Starving!", "I'm Stuck."])
def test_how_one_is_is_no_name(text: str) -> None:
    assert not any(f[1] == "name" for f in facts(text))


def test_a_name_is_still_a_name() -> None:
    assert ("Anna", "name", "Anna", False) in facts("I'm Anna, nice to meet you.")


@pytest.mark.parametrize(("text", "expected"), [
    ('My favorite song is "Hey Jude".', {("Alice", "favorite song", "Hey Jude", False)}),
    ("My favourite album is “Rumours”.", {("Alice", "favorite album", "Rumours", False)}),
    ('My favorite movie is "The Matrix" and my favorite book is Dune.',
     {("Alice", "favorite movie", "The Matrix", False),
      ("Alice", "favorite book", "Dune", False)}),
    ('I love "Bohemian Rhapsody" by Queen.',
     {("Alice", "likes", "Bohemian Rhapsody by Queen", False)}),
    ('I love "Pride and Prejudice".', {("Alice", "likes", "Pride and Prejudice", False)}),
    ('I really love "The Office" and "Parks and Recreation".',
     {("Alice", "likes", "The Office", False),
      ("Alice", "likes", "Parks and Recreation", False)}),
])
def test_quoted_titles_are_read_whole(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", ['Can you translate "I live in Berlin" into German?',
                                  'How do I say "I work at Google" in Spanish?'])
def test_words_to_translate_state_nothing(text: str) -> None:
    assert facts(text) == set()
