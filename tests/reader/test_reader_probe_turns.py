"""Everyday turns from a probe of the rules (1,277 chat turns): what they stored wrongly (a
nationality as the speaker's name, "my birthday is coming up" as a birthday, "I'm a terrible
cook" as a job, "My husband Googled it" as his name, "i live in fear of spiders" as a city,
"Been living in Tokyo" as Been's city) and what they missed (an allergy said with how bad it
is or as a noun, a place named with "the", an adverb between "I" and the verb)."""

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
    # what one is, with a capital letter: no name
    "I'm Catholic", "I'm Australian", "I'm Autistic.", "I'm Pisces.", "I'm Engaged!!!",
    "I'm Gluten Free", "I'm Dr. Okafor's patient", "my name is not important",
    # "my X is <a state or an event>"
    "My birthday is coming up!", "My birthday is soon, any gift ideas?",
    "My email is full again", "My car is making a weird noise", "My job is remote",
    "My company is based in Dublin", "My address is private",
    # a trait, a habit, a past: no job
    "I'm a terrible cook", "I'm a careful driver", "I'm an avid hiker",
    "I'm the designated driver tonight", "I'm a former teacher", "I'm a recovering lawyer lol",
    # a word in capitals or a verb after "my <relative>": no name
    "My mom LOVES that show", "My dad FINALLY retired!",
    "My husband Googled it and now he's panicking", "My wife FaceTimed her mum for two hours",
    "I told my sister Netflix is raising prices",
    # sayings about where one lives
    "i live in fear of spiders", "i live in hope tbh", "i live in my head too much",
    "i live on toast and cereal rn", "my sister lives on coffee and spite",
    # a department, a group, a month: no place
    "I'm in Marketing now after the reorg", "I'm in AA now, 30 days sober",
    "I'm in Accounts Payable, so I can check that invoice", "From June I'm at Google",
    "From Monday I'm at the new office", "I'm from HR, quick question",
    # allergies in jest or to nothing named
    "I'm allergic to capitalism lol", "I'm allergic to something in this room",
    "My wife is allergic to my jokes", "I have seasonal allergies.", "I have a food allergy.",
    "I don't have a peanut allergy.",
])
def test_no_fact(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("Been living in Tokyo for 6 years now", {("Alice", "city", "Tokyo", False)}),
    ("Happily living in Leeds", {("Alice", "city", "Leeds", False)}),
    ("Officially moved to Leeds today", {("Alice", "city", "Leeds", False)}),
    ("I literally live in Denver", {("Alice", "city", "Denver", False)}),
    ("I proudly work for the NHS", {("Alice", "employer", "the NHS", False)}),
    ("I live in the UK", {("Alice", "city", "the UK", False)}),
    ("I live in the Netherlands", {("Alice", "city", "the Netherlands", False)}),
    ("I moved to the US in 2010", {("Alice", "city", "the US", False)}),
    ("I moved to the Bay Area last year", {("Alice", "city", "the Bay Area", False)}),
    ("I'm from the Philippines", {("Alice", "home town", "the Philippines", False)}),
    ("I'm from the Isle of Man.", {("Alice", "home town", "the Isle of Man", False)}),
    ("I grew up in the Midlands", {("Alice", "home town", "the Midlands", False)}),
    ("I moved to the Sales team.", set()),
    ("I live in May Street.", {("Alice", "city", "May Street", False)}),
    ("i live on elm street", {("Alice", "address", "elm street", False)}),
    ("My sister Ana lives in Porto.",
     {("Alice", "sister's name", "Ana", False), ("Ana", "city", "Porto", False)}),
    ("I met my sister Ana the other day.", {("Alice", "sister's name", "Ana", False)}),
    ("My friend JJ is a chef.",
     {("Alice", "friend's name", "JJ", False), ("JJ", "job", "chef", False)}),
])
def test_the_fact_stated(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm mildly allergic to cats", {("Alice", "allergy", "cats", False)}),
    ("I'm severely allergic to bee stings", {("Alice", "allergy", "bee stings", False)}),
    ("I'm deathly allergic to shellfish", {("Alice", "allergy", "shellfish", False)}),
    ("I'm a little allergic to dust", {("Alice", "allergy", "dust", False)}),
    ("Allergic to shellfish btw", {("Alice", "allergy", "shellfish", False)}),
    ("I'm vegetarian and allergic to soy.", {("Alice", "allergy", "soy", False)}),
    ("I have a peanut allergy", {("Alice", "allergy", "peanut", False)}),
    ("I have a severe peanut allergy.", {("Alice", "allergy", "peanut", False)}),
    ("I've got a tree nut allergy", {("Alice", "allergy", "tree nut", False)}),
    ("Got diagnosed with a shellfish allergy last week",
     {("Alice", "allergy", "shellfish", False)}),
    ("I have an allergy to penicillin.", {("Alice", "allergy", "penicillin", False)}),
    ("I have allergies to cats and dogs.",
     {("Alice", "allergy", "cats", False), ("Alice", "allergy", "dogs", False)}),
    ("My son has a peanut allergy.", {("Alice", "son's allergy", "peanut", False)}),
    ("My daughter was diagnosed with a peanut allergy.",
     {("Alice", "daughter's allergy", "peanut", False)}),
    ("my husband's got a shellfish allergy", {("Alice", "husband's allergy", "shellfish", False)}),
])
def test_allergies_said_every_way(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_hedged_noun_allergy_states_nothing() -> None:
    assert facts("If I had a nut allergy I'd know.") == set()
