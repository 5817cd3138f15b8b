"""Life changes said the way a fresh-eyes user said them (session 45), each read now:

- a past workplace said "I was at X" with how long or until when ("before that I was at
  Amazon for 3 years"; not a school, a visit or a short stay);
- "today was my last day at Microsoft" ends the employer (not a last day to come);
- a job "starting last week" keeps its title;
- a like outgrown: "I'm kinda over jazz now", "not a big fan of sushi anymore";
- ages said after the names of a list ("Emma who's 7 and Jake who's 4") or of one named
  ("a son named Noah who is 8");
- a move "over the summer" or "yesterday" keeps the place moved from; "then moved to ...";
- a new address's town is where one lives now, unless the turn before said so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import Referents, extract

AT = datetime(2026, 6, 1, 12, tzinfo=UTC)


def read(text: str, *before: str) -> set[tuple[str, str, str, bool, bool]]:
    ref, prev = Referents(), []
    for turn in (*before, text):
        prev = extract(turn, "Alice", "user:alice", AT, previous=prev, referents=ref)
    return {(e.subject, e.attribute, e.value, e.negated, e.past) for e in prev}


@pytest.mark.parametrize(("text", "expected"), [
    ("before that I was at Amazon for 3 years", {("Alice", "employer", "Amazon", False, True)}),
    ("I was at Deloitte until 2019", {("Alice", "employer", "Deloitte", False, True)}),
    ("my dad was at Ford for 30 years", {("Alice", "father's employer", "Ford", False, True)}),
    ("I was at Tesco earlier", set()),
    ("I was at Google for a week", set()),
    ("I was at Harvard for 4 years", set()),
    ("I was at Leeds University until 2015", set()),
    ("today was my last day at Microsoft", {("Alice", "employer", "Microsoft", True, False)}),
    ("Friday was my last day with Acme", {("Alice", "employer", "Acme", True, False)}),
    ("my last day at Acme was yesterday", {("Alice", "employer", "Acme", True, False)}),
    ("My last day at Acme is next Friday", set()),
    ("today was my last day at school", set()),
    ("big news, i got a job at Kaiser as a charge nurse starting last week",
     {("Alice", "employer", "Kaiser", False, False), ("Alice", "job", "charge nurse", False, False)}),
    ("honestly I'm kinda over jazz now, been listening to a lot of hip hop",
     {("Alice", "likes", "jazz", True, False)}),
    ("I'm so over reality TV", {("Alice", "likes", "reality TV", True, False)}),
    ("not a big fan of sushi anymore tbh", {("Alice", "likes", "sushi", True, False)}),
    ("I'm over the moon", set()),
    ("I'm over it", set()),
    ("I'm over 40", set()),
    ("I'm totally over my ex", set()),
    ("my wife Sarah and I have two kids, Emma who's 7 and Jake who's 4",
     {("Alice", "wife's name", "Sarah", False, False), ("Alice", "kid's name", "Emma", False, False),
      ("Emma", "age", "7", False, False), ("Alice", "kid's name", "Jake", False, False),
      ("Jake", "age", "4", False, False)}),
    ("We have two kids, Emma (7) and Jake (4)",
     {("Alice", "kid's name", "Emma", False, False), ("Emma", "age", "7", False, False),
      ("Alice", "kid's name", "Jake", False, False), ("Jake", "age", "4", False, False)}),
    ("I have a son named Noah who is 8",
     {("Alice", "son's name", "Noah", False, False), ("Noah", "age", "8", False, False)}),
    ("my dog Rex who is 5 is cute", {("Alice", "dog's name", "Rex", False, False)}),
    ("we moved from Dallas to Austin over the summer",
     {("Alice", "city", "Dallas", False, True), ("Alice", "city", "Austin", False, False)}),
    ("we moved from Dallas to Austin yesterday",
     {("Alice", "city", "Dallas", False, True), ("Alice", "city", "Austin", False, False)}),
    ("I moved from Paris to Rome for a week", set()),  # a stay: neither
    ("I worked at the bakery over the summer", set()),
    ("then moved to Austin in 2019", {("Alice", "city", "Austin", False, False)}),
    ("my new address is 45 Pine Ave, Seattle",
     {("Alice", "address", "45 Pine Ave, Seattle", False, False),
      ("Alice", "city", "Seattle", False, False)}),
    # an address alone changes no city (the sets' convention: a number makes it an address)
    ("My address is 14 Elm Road, Leeds LS6 2AB",
     {("Alice", "address", "14 Elm Road, Leeds LS6 2AB", False, False)}),
])
def test_read(text: str, expected: set[tuple[str, str, str, bool, bool]]) -> None:
    assert read(text) == expected


def test_a_new_address_restates_no_city_the_turn_before_said() -> None:
    assert read("My new address is 14 Rue des Lilas, 69003 Lyon", "I moved to Lyon in March") \
        == {("Alice", "address", "14 Rue des Lilas, 69003 Lyon", False, False)}


@pytest.mark.parametrize("text", [
    # what a review and an old-vs-new probe of 1,673 sentences found read wrongly at first
    "I'm over budget this month", "I'm over the flu", "I'm over excited", "I'm over tired today",
    "I'm over qualified for this job", "I'm over six feet tall", "I'm over the hill lol",
    "i think today was my last day at Uber, maybe",
    "today was my last day at Shopify before my holiday",
    "Friday was my last day at Acme before my maternity leave, back in June",
    "Today was my last day at Acme for two weeks, off to Spain!",
    "today was my last day at Starbucks as a customer lol", "today was my last day at Harvard",
    "I was at London for 3 years", "I was at Glastonbury for 5 years in a row",
    "I was at Lincoln High for 4 years", "I was at Mount Sinai for two months after the accident",
    "Found a job at Tesco for my son",
])
def test_no_fact_of_these(text: str) -> None:
    assert read(text) == set()


def test_an_age_in_months_is_no_age_in_years() -> None:
    assert read("I have 2 kids, Emma who's 7 and Jake who's 14 months") == {
        ("Alice", "kid's name", "Emma", False, False), ("Emma", "age", "7", False, False),
        ("Alice", "kid's name", "Jake", False, False)}
    assert read("I have a son named Noah who is 8 next month") == {
        ("Alice", "son's name", "Noah", False, False)}


def test_a_sushi_outgrown_is_one_like() -> None:
    assert read("I'm so over sushi, ate too much of it") == {
        ("Alice", "likes", "sushi", True, False)}


@pytest.mark.parametrize(("text", "expected"), [
    ("moved from Porto to Boston over the summer for a month", set()),
    ("I moved from Paris to Lyon over the summer and moved back in September",
     {("Alice", "city", "Lyon", False, False)}),
    ("My new address is 5 Elm St, New York, NY",
     {("Alice", "address", "5 Elm St, New York, NY", False, False),
      ("Alice", "city", "New York", False, False)}),
])
def test_stays_and_towns(text: str, expected: set[tuple[str, str, str, bool, bool]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a stay is no home, "then" or not (a review's finding of the new "then" lead)
    ("then moved to Berlin for a month", set()),
    ("I moved to Berlin for a month", set()),
    ("I moved back to Leeds", {("Alice", "city", "Leeds", False, False)}),
    ("we moved to Leeds for a couple of years", {("Alice", "city", "Leeds", False, False)}),
    # a time in figures ends the value ("Berlin 2" before)
    ("I moved to Berlin 2 years ago", {("Alice", "city", "Berlin", False, False)}),
    ("I started at Google 3 months ago", {("Alice", "employer", "Google", False, False)}),
    ("I work at 3M", {("Alice", "employer", "3M", False, False)}),
])
def test_stays_and_times(text: str, expected: set[tuple[str, str, str, bool, bool]]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a like outgrown without how much, said as a change; a job of months; a new job found
    ("i'm over coffee tbh", {("Alice", "likes", "coffee", True, False)}),
    ("I'm over jazz now", {("Alice", "likes", "jazz", True, False)}),
    ("I'm so over dating", {("Alice", "likes", "dating", True, False)}),
    ("I'm over running today, my legs hurt", set()),
    ("I'm over the flu now", set()),
    ("I was at Stripe for 6 months", {("Alice", "employer", "Stripe", False, True)}),
    ("found a new job with Barclays", {("Alice", "employer", "Barclays", False, False)}),
])
def test_changes_said_otherwise(text: str, expected: set[tuple[str, str, str, bool, bool]]) -> None:
    assert read(text) == expected
