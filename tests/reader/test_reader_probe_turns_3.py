"""The probe's turns, third pass: "my X is <a state>" in more shapes ("parked outside", "the
worst day of the year", "my team is losing again"), what follows "my son" that is no name
("OMG", "Netflix-binged"), a leaving that leaves no employer ("I left Sarah a voicemail", "I
quit Twitter"), places that are organisations or stages ("the Ministry of Health", "Spotify's
design team", "Level 5 in Duolingo"), and the edges of listed values ("both cats and dogs",
"nuts, eggs, etc.", "love love love sushi", "dogs more than people")."""

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
    "My birthday is the worst day of the year", "My birthday is the same day as Beyoncé's",
    "My email is blowing up today", "My car is parked outside", "My car is covered in snow",
    "My car is due for an MOT", "My car is literally falling apart",
    "My job is the only thing keeping me sane", "My job is paying for the trip",
    "My school is closed tomorrow", "My team is understaffed again",
    "My team is losing 3-0 ffs", "My diet is ruined after this weekend",
    "My favorite restaurant is closing :(", "My favorite team is losing again",
    "My passport is expired", "My size is none of your business", "My major is undeclared",
    "My son OMG he's so cheeky", "My sister Netflix-binged all weekend",
    "My husband Amazon Primed a new grill", "My girlfriend is Hilarious, honestly",
    "I left Sarah a voicemail", "I left Amazon a review", "I quit Twitter",
    "I quit Netflix", "I'm from the Ministry of Health", "I'm from Accounts",
    "im from a big family", "I'm from Generation X",
    "I moved to Spotify's design team last month", "I moved to Level 5 in Duolingo",
    "i moved to the couch lol", "i moved to a new desk at work",
    "I moved to Chapter 3 of my thesis finally", "I like the idea of moving to Spain",
    "I love the way Lisbon looks at sunset", "I'm a fan of whatever works",
])
def test_no_fact(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    # an age in words (read since session 47), not a name
    ("I'm Fifty!", {("Alice", "age", "50", False)}),
    ("My company is called Brightwave", {("Alice", "employer", "Brightwave", False)}),
    ("My band is called The Wrecks", {("Alice", "band", "The Wrecks", False)}),
    ("My favorite color is probably green", {("Alice", "favorite color", "green", False)}),
    ("My cuisine is mostly Italian", {("Alice", "cuisine", "Italian", False)}),
    ("My hobby is painting", {("Alice", "hobby", "painting", False)}),
    ("My hobby is working out", {("Alice", "hobby", "working out", False)}),
    ("My favourite food is pudding", {("Alice", "favorite food", "pudding", False)}),
    ("My favorite season is early spring.", {("Alice", "favorite season", "early spring", False)}),
    ("My job is teaching English", {("Alice", "job", "teaching English", False)}),
    ("I left Acme for Globex", {("Alice", "employer", "Acme", True)}),
    ("I no longer work at Amazon thank god", {("Alice", "employer", "Amazon", True)}),
    ("Newly based in Leeds", {("Alice", "city", "Leeds", False)}),
    ("My sister Mary-Jane lives in Leeds.",
     {("Alice", "sister's name", "Mary-Jane", False), ("Mary-Jane", "city", "Leeds", False)}),
    ("I moved to the UK in 2019.", {("Alice", "city", "the UK", False)}),
    ("I live at 221B Baker Street.", {("Alice", "address", "221B Baker Street", False)}),
    ("i moved to leeds", {("Alice", "city", "Leeds", False)}),
    ("I'm allergic to both cats and dogs",
     {("Alice", "allergy", "cats", False), ("Alice", "allergy", "dogs", False)}),
    ("I'm allergic to wasps, bees and apparently hornets too",
     {("Alice", "allergy", "wasps", False), ("Alice", "allergy", "bees", False),
      ("Alice", "allergy", "hornets", False)}),
    ("I'm allergic to nuts, eggs, etc.",
     {("Alice", "allergy", "nuts", False), ("Alice", "allergy", "eggs", False)}),
    ("I love love love sushi", {("Alice", "likes", "sushi", False)}),
    ("I love dogs more than people honestly", {("Alice", "likes", "dogs", False)}),
])
def test_the_fact_stated(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I live in NYC 🗽", {("Alice", "city", "NYC", False)}),
    ("I love sushi 🍣🍣", {("Alice", "likes", "sushi", False)}),
    ("I'm really into Formula 1 at the moment", {("Alice", "likes", "Formula 1", False)}),
    ("I work at Starbucks part time while studying", {("Alice", "employer", "Starbucks", False)}),
    ("I grew up in Hong Kong and moved to Vancouver at 12",
     {("Alice", "home town", "Hong Kong", False), ("Alice", "city", "Vancouver", False)}),
    ("my fave food is ramen", {("Alice", "favorite food", "ramen", False)}),
    ("I'm a part-time teacher", {("Alice", "job", "part-time teacher", False)}),
    ("I love Disney+", {("Alice", "likes", "Disney+", False)}),
])
def test_value_edges(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected
