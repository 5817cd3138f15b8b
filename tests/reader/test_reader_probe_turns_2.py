"""More turns from the probe of 1,277 chat turns: words that are not the speaker's facts
(a text to translate or write, another person's words about the speaker), numbers that are no
age ("6 months old", "2 years older"), tastes that are none ("I like neither", "week 3 of my
diet"), employers that are none ("I work with Sarah", "I joined Weight Watchers", "I'm at
Heathrow, my work trip got delayed"); and plain facts the rules missed ("I grew up in
Manchester but live in Leeds now", "I was born in Lagos", "Just turned 25", "I've been at
Deloitte for 3 years", "I love going hiking", "Paris is my favourite city", "Not allergic to
cats anymore")."""

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
    "Write a story where I live in Tokyo and work as a chef",
    "How do you say I'm allergic to nuts in French",
    "Tom texted me I live in Bristol now lol",
    "Sarah keeps telling everyone I'm a doctor, I'm not",
    "In another life I live in Paris and work at Chanel",
    "My T-shirt says I love NY",
    "I never said I live in Paris",
    "I've lived in Rome, Paris and Berlin",
    "My son is 6 months old",
    "My sister is 2 years older than me",
    "I'm 7 and a half weeks along",
    "It's not that I don't like sushi",
    "I like neither",
    "I'm into week 3 of my new diet",
    "I hate myself for this",
    "I prefer the first option",
    "I work with Sarah on the marketing team",
    "I work with Python and Go mostly",
    "I work at my own pace",
    "i work for the man",
    "I joined Weight Watchers in January",
    "I joined Mensa lol",
    "I started with Pilates last month",
    "I'm at Heathrow, my work trip got delayed",
    "I'm at Costa, working on my CV",
    "I was born in 1990.",
])
def test_no_fact(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("I grew up in Manchester but live in Leeds now",
     {("Alice", "home town", "Manchester", False), ("Alice", "city", "Leeds", False)}),
    ("I'm Nigerian but live in Houston", {("Alice", "city", "Houston", False)}),
    ("I was born in Lagos", {("Alice", "home town", "Lagos", False)}),
    ("Born in Seoul, raised in LA", {("Alice", "home town", "Seoul", False)}),
    ("I turned 40 in March, still processing", {("Alice", "age", "40", False)}),
    ("Just turned 25 yesterday!", {("Alice", "age", "25", False)}),
    ("my son turned 6 last week", {("Alice", "son's age", "6", False)}),
    ("I'm a nurse based in Leeds",
     {("Alice", "job", "nurse", False), ("Alice", "city", "Leeds", False)}),
    ("I'm an engineer living in Oslo",
     {("Alice", "job", "engineer", False), ("Alice", "city", "Oslo", False)}),
    ("I've been at Deloitte for 3 years", {("Alice", "employer", "Deloitte", False)}),
    ("I've worked at Shell since 2015", {("Alice", "employer", "Shell", False)}),
    ("I got the job at Stripe!!!", {("Alice", "employer", "Stripe", False)}),
    ("I love going hiking", {("Alice", "likes", "hiking", False)}),
    ("I hate being late", {("Alice", "dislikes", "being late", False)}),
    ("I can't stand cilantro, tastes like soap", {("Alice", "dislikes", "cilantro", False)}),
    ("My favorite movie is Up", {("Alice", "favorite movie", "Up", False)}),
    ("Paris is my favourite city", {("Alice", "favorite city", "Paris", False)}),
    ("Dune is my all-time favorite book.", {("Alice", "favorite book", "Dune", False)}),
    ("Not allergic to cats anymore apparently", {("Alice", "allergy", "cats", True)}),
    ("I'm not allergic to penicillin after all, the test was negative",
     {("Alice", "allergy", "penicillin", True)}),
    ("Our dog Pepper is 12 now", {("Alice", "dog's name", "Pepper", False)}),
    ("Just adopted a rescue dog named Pixel!!", {("Alice", "dog's name", "Pixel", False)}),
    ("I'm based out of Nairobi", {("Alice", "city", "Nairobi", False)}),
    ("I call Seattle home now", {("Alice", "city", "Seattle", False)}),
    ("I changed jobs, I'm at Farfetch now", {("Alice", "employer", "Farfetch", False)}),
    ("work's been mad. I'm at Deloitte now, started in April",
     {("Alice", "employer", "Deloitte", False)}),
    ("I told my sister I live in Leeds.", {("Alice", "city", "Leeds", False)}),
])
def test_the_fact_stated(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_text_to_translate_states_nothing() -> None:
    assert facts("Translate: I live in Madrid and I work at a bank") == set()
