"""Everyday turns that state no fact, from a precision probe of the rules (~330 such turns):
sayings about things ("Coffee is my best friend", "I'm married to Netflix"), judgements
("my dad is a terrible driver"), apps and tools moved to or joined ("we moved to Linear", "I
joined Strava"), "I'm like ...", idioms ("I've gone off the idea"), denials that deny
nothing ("allergic to cats, not to mention dust"), turns taken back ("lol jk"), and chatty
follow-ups that are no corrections ("Wait, it's Friday", after "I'm allergic to peanuts",
ended the allergy)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str, previous: str | None = None) -> set[Fact]:
    prev = extract(previous, "Alice", "user:alice", T1) if previous else []
    return {(e.subject, e.attribute + (" (past)" if e.past else ""), e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1, previous=prev)}


@pytest.mark.parametrize("text", [
    "Coffee is my best friend.", "Wine is my therapist.", "Karma is my boyfriend, karma is a god",
    "Jesus is my friend", "Obviously Tom is my friend", "ChatGPT is my therapist, don't judge",
    "I'm married to Netflix at this point", "I'm married to Excel spreadsheets",
    "I'm married to Sam's cousin.",
    "my dad is a terrible driver", "my husband is a backseat driver", "my boss is a slave driver",
    "my daughter is a budding artist", "my mum is a natural teacher", "my dog is a terrible guard",
    "I joined Strava to track my runs", "I joined Twitter in 2009",
    "we moved to Linear and it's so much better", "I moved from Spotify to Apple Music",
    "I moved from iPhone to Android", "we moved from Slack to Teams last month",
    "I moved from Windows to Mac finally", "I moved from night shift to Days",
    "I moved from marketing to Sales", "I moved from being a lurker to Posting",
    "I'm like whatever", "I'm like 5 minutes away", "I'm like a kid in a candy store",
    "I've gone off the idea", "I've gone off track", "I've gone off the rails this week",
    "I quit my job lol jk", "my sister is a doctor lol no she isn't",
])
def test_no_fact(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm allergic to cats, not to mention dust", {("Alice", "allergy", "cats", False)}),
    ("I'm allergic to bees, not kidding", {("Alice", "allergy", "bees", False)}),
    ("I'm allergic to nuts, but not badly", {("Alice", "allergy", "nuts", False)}),
    ("I'm allergic to dogs, not people", {("Alice", "allergy", "dogs", False)}),
    ("I've started to love Mondays, weirdly", {("Alice", "likes", "Mondays", False)}),
    ("I'm not kidding, I live in Leeds now.", {("Alice", "city", "Leeds", False)}),
])
def test_only_what_is_said(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Ana is my sister.", {("Alice", "sister's name", "Ana", False)}),
    ("Bob is my uncle.", {("Alice", "uncle's name", "Bob", False)}),
    ("I'm married to Sam and we live in York.",
     {("Alice", "spouse's name", "Sam", False), ("Alice", "city", "York", False)}),
    ("My dad is a retired pilot.", {("Alice", "father's job", "retired pilot", False)}),
    ("I joined Facebook as a software engineer in 2015.",
     {("Alice", "employer", "Facebook", False)}),
    ("I joined Acme last month.", {("Alice", "employer", "Acme", False)}),
    # (the place before: a fact told as the past, tests/reader/test_reader_past_facts.py)
    ("I moved from London to Berlin.", {("Alice", "city", "Berlin", False),
                                        ("Alice", "city (past)", "London", False)}),
    ("We moved from New York City to Los Angeles.", {
        ("Alice", "city", "Los Angeles", False), ("Alice", "city (past)", "New York City", False)}),
    ("I like jazz.", {("Alice", "likes", "jazz", False)}),
    ("I've gone off sushi.", {("Alice", "dislikes", "sushi", False)}),
])
def test_still_read(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("previous", ["I live in Leeds.", "I'm allergic to peanuts.",
                                      "I love hiking.", "I'm married to Sam.",
                                      "My favorite color is green.", "My birthday is on 3 May.",
                                      "I'm 34 years old"])
@pytest.mark.parametrize("text", [
    "Wait, it's Friday", "wait, it's Friday?", "oops, it's late", "Actually it's raining",
    "Actually it's fine, don't worry", "Sorry, it's my bad", "no, it's Sam's",
    "Actually it's cats too", "oops it's 2am", "wait it's snowing!!", "I mean Spotify",
    "no I mean the blue one", "Sorry, I meant Tuesday", "actually it's 40 degrees here",
    "Sorry I mean 2", "Hmm, it's a long story", "wait, that's Tom's birthday",
])
def test_chatty_follow_ups_are_no_corrections(previous: str, text: str) -> None:
    assert facts(text, previous) == set()
