"""A review of this session's reader rules, each finding with a repro: severity and number
words stored as allergens ("a serious allergy to nuts": "serious"), a doctor's words read as
another's claim about the speaker, employers lost ("I work for the Army", "I work with
Deloitte", "I'm at Deloitte, working in audit") or made up ("I've been at Heathrow since
Monday", "I got the job at last"), texts to work on that were the user's own facts
("Summarize my week: I moved to Leeds"), a queue place read as an age, someone else's pet
given to the speaker, places read from names that are none, and a quoted nickname run on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


@pytest.mark.parametrize(("text", "expected"), [
    ("I have a serious allergy to nuts.", {("Alice", "allergy", "nuts", False)}),
    ("I have a mild allergy", set()),
    ("I have two allergies", set()),
    ("The doctor told me I'm allergic to penicillin.",
     {("Alice", "allergy", "penicillin", False)}),
    ("My GP told me that I'm allergic to peanuts.", {("Alice", "allergy", "peanuts", False)}),
    ("My allergist says I'm allergic to cats.", {("Alice", "allergy", "cats", False)}),
    ("I already said I live in Leeds.", {("Alice", "city", "Leeds", False)}),
    ("I work for the Army", {("Alice", "employer", "the Army", False)}),
    ("I work at the gym", {("Alice", "employer", "the gym", False)}),
    ("I joined Duolingo as an engineer",
     {("Alice", "employer", "Duolingo", False), ("Alice", "job", "engineer", False)}),
    ("I joined Weight Watchers as a coach",
     {("Alice", "employer", "Weight Watchers", False), ("Alice", "job", "coach", False)}),
    ("Please correct this: I live in Leeds, not York.", {("Alice", "city", "Leeds", False)}),
    ("Summarize my week: I moved to Leeds and started at Acme.",
     {("Alice", "city", "Leeds", False), ("Alice", "employer", "Acme", False)}),
    ("I've been at Heathrow since Monday", set()),
    ("I've been at Deloitte since March 2019", {("Alice", "employer", "Deloitte", False)}),
    ("I got the job at last.", set()),
    ("I'm 3 on the waiting list", set()),
    ("I turned 40 on Sunday", {("Alice", "age", "40", False)}),
    ("My mum got a dog named Rex and a cat named Luna.", set()),
    ("I'm at Heathrow now, my work trip got delayed", set()),
    ("I'm at Deloitte, working in audit", {("Alice", "employer", "Deloitte", False)}),
    ("My job is great, I'm at Stripe", {("Alice", "employer", "Stripe", False)}),
    ("I work with Deloitte", {("Alice", "employer", "Deloitte", False)}),
    ("I work with SQL", set()),
    ("I work with AWS every day", set()),
    ("I moved to the NHS", set()),
    ("I live in the Matrix", set()),
    ("I grew up in the Church", set()),
    ("I live in Hope, British Columbia", {("Alice", "city", "Hope", False)}),
    ("Been working at Acme for years", {("Alice", "employer", "Acme", False)}),
    ('My nickname is "Bubbles" at work', {("Alice", "nickname", "Bubbles", False)}),
    ("Hot Fuzz is my favourite film", {("Alice", "favorite film", "Hot Fuzz", False)}),
    ("The Godfather is my favourite film", {("Alice", "favorite film", "The Godfather", False)}),
    ("Blue is my favourite colour.", {("Alice", "favorite color", "Blue", False)}),
    # a name that ends like an adverb is someone else ("Happily living in Leeds" is the
    # speaker)
    ("Molly moved to Leeds.", {("Molly", "city", "Leeds", False)}),
    ("Emily moved to Leeds last year.", {("Emily", "city", "Leeds", False)}),
    ("Newly based in Leeds", {("Alice", "city", "Leeds", False)}),
    # something left for someone is no employer left; a time after it is
    ("I left Acme a year ago.", {("Alice", "employer", "Acme", True)}),
    ("I left Google a few months back", {("Alice", "employer", "Google", True)}),
])
def test_review_findings(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_a_typed_title_mark_is_kept_as_typed() -> None:
    found = facts("I like \ue0009\ue001 and jazz")
    assert ("Alice", "likes", "jazz", False) in found
