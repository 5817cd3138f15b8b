"""A clause that ends one fact and states another ("I left Acme and joined Globex", "I
work at Globex now because I quit my job") keeps both; words another person is quoted
saying ("my friend told me 'I live in Paris'") are none of the speaker's facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from memos import MemOS
from memos.cube import Lifecycle
from memos.reader.rules import extract

T1 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
Fact = tuple[str, str, str, bool]


def facts(text: str) -> set[Fact]:
    return {(e.subject, e.attribute, e.value, e.negated)
            for e in extract(text, "Alice", "user:alice", T1)}


LEFT_ACME = ("Alice", "employer", "Acme", True)
QUIT = ("Alice", "employer", "", True)
QUIT_JOB = ("Alice", "job", "", True)  # the title ends with the job left


@pytest.mark.parametrize(("text", "expected"), [
    ("I work at Globex now because I quit my job at Acme.",
     {LEFT_ACME, ("Alice", "employer", "Globex", False)}),
    ("I left Acme and joined Globex last month.",
     {LEFT_ACME, ("Alice", "employer", "Globex", False)}),
    ("I left Acme after I got a job at Globex.",
     {LEFT_ACME, ("Alice", "employer", "Globex", False)}),
    ("I quit my job and started working at Initech.",
     {QUIT, ("Alice", "employer", "Initech", False)}),
    ("I got fired, and then got a job at Initech.",
     {QUIT, ("Alice", "employer", "Initech", False)}),
    ("I got laid off, I'm now at Globex.", {QUIT, ("Alice", "employer", "Globex", False)}),
    ("I quit my job because I moved to Denver.", {QUIT, QUIT_JOB, ("Alice", "city", "Denver", False)}),
    ("I lost my job, so I moved back to Leeds.", {QUIT, QUIT_JOB, ("Alice", "city", "Leeds", False)}),
    ("I quit my job and I'm now a freelance designer.",
     {QUIT, ("Alice", "job", "freelance designer", False)}),
])
def test_a_clause_that_ends_a_fact_still_states_the_rest(text: str, expected: set[Fact]
                                                          ) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # the part without a subject is the father's, not the speaker's
    ("My dad got laid off and joined Globex.", {("Alice", "father's employer", "", True),
                                              ("Alice", "father's job", "", True)}),
    ("I left Acme and she joined Globex.", {LEFT_ACME}),  # hers, in a pronoun
    ("I don't work at Acme and I never joined Globex.", {LEFT_ACME}),
    ("I don't work at Acme and never joined Globex.", {LEFT_ACME}),
    ("I quit my job and might join Globex.", {QUIT, QUIT_JOB}),  # a plan
])
def test_the_rest_of_a_negating_clause_states_only_the_speakers_facts(
        text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


@pytest.mark.parametrize("text", [
    "My friend told me 'I live in Paris'.",
    '"I work at Google," she said.',
    "\u201cI moved to Rome!\u201d my mom texted.",
    'My mom texted: "I moved to Rome!"',
    "She's like 'I'm allergic to cats' lol",
    "Tom wrote \u2018I'm a nurse now\u2019 on his profile.",
    'My favorite song is "I Will Survive" she said.',  # hers, all of it
])
def test_another_persons_quoted_words_are_not_the_speakers(text: str) -> None:
    assert facts(text) == set()


@pytest.mark.parametrize(("text", "expected"), [
    ("I told him 'I live in Paris now'.", {("Alice", "city", "Paris", False)}),
    ('I said "I\'m a nurse" and he laughed.', {("Alice", "job", "nurse", False)}),
    ("My husband's like 'we moved to Oslo for the kids' but I live in Bergen.",
     {("Alice", "city", "Bergen", False)}),
    ("My boss keeps saying 'I live at work'. I live in Leeds.",
     {("Alice", "city", "Leeds", False)}),
])
def test_the_speakers_own_words_around_a_quote_stay(text: str, expected: set[Fact]) -> None:
    assert facts(text) == expected


def test_left_and_joined_in_one_clause_moves_the_employer(mem: MemOS) -> None:
    [acme] = mem.ingest([{"role": "user", "content": "I work at Acme."}], "alice",
                        session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "I left Acme and joined Globex."}],
                        "alice", session_id="s2", at=T2)
    assert mem.get(acme, "alice").state == Lifecycle.SUPERSEDED
    live = [h.cube.content for h in mem.search("employer", "alice", kind="fact")]
    assert live == ["Alice's employer is Globex."], (live, report)


def test_a_quoted_friend_moves_nobody(mem: MemOS) -> None:
    [lisbon] = mem.ingest([{"role": "user", "content": "I live in Lisbon."}], "alice",
                          session_id="s1", at=T1).facts
    report = mem.ingest([{"role": "user", "content": "My friend texted me 'I moved to Rome!'"}],
                        "alice", session_id="s2", at=T2)
    assert report.facts == [] and report.superseded == []
    assert mem.get(lisbon, "alice").state == Lifecycle.ACTIVE
