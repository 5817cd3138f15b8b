""""he" / "she" about the person named before: in the same turn, and in the speaker's next
turn of the same ingest (`rules.Referents`, `ingest.extract_rules`)."""

from __future__ import annotations

import pytest

from memos.reader.rules import extract
from tests.reader.helpers import facts


def said(text: str) -> set[tuple[str, str, str]]:
    return {(e.subject, e.attribute, e.value) for e in extract(text, "Alice", "user:alice")}


def test_he_in_the_next_turn_is_the_brother_named_before() -> None:
    got = facts("U: My brother Jack moved to Denver.", "A: Nice!", "U: He works at Boeing now.")
    assert ("Jack", "employer", "Boeing") in got
    assert ("Jack", "city", "Denver") in got


def test_she_in_the_next_turn_moves_the_sister() -> None:
    got = facts("U: My sister Ana lives in Madrid.", "A: Lovely.",
                "U: actually she lives in Valencia now")
    assert ("Ana", "city", "Valencia") in got


def test_she_in_the_same_turn_after_a_name_said_as_an_attribute() -> None:
    assert ("Rosa", "job", "teacher") in said("my mom's name is Rosa and she's a teacher")


def test_hes_an_age_and_the_referent_lasts_while_it_is_used() -> None:
    got = facts("U: My brother Jack moved to Denver.", "A: How does Jack like Denver?",
                "U: He works at Boeing now.", "A: Cool.", "U: He's 34.")
    assert {("Jack", "employer", "Boeing"), ("Jack", "age", "34")} <= got


def test_the_pronoun_gender_picks_one_of_two() -> None:
    got = facts("U: My brother Jack and my sister Ana live in Denver.", "A: Nice.",
                "U: She works at Zara.")
    assert ("Ana", "employer", "Zara") in got
    assert ("Jack", "employer", "Zara") not in got


def test_guard_another_named_first_in_the_same_turn() -> None:
    got = facts("U: My brother Jack is here. My friend Sam said he works at Google")
    assert not any(s == "Jack" and a == "employer" for s, a, _ in got)


def test_guard_he_after_two_named_men() -> None:
    got = facts("U: My brother Jack and my friend Tom came over.", "A: Fun!",
                "U: He works at Google.")
    assert not any(a == "employer" for _, a, _ in got)
    assert not any(a == "employer" for _, a, _ in
                   said("My brother Jack and my friend Sam came. He works at Google"))


def test_guard_he_in_a_question_or_a_hedge() -> None:
    got = facts("U: My brother Jack lives in Denver.", "A: Nice.",
                "U: Does he work at Boeing?", "A: No idea.", "U: He might move to Rome.")
    assert not any(a == "employer" for _, a, _ in got)
    assert ("Jack", "city", "Rome") not in got


# Each gives Jack no employer: the "he" (or "she") of the last turn is no one, or not him.
NO_REFERENT = {
    "gender_that_does_not_fit": (
        "U: My brother Jack lives in Denver.", "A: Nice.", "U: She works at Boeing."),
    "this_turn_names_someone_else_first": (
        "U: My brother Jack lives in Denver.", "A: Nice.",
        "U: I met Tom yesterday. He works at Boeing."),
    "assistant_naming_another_person_between": (
        "U: My brother Jack lives in Denver.", "A: Did Tom go with him?",
        "U: He works at Boeing."),
    "a_turn_between_that_uses_no_pronoun_ends_the_referent": (
        "U: My brother Jack lives in Denver.", "A: Nice.", "U: I love pizza.", "A: Me too.",
        "U: He works at Boeing."),
    "a_turn_naming_someone_its_facts_do_not": (
        "U: My brother Jack went to Denver with Tom.", "A: Nice.", "U: He works at Boeing."),
    "the_pronoun_inside_a_clause_is_left_alone": (
        "U: My brother Jack lives in Denver.", "A: Nice.", "U: I think he works at Boeing."),
}


@pytest.mark.parametrize("turns", list(NO_REFERENT.values()), ids=list(NO_REFERENT))
def test_guard_no_referent(turns: tuple[str, ...]) -> None:
    got = facts(*turns)
    assert not any(a == "employer" for _, a, _ in got)


def test_guard_a_pet_is_no_referent() -> None:
    assert not any(a == "age" for _, a, _ in said("My dog Rex is great. He's 5"))
