"""Questions nothing stored answers, and phrasings of questions about the user.

Before, a question that maps to one (subject, attribute) with no fact for it was answered
with whatever turn a search ranked first: "How old am I?" after "I live in Lisbon." quoted
"you said: I live in Lisbon.", "What am I allergic to?" quoted the son's allergy as if it
were the user's. Now a turn is quoted only when it speaks of the attribute (its words, the
words people say it with, an occupation for a job) and of the subject (the user in the
first person, a relative by relation or name, anyone else by name); else the reply says
nothing is remembered about it ("I don't have anything about that yet."). "Who am I married to?", "where's home for me?" and "what do
you know about me?" were not read as questions about the user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memos import MemOS
from memos.assistant import Assistant
from memos.reader import questions
from memos.reader.questions import canonical_question

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _tell(mem: MemOS, user: str, texts: list[str]) -> None:
    """Each text said in a session of its own, one a day from START."""
    for i, text in enumerate(texts):
        mem.ingest([{"role": "user", "content": text, "at": START + timedelta(days=i)}], user,
                   session_id=f"{user}-{i}")


def _ask(mem: MemOS, question: str, backend: Any = "extractive", user: str = "alice") -> Any:
    return Assistant(mem, user, backend=backend, learn=False).reply(question)


@pytest.mark.parametrize(("said", "question", "unknown"), [
    ("I live in Lisbon.", "How old am I?", "Alice's age"),
    ("My sister Ana works at Google.", "Where does my brother work?", "Alice's brother's employer"),
    ("My son is allergic to peanuts.", "What am I allergic to?", "Alice's allergy"),
    ("I think my son is allergic to peanuts.", "What am I allergic to?", "Alice's allergy"),
    ("I live in Lisbon.", "How old is my brother?", "Alice's brother's age"),
    ("My brother Tom lives in Leeds.", "What's Tom's number?", "Tom's phone number"),
    ("My favourite food is laksa.", "What's my address?", "Alice's address"),
])
@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_an_unrelated_turn_is_not_quoted(store_path: str, backend: Any, said: str,
                                         question: str, unknown: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["Hi there!", said])
        reply = _ask(mem, question, backend)
        assert reply.backend == "extractive", reply
        assert reply.text == "I don't have anything about that yet.", reply.text
        assert reply.memories == [], reply.memories
        assert reply.question == f"What is {unknown}?", reply.question
        if backend == "auto":
            assert reply.route == f"no stored fact answers {reply.question!r}", reply.route


@pytest.mark.parametrize(("said", "question", "quoted"), [
    # the reader reads no fact from these: the turn is what answers
    (["My son and I are both allergic to peanuts."], "What am I allergic to?", "peanuts"),
    (["I'm a physiotherapist at a sports clinic."], "What do I do for work?",
     "physiotherapist"),
    # (read since as Jack's age: the fact answers, with the same number)
    (["My brother Jack just turned 30."], "How old is my brother?", "30"),
    (["I'm married to Tom."], "Who am I married to?", "Tom"),
    (["I was born in the spring of 1990."], "How old am I?", "1990"),
    # an ended value: quoted with what ended it
    (["I work at Acme.", "I left Acme."], "Where do I work?", "I left Acme"),
    # not a question about one fact: quoted as before
    (["Last Friday I ran my first half marathon."],
     "When did I run my first half marathon?", "half marathon"),
])
def test_a_turn_that_speaks_of_it_is_still_quoted(store_path: str, said: list[str],
                                                  question: str, quoted: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon.", *said])
        reply = _ask(mem, question)
        assert quoted in reply.text, reply.text
        assert "Lisbon" not in reply.text, reply.text
        assert "don't have anything" not in reply.text, reply.text


def test_relevant_words() -> None:
    assert questions.mentions_attribute({"i", "turned", "40"}, "age")
    assert questions.mentions_attribute({"allergies"}, "allergy")
    assert questions.mentions_attribute({"she", "works", "there"}, "brother's employer")
    assert questions.mentions_attribute({"a", "physiotherapist"}, "job")
    assert not questions.mentions_attribute({"i", "live", "in", "lisbon"}, "age")
    assert not questions.mentions_attribute({"my", "favourite", "food"}, "address")


@pytest.mark.parametrize("question", [
    "Who am I married to?", "who did I marry?", "Do you know who I'm married to?",
    "Who's my other half?", "What is the name of my spouse?", "who is my spouse?"])
def test_spouse_phrasings(question: str) -> None:
    cq = canonical_question(question, "Alice")
    assert cq is not None and cq.question == "What is Alice's spouse's name?", cq


@pytest.mark.parametrize("question", [
    "Where's home for me?", "where is home?", "What city do I call home?",
    "Where do I call home these days?", "What's my home city?"])
def test_home_phrasings(question: str) -> None:
    cq = canonical_question(question, "Alice")
    assert cq is not None and cq.question == "What is Alice's city?", cq


def test_other_questions_keep_their_meaning() -> None:
    for question, meant in [("Where am I from?", "home town"), ("What's my home town?",
                                                                 "home town"),
                            ("Who is my wife?", "wife's name"), ("Who am I?", "name"),
                            ("where is home for my sister?", "sister's city")]:
        cq = canonical_question(question, "Alice")
        assert cq is not None and cq.attribute == meant, (question, cq)
    assert canonical_question("Who am I meeting tomorrow?", "Alice") is None


@pytest.mark.parametrize("backend", ["auto", "extractive"])
def test_married_to_is_answered_from_the_husband_or_wife(store_path: str,
                                                         backend: Any) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["My husband is Tom.", "I live in Lisbon."])
        _tell(mem, "bob", ["My wife Sara is a nurse."])
        for question in ("Who am I married to?", "who did I marry?"):
            reply = _ask(mem, question, backend)
            assert "Tom" in reply.text and "Sara" not in reply.text, reply.text
            assert reply.question == "What is Alice's husband's name?", reply.question
        # a relative of a kind found by the name the user gave them
        text = _ask(mem, "What does my spouse do for a living?", backend, user="bob").text
        assert "nurse" in text, text
        text = _ask(mem, "Where's home for me?", backend).text
        assert "Lisbon" in text, text


def test_what_do_you_know_about_me(store_path: str) -> None:
    with MemOS.open(store_path) as mem:
        _tell(mem, "alice", ["I live in Lisbon.", "I work at Acme.",
                             "My sister Ana works at Google.", "I moved to Porto."])
        _tell(mem, "bob", ["I live in Rome."])
        for question in ("What do you know about me?", "Tell me everything you know about me.",
                         "What have I told you so far?"):
            assert questions.about_me_question(question), question
            reply = _ask(mem, question)
            text = reply.text
            assert text.startswith("Here is what I know about you: "), text
            for part in ("your city is Porto", "your employer is Acme",
                         "your sister's name is Ana"):
                assert part in text, text
            assert "Lisbon" not in text and "Rome" not in text, text  # ended; another user's
            assert {m.content for m in reply.memories} >= {"Alice's city is Porto."}
        assert "don't know anything about you" in _ask(mem, "What do you know about me?",
                                                       user="carol").text
        assert not questions.about_me_question("What do you know about Ana?")
        assert not questions.about_me_question("What do you know about Lisbon?")
