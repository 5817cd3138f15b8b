"""Questions -> the canonical question, by the vocabulary facts are written with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from memos.reader.questions import canonical_question, user_display_name
from memos.reader.rules import extract


@pytest.mark.parametrize(("question", "canonical"), [
    ("what is my sister's name?", "What is Alice's sister's name?"),
    ("What's my sister's name", "What is Alice's sister's name?"),
    ("who is my boss?", "What is Alice's boss's name?"),
    ("where do I live?", "What is Alice's city?"),
    ("Where do I live now?", "What is Alice's city?"),
    ("what am I allergic to?", "What is Alice's allergy?"),
    ("where do I work?", "What is Alice's employer?"),
    ("who do I work for?", "What is Alice's employer?"),
    ("what do I do for a living?", "What is Alice's job?"),
    ("What's my favourite colour?", "What is Alice's favorite color?"),
    ("what is my phone number?", "What is Alice's phone number?"),
    ("what's my e-mail?", "What is Alice's email?"),
    ("when is my birthday?", "What is Alice's birthday?"),
    ("where am I from?", "What is Alice's home town?"),
    ("how old am I?", "What is Alice's age?"),
    ("what is my name?", "What is Alice's name?"),
    ("what is my dog's name?", "What is Alice's dog's name?"),
    ("where does my sister live?", "What is Alice's sister's city?"),
    ("where does Ana live?", "What is Ana's city?"),
    ("What is Ana's phone number?", "What is Ana's phone number?"),
    ("Can you remind me what my address is?", "What is Alice's address?"),
    ("hey, what's my doctor's name again?", "What is Alice's doctor's name?"),
    # Phrasings from a blind suite (written without reading these rules).
    ("where am I living these days?", "What is Alice's city?"),
    ("What city am I living in?", "What is Alice's city?"),
    ("where am I from originally?", "What is Alice's home town?"),
    ("Is there any medicine I'm allergic to?", "What is Alice's allergy?"),
    ("which colour do I like best?", "What is Alice's favorite color?"),
    ("who's my dentist?", "What is Alice's dentist's name?"),
    ("Who's my favourite band?", "What is Alice's favorite band?"),
    ("what's my dog called?", "What is Alice's dog's name?"),
    ("What's my job title now?", "What is Alice's job?"),
    ("Who does Ana work for?", "What is Ana's employer?"),
    ("what does Jack do for work?", "What is Jack's job?"),
    ("Where's Beatriz living now?", "What is Beatriz's city?"),
    ("When is my brother's birthday?", "What is Alice's brother's birthday?"),
    ("how old is my son?", "What is Alice's son's age?"),
    # Asked politely or as an embedded question.
    ("Can you give me Dave's phone number?", "What is Dave's phone number?"),
    ("remind me of Kim's email", "What is Kim's email?"),
    ("remind me what my sister's name is", "What is Alice's sister's name?"),
    ("do you know where I live?", "What is Alice's city?"),
    ("remind me, where do I live?", "What is Alice's city?"),
    ("do you know where my sister lives?", "What is Alice's sister's city?"),
    ("can you tell me where Ana works?", "What is Ana's employer?"),
])
def test_maps_to_the_canonical_question(question: str, canonical: str) -> None:
    found = canonical_question(question, "Alice")
    assert found is not None, question
    assert found.question == canonical


@pytest.mark.parametrize(("question", "attribute"), [
    ("Which city did I live in before I moved to Leeds?", "city"),
    ("where did I use to live?", "city"),
    ("who did I work for before?", "employer"),
    ("what was my old address?", "address"),
    ("who was my previous boss?", "boss's name"),
])
def test_questions_about_the_value_before(question: str, attribute: str) -> None:
    from memos.reader.questions import past_question

    found = past_question(question, "Alice")
    assert found is not None and found.past and found.attribute == attribute
    assert past_question("where did I live?", "Alice") is None  # nothing past about it
    assert past_question("What was my last name?", "Alice") is None  # a surname, not "previous"


@pytest.mark.parametrize(("question", "attribute"), [
    ("Where have I lived?", "city"),
    ("where all have I lived so far", "city"),
    ("Which cities have I lived in?", "city"),
    ("Can you tell me all the cities I've lived in?", "city"),
    ("Where have I worked?", "employer"),
    ("Which companies have I worked for over the years?", "employer"),
    ("What jobs have I had?", "job"),
    ("What were my previous addresses?", "address"),
    ("what were my allergies", "allergy"),
    ("List my past phone numbers", "phone number"),
    ("What have my jobs been over the years?", "job"),
    ("what's the history of my address?", "address"),
    ("What were all my favourite colours?", "favorite color"),
    ("What were my favourite movies?", "favorite movie"),  # not "movy"
    ("what were my diagnoses", "diagnosis"),
    ("what were my previous hobbies", "hobby"),
])
def test_questions_about_every_value_over_time(question: str, attribute: str) -> None:
    from memos.reader.questions import history_question

    found = history_question(question, "Alice")
    assert found is not None and found.history and not found.past, question
    assert found.attribute == attribute and found.about_user
    assert found.question == f"What is Alice's {attribute}?"


@pytest.mark.parametrize(("question", "attribute", "value"), [
    ("Did I ever live in Porto?", "city", "Porto"),
    ("have I lived in New York", "city", "New York"),
    ("Have I ever worked at Acme Corp?", "employer", "Acme Corp"),
    ("did I work for Globex before", "employer", "Globex"),
    ("Was I ever a nurse?", "job", "nurse"),
    ("Have I worked as a teacher?", "job", "teacher"),
])
def test_questions_whether_a_value_ever_held(question: str, attribute: str, value: str
                                             ) -> None:
    from memos.reader.questions import ever_question

    found = ever_question(question, "Alice")
    assert found is not None and found.history and found.value == value, question
    assert found.attribute == attribute and found.about_user
    assert not found.now
    assert ever_question("Where did I live?", "Alice") is None


@pytest.mark.parametrize(("question", "attribute", "value"), [
    ("Do I live in Porto?", "city", "Porto"),
    ("Am I still living in New York?", "city", "New York"),
    ("Am I allergic to peanuts?", "allergy", "peanuts"),
    ("am i still allergic to cats", "allergy", "cats"),
    ("Do I have an allergy to penicillin?", "allergy", "penicillin"),
    ("Do I work at Acme Corp?", "employer", "Acme Corp"),
    ("Do I still work for Globex?", "employer", "Globex"),
    ("Do I work as a nurse?", "job", "nurse"),
    ("Do I like jazz?", "likes", "jazz"),
    ("Do I hate coffee?", "dislikes", "coffee"),
])
def test_questions_whether_a_value_holds_now(question: str, attribute: str, value: str
                                             ) -> None:
    from memos.reader.questions import ever_question

    found = ever_question(question, "Alice")
    assert found is not None and found.now and found.value == value, question
    assert found.attribute == attribute and found.about_user


@pytest.mark.parametrize("question", [
    "Where do I live?", "Where did I live before?", "What are my allergies?",
    "What was my previous address?", "what were my previous address?",
    "where have I lived in Lisbon the longest?", "where have you been?",
    "what have I told you about Lisbon?", "which cities have I visited?",
    "where have I " + "lived " * 100,
])
def test_other_questions_are_no_history_question(question: str) -> None:
    from memos.reader.questions import history_question

    assert history_question(question, "Alice") is None


@pytest.mark.parametrize("question", [
    "how are you?", "what should I cook tonight?", "tell me a joke", "what is it?",
    "what did we talk about last week?", "why is the sky blue?", "where is the station?",
    "what did I complain about at my old job?", "when did I move to Porto?",
    "do you know a good recipe?", "tell me about my trip to Japan",
    "How old is the universe?", "What does this button do?", "where is " + "x " * 500,
])
def test_other_questions_do_not_map(question: str) -> None:
    assert canonical_question(question, "Alice") is None


@pytest.mark.parametrize(("statement", "question"), [
    ("My sister's name is Ana.", "what is my sister's name?"),
    ("I live in Lisbon.", "where do I live?"),
    ("I'm allergic to peanuts.", "what am I allergic to?"),
    ("I work at Feedzai.", "where do I work?"),
    ("My favourite colour is green.", "what is my favorite color?"),
    ("My doctor is Dr. Okonkwo.", "who is my doctor?"),
    ("I work as a nurse.", "what is my job?"),
    ("I'm from Kumasi.", "where am I from?"),
    ("My e-mail is a.b@example.com.", "what is my email?"),
])
def test_a_stated_fact_is_asked_for_with_its_own_attribute(statement: str,
                                                           question: str) -> None:
    """The question mapping and the rules agree: the fact written for a statement is the one
    the canonical question asks for."""
    [fact] = extract(statement, "Alice", "user:alice", datetime(2026, 1, 1))
    q = canonical_question(question, "Alice")
    assert q is not None
    assert (q.subject, q.attribute) == (fact.subject, fact.attribute)
    assert q.subject_key("alice") == fact.subject_key
    assert fact.text.startswith(q.question.removeprefix("What is ").removesuffix("?"))


@pytest.mark.parametrize(("user_id", "stated", "name"), [
    ("alice", None, "Alice"),
    ("alice.moreau@example.com", None, "Alice Moreau"),
    ("jean-luc", None, "Jean Luc"),
    ("u_1234", None, "u_1234"),
    ("alice", "  Alice   Moreau ", "Alice Moreau"),
])
def test_user_display_name(user_id: str, stated: str | None, name: str) -> None:
    assert user_display_name(user_id, stated) == name


@pytest.mark.parametrize(("text", "expected"), [
    ("Where did Ana live before?", ("Ana", "city", None)),
    ("where did ana live before?", ("Ana", "city", None)),
    ("Who did Tom work for previously?", ("Tom", "employer", None)),
    ("where did Tom live before he moved to Rome?", ("Tom", "city", "Rome")),
    ("where did Tom live before she left him?", ("Tom", "city", None)),  # an event
    ("where did they live before?", None), ("where did mom live before?", None),
    ("where did everybody live before?", None), ("Where did Ana live?", None),
])
def test_past_questions_about_a_person_by_name(text: str, expected: Any) -> None:
    from memos.reader.questions import past_question

    cq = past_question(text, "Alice")
    assert (cq and (cq.subject, cq.attribute, cq.value)) == expected
    assert cq is None or (cq.past and not cq.about_user)
