"""Classes of phrasing the blind reader corpus E (2026-12-05, written from the docs alone)
found unread, each tested in forms beyond the corpus's own sentences: a subjectless clause
after a comma in a clause of the speaker's, a manner word between "work" and "for", an
opener before "X is my brother", a relative's name typed in lower case, "already" before
"have a cat, Mochi", a trailing "apparently", a place typed in lower case after a job or
before "from", ", as a <job>" after an employer, "changed my email" with no subject,
"I've been a <job> for <time>", and a quote after "keeps telling me"."""

from __future__ import annotations

import pytest

from tests.reader.helpers import said


@pytest.mark.parametrize(("text", "expected"), [
    # a clause with no subject after a comma, when the clause's subject is the speaker
    ("I'm a single mum, work as a nurse at Hospital de Santa Maria",
     {("Alice", "job", "nurse"), ("Alice", "employer", "Hospital de Santa Maria")}),
    ("I'm tired, work as a nurse at Acme",
     {("Alice", "job", "nurse"), ("Alice", "employer", "Acme")}),
    ("hey there, im tomasz, just moved to leeds from krakow last month for work",
     {("Tomasz", "name", "Tomasz"), ("Alice", "city", "Leeds"),
      ("Alice", "city (past)", "Krakow")}),
    ("I'm Tom, and live in Oslo", {("Tom", "name", "Tom"), ("Alice", "city", "Oslo")}),
    ("I'm 34, live in Leeds", {("Alice", "age", "34"), ("Alice", "city", "Leeds")}),
    ("I'm French, from Nantes.", {("Alice", "home town", "Nantes")}),
    # how one works, between "work" and "for"
    ("I work remotely for Mollie, a payments company", {("Alice", "employer", "Mollie")}),
    ("I work part-time at Lidl", {("Alice", "employer", "Lidl")}),
    ("I work from home for Acme", {("Alice", "employer", "Acme")}),
    # an opener before "X is my brother", in either case
    ("So Mike is my brother", {("Alice", "brother's name", "Mike")}),
    ("btw mike is my brother", {("Alice", "brother's name", "Mike")}),
    ("so mike is my brother, he's a plumber in derby",
     {("Alice", "brother's name", "Mike"), ("Mike", "job", "plumber")}),
    # a relative's or a pet's name typed in lower case
    ("my sister's name is rachel", {("Alice", "sister's name", "Rachel")}),
    ("and my sisters name is rachel, she lives in nottingham",
     {("Alice", "sister's name", "Rachel"), ("Rachel", "city", "Nottingham")}),
    ("my dogs name is biscuit lol", {("Alice", "dog's name", "Biscuit")}),
    ("our cat is called mochi", {("Alice", "cat's name", "Mochi")}),
    # "already" / "still" before "have a <pet>, <Name>"
    ("and we already have a cat, Mochi, who is NOT impressed lol",
     {("Alice", "cat's name", "Mochi")}),
    ("We still have a dog called Rex", {("Alice", "dog's name", "Rex")}),
    # a hedge after the value is not part of it
    ("Biscuit is allergic to chicken apparently", {("Biscuit", "allergy", "chicken")}),
    ("I live in Leeds supposedly", {("Alice", "city", "Leeds")}),
    ("I'm allergic to wasps, bees and apparently hornets too",
     {("Alice", "allergy", "wasps"), ("Alice", "allergy", "bees"),
      ("Alice", "allergy", "hornets")}),
    # a place typed in lower case ends where "from" or "in" starts
    ("i moved to leeds from krakow", {("Alice", "city", "Leeds"),
                                      ("Alice", "city (past)", "Krakow")}),
    ("i live in leeds with my sister", {("Alice", "city", "Leeds")}),
    ("mike is a plumber in derby", {("Mike", "job", "plumber")}),
    ("i work as a plumber in derby", {("Alice", "job", "plumber")}),
    # ", as a <job>" after the employer
    ("for real though I work at Zalando, as a backend developer",
     {("Alice", "employer", "Zalando"), ("Alice", "job", "backend developer")}),
    # a change said with no subject
    ("changed my email, the new one is olivia.h@proton.me",
     {("Alice", "email", "olivia.h@proton.me")}),
    ("btw just updated my number: 07700 900123", {("Alice", "phone number", "07700 900123")}),
    # "I've been a <job> for <time>" / "since ...": the job now
    ("Ive been a paramedic for 8 years so", {("Alice", "job", "paramedic")}),
    ("I've been a nurse since 2015", {("Alice", "job", "nurse")}),
    ("I've been a teacher for over a decade", {("Alice", "job", "teacher")}),
    ("I've been a software engineer at Google for 3 years",
     {("Alice", "job", "software engineer"), ("Alice", "employer", "Google")}),
])
def test_read(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert said(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # the comma rule needs a short clause saying what the speaker is, and then where one
    # lives or works (a review's examples: each gave the speaker a home town, city or
    # employer)
    ("My sister is a nurse, works at Acme", {("Alice", "sister's job", "nurse")}),
    ("I love Leeds, moved there in 2019", {("Alice", "likes", "Leeds")}),
    ("I bought a rug, from Morocco.", set()),
    ("I met a woman at the gym, from Brazil.", set()),
    ("I visited my cousin, just moved to Madrid.", set()),
    ("I saw Tom yesterday, moved to Leeds last year apparently.", set()),
    ("I'm in Paris this week, from Monday to Friday.", set()),
    ("I'm free, from Monday to Friday.", set()),
    ("I know someone, working at Apple.", set()),
    ("I'm at the office, working at the front desk.", set()),
    ("I'm so happy for my sister, just moved to Madrid", set()),
    ("I'm visiting my cousin, just moved to Madrid", set()),
    ("my brother's name is long", set()),
    ("my sister's name is unusual lol", set()),
    # lower-case words that say how a name is, or a field after "in"
    ("my sister's name is complicated", set()),
    ("im a lecturer in law", set()),
    ("im a nurse in training", set()),
    # "been a ..." with no time, or no job
    ("I've been a nurse", set()),
    ("I've been a bit of a mess for weeks", set()),
    ("I've been a vegetarian for 10 years", set()),
    ("I've been a member for 3 years", set()),
    # another's words, quoted
    ("my friend keeps telling me 'I live in Paris now, you have to visit' and honestly I "
     "might", set()),
    ("my mum kept saying 'I work at Google' lol", set()),
    # no change of the speaker's
    ("changed my mind, I hate it", set()),
    ("Sam changed my email to x@y.com", set()),
    # ", as ..." that names no job
    ("I work at Zalando, as a team we ship weekly", {("Alice", "employer", "Zalando")}),
])
def test_not_read_beyond_what_is_said(text: str, expected: set[tuple[str, str, str]]) -> None:
    assert said(text) == expected
